//! Inbound rate limits (SPEC PL-5): guessing routes per client address, signed-in calls per
//! user, 429 RATE_LIMITED with Retry-After and the IETF RateLimit fields. Each test plays one
//! client at an address of its own; the rest of the suite comes from fresh addresses.

use std::time::Duration;

use herald_tests::*;
use serde_json::json;

/// A parameter of a structured RateLimit field: `"auth";r=3;t=42` → r = 3.
fn param(field: Option<&str>, name: &str) -> Option<u64> {
    field?.split(';').skip(1).find_map(|p| p.trim().strip_prefix(name)?.strip_prefix('=')?.parse().ok())
}

/// Waits out the current window when fewer than `needed` seconds of it are left, so that a
/// burst is counted in one window (windows are aligned on the clock, as Cloudflare's are).
async fn wait_for_room(r: &Resp, needed: u64) -> bool {
    let left = param(r.header("ratelimit"), "t").expect("RateLimit carries t");
    if left >= needed {
        return false;
    }
    tokio::time::sleep(Duration::from_secs(left + 1)).await;
    true
}

async fn login(api: &Api, ip: &str, email: &str, password: &str) -> Resp {
    api.post("/api/v1/auth/login").from_address(ip).json(json!({"email": email, "password": password})).send().await
}

#[tokio::test]
async fn the_eleventh_login_a_minute_from_one_address_is_refused() {
    let api = Api::new();
    let user = signup(&api, "guessed").await;
    let ip = loop {
        let ip = random_address("198.18");
        let first = login(&api, &ip, &user.email, "wrong guess 0").await;
        first.expect_error(401, "UNAUTHORIZED");
        assert_eq!(first.header("ratelimit-policy"), Some("\"auth\";q=10;w=60"));
        assert_eq!(param(first.header("ratelimit"), "r"), Some(9));
        if !wait_for_room(&first, 20).await {
            break ip;
        }
    };
    for n in 1..10 {
        let r = login(&api, &ip, &user.email, &format!("wrong guess {n}")).await;
        r.expect_error(401, "UNAUTHORIZED");
        assert_eq!(param(r.header("ratelimit"), "r"), Some(9 - n), "guess {n}");
    }
    // The eleventh, even with the right password: the address is out of tries.
    let refused = login(&api, &ip, &user.email, PASSWORD).await;
    refused.expect_error(429, "RATE_LIMITED");
    let retry: u64 = refused.header("retry-after").expect("Retry-After").parse().expect("delay-seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(refused.header("ratelimit-policy"), Some("\"auth\";q=10;w=60"));
    assert_eq!(param(refused.header("ratelimit"), "r"), Some(0));
    assert_eq!(param(refused.header("ratelimit"), "t"), Some(retry), "t and Retry-After name the same instant");

    // Another address is not affected, and neither is the account.
    let other = login(&api, &random_address("198.19"), &user.email, PASSWORD).await;
    assert_eq!(other.status, 200, "{}", String::from_utf8_lossy(&other.body));
}

#[tokio::test]
async fn sign_up_login_and_refresh_share_one_budget_per_address() {
    let api = Api::new();
    let user = signup(&api, "budget").await;
    let ip = loop {
        let ip = random_address("198.18");
        let first = login(&api, &ip, &user.email, PASSWORD).await;
        assert_eq!(first.status, 200);
        if !wait_for_room(&first, 20).await {
            break ip;
        }
    };
    for _ in 0..4 {
        assert_eq!(login(&api, &ip, &user.email, PASSWORD).await.status, 200);
    }
    let mut refresh = user.refresh.clone();
    for _ in 0..4 {
        let r = api.post("/api/v1/auth/refresh").from_address(&ip).json(json!({"refreshToken": refresh})).send().await;
        refresh = r.data()["refreshToken"].as_str().expect("a new refresh token").to_string();
    }
    let email = unique_email("tenth");
    let tenth = api
        .post("/api/v1/auth/signup")
        .from_address(&ip)
        .json(json!({"email": email, "password": PASSWORD, "name": "Tenth"}))
        .send()
        .await;
    assert!(matches!(tenth.status, 201 | 202), "{}", tenth.status);
    let eleventh =
        api.post("/api/v1/auth/refresh").from_address(&ip).json(json!({"refreshToken": refresh})).send().await;
    eleventh.expect_error(429, "RATE_LIMITED");
    assert!(eleventh.header("retry-after").is_some());
}

#[tokio::test]
async fn signed_in_calls_are_limited_per_user_wherever_they_come_from() {
    let api = Api::new();
    let (user, quota) = loop {
        let user = signup(&api, "busy").await;
        let first = api.get("/api/v1/users/me").bearer(&user.access).send().await;
        assert_eq!(first.status, 200);
        let policy = first.header("ratelimit-policy").expect("RateLimit-Policy").to_string();
        assert!(policy.starts_with("\"user\";q=") && policy.ends_with(";w=60"), "{policy}");
        let quota = param(Some(&policy), "q").expect("q");
        assert_eq!(param(first.header("ratelimit"), "r"), Some(quota - 1));
        if !wait_for_room(&first, 40).await {
            break (user, quota);
        }
    };
    // Every call from an address of its own (the harness's default): the user is what counts.
    for n in 1..quota {
        let r = api.get("/api/v1/users/me").bearer(&user.access).send().await;
        assert_eq!(r.status, 200, "call {n} of {quota}: {}", String::from_utf8_lossy(&r.body));
    }
    let refused = api.get("/api/v1/workspaces").bearer(&user.access).send().await;
    refused.expect_error(429, "RATE_LIMITED");
    assert!(refused.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()));
    assert_eq!(param(refused.header("ratelimit"), "r"), Some(0));

    let other = signup(&api, "calm").await;
    let r = api.get("/api/v1/workspaces").bearer(&other.access).send().await;
    assert_eq!(r.status, 200, "another user has a budget of their own");
}
