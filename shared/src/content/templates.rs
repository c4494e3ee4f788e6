//! Templates, snippets, hashtag groups and signatures (SPEC CT-5): the reusable blocks a
//! workspace writes posts from, rendered with `{{variables}}` (the language is in
//! [`super::render`]).
//!
//! The four kinds live in one table and one resource (`/templates?kind=…`): they share naming,
//! client ownership, tags and archival, and an include finds its block by kind and name. A
//! block of a client is seen by that client's Client members and used only in renders for that
//! client; a block without a client is the agency's own, and may be included in any client's
//! text (a Client member then reads it only inside that rendered text). Blocks are kept under
//! privacy mode: they are the workspace's reusable wording, not the posts privacy mode forgets.
//!
//! Here: the blocks' types and the checks of their content; handlers in `handlers::templates`,
//! SQL in `store::templates`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::{IntoParams, ToSchema};

use super::posts::{self, MAX_BODY_CHARS};
use super::render::{self, IncludeKind};
use crate::api::documented::{field, query, Documented, Rule};
use crate::error::FieldError;
use crate::platforms::Platform;

/// A snippet's or a signature's text.
pub const MAX_TEXT_CHARS: usize = 5_000;
/// What Instagram, the strictest platform, accepts in one post.
pub const MAX_HASHTAGS: usize = 30;
pub const MAX_HASHTAG_CHARS: usize = 100;
pub const MAX_VARIABLES: usize = 100;
pub const MAX_VALUE_CHARS: usize = 5_000;
/// Distinct blocks one render may include: each is a query.
pub const MAX_INCLUDES: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Template,
    Snippet,
    HashtagGroup,
    Signature,
}

impl BlockKind {
    pub const ALL: [BlockKind; 4] =
        [BlockKind::Template, BlockKind::Snippet, BlockKind::HashtagGroup, BlockKind::Signature];

    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Template => "template",
            BlockKind::Snippet => "snippet",
            BlockKind::HashtagGroup => "hashtag_group",
            BlockKind::Signature => "signature",
        }
    }

    pub fn parse(s: &str) -> Option<BlockKind> {
        BlockKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Snippets and signatures hold one text.
    pub fn has_text(self) -> bool {
        matches!(self, BlockKind::Snippet | BlockKind::Signature)
    }

    /// The field a block's main text is read from and reported at.
    pub fn text_field(self) -> &'static str {
        if self == BlockKind::Template {
            "body"
        } else {
            "text"
        }
    }
}

pub const KIND_RULE: &str = "must be template, snippet, hashtag_group or signature";

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BlockInput {
    /// template, snippet, hashtag_group or signature
    pub kind: Option<String>,
    /// How includes name the block (`{{snippet:NAME}}`): 1 to 64 letters, digits, `_`, `-` or
    /// `.`; unique per kind among the workspace's active blocks.
    pub name: Option<String>,
    /// Templates: the post's title; may hold placeholders.
    pub title: Option<String>,
    /// Templates: the post's body.
    pub body: Option<String>,
    /// Templates: a text of their own for some platforms, e.g. `{"x": "Short: {{link}}"}`.
    pub platform_texts: Option<BTreeMap<String, String>>,
    /// Snippets and signatures: their text.
    pub text: Option<String>,
    /// Hashtag groups: `#` and letters, digits or underscores; duplicates are dropped; at most 30.
    pub hashtags: Option<Vec<String>>,
    /// A client's own block; absent for the agency's.
    pub client_id: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BlockPatch {
    pub name: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    /// Replaces every per-platform text; `{}` removes them.
    pub platform_texts: Option<BTreeMap<String, String>>,
    pub text: Option<String>,
    /// Replaces the group's hashtags.
    pub hashtags: Option<Vec<String>>,
    /// `""` makes the block the agency's own again.
    pub client_id: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockView {
    pub id: String,
    pub kind: BlockKind,
    pub name: String,
    /// Templates only.
    pub title: Option<String>,
    /// Templates only.
    pub body: Option<String>,
    /// Templates only: platform → text.
    pub platform_texts: BTreeMap<String, String>,
    /// Snippets and signatures only.
    pub text: Option<String>,
    /// Hashtag groups only.
    pub hashtags: Vec<String>,
    pub client_id: Option<String>,
    pub tags: Vec<String>,
    pub created_by: String,
    pub archived: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl BlockView {
    /// What the `body` column holds: a template's body or a snippet's/signature's text.
    pub fn stored_body(&self) -> Option<String> {
        self.body.clone().or_else(|| self.text.clone())
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockPage {
    pub items: Vec<BlockView>,
    /// The offset of the next page; absent on the last.
    pub next_offset: Option<i64>,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct BlockQuery {
    /// template, snippet, hashtag_group or signature
    pub kind: Option<String>,
    pub client_id: Option<String>,
    /// A whole tag, matched without case: `%` and `_` are characters like any other.
    pub tag: Option<String>,
    pub include_archived: Option<bool>,
    /// 1 to 200, default 100.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    #[param(minimum = 0, maximum = 100000)]
    pub offset: Option<u32>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RenderInput {
    /// Values by variable name: strings, numbers or booleans. A value given here wins over the
    /// built-in of the same name (e.g. `date` for a post scheduled later).
    #[schema(value_type = Object)]
    pub variables: Option<BTreeMap<String, Json>>,
    /// The client `{{client.name}}` names; by default the template's client or the campaign's.
    pub client_id: Option<String>,
    pub campaign_id: Option<String>,
    /// Default true: an unknown variable or a missing block is an error. When false they stay
    /// as written and are listed in `unresolved`.
    pub strict: Option<bool>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostFromTemplateInput {
    #[schema(value_type = Object)]
    pub variables: Option<BTreeMap<String, Json>>,
    pub client_id: Option<String>,
    pub campaign_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rendered {
    pub template_id: String,
    pub kind: BlockKind,
    /// Templates only.
    pub title: Option<String>,
    /// A template's body, a snippet's or signature's text, or a hashtag group's hashtags
    /// separated by spaces.
    pub body: String,
    pub platform_texts: BTreeMap<String, String>,
    pub client_id: Option<String>,
    pub campaign_id: Option<String>,
    /// Variable names used, in order of first use (included blocks' too).
    pub variables: Vec<String>,
    /// Blocks included, as `snippet:NAME`, `hashtags:NAME`, `signature:NAME`.
    pub includes: Vec<String>,
    /// With `strict: false`: placeholders left as written.
    pub unresolved: Vec<String>,
}

// ── Validation ──────────────────────────────────────────────────────────────────────────

/// Each item `#` followed by letters, digits or underscores (not digits only: platforms do
/// not link those), deduplicated ignoring case, 1 to 30 of them.
pub fn parse_hashtags(input: Vec<String>, errors: &mut Vec<FieldError>) -> Vec<String> {
    if input.is_empty() {
        errors.push(FieldError::new("hashtags", "must have at least one hashtag"));
        return Vec::new();
    }
    if input.len() > MAX_HASHTAGS * 4 {
        errors.push(FieldError::new("hashtags", format!("must have at most {MAX_HASHTAGS} hashtags")));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, raw) in input.iter().enumerate() {
        let tag = raw.trim();
        let word = tag.strip_prefix('#').unwrap_or_default();
        let well_formed = !word.is_empty()
            && word.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !word.chars().all(|c| c.is_ascii_digit())
            && tag.chars().count() <= MAX_HASHTAG_CHARS;
        if !well_formed {
            errors.push(FieldError::new(
                format!("hashtags[{i}]"),
                format!(
                    "must be # followed by up to {} letters, digits or underscores, not only digits, without spaces",
                    MAX_HASHTAG_CHARS - 1
                ),
            ));
            continue;
        }
        let folded = tag.to_lowercase();
        if !out.iter().any(|o| o.to_lowercase() == folded) {
            out.push(tag.to_string());
        }
    }
    if out.len() > MAX_HASHTAGS {
        errors.push(FieldError::new(
            "hashtags",
            format!("must have at most {MAX_HASHTAGS} hashtags once duplicates are removed, not {}", out.len()),
        ));
    }
    out
}

/// A block's content before checking, from an input merged over what is stored.
#[derive(Default)]
pub struct Draft {
    pub title: Option<String>,
    /// A template's body or a snippet's/signature's text.
    pub body: Option<String>,
    pub platform_texts: Option<BTreeMap<String, String>>,
    pub hashtags: Option<Vec<String>>,
}

/// Checked content, as stored.
#[derive(Default)]
pub struct Parts {
    pub title: Option<String>,
    pub body: Option<String>,
    pub platform_texts: BTreeMap<String, String>,
    pub hashtags: Vec<String>,
}

/// Placeholders must parse, and a block must not include itself.
pub fn check_placeholders(text: &str, field: &str, own: Option<(IncludeKind, &str)>, errors: &mut Vec<FieldError>) {
    match render::parse(text) {
        Err(m) => errors.push(FieldError::new(field, m)),
        Ok(pieces) => {
            if let Some((kind, name)) = own {
                if render::includes(&pieces).iter().any(|(k, n)| *k == kind && n == name) {
                    errors.push(FieldError::new(
                        field,
                        format!("includes the block itself ({{{{{}:{name}}}}})", kind.prefix()),
                    ));
                }
            }
        }
    }
}

pub fn required_text(input: Option<String>, field: &str, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    match input {
        None => errors.push(FieldError::new(field, "is required")),
        Some(t) if t.trim().is_empty() => errors.push(FieldError::new(field, "must not be empty")),
        Some(t) if t.chars().count() > max => {
            errors.push(FieldError::new(field, format!("must be at most {max} characters")))
        }
        Some(t) => return Some(t),
    }
    None
}

/// Fields that another kind of block would take.
pub fn foreign_fields(kind: BlockKind, given: [(&str, bool); 5], errors: &mut Vec<FieldError>) {
    for (field, present) in given {
        let allowed = match field {
            "title" | "body" | "platformTexts" => kind == BlockKind::Template,
            "text" => kind.has_text(),
            _ => kind == BlockKind::HashtagGroup,
        };
        if present && !allowed {
            let owner = match field {
                "title" | "body" | "platformTexts" => "templates",
                "text" => "snippets and signatures",
                _ => "hashtag groups",
            };
            errors.push(FieldError::new(field, format!("is only for {owner}, not a {}", kind.as_str())));
        }
    }
}

pub fn check_content(kind: BlockKind, name: Option<&str>, d: Draft, errors: &mut Vec<FieldError>) -> Parts {
    let own = name.and_then(|n| IncludeKind::for_block_kind(kind.as_str()).map(|k| (k, n)));
    let mut parts = Parts::default();
    match kind {
        BlockKind::Template => {
            match d.title.as_deref().map(posts::parse_title) {
                None => errors.push(FieldError::new("title", "is required")),
                Some(Err(m)) => errors.push(FieldError::new("title", m)),
                Some(Ok(t)) => {
                    check_placeholders(&t, "title", None, errors);
                    parts.title = Some(t);
                }
            }
            parts.body = required_text(d.body, "body", MAX_BODY_CHARS, errors);
            if let Some(b) = &parts.body {
                check_placeholders(b, "body", None, errors);
            }
            for (key, text) in d.platform_texts.unwrap_or_default() {
                let field = format!("platformTexts.{key}");
                let Some(platform) = Platform::parse(key.trim()) else {
                    errors.push(FieldError::new(field, format!("`{key}` is not a supported platform")));
                    continue;
                };
                if let Some(t) = required_text(Some(text), &field, MAX_BODY_CHARS, errors) {
                    check_placeholders(&t, &field, None, errors);
                    parts.platform_texts.insert(platform.as_str().to_string(), t);
                }
            }
        }
        BlockKind::Snippet | BlockKind::Signature => {
            parts.body = required_text(d.body, "text", MAX_TEXT_CHARS, errors);
            if let Some(t) = &parts.body {
                check_placeholders(t, "text", own, errors);
            }
        }
        BlockKind::HashtagGroup => match d.hashtags {
            None => errors.push(FieldError::new("hashtags", "is required")),
            Some(h) => parts.hashtags = parse_hashtags(h, errors),
        },
    }
    parts
}

pub fn tags(input: Option<Vec<String>>, errors: &mut Vec<FieldError>) -> Option<Vec<String>> {
    input.and_then(|t| posts::parse_tags(t).map_err(|m| errors.push(FieldError::new("tags", m))).ok())
}

/// `{{date}}`: today in the workspace's time zone.
pub fn today(now_ms: i64, timezone: &str) -> String {
    let tz = crate::zones::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(now_ms).map(|t| t.to_zoned(tz).date().to_string()).unwrap_or_default()
}

/// What the template parsers check, as the OpenAPI document states it (which fields each kind
/// takes is in the field descriptions).
pub const DOCUMENTED: &[Documented] = &[
    field("BlockInput", "kind", Rule::OneOf(&["template", "snippet", "hashtag_group", "signature"])),
    field("BlockInput", "name", Rule::Pattern(BLOCK_NAME_PATTERN, 64)),
    field("BlockPatch", "name", Rule::Pattern(BLOCK_NAME_PATTERN, 64)),
    query("listTemplates", "kind", Rule::OneOf(&["", "template", "snippet", "hashtag_group", "signature"])),
];

pub const BLOCK_NAME_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$";

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    fn hashtags(list: &[&str]) -> (Vec<String>, Vec<FieldError>) {
        let mut errors = Vec::new();
        let out = parse_hashtags(list.iter().map(|s| s.to_string()).collect(), &mut errors);
        (out, errors)
    }

    #[test]
    fn templates_hashtags_are_checked_one_by_one_and_deduplicated() {
        let (out, errors) = hashtags(&["#coffee", " #Coffee ", "#café_2", "coffee", "#two words", "#123", "#", "#a-b"]);
        assert_eq!(out, ["#coffee", "#café_2"]);
        assert_eq!(fields(&errors), ["hashtags[3]", "hashtags[4]", "hashtags[5]", "hashtags[6]", "hashtags[7]"]);
        assert_eq!(fields(&hashtags(&[]).1), ["hashtags"]);
    }

    #[test]
    fn templates_hashtag_groups_hold_at_most_thirty_distinct_tags() {
        let mut thirty: Vec<String> = (0..30).map(|i| format!("#tag{i}")).collect();
        thirty.push("#TAG0".into());
        let mut errors = Vec::new();
        assert_eq!(parse_hashtags(thirty.clone(), &mut errors).len(), 30, "a duplicate does not count");
        assert!(errors.is_empty());
        thirty.push("#tag30".into());
        parse_hashtags(thirty, &mut errors);
        assert_eq!(fields(&errors), ["hashtags"]);
    }

    #[test]
    fn templates_content_is_checked_for_its_kind() {
        let mut errors = Vec::new();
        let draft = Draft {
            title: Some("  ".into()),
            body: Some("{{ unclosed".into()),
            platform_texts: Some(BTreeMap::from([("myspace".into(), "x".into()), ("x".into(), "{{1}}".into())])),
            hashtags: None,
        };
        check_content(BlockKind::Template, Some("t"), draft, &mut errors);
        assert_eq!(fields(&errors), ["title", "body", "platformTexts.myspace", "platformTexts.x"]);

        let mut errors = Vec::new();
        let draft = Draft { body: Some("More: {{ snippet:cta }}".into()), ..Draft::default() };
        check_content(BlockKind::Snippet, Some("cta"), draft, &mut errors);
        assert_eq!(fields(&errors), ["text"], "a snippet including itself is a cycle");
        assert!(errors[0].message.contains("itself"), "{}", errors[0].message);

        let mut errors = Vec::new();
        let draft = Draft { body: Some("— {{snippet:cta}}".into()), ..Draft::default() };
        let parts = check_content(BlockKind::Signature, Some("cta"), draft, &mut errors);
        assert!(errors.is_empty(), "a signature may include a snippet of the same name: {errors:?}");
        assert_eq!(parts.body.as_deref(), Some("— {{snippet:cta}}"));
    }

    #[test]
    fn templates_fields_of_another_kind_are_refused() {
        let mut errors = Vec::new();
        let given = [("title", true), ("body", false), ("platformTexts", false), ("text", true), ("hashtags", true)];
        foreign_fields(BlockKind::Snippet, given, &mut errors);
        assert_eq!(fields(&errors), ["title", "hashtags"]);
    }

    #[test]
    fn templates_date_is_the_workspace_day() {
        // 2026-11-23T10:30:00Z is already the 24th at UTC+14 and still the 22nd at UTC-11.
        let ms = 1_795_429_800_000;
        assert_eq!(today(ms, "UTC"), "2026-11-23");
        assert_eq!(today(ms, "Pacific/Kiritimati"), "2026-11-24");
        assert_eq!(today(ms, "Pacific/Pago_Pago"), "2026-11-22");
        assert_eq!(today(ms, "Not/AZone"), "2026-11-23", "an unknown zone falls back to UTC");
    }
}
