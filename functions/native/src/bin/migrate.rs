//! herald-migrate — applies the migrations with the one runner (herald::sql::migrate).
//!
//! herald-migrate [DATABASE_URL | sqlite:PATH] [--dir DIR]
//! A Postgres URL gets migrations/postgres, `sqlite:PATH` (a file, made when missing) gets
//! migrations/d1; both embedded, or the `*.sql` files of DIR. DATABASE_URL may also come from
//! the environment. Connect to Postgres as the database's owner (not as herald_app): migrations
//! create tables, policies and the herald_app role.

use std::path::PathBuf;
use std::process::ExitCode;

use herald::sql::migrate::{self, Migration};
use herald::sql::Dialect;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut url = std::env::var("DATABASE_URL").ok();
    let mut dir = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                eprintln!("usage: herald-migrate [DATABASE_URL | sqlite:PATH] [--dir DIR]");
                return ExitCode::SUCCESS;
            }
            other => url = Some(other.to_string()),
        }
    }
    let Some(url) = url else {
        eprintln!("herald-migrate: give a DATABASE_URL or sqlite:PATH (argument or environment)");
        return ExitCode::from(2);
    };
    let sqlite = url.strip_prefix("sqlite:").map(PathBuf::from);
    let dialect = if sqlite.is_some() { Dialect::Sqlite } else { Dialect::Postgres };
    let list: Vec<Migration> = match dir {
        Some(dir) => match herald_native::migrations_in(&dir) {
            Ok(list) => list,
            Err(e) => {
                eprintln!("herald-migrate: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => migrate::embedded(dialect).to_vec(),
    };
    let report = match &sqlite {
        Some(path) => herald_native::migrate_file(path, &list),
        None => herald_native::postgres::migrate(&url, &list).await,
    };
    match report {
        Ok(report) => {
            for table in &report.adopted {
                println!("adopted the ledger {table}");
            }
            if report.applied.is_empty() {
                println!("up to date");
            }
            report.applied.iter().for_each(|name| println!("applied {name}"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("herald-migrate: {e}");
            ExitCode::FAILURE
        }
    }
}
