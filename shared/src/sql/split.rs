//! Splitting a migration file into its statements: some hosts (Spin, the drivers' extended
//! protocol) run one statement per call, so the runner hands them over one at a time.

/// Splits a migration file into statements: Spin runs one statement per call. Semicolons
/// inside quotes, comments, dollar-quoted bodies (`$$ … $$`) and `BEGIN … END` blocks of
/// triggers and functions do not split.
pub fn statements(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    let mut has_code = false;
    let mut first_words: Vec<String> = Vec::new();
    let mut block = false;
    let mut depth = 0u32;
    while i < b.len() {
        let c = b[i];
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            i = sql[i..].find('\n').map_or(b.len(), |n| i + n + 1);
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = sql[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
        } else if c == b'\'' || c == b'"' {
            // A doubled quote closes and reopens: the same as one literal.
            has_code = true;
            i = sql[i + 1..].find(c as char).map_or(b.len(), |n| i + 1 + n + 1);
        } else if c == b'$' && (i == 0 || !is_word(b[i - 1])) && dollar_tag(&sql[i..]).is_some() {
            has_code = true;
            let tag = dollar_tag(&sql[i..]).unwrap_or("$$");
            let body = i + tag.len();
            i = sql[body..].find(tag).map_or(b.len(), |n| body + n + tag.len());
        } else if c == b';' && depth == 0 {
            if has_code {
                out.push(sql[start..i].trim());
            }
            (start, has_code, block, depth) = (i + 1, false, false, 0);
            first_words.clear();
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            has_code = true;
            let end = sql[i..].find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_')).map_or(b.len(), |n| i + n);
            let word = sql[i..end].to_ascii_uppercase();
            if first_words.len() < 4 {
                first_words.push(word.clone());
                block = first_words[0] == "CREATE"
                    && first_words.iter().any(|w| matches!(w.as_str(), "TRIGGER" | "FUNCTION" | "PROCEDURE"));
            }
            if block {
                match word.as_str() {
                    "BEGIN" => depth += 1,
                    "CASE" if depth > 0 => depth += 1,
                    "END" if depth > 0 => depth -= 1,
                    _ => {}
                }
            }
            i = end;
        } else {
            has_code |= !c.is_ascii_whitespace();
            i += 1;
        }
    }
    if has_code {
        out.push(sql[start..].trim());
    }
    out
}

/// `$$` or `$tag$` at the start of `s`.
fn dollar_tag(s: &str) -> Option<&str> {
    let rest = s.strip_prefix('$')?;
    let len = rest.find('$')?;
    let tag = &rest[..len];
    let valid = tag.chars().next().is_none_or(|c| c.is_ascii_alphabetic() || c == '_')
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| &s[..len + 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_respects_quotes_comments_and_blocks() {
        let sql = "-- a comment; still a comment\n\
                   CREATE TABLE a (x TEXT DEFAULT 'x;y', \"we;ird\" INTEGER); /* c; */\n\
                   INSERT INTO a VALUES ('it''s; fine', 1);\n\
                   CREATE TRIGGER t AFTER INSERT ON a BEGIN\n\
                     UPDATE a SET x = CASE WHEN x = '' THEN 'e' ELSE x END;\n\
                     DELETE FROM a WHERE 0;\n\
                   END;\n\
                   -- only a comment at the end;\n";
        let parts = statements(sql);
        assert_eq!(parts.len(), 3, "{parts:#?}");
        assert!(parts[0].ends_with("\"we;ird\" INTEGER)"));
        assert_eq!(parts[1], "/* c; */\nINSERT INTO a VALUES ('it''s; fine', 1)");
        assert!(parts[2].starts_with("CREATE TRIGGER") && parts[2].ends_with("END"));
    }

    #[test]
    fn splitting_keeps_dollar_quoted_bodies_whole() {
        let sql = "DO $$ BEGIN PERFORM 1; END $$;\n\
                   CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;\n\
                   SELECT $1::text, a$b FROM t;\n\
                   CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n\
                   CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();\n\
                   SELECT 1";
        let parts = statements(sql);
        assert_eq!(
            parts,
            vec![
                "DO $$ BEGIN PERFORM 1; END $$",
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$",
                "SELECT $1::text, a$b FROM t",
                "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END",
                "CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
                "SELECT 1",
            ]
        );
    }
}
