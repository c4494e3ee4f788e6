//! Native adapters of Herald's ports: SQLite through rusqlite (the dialect D1 speaks), the
//! system clock and the OS random source. They host the domain in process for the test suite
//! and local tooling.

mod blobs;
mod http;
pub mod postgres;
mod sqlite;

pub use blobs::{s3_blobs, MemoryBlobs};
pub use http::ReqwestHttp;

pub use sqlite::{migrate_file, migrations_in, SqliteDb};

use herald::ports::{Clock, Random};

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }
}

pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        // Without an OS random source nothing secret can be made; stopping is the only safe answer.
        getrandom::fill(buf).expect("the OS random source failed");
    }
}
