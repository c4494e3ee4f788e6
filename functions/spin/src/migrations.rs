//! Migrations on Spin. `spin up --sqlite @file.sql` would re-run a file on every start, and the
//! migrations are plain `CREATE TABLE`s, so the component applies them itself:
//! `POST /api/v1/internal/migrate` with `Authorization: Bearer <tick_secret>` applies each
//! embedded migration not yet recorded in `spin_migrations`, each in its own transaction —
//! `migrations/d1` on SQLite, `migrations/postgres` when `database_url` is set.

use herald::api::json;
use herald::sql::pg::rewrite_placeholders;
use herald::sql::{DbError, Value};
use herald::{AppError, Request, Response};
use serde::Serialize;

use crate::db::Raw;

pub struct Migration {
    /// The file name without `.sql`.
    pub version: &'static str,
    pub sql: &'static str,
}

macro_rules! embed {
    ($dir:literal: $($version:literal),* $(,)?) => {
        &[$(Migration {
            version: $version,
            sql: include_str!(concat!("../../../migrations/", $dir, "/", $version, ".sql")),
        }),*]
    };
}

// The one list of embedded migrations: a test fails when a folder holds a file missing here.
/// `migrations/d1`, for Spin's SQLite.
pub const SQLITE: &[Migration] = embed!("d1": "0001_identity_workspaces", "0002_agency_activity", "0003_posts", "0004_media", "0005_templates", "0006_post_search", "0007_approvals", "0008_review_links", "0009_comments_notifications", "0010_ideas", "0011_idea_comments", "0012_review_link_ideas", "0013_publishing", "0014_renewal_lease", "0015_exact_tags", "0016_account_basics", "0017_media_upload_claims", "0018_account_targets", "0019_account_activity");
/// `migrations/postgres`, for Postgres through `database_url`.
pub const POSTGRES: &[Migration] = embed!("postgres": "0001_identity_workspaces", "0002_agency_activity", "0003_posts", "0004_media", "0005_templates", "0006_post_search", "0007_approvals", "0008_review_links", "0009_comments_notifications", "0010_ideas", "0011_idea_comments", "0012_review_link_ideas", "0013_publishing", "0014_renewal_lease", "0015_exact_tags", "0016_account_basics", "0017_media_upload_claims", "0018_account_targets", "0019_account_activity");

pub const ROUTE: &str = "/api/v1/internal/migrate";

/// Any fixed number: the lock every migrator of a Postgres database takes (the same one as
/// the native `herald-migrate`), so concurrent runs take turns.
const PG_MIGRATION_LOCK: i64 = 0x4845_5241_4c44;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    pub fn migrations(self) -> &'static [Migration] {
        match self {
            Dialect::Sqlite => SQLITE,
            Dialect::Postgres => POSTGRES,
        }
    }

    /// Milliseconds need 64 bits: Postgres's INTEGER has 32.
    fn ledger(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "CREATE TABLE IF NOT EXISTS spin_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"
            }
            Dialect::Postgres => {
                "CREATE TABLE IF NOT EXISTS spin_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)"
            }
        }
    }

    /// SQLite takes the write lock up front; Postgres takes the migrators' advisory lock.
    fn begin(self) -> Vec<String> {
        match self {
            Dialect::Sqlite => vec!["BEGIN IMMEDIATE".into()],
            Dialect::Postgres => {
                vec!["BEGIN".into(), format!("SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})")]
            }
        }
    }

    fn sql(self, sql: &str) -> String {
        match self {
            Dialect::Sqlite => sql.to_string(),
            Dialect::Postgres => rewrite_placeholders(sql),
        }
    }
}

/// Applies every migration of `list` not yet in `spin_migrations`, in order, each with its
/// ledger row in one transaction. Safe to run twice, and concurrently. Answers what it applied.
pub async fn apply(
    db: &dyn Raw,
    dialect: Dialect,
    list: &[Migration],
    now_ms: i64,
) -> Result<Vec<&'static str>, DbError> {
    db.exec(dialect.ledger(), &[]).await?;
    let mut applied = Vec::new();
    for m in list {
        for sql in dialect.begin() {
            if let Err(e) = db.exec(&sql, &[]).await {
                let _ = db.exec("ROLLBACK", &[]).await;
                return Err(e);
            }
        }
        let step = async {
            let seen = dialect.sql("SELECT version FROM spin_migrations WHERE version = ?1");
            if !db.rows(&seen, &[Value::from(m.version)]).await?.is_empty() {
                return Ok(false);
            }
            for statement in split_statements(m.sql) {
                db.exec(statement, &[]).await.map_err(|e| DbError::Other(format!("{}: {e}", m.version)))?;
            }
            let record = dialect.sql("INSERT INTO spin_migrations (version, applied_at) VALUES (?1, ?2)");
            db.exec(&record, &[Value::from(m.version), Value::Int(now_ms)]).await?;
            Ok(true)
        };
        match step.await {
            Ok(done) => {
                db.exec("COMMIT", &[]).await?;
                if done {
                    applied.push(m.version);
                }
            }
            Err(e) => {
                let _ = db.exec("ROLLBACK", &[]).await;
                return Err(e);
            }
        }
    }
    Ok(applied)
}

/// Splits a migration file into statements: Spin runs one statement per call. Semicolons
/// inside quotes, comments, dollar-quoted bodies (`$$ … $$`) and `BEGIN … END` blocks of
/// triggers and functions do not split.
pub fn split_statements(sql: &str) -> Vec<&str> {
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

// ── The route ───────────────────────────────────────────────────────────────────────────

/// The migrate route exists only when a tick secret is configured, like the tick route.
pub fn is_migrate_request(req: &Request, tick_secret: Option<&str>) -> bool {
    let path = req.path.strip_suffix('/').unwrap_or(&req.path);
    tick_secret.is_some() && req.method == "POST" && path == ROUTE
}

pub fn authorize(req: &Request, tick_secret: &str) -> Result<(), AppError> {
    let given = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or_default();
    if tick_secret.is_empty() || !herald::api::constant_time_eq(tick_secret.as_bytes(), given.trim().as_bytes()) {
        return Err(AppError::Unauthorized("a valid scheduler token is required".into()));
    }
    Ok(())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrateReport {
    pub database: &'static str,
    /// Versions applied by this call, in order.
    pub applied: Vec<&'static str>,
    /// Every version this component embeds.
    pub embedded: Vec<&'static str>,
}

/// Serves `POST /api/v1/internal/migrate`. `open` connects only once the caller is authorized.
pub async fn serve<'c>(
    req: &Request,
    tick_secret: &str,
    request_id: &str,
    now_ms: i64,
    open: impl AsyncFnOnce() -> Result<(Box<dyn Raw + 'c>, Dialect), DbError>,
) -> Response {
    let result = async {
        authorize(req, tick_secret)?;
        let (db, dialect) = open().await?;
        let list = dialect.migrations();
        let applied = apply(db.as_ref(), dialect, list, now_ms).await?;
        tracing::info!(request_id, database = dialect.name(), ?applied, "migrations applied");
        Ok::<_, AppError>(MigrateReport {
            database: dialect.name(),
            applied,
            embedded: list.iter().map(|m| m.version).collect(),
        })
    }
    .await;
    let mut response = match result {
        Ok(report) => json::ok(200, report),
        Err(err) => herald::app::error_response(&err, request_id, Some(req)),
    };
    herald::app::finish(&mut response, request_id.to_string());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tests::{Recorder, Rusqlite};
    use futures::executor::block_on;
    use serde_json::Value as Json;

    fn folder(dir: &str) -> Vec<String> {
        let path = format!("{}/../../migrations/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".sql")).map(str::to_string))
            .collect();
        names.sort();
        names
    }

    fn versions(list: &[Migration]) -> Vec<String> {
        list.iter().map(|m| m.version.to_string()).collect()
    }

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        assert_eq!(versions(SQLITE), folder("d1"), "update SQLITE in functions/spin/src/migrations.rs");
        assert_eq!(versions(POSTGRES), folder("postgres"), "update POSTGRES in functions/spin/src/migrations.rs");
    }

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
        let parts = split_statements(sql);
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
        let parts = split_statements(sql);
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

    #[test]
    fn the_postgres_migrations_split_into_whole_statements() {
        for m in POSTGRES {
            for s in split_statements(m.sql) {
                assert_eq!(s.matches("$$").count() % 2, 0, "{}: a dollar quote was cut: {s}", m.version);
                assert!(!s.is_empty());
            }
        }
    }

    fn fresh_sqlite() -> Rusqlite {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        Rusqlite(conn)
    }

    #[test]
    fn the_d1_migrations_apply_to_sqlite_once() {
        let db = fresh_sqlite();
        let first = block_on(apply(&db, Dialect::Sqlite, SQLITE, 1)).unwrap();
        assert_eq!(first, SQLITE.iter().map(|m| m.version).collect::<Vec<_>>());
        let again = block_on(apply(&db, Dialect::Sqlite, SQLITE, 2)).unwrap();
        assert!(again.is_empty());
        let tables: i64 =
            db.0.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'dev_mailbox')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 2);
        let at: i64 = db.0.query_row("SELECT applied_at FROM spin_migrations", [], |r| r.get(0)).unwrap();
        assert_eq!(at, 1);
    }

    #[test]
    fn a_failing_migration_leaves_nothing_behind() {
        let db = fresh_sqlite();
        let broken = [
            Migration { version: "0001_ok", sql: "CREATE TABLE ok (id TEXT);" },
            Migration { version: "0002_bad", sql: "CREATE TABLE half (id TEXT); INSERT INTO nowhere VALUES (1);" },
        ];
        let err = block_on(apply(&db, Dialect::Sqlite, &broken, 1)).unwrap_err();
        assert!(err.to_string().contains("0002_bad"), "{err}");
        let names: Vec<String> =
            db.0.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
        assert_eq!(names, vec!["ok", "spin_migrations"], "0002 rolled back whole");
    }

    #[test]
    fn postgres_migrations_take_the_lock_and_use_dollar_placeholders() {
        let db = Recorder::default();
        let list = [Migration { version: "0001_x", sql: "CREATE TABLE x (id TEXT); CREATE INDEX x_id ON x (id);" }];
        let applied = block_on(apply(&db, Dialect::Postgres, &list, 5)).unwrap();
        assert_eq!(applied, vec!["0001_x"]);
        assert_eq!(
            db.statements(),
            vec![
                Dialect::Postgres.ledger().to_string(),
                "BEGIN".into(),
                format!("SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})"),
                "SELECT version FROM spin_migrations WHERE version = $1".into(),
                "CREATE TABLE x (id TEXT)".into(),
                "CREATE INDEX x_id ON x (id)".into(),
                "INSERT INTO spin_migrations (version, applied_at) VALUES ($1, $2)".into(),
                "COMMIT".into(),
            ]
        );
    }

    fn post(auth: Option<&str>) -> Request {
        let mut req = Request::new("POST", ROUTE);
        if let Some(a) = auth {
            req.headers.push(("Authorization".into(), a.into()));
        }
        req
    }

    const SECRET: &str = "a-tick-secret-of-some-length";

    fn body(r: &Response) -> Json {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn the_route_exists_only_for_post_with_a_tick_secret() {
        assert!(is_migrate_request(&post(None), Some(SECRET)));
        assert!(is_migrate_request(&Request::new("POST", "/api/v1/internal/migrate/"), Some(SECRET)));
        assert!(!is_migrate_request(&post(None), None));
        assert!(!is_migrate_request(&Request::new("GET", ROUTE), Some(SECRET)));
        assert!(!is_migrate_request(&Request::new("POST", "/api/v1/internal/tick"), Some(SECRET)));
    }

    #[test]
    fn the_route_refuses_a_wrong_token_without_connecting() {
        for auth in [None, Some("Bearer nope"), Some(SECRET)] {
            let r = block_on(serve(&post(auth), SECRET, "req_1", 0, async || panic!("connected before authorizing")));
            assert_eq!(r.status, 401);
            let b = body(&r);
            assert_eq!(b["success"], false);
            assert_eq!(b["code"], "UNAUTHORIZED");
            assert_eq!(b["requestId"], "req_1");
            assert_eq!(r.header("x-request-id"), Some("req_1"));
        }
    }

    #[test]
    fn the_route_applies_and_reports() {
        let auth = format!("Bearer {SECRET}");
        let r = block_on(serve(&post(Some(&auth)), SECRET, "req_2", 9, async || {
            Ok((Box::new(fresh_sqlite()) as Box<dyn Raw>, Dialect::Sqlite))
        }));
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let b = body(&r);
        assert_eq!(b["success"], true);
        assert_eq!(b["data"]["database"], "sqlite");
        assert_eq!(b["data"]["applied"], serde_json::json!(versions(SQLITE)));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }

    #[test]
    fn database_failures_answer_the_envelope_without_the_cause() {
        let auth = format!("Bearer {SECRET}");
        let r = block_on(serve(&post(Some(&auth)), SECRET, "req_3", 0, async || {
            Err(DbError::Other("connection failed: password=hunter2".into()))
        }));
        assert_eq!(r.status, 500);
        let text = String::from_utf8_lossy(&r.body);
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(body(&r)["code"], "INTERNAL_ERROR");
        assert_eq!(body(&r)["requestId"], "req_3");
    }

    #[test]
    fn request_ids_follow_herald_rules() {
        let mut req = post(None);
        assert_eq!(herald::app::request_id(&req, || "fresh".into()), "fresh");
        req.headers.push(("X-Request-Id".into(), "abc-123_x".into()));
        assert_eq!(herald::app::request_id(&req, || "fresh".into()), "abc-123_x");
        req.headers[0].1 = "bad id!".into();
        assert_eq!(herald::app::request_id(&req, || "fresh".into()), "fresh");
    }
}
