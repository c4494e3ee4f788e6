//! Prints latency and throughput figures; never asserts on them.
//!
//! bench in-process <label>                   time per request of the domain in process (over
//!                                             in-memory SQLite, or Postgres at HERALD_TEST_DATABASE_URL)
//! bench load <base-url> <secs> <n> <label>   requests/s and p50/p99 under n concurrent clients

use std::time::{Duration, Instant};

use herald::ports::Environment;
use herald_tests::{create_workspace, signup, Api};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

async fn in_process(store: &str) {
    let api = Api::local(Environment::Development);
    let user = signup(&api, "bench").await;
    for i in 0..5 {
        create_workspace(&api, &user, &format!("Bench {i}")).await;
    }
    for (label, path, auth) in
        [("GET /health", "/health", false), ("GET /api/v1/workspaces", "/api/v1/workspaces", true)]
    {
        let mut times = Vec::with_capacity(5000);
        for _ in 0..5000 {
            let call = api.get(path);
            let call = if auth { call.bearer(&user.access) } else { call };
            let t = Instant::now();
            let r = call.send().await;
            times.push(t.elapsed());
            assert_eq!(r.status, 200);
        }
        times.sort();
        let mean = times.iter().sum::<Duration>() / times.len() as u32;
        println!(
            "in-process {store:<9} {label:<28} n={}  mean {}  p50 {}  p99 {}",
            times.len(),
            ms(mean),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99))
        );
    }
}

async fn load(base: &str, secs: u64, clients: usize, store: &str) {
    std::env::set_var("HERALD_BASE_URL", base);
    let api = Api::new();
    let user = signup(&api, "bench").await;
    for i in 0..5 {
        create_workspace(&api, &user, &format!("Bench {i}")).await;
    }
    let routes = [("GET /health", "/health", false), ("GET /api/v1/workspaces", "/api/v1/workspaces", true)];
    for (label, path, auth) in routes {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let local = tokio::task::LocalSet::new();
        let mut handles = Vec::new();
        for _ in 0..clients {
            let (token, path) = (user.access.clone(), path.to_string());
            handles.push(local.spawn_local(async move {
                let api = Api::new();
                let (mut times, mut errors) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    let call = api.get(&path);
                    let call = if auth { call.bearer(&token) } else { call };
                    let t = Instant::now();
                    let r = call.send().await;
                    times.push(t.elapsed());
                    if r.status != 200 {
                        errors += 1;
                    }
                }
                (times, errors)
            }));
        }
        let started = Instant::now();
        let results = local
            .run_until(async {
                let mut all = Vec::new();
                for h in handles {
                    all.push(h.await.expect("client task"));
                }
                all
            })
            .await;
        let elapsed = started.elapsed();
        let errors: usize = results.iter().map(|(_, e)| e).sum();
        let mut times: Vec<Duration> = results.into_iter().flat_map(|(t, _)| t).collect();
        times.sort();
        println!(
            "worker {store:<13} {label:<28} {clients} clients {secs}s  {:.0} req/s  p50 {}  p99 {}  errors {errors}",
            times.len() as f64 / elapsed.as_secs_f64(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99))
        );
    }
    // A login verifies one password hash; its latency against /health bounds the hash's cost.
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let r = api
            .post("/api/v1/auth/login")
            .json(serde_json::json!({"email": user.email, "password": herald_tests::PASSWORD}))
            .send()
            .await;
        times.push(t.elapsed());
        assert_eq!(r.status, 200);
    }
    times.sort();
    println!(
        "worker {store:<13} {:<28} sequential n=20  p50 {}  p99 {}",
        "POST /api/v1/auth/login",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    match args.get(1).map(String::as_str) {
        Some("in-process") => rt.block_on(in_process(args.get(2).map_or("sqlite", String::as_str))),
        Some("load") => {
            let base = args.get(2).expect("base url");
            let secs = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10);
            let clients = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(8);
            rt.block_on(load(base, secs, clients, args.get(5).map_or("d1", String::as_str)));
        }
        _ => eprintln!("usage: bench in-process [label] | bench load <base-url> [secs] [clients] [label]"),
    }
}
