//! Connecting the shared Postgres adapter natively.

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
    Ok(herald_postgres::pg_sql(connect_client(url).await?))
}
