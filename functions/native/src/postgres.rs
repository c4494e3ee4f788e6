//! Connecting the shared Postgres adapter natively, and the versioned migration runner.

use std::path::Path;

use herald::sql::DbError;
use herald_postgres::{map_err, PgSql};
use tokio_postgres::{Client, NoTls};

/// Connects to `url` and drives the connection on the current tokio runtime.
pub async fn connect_client(url: &str) -> Result<Client, DbError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.map_err(map_err)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("postgres connection ended: {e}");
        }
    });
    Ok(client)
}

pub async fn connect(url: &str) -> Result<PgSql, DbError> {
    Ok(PgSql::new(connect_client(url).await?))
}

/// Any fixed number: it names the lock every migrator of a database takes.
const MIGRATION_LOCK: i64 = 0x4845_5241_4c44; // "HERALD"

/// Applies every `*.sql` file of `dir` not yet recorded in `schema_migrations`, in name order,
/// each in its own transaction. Safe to run twice and concurrently: an advisory lock makes
/// concurrent runs take turns, and the second finds nothing left to do. Answers the versions
/// it applied.
pub async fn migrate(client: &Client, dir: &Path) -> Result<Vec<String>, DbError> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| DbError::Other(format!("{}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await.map_err(map_err)?;
    let result = apply(client, &files).await;
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await.map_err(map_err);
    let applied = result?;
    unlocked?;
    Ok(applied)
}

async fn apply(client: &Client, files: &[std::path::PathBuf]) -> Result<Vec<String>, DbError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await
        .map_err(map_err)?;
    let mut applied = Vec::new();
    for file in files {
        let version = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let done = client
            .query_opt("SELECT 1 FROM schema_migrations WHERE version = $1", &[&version])
            .await
            .map_err(map_err)?
            .is_some();
        if done {
            continue;
        }
        let sql = std::fs::read_to_string(file).map_err(|e| DbError::Other(format!("{}: {e}", file.display())))?;
        client.batch_execute("BEGIN").await.map_err(map_err)?;
        let step = async {
            client.batch_execute(&sql).await?;
            client.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&version]).await?;
            client.batch_execute("COMMIT").await
        };
        if let Err(e) = step.await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(DbError::Other(format!("{version}: {}", map_err(e))));
        }
        applied.push(version);
    }
    Ok(applied)
}
