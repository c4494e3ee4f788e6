//! Plans and limits (SPEC BI-1, BI-2): a workspace's subscription with its counters, the
//! operator's plan changes, and each limit refused inside the batch that would pass it — with
//! its own code, the limit and the usage — never losing what is already there.

use herald_tests::fakes::FakeMastodon;
use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

async fn subscription(api: &Api, user: &User, ws: &str) -> Value {
    let r = api.get(&w(ws, "/billing/subscription")).bearer(&user.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.data()
}

fn usage<'a>(sub: &'a Value, metric: &str) -> &'a Value {
    sub["usage"].as_array().and_then(|u| u.iter().find(|m| m["metric"] == metric)).unwrap_or(&Value::Null)
}

/// The operator's change of plan (authorized by the operator's secret).
async fn set_plan(api: &Api, ws: &str, body: Value) -> Resp {
    api.request("PUT", &format!("/api/v1/internal/workspaces/{ws}/subscription"))
        .bearer(TEST_TICK_SECRET)
        .json(body)
        .send()
        .await
}

async fn on_free(api: &Api, ws: &str) {
    let r = set_plan(api, ws, json!({"plan": "free", "immediately": true})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["plan"], "free");
}

fn assert_limit(r: &Resp, metric: &str, plan: &str, limit: i64, used: i64) {
    let body = r.expect_error(402, "PLAN_LIMIT_REACHED");
    assert_eq!(body["limit"], json!({"metric": metric, "plan": plan, "limit": limit, "used": used}), "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("upgrade")), "{body}");
}

#[tokio::test]
async fn a_workspace_shows_its_plan_with_every_counter_and_only_the_operator_changes_it() {
    let api = Api::new();
    let owner = signup(&api, "plan-owner").await;
    let ws = create_workspace(&api, &owner, "Plans").await;
    // The suite's workspaces start on the unlimited tier (DEFAULT_PLAN).
    let sub = subscription(&api, &owner, &ws).await;
    assert_eq!((sub["plan"].as_str(), sub["status"].as_str()), (Some("enterprise"), Some("active")), "{sub}");
    assert_eq!(usage(&sub, "members"), &json!({"metric": "members", "used": 1, "limit": null}));
    assert_eq!(usage(&sub, "scheduledPosts")["used"], 0);
    assert!(sub["periodStart"].as_str() < sub["periodEnd"].as_str(), "{sub}");
    assert!(sub["nextPlan"].is_null());

    // Owners and admins only; outside the workspace it does not exist.
    let editor = add_member(&api, &owner, &ws, "editor").await;
    api.get(&w(&ws, "/billing/subscription")).bearer(&editor.access).send().await.expect_error(403, "FORBIDDEN");
    let stranger = signup(&api, "plan-stranger").await;
    api.get(&w(&ws, "/billing/subscription")).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");

    // Only the operator's secret changes a plan.
    let path = format!("/api/v1/internal/workspaces/{ws}/subscription");
    let body = json!({"plan": "pro"});
    api.request("PUT", &path).json(body.clone()).send().await.expect_error(401, "UNAUTHORIZED");
    api.request("PUT", &path).bearer(&owner.access).json(body).send().await.expect_error(401, "UNAUTHORIZED");
    let r = set_plan(&api, &ws, json!({"plan": "gold"})).await;
    assert_eq!(r.fields(), ["plan"]);
    let r = set_plan(&api, &ws, json!({"plan": "pro", "status": "sleeping"})).await;
    assert_eq!(r.fields(), ["status"]);
    let r = set_plan(&api, "01900000-0000-7000-8000-000000000000", json!({"plan": "pro"})).await;
    r.expect_error(404, "NOT_FOUND");

    // A downgrade waits for the period's end; at once only when asked.
    let r = set_plan(&api, &ws, json!({"plan": "pro"})).await;
    assert_eq!((r.data()["plan"].as_str(), r.data()["nextPlan"].as_str()), (Some("enterprise"), Some("pro")));
    on_free(&api, &ws).await;
    let sub = subscription(&api, &owner, &ws).await;
    assert_eq!(usage(&sub, "members"), &json!({"metric": "members", "used": 2, "limit": 3}));
    assert_eq!(usage(&sub, "accounts")["limit"], 3);
    assert_eq!(usage(&sub, "scheduledPosts")["limit"], 30);
    assert_eq!(usage(&sub, "analyticsDays"), &json!({"metric": "analyticsDays", "used": null, "limit": 30}));
    // An upgrade applies at once and drops a pending downgrade.
    let r = set_plan(&api, &ws, json!({"plan": "agency", "status": "trialing"})).await;
    assert_eq!(
        (r.data()["plan"].as_str(), r.data()["status"].as_str(), r.data()["nextPlan"].is_null()),
        (Some("agency"), Some("trialing"), true)
    );
}

async fn invite(api: &Api, owner: &User, ws: &str, label: &str) -> (User, String) {
    let member = signup(api, label).await;
    let r = api
        .post(&w(ws, "/invites"))
        .bearer(&owner.access)
        .json(json!({"email": member.email, "role": "writer"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let token = invite_token(api, &member.email).await;
    (member, token)
}

async fn accept(api: &Api, member: &User, token: &str) -> Resp {
    api.post("/api/v1/invites/accept").bearer(&member.access).json(json!({"token": token})).send().await
}

#[tokio::test]
async fn the_member_limit_refuses_the_next_member_once_even_when_two_race_for_the_last_seat() {
    let api = Api::new();
    let owner = signup(&api, "seats").await;
    let ws = create_workspace(&api, &owner, "Seats").await;
    on_free(&api, &ws).await;
    add_member(&api, &owner, &ws, "editor").await;
    // Two invitations accepted at once for the last of three seats: exactly one gets in.
    let (a, ta) = invite(&api, &owner, &ws, "seat-a").await;
    let (b, tb) = invite(&api, &owner, &ws, "seat-b").await;
    let (ra, rb) = tokio::join!(accept(&api, &a, &ta), accept(&api, &b, &tb));
    let (won, lost, loser, token) = if ra.status == 200 { (ra, rb, b, tb) } else { (rb, ra, a, ta) };
    assert_eq!(won.status, 200, "{}", String::from_utf8_lossy(&won.body));
    assert_limit(&lost, "members", "free", 3, 3);
    let sub = subscription(&api, &owner, &ws).await;
    assert_eq!(usage(&sub, "members")["used"], 3);
    // The invitation is not spent: after an upgrade the same token lets them in.
    let r = set_plan(&api, &ws, json!({"plan": "pro"})).await;
    assert_eq!(r.data()["plan"], "pro");
    let r = accept(&api, &loser, &token).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // Over a lower tier nothing is taken away; only new members are refused.
    on_free(&api, &ws).await;
    let sub = subscription(&api, &owner, &ws).await;
    assert_eq!(usage(&sub, "members"), &json!({"metric": "members", "used": 4, "limit": 3}));
    let (c, tc) = invite(&api, &owner, &ws, "seat-c").await;
    assert_limit(&accept(&api, &c, &tc).await, "members", "free", 3, 4);
}

async fn connect(api: &Api, owner: &User, ws: &str, fake: &FakeMastodon, token: &str) -> Resp {
    api.post(&w(ws, "/social-accounts"))
        .bearer(&owner.access)
        .json(json!({"platform": "mastodon", "instanceUrl": fake.base, "accessToken": token}))
        .send()
        .await
}

#[tokio::test]
async fn the_account_limit_counts_connected_accounts_and_never_a_reconnect() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("plan-acct-");
    let owner = signup(&api, "plan-accounts").await;
    let ws = create_workspace(&api, &owner, "Accounts on free").await;
    on_free(&api, &ws).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let r = connect(&api, &owner, &ws, &fake, &format!("plan-acct-{n}")).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        ids.push(r.data()["id"].as_str().unwrap_or_default().to_string());
    }
    assert_limit(&connect(&api, &owner, &ws, &fake, "plan-acct-3").await, "accounts", "free", 3, 3);
    // Connecting one of the three again renews its credentials: not a new account.
    let r = connect(&api, &owner, &ws, &fake, "plan-acct-1").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // A disconnected account frees its place.
    let r = api.delete(&w(&ws, &format!("/social-accounts/{}", ids[0]))).bearer(&owner.access).send().await;
    assert!(r.status < 300, "{}", String::from_utf8_lossy(&r.body));
    let r = connect(&api, &owner, &ws, &fake, "plan-acct-3").await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    // …and coming back counts again.
    assert_limit(&connect(&api, &owner, &ws, &fake, "plan-acct-0").await, "accounts", "free", 3, 3);
    let listed = api.get(&w(&ws, "/social-accounts")).bearer(&owner.access).send().await.data();
    assert_eq!(listed.as_array().map(Vec::len), Some(3), "{listed}");
}

#[tokio::test]
async fn posts_scheduled_a_period_are_counted_inside_the_scheduling_batch_and_start_again_next_period() {
    let api = Api::new();
    let fake = FakeMastodon::start("plan-posts");
    let owner = signup(&api, "plan-posts").await;
    let ws = create_workspace(&api, &owner, "Posts on free").await;
    on_free(&api, &ws).await;
    let account = connect(&api, &owner, &ws, &fake, "plan-posts").await.data();
    let account = account["id"].as_str().unwrap_or_default().to_string();
    let post = |title: &'static str| {
        let (api, owner, ws) = (&api, &owner, &ws);
        async move {
            let r = api
                .post(&w(ws, "/posts"))
                .bearer(&owner.access)
                .json(json!({"title": title, "body": title, "targets": [{"platform": "mastodon"}]}))
                .send()
                .await;
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
            r.data()["id"].as_str().unwrap_or_default().to_string()
        }
    };
    let schedule = |post: String, count: i64| {
        let (api, owner, ws, account) = (&api, &owner, &ws, &account);
        async move {
            let mut body = json!({"accountIds": [account], "at": days_ahead(20)});
            if count > 1 {
                body["repeat"] = json!({"every": "day", "count": count});
            }
            api.post(&w(ws, &format!("/posts/{post}/schedule"))).bearer(&owner.access).json(body).send().await
        }
    };
    // 31 occurrences at once pass the free tier's 30: nothing of it is written.
    let first = post("Thirty-one").await;
    assert_limit(&schedule(first.clone(), 31).await, "scheduledPosts", "free", 30, 0);
    let pubs = api.get(&w(&ws, &format!("/posts/{first}/publications"))).bearer(&owner.access).send().await.data();
    assert_eq!(pubs["items"].as_array().map(Vec::len), Some(0), "{pubs}");
    // 30 fit exactly; the next one does not.
    let r = schedule(first, 30).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let second = post("One more").await;
    assert_limit(&schedule(second.clone(), 1).await, "scheduledPosts", "free", 30, 30);
    let sub = subscription(&api, &owner, &ws).await;
    assert_eq!(usage(&sub, "scheduledPosts"), &json!({"metric": "scheduledPosts", "used": 30, "limit": 30}));

    // The next period's counters start from nothing (the tick starts it; in process the clock
    // can be moved past the period's end without touching other tests' rows).
    if api.is_remote() || api.shares_its_database() {
        return;
    }
    let end = sub["periodEnd"].as_str().unwrap_or_default().to_string();
    let after = jiff_ms(&end) + 1;
    let r = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).at(after).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.data()["periodsStarted"].as_u64() >= Some(1), "{}", r.data());
    // A month on, the owner signs in again.
    let login = json!({"email": owner.email, "password": PASSWORD});
    let access = api.post("/api/v1/auth/login").json(login).at(after).send().await.data()["accessToken"].clone();
    let access = access.as_str().unwrap_or_default();
    let sub = api.get(&w(&ws, "/billing/subscription")).bearer(access).at(after).send().await.data();
    assert_eq!(sub["periodStart"].as_str(), Some(end.as_str()), "{sub}");
    assert_eq!(usage(&sub, "scheduledPosts")["used"], 0);
    let mut body = json!({"accountIds": [account], "at": days_ahead(70)});
    body["repeat"] = json!({"every": "week", "count": 2});
    let r = api.post(&w(&ws, &format!("/posts/{second}/schedule"))).bearer(access).json(body).at(after).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

/// Now and `days` later, in RFC 3339 (whole seconds).
fn days_ahead(days: i64) -> String {
    let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days);
    jiff::Timestamp::from_second(t.as_second()).map(|t| t.to_string()).unwrap_or_default()
}

/// Milliseconds of an RFC 3339 time the API wrote.
fn jiff_ms(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[tokio::test]
async fn live_review_links_are_limited_and_a_revoked_one_frees_its_place() {
    let api = Api::new();
    let owner = signup(&api, "plan-links").await;
    let ws = create_workspace(&api, &owner, "Links on free").await;
    on_free(&api, &ws).await;
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Look", "body": "Look at this"}))
        .send()
        .await;
    let post = r.data()["id"].as_str().unwrap_or_default().to_string();
    let link = |minutes: i64| {
        let (api, owner, ws, post) = (&api, &owner, &ws, &post);
        async move {
            let body = json!({"postIds": [post], "expiresInMinutes": minutes});
            api.post(&w(ws, "/review-links")).bearer(&owner.access).json(body).send().await
        }
    };
    let mut ids = Vec::new();
    for _ in 0..3 {
        let r = link(60).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        ids.push(r.data()["id"].as_str().unwrap_or_default().to_string());
    }
    assert_limit(&link(60).await, "reviewLinks", "free", 3, 3);
    let r = api.delete(&w(&ws, &format!("/review-links/{}", ids[0]))).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = link(60).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let sub = subscription(&api, &owner, &ws).await;
    assert_eq!(usage(&sub, "reviewLinks"), &json!({"metric": "reviewLinks", "used": 3, "limit": 3}));
}

// ── Payment through Stripe (SPEC BI-3) ───────────────────────────────────────────────────

/// A webhook delivery signed as Stripe signs it: `t=…,v1=HMAC-SHA256(secret, "t.body")`.
async fn deliver(api: &Api, secret: &str, t: i64, event: &Value) -> Resp {
    use hmac::{KeyInit, Mac};
    let body = serde_json::to_vec(event).unwrap_or_default();
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(&body);
    let signature = format!("t={t},v1={}", hex_of(&mac.finalize().into_bytes()));
    api.post("/api/v1/billing/stripe/webhook")
        .header("stripe-signature", &signature)
        .typed("application/json", body)
        .send()
        .await
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn secrets() -> (String, String) {
    let mut it = TEST_STRIPE_WEBHOOK_SECRETS.split(',');
    (it.next().unwrap_or_default().to_string(), it.next().unwrap_or_default().to_string())
}

fn event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    json!({"id": id, "object": "event", "type": kind, "created": created, "livemode": false, "data": {"object": object}})
}

#[tokio::test]
async fn checkout_and_the_portal_go_through_stripes_hosted_pages() {
    let api = Api::new();
    let owner = signup(&api, "stripe-checkout").await;
    let ws = create_workspace(&api, &owner, "Paying").await;
    on_free(&api, &ws).await;
    let admin = add_member(&api, &owner, &ws, "admin").await;
    // Owners pay; admins see the plan but do not buy.
    let r = api.post(&w(&ws, "/billing/checkout")).bearer(&admin.access).json(json!({"plan": "pro"})).send().await;
    r.expect_error(403, "FORBIDDEN");
    subscription(&api, &admin, &ws).await;
    let r = api.post(&w(&ws, "/billing/checkout")).bearer(&owner.access).json(json!({"plan": "free"})).send().await;
    assert_eq!(r.fields(), ["plan"]);
    // No customer yet: no portal.
    api.post(&w(&ws, "/billing/portal")).bearer(&owner.access).send().await.expect_error(409, "CONFLICT");

    let r = api.post(&w(&ws, "/billing/checkout")).bearer(&owner.access).json(json!({"plan": "agency"})).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let url = r.data()["url"].as_str().unwrap_or_default().to_string();
    assert!(url.starts_with("https://checkout.stripe.com/c/pay/cs_test_"), "{url}");
    let fake = herald_tests::fakes::FakeX::get();
    let made = fake.stripe_sessions("/v1/checkout/sessions", "client_reference_id", &ws);
    assert_eq!(made.len(), 1, "{made:?}");
    let form = &made[0];
    let field = |k: &str| form.get(k).map(String::as_str);
    assert_eq!(field("mode"), Some("subscription"));
    assert_eq!(field("line_items[0][price]"), Some("price_agency"));
    assert_eq!(field("line_items[0][quantity]"), Some("1"));
    assert_eq!((field("metadata[workspace_id]"), field("metadata[plan]")), (Some(ws.as_str()), Some("agency")));
    assert_eq!(field("subscription_data[metadata][workspace_id]"), Some(ws.as_str()));
    assert!(field("success_url").is_some_and(|u| u.contains(&ws)), "{form:?}");
    // Nothing changes until Stripe says it was paid.
    assert_eq!(subscription(&api, &owner, &ws).await["plan"], "free");

    let (current, _) = secrets();
    let customer = format!("cus_{}", &ws[..8]);
    let completed = event(
        &format!("evt_checkout_{ws}"),
        "checkout.session.completed",
        now_secs(),
        json!({"id": "cs_test_1", "object": "checkout.session", "client_reference_id": ws, "customer": customer,
               "subscription": format!("sub_{ws}"), "metadata": {"workspace_id": ws, "plan": "agency"}}),
    );
    let r = deliver(&api, &current, now_secs(), &completed).await;
    assert_eq!(r.data(), json!({"received": true, "duplicate": false}));
    let sub = subscription(&api, &owner, &ws).await;
    assert_eq!((sub["plan"].as_str(), sub["status"].as_str()), (Some("agency"), Some("active")), "{sub}");

    // Now the owner manages it at Stripe, and a second checkout reuses the customer.
    let r = api.post(&w(&ws, "/billing/portal")).bearer(&owner.access).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.data()["url"].as_str().is_some_and(|u| u.starts_with("https://billing.stripe.com/p/session/")));
    let portal = fake.stripe_sessions("/v1/billing_portal/sessions", "customer", &customer);
    assert!(portal[0].get("return_url").is_some_and(|u| u.contains(&ws)), "{portal:?}");
    let r =
        api.post(&w(&ws, "/billing/checkout")).bearer(&owner.access).json(json!({"plan": "enterprise"})).send().await;
    assert_eq!(r.status, 201);
    let made = fake.stripe_sessions("/v1/checkout/sessions", "client_reference_id", &ws);
    assert_eq!(made.last().and_then(|f| f.get("customer")), Some(&customer));
}

#[tokio::test]
async fn stripe_webhooks_are_verified_applied_once_and_in_order() {
    let api = Api::new();
    let owner = signup(&api, "stripe-hooks").await;
    let ws = create_workspace(&api, &owner, "Webhooks").await;
    on_free(&api, &ws).await;
    let (current, previous) = secrets();
    let t = now_secs();
    let sub_id = format!("sub_{ws}");
    let updated = |id: &str, created: i64, status: &str, price: &str| {
        event(
            id,
            "customer.subscription.updated",
            created,
            json!({"id": sub_id, "object": "subscription", "customer": format!("cus_{ws}"), "status": status,
                   "metadata": {"workspace_id": ws},
                   "items": {"data": [{"price": {"id": price}, "current_period_start": t - 100, "current_period_end": t + 2_592_000}]}}),
        )
    };
    let first = updated(&format!("evt_a_{ws}"), t - 10, "active", "price_pro");

    // Refused: a wrong secret, a body changed after signing, no header, an old timestamp.
    deliver(&api, "whsec_someone_else", t, &first).await.expect_error(400, "VALIDATION_ERROR");
    let r = api.post("/api/v1/billing/stripe/webhook").json(first.clone()).send().await;
    assert_eq!(r.fields(), ["Stripe-Signature"]);
    let r = deliver(&api, &current, t - 301, &first).await;
    assert_eq!(r.fields(), ["Stripe-Signature"]);
    let body = serde_json::to_vec(&first).unwrap_or_default();
    let r = api
        .post("/api/v1/billing/stripe/webhook")
        .header("stripe-signature", &format!("t={t},v1={}", "00".repeat(32)))
        .typed("application/json", body)
        .send()
        .await;
    assert_eq!(r.fields(), ["Stripe-Signature"]);
    assert_eq!(subscription(&api, &owner, &ws).await["plan"], "free", "nothing applied");

    // Signed with the secret being rotated out: accepted, applied.
    let r = deliver(&api, &previous, t, &first).await;
    assert_eq!(r.data(), json!({"received": true, "duplicate": false}));
    let sub = subscription(&api, &owner, &ws).await;
    assert_eq!((sub["plan"].as_str(), sub["status"].as_str()), (Some("pro"), Some("active")), "{sub}");
    assert_eq!(jiff_ms(sub["periodEnd"].as_str().unwrap_or_default()), (t + 2_592_000) * 1000);
    // The same event again (Stripe redelivers): recognised, nothing changes.
    let r = deliver(&api, &current, t, &first).await;
    assert_eq!(r.data(), json!({"received": true, "duplicate": true}));

    // A failed payment: past due. An older event arriving late changes nothing.
    let failed = event(
        &format!("evt_b_{ws}"),
        "invoice.payment_failed",
        t,
        json!({"object": "invoice", "customer": format!("cus_{ws}"), "subscription": sub_id, "metadata": {}}),
    );
    deliver(&api, &current, t, &failed).await.data();
    assert_eq!(subscription(&api, &owner, &ws).await["status"], "past_due");
    let stale = updated(&format!("evt_c_{ws}"), t - 20, "active", "price_agency");
    assert_eq!(deliver(&api, &current, t, &stale).await.data()["duplicate"], false);
    let sub = subscription(&api, &owner, &ws).await;
    assert_eq!((sub["plan"].as_str(), sub["status"].as_str()), (Some("pro"), Some("past_due")), "{sub}");
    // Paid again, then the subscription ends: back to free, cancelled; nothing deleted.
    let paid = event(
        &format!("evt_d_{ws}"),
        "invoice.paid",
        t + 1,
        json!({"object": "invoice", "customer": format!("cus_{ws}")}),
    );
    deliver(&api, &current, t, &paid).await.data();
    assert_eq!(subscription(&api, &owner, &ws).await["status"], "active");
    let deleted = event(
        &format!("evt_e_{ws}"),
        "customer.subscription.deleted",
        t + 2,
        json!({"id": sub_id, "object": "subscription", "customer": format!("cus_{ws}"), "status": "canceled", "metadata": {"workspace_id": ws}}),
    );
    deliver(&api, &current, t, &deleted).await.data();
    let sub = subscription(&api, &owner, &ws).await;
    assert_eq!((sub["plan"].as_str(), sub["status"].as_str()), (Some("free"), Some("cancelled")), "{sub}");
    // An event of another kind, or for a customer Herald does not know, is recorded and ignored.
    let other =
        event(&format!("evt_f_{ws}"), "customer.created", t, json!({"object": "customer", "id": "cus_unknown"}));
    assert_eq!(deliver(&api, &current, t, &other).await.data()["received"], true);
}

// ── Suspension (SPEC IAM-5) ─────────────────────────────────────────────────────────────

#[tokio::test]
async fn a_suspended_workspace_is_read_only_and_its_publications_wait_until_it_is_reactivated() {
    let api = Api::new();
    let fake = FakeMastodon::start("suspend-token");
    let owner = signup(&api, "suspended").await;
    let ws = create_workspace(&api, &owner, "Suspended").await;
    let account = connect(&api, &owner, &ws, &fake, "suspend-token").await.data();
    let account = account["id"].as_str().unwrap_or_default().to_string();
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(
            json!({"title": "Waits", "body": "Waits for the suspension to end", "targets": [{"platform": "mastodon"}]}),
        )
        .send()
        .await;
    let post = r.data()["id"].as_str().unwrap_or_default().to_string();
    let due = jiff::Timestamp::now().as_second() + 120;
    let at = jiff::Timestamp::from_second(due).map(|t| t.to_string()).unwrap_or_default();
    let r = api
        .post(&w(&ws, &format!("/posts/{post}/schedule")))
        .bearer(&owner.access)
        .json(json!({"accountIds": [account], "at": at}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));

    let r = api.post(&w(&ws, "/review-links")).bearer(&owner.access).json(json!({"postIds": [post]})).send().await;
    let review = r.data()["path"].as_str().unwrap_or_default().to_string();

    let r = set_plan(&api, &ws, json!({"suspended": true})).await;
    assert_eq!((r.data()["suspended"].as_bool(), r.data()["suspendedFor"].as_str()), (Some(true), Some("operator")));
    // Its review links still show, but take no decision.
    assert_eq!(api.get(&review).send().await.status, 200);
    api.post(&format!("{review}/posts/{post}/approve"))
        .typed("application/x-www-form-urlencoded", "version=1")
        .send()
        .await
        .expect_error(403, "WORKSPACE_SUSPENDED");
    // Read: yes. Change: no, with its own code. Pay: yes.
    let r = api.get(&w(&ws, "/posts")).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200);
    api.post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "No", "body": "No"}))
        .send()
        .await
        .expect_error(403, "WORKSPACE_SUSPENDED");
    api.patch(&w(&ws, ""))
        .bearer(&owner.access)
        .json(json!({"name": "Renamed"}))
        .send()
        .await
        .expect_error(403, "WORKSPACE_SUSPENDED");
    let r = api.post(&w(&ws, "/billing/checkout")).bearer(&owner.access).json(json!({"plan": "pro"})).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));

    // Its publication waits while suspended, and goes when it is reactivated (in process the
    // clock moves past its time; elsewhere the tick runs now, before it).
    let in_process = !api.is_remote() && !api.shares_its_database();
    if in_process {
        let r = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).at(due * 1000 + 1_000).send().await;
        assert_eq!(r.status, 200);
        let pubs = api.get(&w(&ws, &format!("/posts/{post}/publications"))).bearer(&owner.access).send().await.data();
        assert_eq!(pubs["items"][0]["status"], "scheduled", "{pubs}");
    }
    let r = set_plan(&api, &ws, json!({"suspended": false})).await;
    assert_eq!((r.data()["suspended"].as_bool(), r.data()["suspendedFor"].is_null()), (Some(false), true));
    let r = api.post(&w(&ws, "/posts")).bearer(&owner.access).json(json!({"title": "Yes", "body": "Yes"})).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    if in_process {
        let r = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).at(due * 1000 + 2_000).send().await;
        assert_eq!(r.status, 200);
        let pubs = api.get(&w(&ws, &format!("/posts/{post}/publications"))).bearer(&owner.access).send().await.data();
        assert_eq!(pubs["items"][0]["status"], "published", "{pubs}");
    }
}

#[tokio::test]
async fn a_workspace_past_due_beyond_the_grace_period_is_suspended_until_it_pays() {
    let api = Api::new();
    let owner = signup(&api, "past-due").await;
    let ws = create_workspace(&api, &owner, "Past due").await;
    let (current, _) = secrets();
    let t = now_secs();
    let customer = format!("cus_due_{}", &ws[..8]);
    let linked = event(
        &format!("evt_due_a_{ws}"),
        "checkout.session.completed",
        t - 5,
        json!({"object": "checkout.session", "client_reference_id": ws, "customer": customer, "subscription": "sub_due",
               "metadata": {"workspace_id": ws, "plan": "pro"}}),
    );
    assert_eq!(deliver(&api, &current, t, &linked).await.data()["received"], true);
    let failed = event(
        &format!("evt_due_b_{ws}"),
        "invoice.payment_failed",
        t - 4,
        json!({"object": "invoice", "customer": customer}),
    );
    deliver(&api, &current, t, &failed).await.data();
    let sub = subscription(&api, &owner, &ws).await;
    assert_eq!((sub["status"].as_str(), sub["suspended"].as_bool()), (Some("past_due"), Some(false)), "{sub}");
    // Only in process can the clock pass the grace period (seven days).
    if api.is_remote() || api.shares_its_database() {
        return;
    }
    let later = (t + 8 * 86_400) * 1000;
    let r = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).at(later).send().await;
    assert!(r.data()["workspacesSuspended"].as_u64() >= Some(1), "{}", r.data());
    let login = json!({"email": owner.email, "password": PASSWORD});
    let access = api.post("/api/v1/auth/login").json(login).at(later).send().await.data()["accessToken"].clone();
    let access = access.as_str().unwrap_or_default().to_string();
    let sub = api.get(&w(&ws, "/billing/subscription")).bearer(&access).at(later).send().await.data();
    assert_eq!((sub["suspended"].as_bool(), sub["suspendedFor"].as_str()), (Some(true), Some("billing")), "{sub}");
    api.post(&w(&ws, "/posts"))
        .bearer(&access)
        .at(later)
        .json(json!({"title": "No", "body": "No"}))
        .send()
        .await
        .expect_error(403, "WORKSPACE_SUSPENDED");
    // Paying lifts it.
    let paid =
        event(&format!("evt_due_c_{ws}"), "invoice.paid", t - 3, json!({"object": "invoice", "customer": customer}));
    deliver(&api, &current, t, &paid).await.data();
    let sub = api.get(&w(&ws, "/billing/subscription")).bearer(&access).at(later).send().await.data();
    assert_eq!((sub["status"].as_str(), sub["suspended"].as_bool()), (Some("active"), Some(false)), "{sub}");
}

#[tokio::test]
async fn a_publication_whose_time_passed_during_a_suspension_waits_to_be_rescheduled() {
    // The clock moves in process only (`at`).
    let api = Api::new();
    if api.is_remote() || api.shares_its_database() {
        return;
    }
    let fake = FakeMastodon::start("missed-token");
    let owner = signup(&api, "missed").await;
    let ws = create_workspace(&api, &owner, "Missed").await;
    let account = connect(&api, &owner, &ws, &fake, "missed-token").await.data();
    let account = account["id"].as_str().unwrap_or_default().to_string();
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Late", "body": "Its moment passes", "targets": [{"platform": "mastodon"}]}))
        .send()
        .await;
    let post = r.data()["id"].as_str().unwrap_or_default().to_string();
    let due = jiff::Timestamp::now().as_second() + 120;
    let at = |s: i64| jiff::Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_default();
    let r = api
        .post(&w(&ws, &format!("/posts/{post}/schedule")))
        .bearer(&owner.access)
        .json(json!({"accountIds": [account], "at": at(due)}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(set_plan(&api, &ws, json!({"suspended": true})).await.status, 200);
    // Reactivated an hour after its time: it is held back, not published late.
    let later = (due + 3600) * 1000;
    let r = api
        .request("PUT", &format!("/api/v1/internal/workspaces/{ws}/subscription"))
        .bearer(TEST_TICK_SECRET)
        .json(json!({"suspended": false}))
        .at(later)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let tick = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).at(later + 1_000).send().await;
    assert_eq!(tick.status, 200);
    // Signed in again: an hour on, the first token has expired.
    let r = api
        .post("/api/v1/auth/login")
        .json(json!({"email": owner.email, "password": PASSWORD}))
        .at(later + 1_500)
        .send()
        .await;
    let access = r.data()["accessToken"].as_str().unwrap_or_default().to_string();
    let pubs = api.get(&w(&ws, &format!("/posts/{post}/publications"))).bearer(&access).at(later + 1_600);
    let pubs = pubs.send().await.data();
    assert_eq!(pubs["items"][0]["status"], "scheduled", "{pubs}");
    assert!(pubs["items"][0]["reason"].as_str().unwrap_or_default().contains("suspended"), "{pubs}");
    assert_eq!(fake.statuses().len(), 0, "nothing was posted");
    // Rescheduled, it goes at its new time.
    let new_time = due + 7200;
    let r = api
        .patch(&w(&ws, &format!("/posts/{post}/schedule")))
        .bearer(&access)
        .json(json!({"at": at(new_time)}))
        .at(later + 2_000)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.data()[0]["reason"].is_null(), "released: {}", r.data());
    let tick = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).at(new_time * 1000 + 1_000).send().await;
    assert_eq!(tick.status, 200);
    let r = api
        .post("/api/v1/auth/login")
        .json(json!({"email": owner.email, "password": PASSWORD}))
        .at(new_time * 1000 + 1_500)
        .send()
        .await;
    let access = r.data()["accessToken"].as_str().unwrap_or_default().to_string();
    let pubs = api.get(&w(&ws, &format!("/posts/{post}/publications"))).bearer(&access).at(new_time * 1000 + 2_000);
    let pubs = pubs.send().await.data();
    assert_eq!(pubs["items"][0]["status"], "published", "{pubs}");
}
