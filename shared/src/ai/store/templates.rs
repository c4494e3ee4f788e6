//! The only SQL on `ai_templates`, `ai_template_versions` and `ai_template_ratings`.

use crate::ai::templates::{CatalogueEntry, TemplateVersionView, TemplateView};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Statement};
use crate::validate::rfc3339;

const COLUMNS: &str =
    "id, workspace_id, user_id, kind, name, system, prompt, version, shared_at, author_name, created_at, updated_at";

pub fn decode(r: &Row) -> Result<TemplateView, AppError> {
    Ok(TemplateView {
        id: r.text("id")?,
        scope: if r.text("user_id")?.is_empty() { "workspace" } else { "user" }.into(),
        kind: r.text("kind")?,
        name: r.text("name")?,
        version: r.int("version")?,
        system: r.text("system")?,
        prompt: r.text("prompt")?,
        shared: r.opt_int("shared_at")?.is_some(),
        author: r.opt_text("author_name")?,
        created_at: Some(rfc3339(r.int("created_at")?)),
        updated_at: Some(rfc3339(r.int("updated_at")?)),
    })
}

/// A page of the workspace's templates and the caller's own, by id, after `after`.
pub fn list_read(workspace_id: &str, user_id: &str, after: &str, limit: i64) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM ai_templates WHERE workspace_id = ?1 AND (user_id = '' OR user_id = ?2) \
             AND id > ?3 ORDER BY id LIMIT ?4"
        ),
        params![workspace_id, user_id, after, limit + 1],
    )
}

/// A template the caller of workspace `?1` may use: its workspace's, their own, or a shared one
/// of any workspace.
pub fn usable_read(workspace_id: &str, user_id: &str, id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM ai_templates WHERE id = ?3 AND ((workspace_id = ?1 AND (user_id = '' OR user_id = ?2)) \
             OR shared_at IS NOT NULL)"
        ),
        params![workspace_id, user_id, id],
    )
}

/// The post template a generation uses: `given`, else the workspace's default, when the caller
/// may use it (with its workspace id).
pub fn chosen_read(workspace_id: &str, user_id: &str, given: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM ai_templates WHERE id = CASE WHEN ?3 <> '' THEN ?3 ELSE \
             (SELECT s.default_post_template FROM ai_settings s WHERE s.workspace_id = ?1) END \
             AND ((workspace_id = ?1 AND (user_id = '' OR user_id = ?2)) OR shared_at IS NOT NULL)"
        ),
        params![workspace_id, user_id, given],
    )
}

/// A template of the workspace's the caller may see (its own, or theirs), with the workspace id.
pub fn own_read(workspace_id: &str, user_id: &str, id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM ai_templates WHERE id = ?3 AND workspace_id = ?1 AND (user_id = '' OR user_id = ?2)"
        ),
        params![workspace_id, user_id, id],
    )
}

/// Version `?2` of template `?1` (of workspace `?3`).
pub fn version_read(workspace_id: &str, id: &str, number: i64) -> Statement {
    Statement::new(
        "SELECT number, system, prompt, created_by, created_at FROM ai_template_versions \
         WHERE template_id = ?1 AND number = ?2 AND workspace_id = ?3",
        params![id, number, workspace_id],
    )
}

pub fn versions_read(workspace_id: &str, id: &str) -> Statement {
    Statement::new(
        "SELECT number, system, prompt, created_by, created_at FROM ai_template_versions \
         WHERE template_id = ?1 AND workspace_id = ?2 ORDER BY number DESC LIMIT 100",
        params![id, workspace_id],
    )
}

pub fn version_of(r: &Row) -> Result<TemplateVersionView, AppError> {
    Ok(TemplateVersionView {
        number: r.int("number")?,
        system: r.text("system")?,
        prompt: r.text("prompt")?,
        created_by: r.text("created_by")?,
        created_at: rfc3339(r.int("created_at")?),
    })
}

/// A new template and its first version.
pub fn insert(workspace_id: &str, user_id: &str, t: &TemplateView, by: &str, now: i64) -> Vec<Statement> {
    vec![
        Statement::new(
            "INSERT INTO ai_templates (id, workspace_id, user_id, kind, name, system, prompt, version, created_by, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?9)",
            params![t.id.as_str(), workspace_id, user_id, t.kind.as_str(), t.name.as_str(), t.system.as_str(), t.prompt.as_str(), by, now],
        ),
        Statement::new(
            "INSERT INTO ai_template_versions (template_id, workspace_id, number, system, prompt, created_by, created_at) \
             VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)",
            params![t.id.as_str(), workspace_id, t.system.as_str(), t.prompt.as_str(), by, now],
        ),
    ]
}

/// A change from version `was`: the name, and a new version when the text changed. Guarded by
/// the version it was read at, so two edits at once cannot both make version `was + 1`.
pub fn update(workspace_id: &str, t: &TemplateView, was: i64, new_version: bool, by: &str, now: i64) -> Vec<Statement> {
    let mut out = vec![Statement::new(
        "UPDATE ai_templates SET name = ?3, system = ?4, prompt = ?5, version = ?6, updated_at = ?7 \
         WHERE id = ?1 AND workspace_id = ?2 AND version = ?8",
        params![
            t.id.as_str(),
            workspace_id,
            t.name.as_str(),
            t.system.as_str(),
            t.prompt.as_str(),
            t.version,
            now,
            was
        ],
    )];
    if new_version {
        out.push(Statement::new(
            "INSERT INTO ai_template_versions (template_id, workspace_id, number, system, prompt, created_by, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM ai_templates WHERE id = ?1 AND version = ?3)",
            params![t.id.as_str(), workspace_id, t.version, t.system.as_str(), t.prompt.as_str(), by, now],
        ));
    }
    out
}

/// Into the catalogue (`now`) with its author's name, or out of it (`None`).
pub fn share(workspace_id: &str, id: &str, now: Option<i64>) -> Statement {
    Statement::new(
        "UPDATE ai_templates SET shared_at = ?3, author_name = CASE WHEN ?4 = 1 THEN \
         (SELECT u.name FROM users u WHERE u.id = ai_templates.created_by) ELSE NULL END \
         WHERE id = ?1 AND workspace_id = ?2",
        params![id, workspace_id, now, now.is_some() as i64],
    )
}

pub fn delete(workspace_id: &str, id: &str) -> Statement {
    Statement::new("DELETE FROM ai_templates WHERE id = ?1 AND workspace_id = ?2", params![id, workspace_id])
}

/// The catalogue's order keys, best first: by rating (the mean in thousandths, then how many
/// rated, then uses) or by uses (then the mean, then how many rated); ties by id.
fn catalogue_keys(by_uses: bool) -> [&'static str; 3] {
    if by_uses {
        ["d.uses", "d.rated", "d.ratings"]
    } else {
        ["d.rated", "d.ratings", "d.uses"]
    }
}

/// A page of the catalogue: shared templates of every workspace, best rated (or most used)
/// first, with the caller's own rating. Read across tenants (system scope): it names its rows
/// itself. `after` is the last row's three keys and id (see [`catalogue_cursor`]).
pub fn catalogue_read(
    user_id: &str,
    by_uses: bool,
    kind: &str,
    after: Option<([i64; 3], String)>,
    limit: i64,
) -> Statement {
    let [k1, k2, k3] = catalogue_keys(by_uses);
    let ([a1, a2, a3], after_id) = after.unwrap_or(([0; 3], String::new()));
    Statement::new(
        format!(
            "SELECT * FROM (SELECT c.*, CASE WHEN c.ratings = 0 THEN 0 ELSE c.rating_sum * 1000 / c.ratings END AS rated \
             FROM (SELECT t.id AS id, t.kind AS kind, t.name AS name, t.author_name AS author_name, \
             t.version AS version, t.system AS system, t.prompt AS prompt, t.shared_at AS shared_at, \
             (SELECT CAST(COALESCE(SUM(r.stars), 0) AS BIGINT) FROM ai_template_ratings r WHERE r.template_id = t.id) AS rating_sum, \
             (SELECT COUNT(*) FROM ai_template_ratings r WHERE r.template_id = t.id) AS ratings, \
             (SELECT COUNT(*) FROM ai_generations g WHERE g.template_id = t.id) AS uses, \
             (SELECT r.stars FROM ai_template_ratings r WHERE r.template_id = t.id AND r.user_id = ?1) AS your_rating \
             FROM ai_templates t WHERE t.shared_at IS NOT NULL AND (?2 = '' OR t.kind = ?2)) c) d \
             WHERE ?3 = '' OR {k1} < CAST(?4 AS BIGINT) OR ({k1} = CAST(?4 AS BIGINT) AND ({k2} < CAST(?5 AS BIGINT) \
             OR ({k2} = CAST(?5 AS BIGINT) AND ({k3} < CAST(?6 AS BIGINT) OR ({k3} = CAST(?6 AS BIGINT) AND d.id > ?3))))) \
             ORDER BY {k1} DESC, {k2} DESC, {k3} DESC, d.id LIMIT ?7"
        ),
        params![user_id, kind, after_id, a1, a2, a3, limit + 1],
    )
}

/// The cursor key of a catalogue row: its three order keys.
pub fn catalogue_cursor(row: &Row, by_uses: bool) -> Result<String, AppError> {
    let keys = catalogue_keys(by_uses).map(|k| k.trim_start_matches("d."));
    Ok(format!("{}:{}:{}", row.int(keys[0])?, row.int(keys[1])?, row.int(keys[2])?))
}

/// The three order keys of a cursor key.
pub fn catalogue_after(key: &str) -> Option<[i64; 3]> {
    let mut parts = key.split(':').map(|p| p.parse::<i64>().ok());
    let keys = [parts.next()??, parts.next()??, parts.next()??];
    parts.next().is_none().then_some(keys)
}

pub fn catalogue_entry(r: &Row) -> Result<CatalogueEntry, AppError> {
    let (sum, ratings) = (r.int("rating_sum")?, r.int("ratings")?);
    Ok(CatalogueEntry {
        id: r.text("id")?,
        kind: r.text("kind")?,
        name: r.text("name")?,
        author: r.opt_text("author_name")?,
        version: r.int("version")?,
        system: r.text("system")?,
        prompt: r.text("prompt")?,
        // Two decimals, from whole numbers.
        rating: (ratings > 0).then(|| ((sum * 100 + ratings / 2) / ratings) as f64 / 100.0),
        ratings,
        uses: r.int("uses")?,
        your_rating: r.opt_int("your_rating")?,
        shared_at: rfc3339(r.int("shared_at")?),
    })
}

/// Rates shared template `?1` (a template not shared rates nothing: the guard fails the batch).
pub fn rate(id: &str, user_id: &str, stars: i64, now: i64) -> Vec<Statement> {
    vec![
        Statement::guard("SELECT 1 FROM ai_templates WHERE id = ?1 AND shared_at IS NOT NULL", params![id]),
        Statement::new(
            "INSERT INTO ai_template_ratings (template_id, user_id, stars, updated_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (template_id, user_id) DO UPDATE SET stars = excluded.stars, updated_at = excluded.updated_at",
            params![id, user_id, stars, now],
        ),
    ]
}
