//! herald-migrate — applies migrations/postgres to a Postgres database.
//!
//! herald-migrate [DATABASE_URL] [--dir migrations/postgres]
//! DATABASE_URL may also come from the environment. Connect as the database's owner (not as
//! herald_app): migrations create tables, policies and the herald_app role.

use std::path::PathBuf;
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut url = std::env::var("DATABASE_URL").ok();
    let mut dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations/postgres"));
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from).unwrap_or(dir),
            "-h" | "--help" => {
                eprintln!("usage: herald-migrate [DATABASE_URL] [--dir DIR]");
                return ExitCode::SUCCESS;
            }
            other => url = Some(other.to_string()),
        }
    }
    let Some(url) = url else {
        eprintln!("herald-migrate: give a DATABASE_URL (argument or environment)");
        return ExitCode::from(2);
    };
    let client = match herald_native::postgres::connect_client(&url).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("herald-migrate: cannot connect: {e}");
            return ExitCode::FAILURE;
        }
    };
    match herald_native::postgres::migrate(&client, &dir).await {
        Ok(applied) if applied.is_empty() => println!("up to date"),
        Ok(applied) => applied.iter().for_each(|v| println!("applied {v}")),
        Err(e) => {
            eprintln!("herald-migrate: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
