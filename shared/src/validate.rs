//! Parse, don't validate: input strings become domain values whose constructors are the only
//! check. [`Fields`] gathers every problem of one request so the caller sees them all at once.

use serde_json::{Map, Value as Json};

use crate::error::{AppError, FieldError};

/// Collects field errors while parsing one input.
#[derive(Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// Keeps the value, or records why the field is wrong.
    pub fn take<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|m| self.0.push(FieldError::new(field, m))).ok()
    }

    /// Like [`Fields::take`] for an optional input.
    pub fn take_opt<T, I>(
        &mut self,
        field: &str,
        input: Option<I>,
        parse: impl FnOnce(I) -> Result<T, String>,
    ) -> Option<T> {
        input.and_then(|i| self.take(field, parse(i)))
    }

    pub fn is_ok(&self) -> bool {
        self.0.is_empty()
    }

    /// How many problems were found so far.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn error(self) -> AppError {
        if self.0.is_empty() {
            AppError::Internal("validation failed without details".into())
        } else {
            AppError::Validation(self.0)
        }
    }
}

/// A person's or a workspace's display name: 1 to 100 characters, no control characters.
pub fn name(input: &str) -> Result<String, String> {
    line(input, 100)
}

/// The longest title (of a post, an idea).
pub const TITLE_MAX_CHARS: usize = 300;

/// One line of text (a name, a title): trimmed, 1 to `max` characters, no control characters.
pub fn line(input: &str, max: usize) -> Result<String, String> {
    let trimmed = input.trim();
    match trimmed.chars().count() {
        0 => Err("must not be empty".into()),
        n if n > max => Err(format!("must be at most {max} characters")),
        _ if trimmed.chars().any(char::is_control) => Err("must not contain control characters".into()),
        _ => Ok(trimmed.to_string()),
    }
}

/// An IANA time-zone name such as `Europe/Paris`; offsets are refused because daylight saving
/// moves them.
pub fn timezone(input: &str) -> Result<String, String> {
    let tz = input.trim();
    if tz.is_empty() || tz.len() > 64 {
        return Err("must be an IANA time zone such as Europe/Paris".into());
    }
    crate::zones::canonical(tz).map(str::to_string).ok_or_else(|| format!("unknown IANA time zone `{tz}`"))
}

/// A BCP 47 language tag such as `en`, `pt-BR` or `zh-Hant-TW`.
pub fn locale(input: &str) -> Result<String, String> {
    let tag = input.trim();
    let mut parts = tag.split('-');
    let lang_ok =
        parts.next().is_some_and(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphabetic()));
    let rest_ok = parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if lang_ok && rest_ok && tag.len() <= 35 {
        Ok(tag.to_string())
    } else {
        Err("must be a BCP 47 language tag such as en or pt-BR".into())
    }
}

/// A JSON object of settings, at most `max_bytes` once serialized.
pub fn object(input: Json, max_bytes: usize) -> Result<Map<String, Json>, String> {
    match input {
        Json::Object(map) => {
            let size = serde_json::to_vec(&map).map(|v| v.len()).unwrap_or(usize::MAX);
            if size > max_bytes {
                Err(format!("must be at most {max_bytes} bytes of JSON"))
            } else {
                Ok(map)
            }
        }
        _ => Err("must be a JSON object".into()),
    }
}

/// RFC 7396 JSON merge patch: keys set to null are removed, objects merge recursively.
pub fn merge_patch(target: &mut Map<String, Json>, patch: Map<String, Json>) {
    for (key, value) in patch {
        match value {
            Json::Null => {
                target.remove(&key);
            }
            Json::Object(inner) => {
                let slot = target.entry(key).or_insert_with(|| Json::Object(Map::new()));
                if !slot.is_object() {
                    *slot = Json::Object(Map::new());
                }
                if let Json::Object(existing) = slot {
                    merge_patch(existing, inner);
                }
            }
            other => {
                target.insert(key, other);
            }
        }
    }
}

/// An email address in the one form addresses are compared and sent to: trimmed, the local
/// part lower-cased, the domain mapped by IDNA (UTS 46) to ASCII, which also lower-cases and
/// folds compatibility forms. So `Ada@EXAMPLE.com`, `ada@ＥＸＡＭＰＬＥ.com` and `ada@example.com` are
/// one account, and `exämple.com` is `xn--exmple-cua.com`. The local part is otherwise kept as
/// given: its meaning belongs to the receiving server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    normalized: String,
    /// How an address was stored before domains were IDNA-encoded (trimmed and lower-cased),
    /// when that differs: accounts made then are still found under it.
    legacy: Option<String>,
}

impl Email {
    pub fn parse(input: &str) -> Result<Email, String> {
        let given = input.trim();
        let invalid = || "must be a valid email address".to_string();
        if given.len() > 1024 || given.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = given.split_once('@').ok_or_else(invalid)?;
        let local = local.to_lowercase();
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return Err(invalid());
        }
        // STD3 rules, hyphen placement and DNS lengths: the strict form, as mail needs.
        let domain = idna::domain_to_ascii_strict(domain).map_err(|_| invalid())?;
        let domain_ok = domain.contains('.') && domain.split('.').all(|label| !label.is_empty());
        let normalized = format!("{local}@{domain}");
        if !domain_ok || normalized.len() > 254 {
            return Err(invalid());
        }
        let legacy = Some(given.to_lowercase()).filter(|l| *l != normalized);
        Ok(Email { normalized, legacy })
    }

    pub fn as_str(&self) -> &str {
        &self.normalized
    }

    /// The form an account made before normalization may be stored under, when it differs.
    pub fn legacy(&self) -> Option<&str> {
        self.legacy.as_deref()
    }
}

/// Trimmed optional text of at most `max` characters; empty means absent.
pub fn opt_text(input: Option<String>, max: usize) -> Result<Option<String>, String> {
    match input.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > max => Err(format!("must be at most {max} characters")),
        other => Ok(other),
    }
}

/// A list of short labels (themes, words, goals): at most `max_items`, each 1–100 characters.
pub fn labels(input: Vec<String>, max_items: usize) -> Result<Vec<String>, String> {
    if input.len() > max_items {
        return Err(format!("must have at most {max_items} items"));
    }
    input
        .into_iter()
        .map(|s| s.trim().to_string())
        .map(|s| {
            if s.is_empty() || s.chars().count() > 100 {
                Err("items must be 1 to 100 characters".to_string())
            } else {
                Ok(s)
            }
        })
        .collect()
}

/// Milliseconds since the epoch as RFC 3339 text, the form every timestamp takes in the API:
/// UTC with exactly three fraction digits (`2026-12-04T20:29:29.300Z`), so timestamps keep one
/// length and sort as text the way they sort in time.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| format!("{t:.3}")).unwrap_or_default()
}

/// `YYYYMMDD'T'HHMMSS'Z'` in UTC (RFC 5545's and SigV4's basic form). Written out rather than
/// through strftime, whose formatter is 13 KB of the Worker.
pub fn utc_stamp(ms: i64) -> String {
    let t = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let t = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second())
}

/// The form [`rfc3339`] writes, as the OpenAPI document states it for every `…At` property.
pub const RFC3339_PATTERN: &str = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$";

/// Text in a JSON body, as the document states it: no control character but tab and newline
/// (what `json::is_refused_char` refuses).
pub const TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$";

/// A query value: no control character but tab (a newline is refused there too).
pub const QUERY_TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000A-\u001F\u007F-\u009F]*$";

/// One line of text with at least one visible character (a name, a title): no control
/// character at all, and not only spaces.
pub const LINE_PATTERN: &str =
    r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timezones_are_iana_names() {
        assert!(timezone("Europe/Paris").is_ok());
        assert!(timezone("America/Argentina/Buenos_Aires").is_ok());
        assert!(timezone("UTC").is_ok());
        assert!(timezone("+02:00").is_err());
        assert!(timezone("Mars/Olympus").is_err());
    }

    #[test]
    fn locales_are_language_tags() {
        for ok in ["en", "pt-BR", "zh-Hant-TW"] {
            assert!(locale(ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "english-language-x", "en_US", "12"] {
            assert!(locale(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  Ada  ").unwrap(), "Ada");
        assert!(name("   ").is_err());
        assert!(name(&"x".repeat(101)).is_err());
        assert!(name("a\u{0}b").is_err());
    }

    #[test]
    fn timestamps_always_carry_milliseconds() {
        let second = 1_796_416_169_000; // 2026-12-04T20:29:29Z
        assert_eq!(rfc3339(second), "2026-12-04T20:29:29.000Z");
        assert_eq!(rfc3339(second + 300), "2026-12-04T20:29:29.300Z");
        assert_eq!(rfc3339(second + 230), "2026-12-04T20:29:29.230Z");
        assert_eq!(rfc3339(second + 999), "2026-12-04T20:29:29.999Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn timestamps_sort_as_text_as_they_sort_in_time() {
        let second = 1_796_416_169_000;
        let times = [second + 999, second, second + 300, second + 1_000, second + 230, second + 3, second + 30];
        let mut by_time = times;
        by_time.sort();
        let mut by_text: Vec<String> = times.iter().map(|&t| rfc3339(t)).collect();
        by_text.sort();
        assert_eq!(by_text, by_time.iter().map(|&t| rfc3339(t)).collect::<Vec<_>>());
        assert!(by_text.iter().all(|t| t.len() == 24));
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": 1, "b": {"c": 2, "d": 3}}).as_object().unwrap().clone();
        let patch = json!({"a": null, "b": {"c": 9}, "e": [1]}).as_object().unwrap().clone();
        merge_patch(&mut target, patch);
        assert_eq!(Json::Object(target), json!({"b": {"c": 9, "d": 3}, "e": [1]}));
    }
}
