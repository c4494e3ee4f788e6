//! Connecting the shared Postgres adapter natively, and migrating a database with the one runner.

use herald::sql::migrate::{self, Migration, Report};
use herald::sql::{DbError, Dialect};
use herald_postgres::{map_err, PgSql, TokioPg};
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

/// Applies `list` to the database at `url` (connect as its owner: migrations create tables,
/// policies and the herald_app role). Safe to run twice and concurrently.
pub async fn migrate(url: &str, list: &[Migration]) -> Result<Report, DbError> {
    let conn = TokioPg::new(connect_client(url).await?);
    migrate::apply(&conn, Dialect::Postgres, list).await
}
