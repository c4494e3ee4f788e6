//! The component's path through the domain, natively: the migrate route over the SQLite
//! adapter of `db` (with rusqlite standing in for Spin's host), then `herald::handle` over the
//! same adapter for a sign-up, a workspace, an invitation caught by the development mailbox
//! and the tick route. Only the SDK calls of `host` are left to the real Spin host.

use std::cell::Cell;

use futures::executor::block_on;
use herald::identity::password::{Argon2Hasher, HashProfile};
use herald::mail::DevMailbox;
use herald::ports::{Clock, Config, Random};
use herald::{Context, Request, Response};
use serde_json::{json, Value as Json};

use crate::db::tests::Rusqlite;
use crate::db::SqliteSql;
use crate::migrations;
use crate::settings::Variables;
use herald::sql::{Dialect, Raw};

struct FixedClock;

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        1_800_000_000_000
    }
}

/// Distinct bytes on every call: enough for ids and tokens in a test.
struct CountingRandom(Cell<u64>);

impl Random for CountingRandom {
    fn fill(&self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0.set(self.0.get().wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407));
            let bytes = self.0.get().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

const TICK: &str = "tick-secret-for-the-e2e-test";

fn config() -> Config {
    let vars = Variables {
        jwt_secret: Some("j".repeat(40)),
        environment: Some("development".into()),
        tick_secret: Some(TICK.into()),
        ..Default::default()
    };
    vars.config().unwrap()
}

fn request(method: &str, path: &str, token: Option<&str>, body: Option<Json>) -> Request {
    let mut req = Request::new(method, path);
    if let Some(t) = token {
        req.headers.push(("authorization".into(), format!("Bearer {t}")));
    }
    if let Some(b) = body {
        req.headers.push(("content-type".into(), "application/json".into()));
        req.body = serde_json::to_vec(&b).unwrap();
    }
    req
}

fn json_of(r: &Response) -> Json {
    serde_json::from_slice(&r.body).unwrap_or(Json::Null)
}

#[test]
fn the_component_path_serves_the_domain_over_the_sqlite_adapter() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let db = SqliteSql::new(Rusqlite(conn));
    let config = config();
    let random = CountingRandom(Cell::new(7));
    let hasher = Argon2Hasher::new(HashProfile::FreePlan);
    let mail = DevMailbox { db: &db, clock: &FixedClock, random: &random };
    let blobs = herald::ports::NoBlobs;
    let ctx = Context {
        db: &db,
        clock: &FixedClock,
        random: &random,
        hasher: &hasher,
        mail: &mail,
        blobs: &blobs,
        http: &herald::ports::NoHttp,
        jobs: &herald::ports::NoQueue,
        limiter: &herald::ratelimit::Unlimited,
        config: &config,
        sink: None,
    };
    let call = |req: Request| block_on(herald::handle(&ctx, req));

    block_on(async {
        // Migrate through the route, as an operator would.
        let req = request("POST", migrations::ROUTE, Some(TICK), None);
        assert!(migrations::is_migrate_request(&req, config.tick_secret.as_deref()));
        let r = migrations::serve(&req, TICK, "req_m", async || {
            // On Spin the route opens its own connection; here it borrows the test's.
            Ok((Box::new(db.raw()) as Box<dyn Raw + '_>, Dialect::Sqlite))
        })
        .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    });

    assert_eq!(call(request("GET", "/health", None, None)).status, 200);

    let signup = |email: &str, name: &str| {
        let body = json!({"email": email, "password": "correct horse battery", "name": name});
        call(request("POST", "/api/v1/auth/signup", None, Some(body)))
    };
    // Addresses are verified by default: sign-up answers 202 and mails a token.
    let ada = signup("ada@example.test", "Ada");
    assert_eq!(ada.status, 202, "{}", String::from_utf8_lossy(&ada.body));
    // Every mail at one fixed time: found by what they say, not by their order.
    let mails = || {
        let mailbox = call(request("GET", "/api/v1/dev/mailbox?to=ada%40example.test", None, None));
        let mails = json_of(&mailbox)["data"].as_array().cloned().unwrap();
        mails.iter().map(|m| m["text"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let text = mails().into_iter().find(|t| t.contains("verify-email:\n")).unwrap();
    let token = text.split("verify-email:\n").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let verified = call(request("POST", "/api/v1/auth/verify-email", None, Some(json!({"token": token}))));
    assert_eq!(verified.status, 200, "{}", String::from_utf8_lossy(&verified.body));
    let ada = json_of(&verified)["data"]["accessToken"].as_str().unwrap().to_string();

    // The same address again: the same answer, and its owner is told by mail.
    let again = signup("ada@example.test", "Ada again");
    assert_eq!(again.status, 202, "{}", String::from_utf8_lossy(&again.body));
    assert!(mails().iter().any(|t| t.contains("already has an account")));

    let ws = call(request(
        "POST",
        "/api/v1/workspaces",
        Some(&ada),
        Some(json!({"name": "Acme", "timezone": "Europe/Paris"})),
    ));
    assert_eq!(ws.status, 201, "{}", String::from_utf8_lossy(&ws.body));
    let ws = json_of(&ws)["data"]["id"].as_str().unwrap().to_string();

    let invite = call(request(
        "POST",
        &format!("/api/v1/workspaces/{ws}/invites"),
        Some(&ada),
        Some(json!({"email": "grace@example.test", "role": "editor"})),
    ));
    assert_eq!(invite.status, 201, "{}", String::from_utf8_lossy(&invite.body));
    let mailbox = call(request("GET", "/api/v1/dev/mailbox?to=grace%40example.test", None, None));
    assert_eq!(mailbox.status, 200);
    assert_eq!(json_of(&mailbox)["data"].as_array().map(Vec::len), Some(1));

    let members = call(request("GET", &format!("/api/v1/workspaces/{ws}/members"), Some(&ada), None));
    assert_eq!(members.status, 200);
    assert_eq!(json_of(&members)["data"]["items"][0]["role"], "owner");

    let tick = call(request("POST", "/api/v1/internal/tick", Some(TICK), None));
    assert_eq!(tick.status, 200, "{}", String::from_utf8_lossy(&tick.body));
}
