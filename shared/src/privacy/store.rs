//! The reads of an export: every row that is the caller's, each kind oldest first.

use serde_json::{Map, Value as Json};

use crate::params;
use crate::sql::{Row, Statement};

/// The most entries of one kind an export carries (one more is read, to tell it was cut).
pub const MAX_ROWS: i64 = 5_000;

/// The profile first, then each list in the order of [`super::Export`]'s fields.
pub fn reads(user_id: &str) -> Vec<Statement> {
    let mut reads = vec![Statement::new(
        "SELECT id, email, name, timezone, locale, created_at, updated_at FROM users WHERE id = ?1",
        params![user_id],
    )];
    for sql in [
        "SELECT m.workspace_id AS workspace_id, w.name AS workspace_name, m.role AS role, m.created_at AS joined_at \
         FROM memberships m JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ?1 \
         ORDER BY m.created_at, m.workspace_id LIMIT ?2",
        "SELECT id, workspace_id, title, body, status, tags, version, private, created_at, updated_at, deleted_at \
         FROM posts WHERE author_id = ?1 ORDER BY created_at, id LIMIT ?2",
        "SELECT id, workspace_id, post_id, number, title, body, note, created_at FROM post_versions \
         WHERE author_id = ?1 ORDER BY created_at, id LIMIT ?2",
        "SELECT id, workspace_id, 'post' AS subject_type, post_id AS subject_id, body, visibility, created_at, deleted_at \
         FROM comments WHERE author_id = ?1 UNION ALL \
         SELECT id, workspace_id, 'idea', idea_id, body, visibility, created_at, deleted_at \
         FROM idea_comments WHERE author_id = ?1 ORDER BY created_at, id LIMIT ?2",
        "SELECT id, workspace_id, kind, title, hook, caption, status, created_at, updated_at FROM ideas \
         WHERE created_by = ?1 ORDER BY created_at, id LIMIT ?2",
        "SELECT id, workspace_id, kind, title, body, subject_type, subject_id, read_at, created_at FROM notifications \
         WHERE user_id = ?1 ORDER BY created_at, id LIMIT ?2",
        "SELECT id, workspace_id, action, entity_type, entity_id, ip, user_agent, created_at FROM activity_log \
         WHERE actor_id = ?1 ORDER BY created_at, id LIMIT ?2",
        "SELECT id, action, ip, user_agent, created_at FROM account_activity WHERE user_id = ?1 \
         ORDER BY created_at, id LIMIT ?2",
        "SELECT id, workspace_id, platform, handle, display_name, service_url, status, created_at FROM social_accounts \
         WHERE created_by = ?1 ORDER BY created_at, id LIMIT ?2",
        "SELECT id, workspace_id, filename, content_type, size_bytes, alt_text, created_at, deleted_at FROM media_assets \
         WHERE uploaded_by = ?1 ORDER BY created_at, id LIMIT ?2",
    ] {
        reads.push(Statement::new(sql, params![user_id, MAX_ROWS + 1]));
    }
    reads
}

/// A row as the export shows it: camelCase keys, times (`…_at`) in RFC 3339.
pub fn entry(row: &Row) -> Json {
    let mut out = Map::new();
    for (key, value) in &row.0 {
        let mut name = String::with_capacity(key.len());
        let mut upper = false;
        for c in key.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                name.extend(c.to_uppercase());
                upper = false;
            } else {
                name.push(c);
            }
        }
        let value = match (key.ends_with("_at"), value.as_i64()) {
            (true, Some(ms)) => Json::String(crate::validate::rfc3339(ms)),
            _ => value.clone(),
        };
        out.insert(name, value);
    }
    Json::Object(out)
}
