//! crash <scenario> <publications> <accounts>
//!
//! Kills the Workers mid-drain and proves the publishing engine recovers: schedules
//! <publications> due together on <accounts> accounts of a local Mastodon-contract server (which
//! honours `Idempotency-Key` as Mastodon documents), fires the publisher's cron, kills the whole
//! `wrangler dev` process group with SIGKILL, restarts it on the same persisted state, fires the
//! cron every few seconds until nothing is in flight, and counts. Exits non-zero on any duplicate,
//! loss or publication left in flight, or when recovery takes longer than 6 minutes.
//!
//! Scenarios (when the kill comes):
//!   claimed     as the cron's claim answers (every publication queued, few or none sent yet);
//!   delivering  with 30 % posted, the local queue delivering;
//!   calls       with 30 % posted while each call takes 2 s to answer: many calls in flight,
//!               their statuses made but never heard of.
//!
//! Environment: HERALD_BASE_URL (where the API Worker answers), HERALD_CRASH_START (a script that
//! runs `wrangler dev` in the foreground, serving both Workers there on the same state),
//! HERALD_CRASH_LOG (its output), HERALD_PUBLISHER_WORKER (whose cron to fire).

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use herald_tests::drain::schedule_due_together;
use herald_tests::fakes::FakeMastodon;
use herald_tests::{fire_worker_cron, Api};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is required"))
}

/// Starts `wrangler dev` in a process group of its own.
fn start() -> Child {
    use std::os::unix::process::CommandExt;
    let log = std::fs::OpenOptions::new().create(true).append(true).open(env("HERALD_CRASH_LOG")).expect("the log");
    Command::new("bash")
        .arg(env("HERALD_CRASH_START"))
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().expect("the log"))
        .stderr(log)
        .process_group(0)
        .spawn()
        .expect("wrangler dev starts")
}

/// SIGKILL to the whole group: wrangler, node, workerd, with no chance to finish anything.
fn kill(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    let _ = child.wait();
}

async fn wait_for_health(base: &str) -> Duration {
    let started = Instant::now();
    let http = reqwest::Client::new();
    while started.elapsed() < Duration::from_secs(180) {
        if let Ok(r) = http.get(format!("{base}/health")).send().await {
            if r.status().is_success() {
                return started.elapsed();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("wrangler dev did not answer /health in 3 minutes (see {})", env("HERALD_CRASH_LOG"));
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (scenario, targets, accounts) = match args.as_slice() {
        [_, s, t, a] => (s.as_str(), t.parse().expect("publications"), a.parse().expect("accounts")),
        _ => panic!("usage: crash <claimed|delivering|calls> <publications> <accounts>"),
    };
    assert!(["claimed", "delivering", "calls"].contains(&scenario), "unknown scenario {scenario}");
    let base = env("HERALD_BASE_URL");
    let http = reqwest::Client::new();
    let mut worker = start();
    wait_for_health(&base).await;
    let api = Api::new();
    let prefix = format!("crash-{scenario}-");
    let fake = FakeMastodon::start_many(&prefix);
    let due = schedule_due_together(&api, &fake, &prefix, targets, accounts, Duration::from_secs(5)).await;
    let count = due.count;
    due.wait_until_due().await;
    if scenario == "calls" {
        fake.answer_after(2_000);
    }
    if let Err(e) = fire_worker_cron(&http, &base).await {
        panic!("{e}");
    }
    if scenario != "claimed" {
        let started = Instant::now();
        while fake.status_count() * 10 < count * 3 {
            assert!(started.elapsed() < Duration::from_secs(120), "30 % never posted: {}", fake.status_count());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let (posted, calls) = (fake.status_count(), fake.in_flight());
    kill(&mut worker);
    let killed = Instant::now();
    fake.answer_after(0);
    worker = start();
    let restarted = wait_for_health(&base).await;
    // The cron, fired every 5 s (once a minute in production: each of its runs is what a minute's
    // does), until nothing is in flight.
    let (mut resumed, mut recovered) = (None, None);
    let mut taken_at_restart = None;
    while killed.elapsed() < Duration::from_secs(360) {
        // Errors are expected while the publisher Worker is starting.
        let fired = fire_worker_cron(&http, &base).await;
        eprintln!(
            "{:6.1} s after the kill: cron {fired:?}, {} posted",
            killed.elapsed().as_secs_f64(),
            fake.status_count()
        );
        if taken_at_restart.is_none() {
            taken_at_restart = Some(due.count_in(&api, "publishing").await);
        }
        // The lost queued ones are back when the platform sees new posts again.
        for _ in 0..50 {
            if resumed.is_none() && fake.status_count() > posted {
                resumed = Some(killed.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if fake.status_count() >= count && due.in_flight(&api).await == 0 {
            recovered = Some(killed.elapsed());
            break;
        }
    }
    // More runs settle nothing more, and post nothing twice.
    for _ in 0..2 {
        let _ = fire_worker_cron(&http, &base).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let published = due.count_in(&api, "published").await;
    let stuck = due.in_flight(&api).await;
    kill(&mut worker);
    let (duplicates, losses) = (fake.duplicates(), count - published.min(count));
    let secs = |t: Option<Duration>| t.map_or("never".to_string(), |t| format!("{:.1} s", t.as_secs_f64()));
    let recovery = match recovered {
        Some(_) => format!(
            "publishing resumed {} and all settled {} after the kill ({} were taken by the killed publisher)",
            secs(resumed),
            secs(recovered),
            taken_at_restart.unwrap_or(0)
        ),
        None => "NOT recovered in 6 minutes".to_string(),
    };
    println!(
        "crash {scenario:<10} {count} publications on {accounts} accounts, killed with {posted} posted and {calls} calls in flight; \
         restarted in {:.1} s, {recovery}; duplicates {duplicates}, losses {losses}, stuck {stuck} (idempotent replays {})",
        restarted.as_secs_f64(),
        fake.replays()
    );
    if recovered.is_none() || duplicates > 0 || losses > 0 || stuck > 0 {
        std::process::exit(1);
    }
}
