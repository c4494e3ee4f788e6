//! Round trips to the database, per route (issue 21): every answer says how many it took
//! (`x-db-round-trips`), and each route has a budget (`Route::trips`). A request over its route's
//! budget fails the test that sent it, on every target. With `HERALD_ROUTE_LOG` set, each request
//! also appends `method route trips budget micros status` to that file, which `./scripts/bench.sh`
//! sums up per route.

use std::io::Write;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use herald::ports::Environment;

use crate::Resp;

static LOG: LazyLock<Option<Mutex<std::fs::File>>> = LazyLock::new(|| {
    let path = std::env::var("HERALD_ROUTE_LOG").ok().filter(|p| !p.is_empty())?;
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path).expect("open HERALD_ROUTE_LOG");
    Some(Mutex::new(file))
});

static CONFIG: LazyLock<herald::ports::Config> = LazyLock::new(|| crate::test_config(Environment::Development));

/// Checks one answer against its route's budget (and logs it).
pub fn check(method: &str, path: &str, r: &Resp, elapsed: Duration) {
    let Some(trips) = r.header(herald::app::ROUND_TRIPS_HEADER).and_then(|t| t.parse::<u32>().ok()) else {
        return;
    };
    let path = path.split('?').next().unwrap_or(path);
    let Ok((route, _)) = herald::app::routes::find(&CONFIG, method, path) else { return };
    if let Some(log) = LOG.as_ref() {
        if let Ok(mut f) = log.lock() {
            let _ = writeln!(f, "{method} {} {trips} {} {} {}", route.path, route.trips, elapsed.as_micros(), r.status);
        }
    }
    assert!(
        trips <= u32::from(route.trips),
        "{method} {} took {trips} round trips to the database; its budget is {} (status {})",
        route.path,
        route.trips,
        r.status
    );
}
