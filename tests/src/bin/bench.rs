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

/// Lists 50 posts out of 10,000 with a filter and a search term. The posts are seeded with the
/// CSV import, 500 a request.
async fn posts(store: &str, base: Option<&str>) {
    if let Some(base) = base {
        std::env::set_var("HERALD_BASE_URL", base);
    }
    let api = if base.is_some() { Api::new() } else { Api::local(Environment::Development) };
    let user = signup(&api, "bench-posts").await;
    let ws = create_workspace(&api, &user, "Bench posts").await;
    let words = ["coffee", "roast", "launch", "winter", "espresso", "beans", "morning", "tea"];
    let seeding = Instant::now();
    for chunk in 0..20 {
        let mut csv = String::from("title,body,tags\n");
        for i in 0..500 {
            let n = chunk * 500 + i;
            let (a, b) = (words[n % words.len()], words[(n / 8) % words.len()]);
            csv.push_str(&format!(
                "Post {n} about {a},Our {b} story number {n} with {a} and more words,{}\n",
                if n % 2 == 0 { "even" } else { "odd" }
            ));
        }
        let r = api
            .post(&format!("/api/v1/workspaces/{ws}/posts/import"))
            .bearer(&user.access)
            .typed("text/csv", csv)
            .send()
            .await;
        assert_eq!(r.status, 200, "seeding: {}", String::from_utf8_lossy(&r.body));
    }
    let seeded = seeding.elapsed();
    let path = format!("/api/v1/workspaces/{ws}/posts?status=draft&tag=even&q=espresso&limit=50");
    let mut times = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let r = api.get(&path).bearer(&user.access).send().await;
        times.push(t.elapsed());
        assert_eq!(r.status, 200);
        assert_eq!(r.data()["items"].as_array().map(Vec::len), Some(50));
    }
    times.sort();
    let kind = if base.is_some() { "worker" } else { "in-process" };
    println!(
        "{kind} {store:<13} list 50 of 10,000 posts (tag + status + search)  n=200  p50 {}  p99 {}  (seeded in {:.1} s)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        seeded.as_secs_f64()
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
        Some("posts") => rt.block_on(posts(args.get(2).map_or("sqlite", String::as_str), args.get(3).map(String::as_str))),
        _ => eprintln!("usage: bench posts [label] [base-url] | bench in-process [label] | bench load <base-url> [secs] [clients] [label]"),
    }
}
