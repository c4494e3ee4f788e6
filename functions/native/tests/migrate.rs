//! The one migration runner (`herald::sql::migrate`) over real databases: rusqlite, and
//! PostgreSQL when one answers. Applied once, recorded in wrangler's ledger shape, a failing
//! migration rolled back whole, concurrent runs taking turns, and the ledgers of earlier
//! runners adopted without running anything again.
//!
//! The Postgres tests create and drop their own databases through `HERALD_PG_ADMIN_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`, as scripts/lib.sh); without a server
//! they say so and pass, unless `HERALD_REQUIRE_POSTGRES=1`.

use std::path::Path;

use herald::sql::migrate::{self, Migrate, Migration, D1, POSTGRES};
use herald::sql::Row;
use herald_native::SqliteDb;

fn fresh_sqlite() -> SqliteDb {
    SqliteDb::open(Path::new(":memory:")).expect("an in-memory database")
}

fn all(list: &[Migration]) -> Vec<String> {
    list.iter().map(|m| m.name.to_string()).collect()
}

async fn texts(db: &dyn Migrate, sql: &str, col: &str) -> Vec<String> {
    db.rows(sql, &[]).await.unwrap().iter().map(|r: &Row| r.text(col).unwrap()).collect()
}

const BROKEN: &[Migration] = &[
    Migration { name: "9001_ok.sql", sql: "CREATE TABLE ok_table (id TEXT);" },
    Migration { name: "9002_bad.sql", sql: "CREATE TABLE half_table (id TEXT); INSERT INTO nowhere VALUES (1);" },
];

#[tokio::test]
async fn sqlite_migrations_apply_once_into_wranglers_ledger() {
    let db = fresh_sqlite();
    let first = migrate::run(&db).await.unwrap();
    assert_eq!(first.applied, all(D1));
    assert!(first.skipped.is_empty() && first.adopted.is_empty());
    let again = migrate::run(&db).await.unwrap();
    assert!(again.applied.is_empty());
    assert_eq!(again.skipped, all(D1));
    // wrangler's shape: id, name (the file name), applied_at as SQLite's CURRENT_TIMESTAMP.
    let columns = texts(&db, "SELECT name FROM pragma_table_info('schema_migrations') ORDER BY cid", "name").await;
    assert_eq!(columns, ["id", "name", "applied_at"]);
    let rows = db.rows("SELECT id, name, applied_at FROM schema_migrations ORDER BY id", &[]).await.unwrap();
    assert_eq!(rows.len(), D1.len());
    assert_eq!(rows[0].int("id").unwrap(), 1);
    assert_eq!(rows[0].text("name").unwrap(), "0001_identity_workspaces.sql");
    let at = rows[0].text("applied_at").unwrap();
    assert!(at.len() == 19 && at.as_bytes()[10] == b' ', "{at}");
    assert!(!texts(&db, "SELECT name FROM sqlite_master WHERE name = 'users'", "name").await.is_empty());
}

#[tokio::test]
async fn sqlite_a_failing_migration_rolls_back_whole() {
    let db = fresh_sqlite();
    let err = migrate::run_list(&db, BROKEN).await.unwrap_err();
    assert!(err.to_string().contains("9002_bad.sql"), "{err}");
    let tables =
        texts(&db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%_table' ORDER BY name", "name")
            .await;
    assert_eq!(tables, ["ok_table"], "9002 left nothing behind");
    assert_eq!(texts(&db, "SELECT name FROM schema_migrations", "name").await, ["9001_ok.sql"]);
    // The connection goes on: no transaction was left open.
    let fixed = [BROKEN[0], Migration { name: "9002_bad.sql", sql: "CREATE TABLE half_table (id TEXT);" }];
    assert_eq!(migrate::run_list(&db, &fixed).await.unwrap().applied, ["9002_bad.sql"]);
}

/// The schema as an earlier runner left it: every file applied by hand.
async fn apply_by_hand(db: &dyn Migrate, list: &[Migration]) {
    for m in list {
        db.script(m.sql).await.unwrap_or_else(|e| panic!("{}: {e}", m.name));
    }
}

#[tokio::test]
async fn sqlite_the_spin_routes_ledger_is_adopted_without_running_anything_again() {
    let db = fresh_sqlite();
    apply_by_hand(&db, D1).await;
    db.script("CREATE TABLE spin_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)").await.unwrap();
    for (i, m) in D1.iter().enumerate() {
        let version = m.name.trim_end_matches(".sql").to_string();
        // 2026-01-01 00:00:00 UTC plus i seconds, in milliseconds.
        let at = 1_767_225_600_000 + i as i64 * 1000;
        db.exec("INSERT INTO spin_migrations VALUES (?1, ?2)", &[version.into(), at.into()]).await.unwrap();
    }
    let report = migrate::run(&db).await.unwrap();
    assert_eq!(report.adopted, ["spin_migrations"]);
    assert!(report.applied.is_empty(), "nothing ran again: {report:?}");
    assert_eq!(report.skipped, all(D1));
    assert_eq!(texts(&db, "SELECT name FROM schema_migrations ORDER BY id", "name").await, all(D1));
    let first = texts(&db, "SELECT applied_at FROM schema_migrations WHERE id = 2", "applied_at").await;
    assert_eq!(first, ["2026-01-01 00:00:01"]);
    assert!(texts(&db, "SELECT name FROM sqlite_master WHERE name = 'spin_migrations'", "name").await.is_empty());
    assert!(migrate::run(&db).await.unwrap().adopted.is_empty(), "adopted once");
}

#[tokio::test]
async fn sqlite_wranglers_default_ledger_is_adopted() {
    let db = fresh_sqlite();
    apply_by_hand(&db, &D1[..3]).await;
    db.script(
        "CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, \
         applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
    )
    .await
    .unwrap();
    for m in &D1[..3] {
        db.exec("INSERT INTO d1_migrations (name, applied_at) VALUES (?1, '2025-05-05 05:05:05')", &[m.name.into()])
            .await
            .unwrap();
    }
    let report = migrate::run(&db).await.unwrap();
    assert_eq!(report.adopted, ["d1_migrations"]);
    assert_eq!(report.skipped, all(&D1[..3]));
    assert_eq!(report.applied, all(&D1[3..]));
    let at = texts(&db, "SELECT applied_at FROM schema_migrations WHERE id = 1", "applied_at").await;
    assert_eq!(at, ["2025-05-05 05:05:05"]);
}

// ── PostgreSQL ──────────────────────────────────────────────────────────────────────────

mod pg {
    use super::*;
    use herald_native::postgres::{connect, connect_client};

    fn admin_url() -> String {
        std::env::var("HERALD_PG_ADMIN_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
    }

    /// Runs `body` over a database of its own, created for it and dropped after, even when
    /// the body panics. `None` when no server answers (and none is required).
    pub async fn scratch<F, Fut>(tag: &str, body: F) -> Option<()>
    where
        F: FnOnce(String) -> Fut + 'static,
        Fut: std::future::Future<Output = ()> + 'static,
    {
        let admin = match connect_client(&admin_url()).await {
            Ok(c) => c,
            Err(e) => {
                assert!(std::env::var("HERALD_REQUIRE_POSTGRES").is_err(), "PostgreSQL is required: {e}");
                eprintln!("skipped: no PostgreSQL at HERALD_PG_ADMIN_URL ({e})");
                return None;
            }
        };
        let name = format!("herald_migrate_{tag}_{}", std::process::id());
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        let base = admin_url();
        let url = format!("{}/{name}", base.rsplit_once('/').map_or(base.as_str(), |(b, _)| b));
        let local = tokio::task::LocalSet::new();
        let outcome = local.run_until(async move { tokio::task::spawn_local(body(url)).await }).await;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
        Some(())
    }

    #[tokio::test]
    async fn postgres_migrations_apply_once_and_concurrent_runs_take_turns() {
        scratch("twice", |url| async move {
            let (a, b) = (connect(&url).await.unwrap(), connect(&url).await.unwrap());
            let (ra, rb) = tokio::join!(migrate::run(&a), migrate::run(&b));
            let (ra, rb) = (ra.unwrap(), rb.unwrap());
            let mut both: Vec<String> = ra.applied.iter().chain(&rb.applied).cloned().collect();
            both.sort();
            assert_eq!(both, all(POSTGRES), "each applied once, by one run or the other: {ra:?} {rb:?}");
            let third = migrate::run(&a).await.unwrap();
            assert!(third.applied.is_empty());
            assert_eq!(third.skipped, all(POSTGRES));
            let columns = texts(
                &a,
                "SELECT column_name::text AS c FROM information_schema.columns \
                 WHERE table_name = 'schema_migrations' ORDER BY ordinal_position",
                "c",
            )
            .await;
            assert_eq!(columns, ["id", "name", "applied_at"]);
            assert_eq!(texts(&a, "SELECT name FROM schema_migrations ORDER BY name", "name").await, all(POSTGRES));
            // A failing migration leaves nothing behind, and the database goes on.
            let err = migrate::run_list(&a, BROKEN).await.unwrap_err();
            assert!(err.to_string().contains("9002_bad.sql"), "{err}");
            let half = texts(&a, "SELECT coalesce(to_regclass('half_table')::text, '') AS t", "t").await;
            assert_eq!(half, [""]);
            let ok = texts(&a, "SELECT name FROM schema_migrations WHERE name LIKE '9%'", "name").await;
            assert_eq!(ok, ["9001_ok.sql"]);
        })
        .await;
    }

    #[tokio::test]
    async fn postgres_the_earlier_ledgers_are_adopted_without_running_anything_again() {
        scratch("adopt", |url| async move {
            let db = connect(&url).await.unwrap();
            apply_by_hand(&db, POSTGRES).await;
            // herald-migrate's ledger for most, the Spin route's for the last two (and one in both).
            let (old, spin) = POSTGRES.split_at(POSTGRES.len() - 2);
            db.script(
                "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());\
                 CREATE TABLE spin_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )
            .await
            .unwrap();
            for m in old {
                let version = m.name.trim_end_matches(".sql").to_string();
                db.exec(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, '2025-03-04 05:06:07+00')",
                    &[version.into()],
                )
                .await
                .unwrap();
            }
            for m in spin.iter().chain(&old[..1]) {
                let version = m.name.trim_end_matches(".sql").to_string();
                db.exec("INSERT INTO spin_migrations VALUES ($1, 1767225600000)", &[version.into()]).await.unwrap();
            }
            let report = migrate::run(&db).await.unwrap();
            assert_eq!(report.adopted, ["schema_migrations", "spin_migrations"]);
            assert!(report.applied.is_empty(), "nothing ran again: {report:?}");
            assert_eq!(report.skipped, all(POSTGRES));
            let rows = db
                .rows(
                    "SELECT name, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at \
                     FROM schema_migrations ORDER BY id",
                    &[],
                )
                .await
                .unwrap();
            let got: Vec<(String, String)> = rows.iter().map(|r| (r.text("name").unwrap(), r.text("at").unwrap())).collect();
            assert_eq!(got.len(), POSTGRES.len());
            assert_eq!(got[0], ("0001_identity_workspaces.sql".to_string(), "2025-03-04 05:06:07".to_string()));
            assert_eq!(got[got.len() - 1].1, "2026-01-01 00:00:00");
            let gone = texts(&db, "SELECT coalesce(to_regclass('spin_migrations')::text, '') AS t", "t").await;
            assert_eq!(gone, [""]);
            let again = migrate::run(&db).await.unwrap();
            assert!(again.adopted.is_empty() && again.applied.is_empty());
        })
        .await;
    }
}
