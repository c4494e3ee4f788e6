//! The migrate route on Spin. `spin up --sqlite @file.sql` would re-run a file on every start,
//! so the component applies the migrations itself with the one runner (herald::sql::migrate):
//! `POST /api/v1/internal/migrate` with `Authorization: Bearer <tick_secret>` applies each
//! embedded migration not yet in `schema_migrations` — `migrations/d1` on SQLite,
//! `migrations/postgres` when `database_url` is set — after adopting an older ledger
//! (`spin_migrations`).

use herald::api::json;
use herald::sql::migrate;
use herald::sql::{DbError, Dialect, Raw};
use herald::{AppError, Request, Response};
use serde::Serialize;

pub const ROUTE: &str = "/api/v1/internal/migrate";

fn name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
    }
}

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
    /// Old ledgers this call adopted.
    pub adopted: Vec<&'static str>,
    /// Migrations applied by this call, in order (file names).
    pub applied: Vec<String>,
    /// Every migration this component embeds.
    pub embedded: Vec<&'static str>,
}

/// Serves `POST /api/v1/internal/migrate`. `open` connects only once the caller is authorized.
pub async fn serve<'c>(
    req: &Request,
    tick_secret: &str,
    request_id: &str,
    open: impl AsyncFnOnce() -> Result<(Box<dyn Raw + 'c>, Dialect), DbError>,
) -> Response {
    let result = async {
        authorize(req, tick_secret)?;
        let (db, dialect) = open().await?;
        let list = migrate::embedded(dialect);
        let report = migrate::apply(db.as_ref(), dialect, list).await?;
        tracing::info!(request_id, database = name(dialect), adopted = ?report.adopted, applied = ?report.applied, "migrations applied");
        Ok::<_, AppError>(MigrateReport {
            database: name(dialect),
            adopted: report.adopted,
            applied: report.applied,
            embedded: list.iter().map(|m| m.name.as_ref()).collect(),
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
    use crate::db::tests::Rusqlite;
    use futures::executor::block_on;
    use serde_json::Value as Json;

    fn fresh_sqlite() -> Rusqlite {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        Rusqlite(conn)
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
            let r = block_on(serve(&post(auth), SECRET, "req_1", async || panic!("connected before authorizing")));
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
        let r = block_on(serve(&post(Some(&auth)), SECRET, "req_2", async || {
            Ok((Box::new(fresh_sqlite()) as Box<dyn Raw>, Dialect::Sqlite))
        }));
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let b = body(&r);
        assert_eq!(b["success"], true);
        assert_eq!(b["data"]["database"], "sqlite");
        let names: Vec<&str> = migrate::SQLITE.iter().map(|m| m.name.as_ref()).collect();
        assert_eq!(b["data"]["applied"], serde_json::json!(names));
        assert_eq!(b["data"]["embedded"], serde_json::json!(names));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }

    #[test]
    fn the_route_adopts_the_ledger_it_kept_before() {
        let db = fresh_sqlite();
        let auth = format!("Bearer {SECRET}");
        let migrate = || {
            block_on(serve(&post(Some(&auth)), SECRET, "req_4", async || {
                Ok((Box::new(&db) as Box<dyn Raw + '_>, Dialect::Sqlite))
            }))
        };
        assert_eq!(migrate().status, 200);
        // What an older component left: its own ledger, versions without `.sql`.
        db.0.execute_batch(
            "CREATE TABLE spin_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL); \
             INSERT INTO spin_migrations SELECT replace(name, '.sql', ''), 0 FROM schema_migrations; \
             DROP TABLE schema_migrations;",
        )
        .unwrap();
        let b = body(&migrate());
        assert_eq!(b["data"]["adopted"], serde_json::json!(["spin_migrations"]));
        assert_eq!(b["data"]["applied"], serde_json::json!([]), "nothing applied twice");
    }

    #[test]
    fn database_failures_answer_the_envelope_without_the_cause() {
        let auth = format!("Bearer {SECRET}");
        let r = block_on(serve(&post(Some(&auth)), SECRET, "req_3", async || {
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
