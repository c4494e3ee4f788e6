//! Herald on Fermyon Spin: one component serves every route over Spin's SQLite (the default
//! database) or Postgres (when the `database_url` variable is set).
//!
//! Everything that does not need a Spin host is plain code, compiled and tested natively:
//! reading the variables into a `Config` ([`settings`]), mapping values, rows and errors
//! between the SDK and the Sql port ([`values`]), the SQLite adapter's transactions ([`db`];
//! Postgres is herald-postgres's `PgSql` over Spin's pg), the migrate route over the one runner
//! ([`migrations`]) and the outbound request with its `Content-Length` ([`outbound`]). The host
//! glue (`host`, wasm32 only) opens the connections, reads the variables and calls
//! `herald::handle`.

pub mod components;
pub mod db;
pub mod migrations;
pub mod outbound;
pub mod settings;
pub mod values;

#[cfg(target_arch = "wasm32")]
mod host;

#[cfg(test)]
mod e2e;
