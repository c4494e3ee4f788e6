//! herald-migrate — applies the embedded migrations to a database, through the one runner
//! (`herald::sql::migrate`) and its ledger `schema_migrations`.
//!
//! herald-migrate [DATABASE_URL]
//!   postgres://… or postgresql://…  migrations/postgres. Connect as the database's owner (not
//!                                   as herald_app): migrations create tables, policies and
//!                                   the herald_app role.
//!   sqlite:PATH                     migrations/d1, to the SQLite file at PATH (created if
//!                                   missing), e.g. a local D1's file under .wrangler/state.
//! DATABASE_URL may also come from the environment. Prints each migration applied, or
//! `up to date`.

use std::path::Path;
use std::process::ExitCode;

use herald::sql::migrate::{self, Report};
use herald::sql::DbError;

const USAGE: &str = "usage: herald-migrate [postgres://…|sqlite:PATH]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut url = std::env::var("DATABASE_URL").ok();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other if other.starts_with('-') => {
                eprintln!("herald-migrate: unknown option {other}\n{USAGE}");
                return ExitCode::from(2);
            }
            other => url = Some(other.to_string()),
        }
    }
    let Some(url) = url else {
        eprintln!("herald-migrate: give a DATABASE_URL (argument or environment)\n{USAGE}");
        return ExitCode::from(2);
    };
    let result = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres(&url).await
    } else if let Some(path) = url.strip_prefix("sqlite:") {
        sqlite(Path::new(path)).await
    } else {
        eprintln!("herald-migrate: a postgres:// URL or sqlite:PATH\n{USAGE}");
        return ExitCode::from(2);
    };
    match result {
        Ok(report) => {
            for table in &report.adopted {
                eprintln!("adopted the earlier ledger {table} into schema_migrations");
            }
            if report.applied.is_empty() {
                println!("up to date");
            }
            for name in &report.applied {
                println!("applied {name}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("herald-migrate: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn postgres(url: &str) -> Result<Report, DbError> {
    let db = herald_native::postgres::connect(url).await.map_err(|e| DbError::Other(format!("cannot connect: {e}")))?;
    migrate::run(&db).await
}

async fn sqlite(path: &Path) -> Result<Report, DbError> {
    let db = herald_native::SqliteDb::open(path)?;
    migrate::run(&db).await
}
