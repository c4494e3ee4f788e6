//! The `{{variable}}` language of templates, snippets and signatures (SPEC CT-5), kept pure so
//! every rule is unit-tested without storage.
//!
//! - `{{name}}` is a variable; names are `[a-zA-Z][a-zA-Z0-9_.]*` and whitespace inside the
//!   braces is ignored (`{{ client.name }}`).
//! - `{{snippet:NAME}}`, `{{hashtags:NAME}}` and `{{signature:NAME}}` include another block of
//!   the workspace. Includes nest one level: an included block may use variables but not
//!   include further blocks, so a render never walks a chain and a cycle is found at once.
//! - `\{{` writes a literal `{{`. A backslash anywhere else is an ordinary character (so a
//!   literal backslash directly before a placeholder cannot be written — rare enough).
//! - Values are inserted as they are, never read again as placeholders: a value that contains
//!   `{{snippet:x}}` cannot pull another block in.

use std::collections::BTreeMap;

use crate::error::FieldError;

/// Names of variables and of includable blocks are short.
const MAX_NAME: usize = 64;

/// What an include pulls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IncludeKind {
    Snippet,
    Hashtags,
    Signature,
}

impl IncludeKind {
    pub const ALL: [IncludeKind; 3] = [IncludeKind::Snippet, IncludeKind::Hashtags, IncludeKind::Signature];

    /// The word before the colon.
    pub fn prefix(self) -> &'static str {
        match self {
            IncludeKind::Snippet => "snippet",
            IncludeKind::Hashtags => "hashtags",
            IncludeKind::Signature => "signature",
        }
    }

    /// The kind of block it names, as stored.
    pub fn block_kind(self) -> &'static str {
        match self {
            IncludeKind::Snippet => "snippet",
            IncludeKind::Hashtags => "hashtag_group",
            IncludeKind::Signature => "signature",
        }
    }

    /// The include that names a block of `kind`, if blocks of that kind can be included.
    pub fn for_block_kind(kind: &str) -> Option<IncludeKind> {
        IncludeKind::ALL.into_iter().find(|k| k.block_kind() == kind)
    }

    fn parse(prefix: &str) -> Option<IncludeKind> {
        IncludeKind::ALL.into_iter().find(|k| k.prefix() == prefix)
    }
}

/// One part of a parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// `raw` is the placeholder as written, put back verbatim when a lenient render cannot fill it.
    Var {
        name: String,
        raw: String,
    },
    Include {
        kind: IncludeKind,
        name: String,
        raw: String,
    },
}

impl Piece {
    /// `snippet:NAME` for an include.
    pub fn include_key(kind: IncludeKind, name: &str) -> String {
        format!("{}:{name}", kind.prefix())
    }
}

/// `[a-zA-Z][a-zA-Z0-9_.]*`, at most 64 characters.
pub fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && s.len() <= MAX_NAME
}

/// A block's name, which includes refer to: a letter or digit, then letters, digits, `_`, `-`
/// or `.`, at most 64 characters. No spaces, so `{{snippet:NAME}}` needs no quoting.
pub fn block_name(input: &str) -> Result<String, String> {
    let s = input.trim();
    let mut chars = s.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && s.len() <= MAX_NAME;
    if ok {
        Ok(s.to_string())
    } else {
        Err("must be 1 to 64 letters, digits, `_`, `-` or `.`, starting with a letter or digit".into())
    }
}

/// Splits `text` into literal text, variables and includes; the first malformed placeholder
/// is the error, with its character position.
pub fn parse(text: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    let position = |rest: &str| text[..text.len() - rest.len()].chars().count() + 1;
    loop {
        let open = rest.find("{{");
        let escape = rest.find("\\{{");
        match (open, escape) {
            (None, _) => {
                literal.push_str(rest);
                break;
            }
            // `\{{` — the escape starts one byte before the braces it covers.
            (Some(o), Some(e)) if e + 1 == o => {
                literal.push_str(&rest[..e]);
                literal.push_str("{{");
                rest = &rest[o + 2..];
            }
            (Some(o), _) => {
                literal.push_str(&rest[..o]);
                let after = &rest[o + 2..];
                let Some(close) = after.find("}}") else {
                    return Err(format!("has an unclosed `{{{{` at character {}", position(&rest[o..])));
                };
                let raw = &rest[o..o + 2 + close + 2];
                let piece = placeholder(&after[..close], raw)
                    .map_err(|m| format!("`{raw}` at character {} {m}", position(&rest[o..])))?;
                if !literal.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut literal)));
                }
                out.push(piece);
                rest = &after[close + 2..];
            }
        }
    }
    if !literal.is_empty() {
        out.push(Piece::Text(literal));
    }
    Ok(out)
}

fn placeholder(inner: &str, raw: &str) -> Result<Piece, String> {
    let inner = inner.trim();
    if inner.is_empty() {
        return Err("is empty; write a variable name such as {{client.name}}".into());
    }
    if let Some((prefix, name)) = inner.split_once(':') {
        let kind = IncludeKind::parse(prefix.trim())
            .ok_or_else(|| "includes an unknown kind; use snippet:, hashtags: or signature:".to_string())?;
        let name = block_name(name).map_err(|_| "names no block: block names are letters, digits, `_`, `-`, `.`")?;
        return Ok(Piece::Include { kind, name, raw: raw.to_string() });
    }
    if is_variable_name(inner) {
        Ok(Piece::Var { name: inner.to_string(), raw: raw.to_string() })
    } else {
        Err("is not a variable name ([a-zA-Z][a-zA-Z0-9_.]*)".into())
    }
}

/// The includes a parsed text makes, in order, without repeats.
pub fn includes(pieces: &[Piece]) -> Vec<(IncludeKind, String)> {
    let mut out: Vec<(IncludeKind, String)> = Vec::new();
    for p in pieces {
        if let Piece::Include { kind, name, .. } = p {
            if !out.iter().any(|(k, n)| k == kind && n == name) {
                out.push((*kind, name.clone()));
            }
        }
    }
    out
}

/// What a variable name stands for in one render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Value(String),
    /// A built-in the context cannot fill, and why (e.g. no client was given).
    Unavailable(String),
}

/// A block that an include found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Included {
    /// A snippet's or a signature's parsed text.
    Text(Vec<Piece>),
    /// A hashtag group's hashtags.
    Hashtags(Vec<String>),
}

/// Everything one render reads.
pub struct Env<'a> {
    /// Given values and built-ins; a name not here is unknown.
    pub values: &'a BTreeMap<String, Lookup>,
    /// The blocks the root's includes name, found beforehand (includes nest one level, so no
    /// other block is ever needed).
    pub blocks: &'a BTreeMap<(IncludeKind, String), Included>,
    /// The block being rendered, when it is itself includable, to recognise it including itself.
    pub root: Option<(IncludeKind, String)>,
    /// When false, unknown variables and missing blocks stay as written and are listed in
    /// `unresolved` instead of failing the render.
    pub strict: bool,
    /// The longest text a render may produce, in characters.
    pub max_chars: usize,
}

/// What a render used and what went wrong, across all the texts rendered with it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Variable names used, in order of first use, without repeats.
    pub variables: Vec<String>,
    /// `snippet:NAME`, `hashtags:NAME`, `signature:NAME`, in order of first use.
    pub includes: Vec<String>,
    /// Placeholders left as written (only when not strict).
    pub unresolved: Vec<String>,
    pub errors: Vec<FieldError>,
}

impl Report {
    fn note(list: &mut Vec<String>, item: &str) {
        if !list.iter().any(|i| i == item) {
            list.push(item.to_string());
        }
    }

    fn error(&mut self, field: &str, message: String) {
        let e = FieldError::new(field, message);
        if !self.errors.contains(&e) {
            self.errors.push(e);
        }
    }
}

/// Renders one parsed text, found at `field` (e.g. `body`), adding to `report`.
pub fn render(pieces: &[Piece], field: &str, env: &Env<'_>, report: &mut Report) -> String {
    let mut out = String::new();
    // Counted as it grows: recounting the whole output after every piece would be quadratic.
    let mut chars = 0;
    for piece in pieces {
        let before = out.len();
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var { name, raw } => variable(name, raw, env, report, &mut out),
            Piece::Include { kind, name, raw } => {
                let key = Piece::include_key(*kind, name);
                Report::note(&mut report.includes, &key);
                if env.root.as_ref().is_some_and(|(k, n)| k == kind && n == name) {
                    report.error(field, format!("`{raw}` includes the block itself: a cycle"));
                    continue;
                }
                match env.blocks.get(&(*kind, name.clone())) {
                    None if env.strict => report.error(
                        field,
                        format!("`{raw}`: there is no active {} named {name}", kind.block_kind().replace('_', " ")),
                    ),
                    None => {
                        Report::note(&mut report.unresolved, &key);
                        out.push_str(raw);
                    }
                    Some(Included::Hashtags(tags)) => out.push_str(&tags.join(" ")),
                    Some(Included::Text(inner)) => nested(inner, (*kind, name), raw, field, env, report, &mut out),
                }
            }
        }
        chars += out[before..].chars().count();
        if chars > env.max_chars {
            report.error(field, format!("renders to more than {} characters", env.max_chars));
            return out;
        }
    }
    out
}

/// An included block's text: variables are filled, a further include is refused.
fn nested(
    pieces: &[Piece],
    (kind, name): (IncludeKind, &str),
    raw: &str,
    field: &str,
    env: &Env<'_>,
    report: &mut Report,
    out: &mut String,
) {
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var { name, raw } => variable(name, raw, env, report, out),
            Piece::Include { kind: k, name: n, raw: inner } => {
                let back_to_root = env.root.as_ref().is_some_and(|(rk, rn)| rk == k && rn == n);
                let message = if back_to_root || (*k == kind && n == name) {
                    format!("`{raw}` includes `{inner}`, which leads back to it: a cycle")
                } else {
                    format!("`{raw}` includes `{inner}`, but includes nest one level only")
                };
                report.error(field, message);
            }
        }
    }
}

fn variable(name: &str, raw: &str, env: &Env<'_>, report: &mut Report, out: &mut String) {
    Report::note(&mut report.variables, name);
    let field = format!("variables.{name}");
    match env.values.get(name) {
        Some(Lookup::Value(v)) => out.push_str(v),
        Some(Lookup::Unavailable(why)) if env.strict => report.error(&field, why.clone()),
        None if env.strict => report.error(&field, "is used but no value was given".into()),
        Some(Lookup::Unavailable(_)) | None => {
            Report::note(&mut report.unresolved, name);
            out.push_str(raw);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, Lookup> {
        pairs.iter().map(|(k, v)| (k.to_string(), Lookup::Value(v.to_string()))).collect()
    }

    fn env<'a>(
        values: &'a BTreeMap<String, Lookup>,
        blocks: &'a BTreeMap<(IncludeKind, String), Included>,
        strict: bool,
    ) -> Env<'a> {
        Env { values, blocks, root: None, strict, max_chars: 10_000 }
    }

    fn run(text: &str, env: &Env<'_>) -> (String, Report) {
        let pieces = parse(text).unwrap();
        let mut report = Report::default();
        let out = render(&pieces, "body", env, &mut report);
        (out, report)
    }

    fn fields(r: &Report) -> Vec<&str> {
        r.errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn templates_variables_fill_with_whitespace_inside_braces() {
        let v = values(&[("first_name", "Ada"), ("client.name", "Bean Co")]);
        let blocks = BTreeMap::new();
        let (out, report) = run("Hi {{first_name}} from {{  client.name\t}}!", &env(&v, &blocks, true));
        assert_eq!(out, "Hi Ada from Bean Co!");
        assert_eq!(report.variables, ["first_name", "client.name"]);
        assert!(report.errors.is_empty());
    }

    #[test]
    fn templates_unknown_variables_are_errors_unless_lenient() {
        let v = values(&[("a", "1")]);
        let blocks = BTreeMap::new();
        let (_, strict) = run("{{a}} {{b}} {{ b }}", &env(&v, &blocks, true));
        assert_eq!(fields(&strict), ["variables.b"], "reported once per name");
        let (out, lenient) = run("{{a}} {{b}} {{ b }}", &env(&v, &blocks, false));
        assert_eq!(out, "1 {{b}} {{ b }}");
        assert!(lenient.errors.is_empty());
        assert_eq!(lenient.unresolved, ["b"]);
    }

    #[test]
    fn templates_unavailable_builtins_say_why() {
        let mut v = BTreeMap::new();
        v.insert("client.name".to_string(), Lookup::Unavailable("needs a client".into()));
        let blocks = BTreeMap::new();
        let (_, r) = run("{{client.name}}", &env(&v, &blocks, true));
        assert_eq!(r.errors, [FieldError::new("variables.client.name", "needs a client")]);
    }

    #[test]
    fn templates_includes_pull_in_snippets_hashtags_and_signatures() {
        let v = values(&[("client.name", "Bean Co")]);
        let mut blocks = BTreeMap::new();
        blocks.insert((IncludeKind::Snippet, "cta".into()), Included::Text(parse("Visit {{client.name}}").unwrap()));
        blocks.insert(
            (IncludeKind::Hashtags, "coffee".into()),
            Included::Hashtags(vec!["#coffee".into(), "#beans".into()]),
        );
        blocks.insert((IncludeKind::Signature, "team".into()), Included::Text(parse("— the team").unwrap()));
        let (out, r) = run("{{snippet:cta}}. {{ hashtags : coffee }}\n{{signature:team}}", &env(&v, &blocks, true));
        assert_eq!(out, "Visit Bean Co. #coffee #beans\n— the team");
        assert_eq!(r.includes, ["snippet:cta", "hashtags:coffee", "signature:team"]);
        assert_eq!(r.variables, ["client.name"], "variables inside included blocks count");
        assert!(r.errors.is_empty());
    }

    #[test]
    fn templates_missing_blocks_are_field_errors() {
        let v = BTreeMap::new();
        let blocks = BTreeMap::new();
        let (_, r) = run("x {{snippet:nope}}", &env(&v, &blocks, true));
        assert_eq!(fields(&r), ["body"]);
        assert!(r.errors[0].message.contains("no active snippet named nope"), "{}", r.errors[0].message);
        let (out, r) = run("x {{snippet:nope}}", &env(&v, &blocks, false));
        assert_eq!((out.as_str(), r.unresolved), ("x {{snippet:nope}}", vec!["snippet:nope".to_string()]));
    }

    #[test]
    fn templates_cycles_and_deep_nesting_are_refused() {
        let v = BTreeMap::new();
        let mut blocks = BTreeMap::new();
        blocks.insert((IncludeKind::Snippet, "a".into()), Included::Text(parse("A {{snippet:b}}").unwrap()));
        blocks.insert((IncludeKind::Snippet, "b".into()), Included::Text(parse("B {{snippet:c}}").unwrap()));
        blocks.insert((IncludeKind::Snippet, "self".into()), Included::Text(parse("{{snippet:self}}").unwrap()));
        // Rendering snippet b itself: it includes a, which includes b again.
        let mut e = env(&v, &blocks, true);
        e.root = Some((IncludeKind::Snippet, "b".into()));
        let (_, r) = run("{{snippet:a}}", &e);
        assert!(r.errors[0].message.contains("cycle"), "{:?}", r.errors);
        let (_, r) = run("{{snippet:b}}", &e);
        assert!(r.errors[0].message.contains("cycle"), "a block including itself: {:?}", r.errors);
        // From a template: a → b is one level too deep, self → self is a cycle.
        let (_, r) = run("{{snippet:a}}", &env(&v, &blocks, true));
        assert!(r.errors[0].message.contains("one level"), "{:?}", r.errors);
        let (_, r) = run("{{snippet:self}}", &env(&v, &blocks, true));
        assert!(r.errors[0].message.contains("cycle"), "{:?}", r.errors);
    }

    #[test]
    fn templates_escaped_braces_stay_literal() {
        let v = values(&[("x", "1")]);
        let blocks = BTreeMap::new();
        let (out, r) = run(r"\{{x}} is {{x}}; a \ alone stays, }} too", &env(&v, &blocks, true));
        assert_eq!(out, r"{{x}} is 1; a \ alone stays, }} too");
        assert_eq!(r.variables, ["x"]);
    }

    #[test]
    fn templates_values_are_not_read_as_placeholders() {
        let v = values(&[("x", "{{snippet:secret}} {{y}}")]);
        let blocks = BTreeMap::new();
        let (out, r) = run("{{x}}", &env(&v, &blocks, true));
        assert_eq!(out, "{{snippet:secret}} {{y}}");
        assert!(r.errors.is_empty() && r.includes.is_empty());
    }

    #[test]
    fn templates_malformed_placeholders_are_reported_with_a_position() {
        for (text, needle) in [
            ("ab {{x", "unclosed `{{` at character 4"),
            ("{{}}", "is empty"),
            ("{{ 1x }}", "not a variable name"),
            ("{{first name}}", "not a variable name"),
            ("{{emoji:smile}}", "unknown kind"),
            ("{{snippet:}}", "names no block"),
            ("{{snippet:two words}}", "names no block"),
            ("{{{x}}}", "not a variable name"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn templates_output_is_bounded() {
        let v = values(&[("x", &"y".repeat(50))]);
        let blocks = BTreeMap::new();
        let mut e = env(&v, &blocks, true);
        e.max_chars = 100;
        let (_, r) = run("{{x}}{{x}}{{x}}", &e);
        assert!(r.errors[0].message.contains("more than 100"), "{:?}", r.errors);
    }

    #[test]
    fn templates_names_follow_their_patterns() {
        assert!(is_variable_name("client.name") && is_variable_name("a_1"));
        assert!(!is_variable_name("1a") && !is_variable_name("a-b") && !is_variable_name(""));
        assert_eq!(block_name(" weekly-cta.v2 ").unwrap(), "weekly-cta.v2");
        assert!(block_name("two words").is_err() && block_name("").is_err() && block_name("-x").is_err());
        assert_eq!(includes(&parse("{{snippet:a}}{{hashtags:a}}{{snippet:a}}").unwrap()).len(), 2);
    }
}
