//! The pure part of speaking Postgres, shared by every Postgres adapter (tokio-postgres on
//! native and in the Worker, spin-sdk's pg on Spin): placeholder rewriting and the
//! tenant settings that row-level security reads.

use std::iter::Peekable;
use std::str::Chars;

use super::Scope;

/// Copies `sql` with string literals, quoted identifiers and `--` comments as they are, and
/// every other character through `code` (which may read on from the same characters).
fn outside_quotes(sql: &str, mut code: impl FnMut(char, &mut Peekable<Chars<'_>>, &mut String)) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            _ => code(c, &mut chars, &mut out),
        }
    }
    out
}

/// Rewrites `?N` placeholders to Postgres's `$N`, leaving string literals, quoted identifiers
/// and comments alone.
pub fn rewrite_placeholders(sql: &str) -> String {
    outside_quotes(sql, |c, chars, out| match c {
        '?' if chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
        _ => out.push(c),
    })
}

/// `sql` (with `$N` placeholders) with `::type` after every placeholder `cast` names a type
/// for, by its index from 0; quoted text and comments untouched. For drivers that send a
/// parameter's own type rather than adapting it to the one Postgres infers: an integer sent as
/// BIGINT where Postgres infers INTEGER (`$3 = 0`) is refused, `$3::int8 = 0` is not.
pub fn cast_placeholders(sql: &str, cast: impl Fn(usize) -> Option<&'static str>) -> String {
    outside_quotes(sql, |c, chars, out| {
        out.push(c);
        if c != '$' {
            return;
        }
        let mut n: Option<usize> = None;
        while let Some(d) = chars.next_if(char::is_ascii_digit) {
            out.push(d);
            let digit = d.to_digit(10).unwrap_or_default() as usize;
            n = Some(n.unwrap_or_default().saturating_mul(10).saturating_add(digit));
        }
        if let Some(ty) = n.and_then(|n| n.checked_sub(1)).and_then(&cast) {
            out.push_str("::");
            out.push_str(ty);
        }
    })
}

/// The settings to apply, with `set_config(name, value, true)`, at the start of every
/// transaction: names and values, empty when unset.
pub fn scope_settings(scope: &Scope) -> [(&'static str, String); 5] {
    [
        ("app.user_id", scope.user_id.clone().unwrap_or_default()),
        ("app.workspace_id", scope.workspace_id.clone().unwrap_or_default()),
        ("app.invite_token_hash", scope.invite_token_hash.clone().unwrap_or_default()),
        ("app.system", if scope.system { "on".into() } else { String::new() }),
        ("app.review_token_hash", scope.review_token_hash.clone().unwrap_or_default()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_take_the_casts_named_for_them_and_only_outside_quotes() {
        // Parameters 1, 3 and 11 are integers.
        let cast = |i: usize| [0, 2, 10].contains(&i).then_some("int8");
        assert_eq!(
            cast_placeholders("SELECT '$1', x FROM t WHERE a = $1 AND b = $2 AND ($3 = 0 OR c = $11) -- $1\n", cast),
            "SELECT '$1', x FROM t WHERE a = $1::int8 AND b = $2 AND ($3::int8 = 0 OR c = $11::int8) -- $1\n"
        );
        assert_eq!(cast_placeholders("SELECT $$x$$, $0, $12", cast), "SELECT $$x$$, $0, $12");
    }

    #[test]
    fn placeholders_become_dollars_outside_literals() {
        assert_eq!(
            rewrite_placeholders("SELECT ?1, '?2', \"a?3\" FROM t WHERE a = ?12 -- ?4\nAND b = ?5"),
            "SELECT $1, '?2', \"a?3\" FROM t WHERE a = $12 -- ?4\nAND b = $5"
        );
        assert_eq!(rewrite_placeholders("SELECT '?' || ?1"), "SELECT '?' || $1");
        assert_eq!(rewrite_placeholders("SELECT 'it''s ?1'"), "SELECT 'it''s ?1'");
    }

    #[test]
    fn scope_settings_are_empty_when_unset() {
        let s = scope_settings(&Scope { workspace_id: Some("w".into()), ..Default::default() });
        assert_eq!(s[1], ("app.workspace_id", "w".to_string()));
        assert_eq!(s[0].1, "");
        assert_eq!(s[3].1, "");
        assert_eq!(s[4], ("app.review_token_hash", String::new()));
        let r = scope_settings(&Scope { review_token_hash: Some("h".into()), ..Default::default() });
        assert_eq!(r[4].1, "h");
    }
}
