//! The one migration runner against real databases: a fresh SQLite file, the ledgers kept
//! before it adopted (Spin's, wrangler's default, herald-migrate's), and on Postgres two runs at
//! once that apply each migration once. The Postgres tests need an admin URL to make throwaway
//! databases (`HERALD_TEST_PG_ADMIN_URL`, scripts/test.sh step 3); without one they are skipped,
//! unless `HERALD_REQUIRE_POSTGRES=1`.

use std::path::PathBuf;

use herald::sql::migrate::{self, Migration, Report};
use herald_native::migrate_file;
use rusqlite::Connection;

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("herald-migrate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("db.sqlite")
}

fn names(list: &[Migration]) -> Vec<String> {
    list.iter().map(|m| m.name.to_string()).collect()
}

fn ledger(conn: &Connection) -> Vec<String> {
    let mut stmt = conn.prepare("SELECT name FROM schema_migrations ORDER BY id").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn table_exists(conn: &Connection, table: &str) -> bool {
    conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap()
        == 1
}

#[test]
fn a_fresh_sqlite_file_is_migrated_once() {
    let path = temp_file("fresh");
    let first = migrate_file(&path, migrate::SQLITE).unwrap();
    assert_eq!(first, Report { adopted: vec![], applied: names(migrate::SQLITE) });
    let again = migrate_file(&path, migrate::SQLITE).unwrap();
    assert_eq!(again, Report::default());
    let conn = Connection::open(&path).unwrap();
    assert_eq!(ledger(&conn), names(migrate::SQLITE));
    assert!(table_exists(&conn, "users") && table_exists(&conn, "posts"));
}

#[test]
fn a_failing_migration_leaves_nothing_behind() {
    let path = temp_file("failing");
    let broken = [
        Migration::new("0001_ok.sql", "CREATE TABLE ok (id TEXT);"),
        Migration::new("0002_bad.sql", "CREATE TABLE half (id TEXT); INSERT INTO nowhere VALUES (1);"),
    ];
    let err = migrate_file(&path, &broken).unwrap_err();
    assert!(err.to_string().contains("0002_bad.sql"), "{err}");
    let conn = Connection::open(&path).unwrap();
    assert!(table_exists(&conn, "ok") && !table_exists(&conn, "half"), "0002 rolled back whole");
    assert_eq!(ledger(&conn), vec!["0001_ok.sql"]);
}

/// Migrates a SQLite file up to the last migration but one, then turns its ledger into `old`
/// (made by `make`, filled by `fill` from the applied names): what a database migrated by an
/// older runner looks like.
fn sqlite_with_old_ledger(name: &str, make: &str, fill: impl Fn(&Connection, &str)) -> (PathBuf, Connection) {
    let path = temp_file(name);
    let all = migrate::SQLITE;
    migrate_file(&path, &all[..all.len() - 1]).unwrap();
    let conn = Connection::open(&path).unwrap();
    let applied = ledger(&conn);
    conn.execute_batch(&format!("DROP TABLE schema_migrations; {make}")).unwrap();
    for name in &applied {
        fill(&conn, name);
    }
    (path, conn)
}

fn last(list: &[Migration]) -> Vec<String> {
    names(&list[list.len() - 1..])
}

#[test]
fn spins_old_ledger_is_adopted_on_sqlite() {
    let (path, conn) = sqlite_with_old_ledger(
        "spin",
        "CREATE TABLE spin_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
        |c, name| {
            let version = name.strip_suffix(".sql").unwrap();
            c.execute("INSERT INTO spin_migrations VALUES (?1, 1700000000000)", [version]).unwrap();
        },
    );
    let report = migrate_file(&path, migrate::SQLITE).unwrap();
    assert_eq!(report, Report { adopted: vec!["spin_migrations"], applied: last(migrate::SQLITE) });
    assert_eq!(ledger(&conn), names(migrate::SQLITE));
    assert!(!table_exists(&conn, "spin_migrations"));
    let at: String =
        conn.query_row("SELECT applied_at FROM schema_migrations ORDER BY id LIMIT 1", [], |r| r.get(0)).unwrap();
    assert_eq!(at, "2023-11-14 22:13:20", "the time it was applied is kept");
}

#[test]
fn wranglers_default_ledger_is_adopted_on_sqlite() {
    let (path, conn) = sqlite_with_old_ledger(
        "wrangler",
        "CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, \
         applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
        |c, name| {
            c.execute("INSERT INTO d1_migrations (name) VALUES (?1)", [name]).unwrap();
        },
    );
    let report = migrate_file(&path, migrate::SQLITE).unwrap();
    assert_eq!(report, Report { adopted: vec!["d1_migrations"], applied: last(migrate::SQLITE) });
    assert_eq!(ledger(&conn), names(migrate::SQLITE));
    assert!(!table_exists(&conn, "d1_migrations"));
}

// ── Postgres ────────────────────────────────────────────────────────────────────────────

mod postgres {
    use super::*;
    use herald_native::postgres::{connect_client, migrate};

    fn admin_url() -> Option<String> {
        let url = std::env::var("HERALD_TEST_PG_ADMIN_URL").ok().filter(|u| !u.is_empty());
        if url.is_none() && std::env::var("HERALD_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
            panic!("HERALD_REQUIRE_POSTGRES=1 but HERALD_TEST_PG_ADMIN_URL is unset");
        }
        url
    }

    /// A fresh database on the admin's server; answers its URL (as the admin, its owner).
    async fn fresh_database(admin: &str, name: &str) -> String {
        let db = format!("herald_migrate_{}_{name}", std::process::id());
        let client = connect_client(admin).await.unwrap();
        // Each alone: several statements in one simple query are one transaction.
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await.unwrap();
        client.batch_execute(&format!("CREATE DATABASE {db}")).await.unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        format!("{base}/{db}")
    }

    async fn drop_database(admin: &str, url: &str) {
        let db = url.rsplit('/').next().unwrap();
        let client = connect_client(admin).await.unwrap();
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await.unwrap();
    }

    async fn ledger(url: &str) -> Vec<String> {
        let client = connect_client(url).await.unwrap();
        let rows = client.query("SELECT name FROM schema_migrations ORDER BY id", &[]).await.unwrap();
        rows.iter().map(|r| r.get(0)).collect()
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    }

    #[test]
    fn two_runs_at_once_apply_each_migration_once() {
        let Some(admin) = admin_url() else { return };
        run(async {
            let url = fresh_database(&admin, "twice").await;
            let (a, b) = tokio::join!(migrate(&url, migrate::POSTGRES), migrate(&url, migrate::POSTGRES));
            let (a, b) = (a.unwrap(), b.unwrap());
            let mut both: Vec<String> = a.applied.iter().chain(&b.applied).cloned().collect();
            both.sort();
            assert_eq!(both, names(migrate::POSTGRES), "each applied once, by one run or the other");
            assert_eq!(migrate(&url, migrate::POSTGRES).await.unwrap(), Report::default());
            assert_eq!(ledger(&url).await, names(migrate::POSTGRES));
            drop_database(&admin, &url).await;
        });
    }

    /// A database migrated but for the last migration, its ledger turned into an old one.
    async fn with_old_ledger(admin: &str, name: &str, make: &str, fill: &str) -> String {
        let url = fresh_database(admin, name).await;
        let all = migrate::POSTGRES;
        migrate(&url, &all[..all.len() - 1]).await.unwrap();
        let client = connect_client(&url).await.unwrap();
        client.batch_execute(&format!("CREATE TABLE old_names AS SELECT name FROM schema_migrations; DROP TABLE schema_migrations; {make}; {fill}; DROP TABLE old_names")).await.unwrap();
        url
    }

    #[test]
    fn herald_migrates_old_ledger_is_adopted() {
        let Some(admin) = admin_url() else { return };
        run(async {
            let url = with_old_ledger(
                &admin,
                "native",
                "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                "INSERT INTO schema_migrations (version) SELECT replace(name, '.sql', '') FROM old_names",
            )
            .await;
            let report = migrate(&url, migrate::POSTGRES).await.unwrap();
            assert_eq!(report, Report { adopted: vec!["schema_migrations_v0"], applied: last(migrate::POSTGRES) });
            assert_eq!(ledger(&url).await, names(migrate::POSTGRES));
            assert_eq!(migrate(&url, migrate::POSTGRES).await.unwrap(), Report::default());
            drop_database(&admin, &url).await;
        });
    }

    #[test]
    fn spins_old_ledger_is_adopted_on_postgres() {
        let Some(admin) = admin_url() else { return };
        run(async {
            let url = with_old_ledger(
                &admin,
                "spin",
                "CREATE TABLE spin_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                "INSERT INTO spin_migrations SELECT replace(name, '.sql', ''), 1700000000000 FROM old_names",
            )
            .await;
            let report = migrate(&url, migrate::POSTGRES).await.unwrap();
            assert_eq!(report, Report { adopted: vec!["spin_migrations"], applied: last(migrate::POSTGRES) });
            assert_eq!(ledger(&url).await, names(migrate::POSTGRES));
            drop_database(&admin, &url).await;
        });
    }
}
