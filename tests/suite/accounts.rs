//! Account basics (SPEC IAM-1, issue 23): verified addresses, password reset and change,
//! address change, sessions, and addresses compared in one normalized form.

use std::cell::Cell;
use std::sync::atomic::{AtomicI64, Ordering};

use herald::ports::Environment;
use herald_tests::*;
use serde_json::{json, Value};

const VERIFY: &str = "/api/v1/auth/verify-email";
const RESET: &str = "/api/v1/auth/reset-password";
const CONFIRM: &str = "/api/v1/auth/confirm-email";

async fn login(api: &Api, email: &str, password: &str) -> Resp {
    api.post("/api/v1/auth/login").json(json!({"email": email, "password": password})).send().await
}

async fn refresh(api: &Api, token: &str) -> Resp {
    api.post("/api/v1/auth/refresh").json(json!({"refreshToken": token})).send().await
}

/// Signs up without verifying: the answer, as sent.
async fn signup_unverified(api: &Api, email: &str) -> Resp {
    api.post("/api/v1/auth/signup").json(json!({"email": email, "password": PASSWORD, "name": "Someone"})).send().await
}

/// How many mails to `email` carry a token for `route`.
async fn mails_for(api: &Api, email: &str, route: &str) -> usize {
    let marker = format!("{route}:\n");
    mailbox(api, email).await.iter().filter(|m| m["text"].as_str().is_some_and(|t| t.contains(&marker))).count()
}

#[tokio::test]
async fn signup_answers_the_same_for_a_new_and_a_taken_address_and_tells_the_owner() {
    let api = Api::new();
    let owner = signup(&api, "taken").await;
    let fresh = unique_email("fresh");
    let new_answer = signup_unverified(&api, &fresh).await;
    let taken_answer = signup_unverified(&api, &owner.email.to_uppercase()).await;
    assert_eq!((new_answer.status, taken_answer.status), (202, 202));
    let (new_body, taken_body) = (new_answer.json(), taken_answer.json());
    assert_eq!(new_body["message"], taken_body["message"]);
    assert_eq!(new_body["data"]["verificationRequired"], true);
    assert_eq!(taken_body["data"], json!({"email": owner.email, "verificationRequired": true}));
    assert_eq!(new_body["data"], json!({"email": fresh, "verificationRequired": true}));
    for r in [&new_answer, &taken_answer] {
        assert!(r.header("set-cookie").is_none() && !String::from_utf8_lossy(&r.body).contains("Token"));
    }
    // The owner is told, with a way back in; the account is unchanged (its password still works).
    let mails = mailbox(&api, &owner.email).await;
    assert!(mails[0]["text"].as_str().unwrap().contains("already has an account"), "{mails:?}");
    assert_eq!(login(&api, &owner.email, PASSWORD).await.status, 200);
    let token = mail_token(&api, &owner.email, RESET).await;
    let r = api.post(RESET).json(json!({"token": token, "newPassword": "a brand new secret"})).send().await;
    assert_eq!(r.status, 200, "the owner's mail carries a working reset link");
    // The new address got a verification mail instead.
    assert_eq!(mails_for(&api, &fresh, VERIFY).await, 1);
}

#[tokio::test]
async fn a_verification_token_signs_in_once() {
    let api = Api::new();
    let email = unique_email("once");
    assert_eq!(signup_unverified(&api, &email).await.status, 202);
    let token = mail_token(&api, &email, VERIFY).await;
    let r = api.post(VERIFY).json(json!({"token": token})).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.data()["user"]["emailVerified"], true);
    let access = r.data()["accessToken"].as_str().unwrap().to_string();
    assert_eq!(api.get("/api/v1/users/me").bearer(&access).send().await.data()["emailVerified"], true);
    let again = api.post(VERIFY).json(json!({"token": token})).send().await;
    assert_eq!(again.fields(), ["token"], "a spent token is refused");
    assert_eq!(api.post(VERIFY).json(json!({"token": "made-up"})).send().await.fields(), ["token"]);
    // A verified account has nothing to resend.
    api.post("/api/v1/auth/resend-verification").bearer(&access).send().await.expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn an_unverified_account_signs_in_but_cannot_accept_an_invitation() {
    let api = Api::new();
    let owner = signup(&api, "inviter").await;
    let ws = create_workspace(&api, &owner, "Verified only").await;
    let email = unique_email("squatter");
    assert_eq!(signup_unverified(&api, &email).await.status, 202);
    let r = login(&api, &email, PASSWORD).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.data()["user"]["emailVerified"], false);
    let access = r.data()["accessToken"].as_str().unwrap().to_string();
    let r = api
        .post(&format!("/api/v1/workspaces/{ws}/invites"))
        .bearer(&owner.access)
        .json(json!({"email": email, "role": "editor"}))
        .send()
        .await;
    assert_eq!(r.status, 201);
    let invite = invite_token(&api, &email).await;
    let r = api.post("/api/v1/invites/accept").bearer(&access).json(json!({"token": invite})).send().await;
    r.expect_error(403, "EMAIL_NOT_VERIFIED");
    // Once the address is proved, the same invitation is accepted.
    let token = mail_token(&api, &email, VERIFY).await;
    assert_eq!(api.post(VERIFY).json(json!({"token": token})).send().await.status, 200);
    let r = api.post("/api/v1/invites/accept").bearer(&access).json(json!({"token": invite})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[tokio::test]
async fn verification_mails_are_limited_to_three_an_hour() {
    let api = Api::new();
    let email = unique_email("resend");
    assert_eq!(signup_unverified(&api, &email).await.status, 202);
    let access = login(&api, &email, PASSWORD).await.data()["accessToken"].as_str().unwrap().to_string();
    let resend = || api.post("/api/v1/auth/resend-verification").bearer(&access);
    for _ in 0..2 {
        let r = resend().send().await;
        assert_eq!(r.status, 202);
        assert_eq!(r.data()["email"], email);
    }
    resend().send().await.expect_error(429, "RATE_LIMITED");
    assert_eq!(mails_for(&api, &email, VERIFY).await, 3, "sign-up's mail and two more");
    api.post("/api/v1/auth/resend-verification").send().await.expect_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn forgot_password_answers_the_same_for_an_unknown_address() {
    let api = Api::new();
    let user = signup(&api, "forgot").await;
    let unknown = unique_email("nobody");
    let known = api.post("/api/v1/auth/forgot-password").json(json!({"email": user.email})).send().await;
    let other = api.post("/api/v1/auth/forgot-password").json(json!({"email": unknown})).send().await;
    assert_eq!((known.status, other.status), (202, 202));
    let (known, other) = (known.json(), other.json());
    assert_eq!(known["message"], other["message"]);
    assert_eq!(
        (known["data"]["email"].as_str(), other["data"]["email"].as_str()),
        (Some(&*user.email), Some(&*unknown))
    );
    assert_eq!(mails_for(&api, &user.email, RESET).await, 1);
    assert!(mailbox(&api, &unknown).await.is_empty());
    let r = api.post("/api/v1/auth/forgot-password").json(json!({"email": "not an address"})).send().await;
    assert_eq!(r.fields(), ["email"]);
}

#[tokio::test]
async fn reset_requests_are_limited_per_account_without_saying_so() {
    let api = Api::new();
    let user = signup(&api, "reset-limit").await;
    for _ in 0..4 {
        let r = api.post("/api/v1/auth/forgot-password").json(json!({"email": user.email})).send().await;
        assert_eq!(r.status, 202);
    }
    assert_eq!(mails_for(&api, &user.email, RESET).await, 3, "the fourth request of the hour sends nothing");
}

#[tokio::test]
async fn a_reset_is_single_use_and_revokes_every_session() {
    let api = Api::new();
    let user = signup(&api, "reset").await;
    let other = login(&api, &user.email, PASSWORD).await.data();
    api.post("/api/v1/auth/forgot-password").json(json!({"email": user.email})).send().await;
    let token = mail_token(&api, &user.email, RESET).await;
    let weak = api.post(RESET).json(json!({"token": token, "newPassword": "short"})).send().await;
    assert_eq!(weak.fields(), ["newPassword"]);
    let r = api.post(RESET).json(json!({"token": token, "newPassword": "a brand new secret"})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["passwordUpdated"], true);
    assert!(r.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
    for session in [user.refresh.as_str(), other["refreshToken"].as_str().unwrap()] {
        refresh(&api, session).await.expect_error(401, "UNAUTHORIZED");
    }
    login(&api, &user.email, PASSWORD).await.expect_error(401, "UNAUTHORIZED");
    assert_eq!(login(&api, &user.email, "a brand new secret").await.status, 200);
    let again = api.post(RESET).json(json!({"token": token, "newPassword": "yet another secret"})).send().await;
    assert_eq!(again.fields(), ["token"], "a reset token works once");
    assert_eq!(login(&api, &user.email, "a brand new secret").await.status, 200);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_revokes_the_other_sessions() {
    let api = Api::new();
    let user = signup(&api, "change-pw").await;
    let other = login(&api, &user.email, PASSWORD).await.data();
    let change = |current: &str| {
        api.post("/api/v1/users/me/password")
            .bearer(&user.access)
            .json(json!({"currentPassword": current, "newPassword": "a changed secret"}))
    };
    assert_eq!(change("not the password").send().await.fields(), ["currentPassword"]);
    let other = refresh(&api, other["refreshToken"].as_str().unwrap()).await.data();
    let r = change(PASSWORD).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.data()["passwordUpdated"], true);
    // Every session but the caller's is signed out (the other one's successor token too).
    let others = api.get("/api/v1/users/me/sessions").bearer(&user.access).send().await.data();
    assert_eq!(others.as_array().unwrap().len(), 1, "{others}");
    assert_eq!(others[0]["current"], true);
    refresh(&api, other["refreshToken"].as_str().unwrap()).await.expect_error(401, "UNAUTHORIZED");
    assert_eq!(refresh(&api, &user.refresh).await.status, 200, "the caller's session stays");
    login(&api, &user.email, PASSWORD).await.expect_error(401, "UNAUTHORIZED");
    assert_eq!(login(&api, &user.email, "a changed secret").await.status, 200);
    assert!(mailbox(&api, &user.email).await[0]["subject"].as_str().unwrap().contains("password was changed"));
}

#[tokio::test]
async fn an_address_change_is_confirmed_at_the_new_address_and_the_old_one_is_told() {
    let api = Api::new();
    let user = signup(&api, "mover").await;
    let new_email = unique_email("moved");
    let ask = |password: &str, to: &str| {
        api.post("/api/v1/users/me/email").bearer(&user.access).json(json!({"newEmail": to, "password": password}))
    };
    assert_eq!(ask("wrong password", &new_email).send().await.fields(), ["password"]);
    assert_eq!(ask(PASSWORD, &user.email).send().await.fields(), ["newEmail"]);
    let r = ask(PASSWORD, &new_email.to_uppercase()).send().await;
    assert_eq!(r.status, 202);
    assert_eq!(r.data()["email"], new_email);
    let me = api.get("/api/v1/users/me").bearer(&user.access).send().await.data();
    assert_eq!(me["email"], user.email, "nothing changes before the new address confirms");
    let token = mail_token(&api, &new_email, CONFIRM).await;
    let r = api.post(CONFIRM).json(json!({"token": token})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!((r.data()["email"].as_str(), r.data()["emailVerified"].as_bool()), (Some(&*new_email), Some(true)));
    let notice = &mailbox(&api, &user.email).await[0];
    assert!(notice["subject"].as_str().unwrap().contains("address was changed"), "{notice}");
    assert!(notice["text"].as_str().unwrap().contains(&new_email));
    assert_eq!(login(&api, &new_email, PASSWORD).await.status, 200);
    login(&api, &user.email, PASSWORD).await.expect_error(401, "UNAUTHORIZED");
    assert_eq!(api.post(CONFIRM).json(json!({"token": token})).send().await.fields(), ["token"], "single use");
}

#[tokio::test]
async fn an_address_change_to_a_taken_address_mails_nothing_to_it() {
    let api = Api::new();
    let user = signup(&api, "wants").await;
    let holder = signup(&api, "holder").await;
    let r = api
        .post("/api/v1/users/me/email")
        .bearer(&user.access)
        .json(json!({"newEmail": holder.email, "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(r.status, 202, "the same answer as for a free address");
    assert_eq!(mails_for(&api, &holder.email, CONFIRM).await, 0);
    let me = api.get("/api/v1/users/me").bearer(&user.access).send().await.data();
    assert_eq!(me["email"], user.email);
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_one_or_all() {
    let api = Api::new();
    let user = signup(&api, "devices").await;
    let phone = api
        .post("/api/v1/auth/login")
        .header("user-agent", "HeraldPhone/2.1 (Android 15)")
        .json(json!({"email": user.email, "password": PASSWORD}))
        .send()
        .await
        .data();
    let phone_access = phone["accessToken"].as_str().unwrap();
    let list = api.get("/api/v1/users/me/sessions").bearer(phone_access).send().await.data();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let mine: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["device"], "HeraldPhone/2.1 (Android 15)");
    assert!(mine[0]["createdAt"].is_string() && mine[0]["lastUsedAt"].is_string());
    let first = list.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_string();

    // Someone else cannot revoke it, nor see it.
    let stranger = signup(&api, "stranger").await;
    let path = format!("/api/v1/users/me/sessions/{first}");
    api.delete(&path).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
    assert_eq!(
        api.get("/api/v1/users/me/sessions").bearer(&stranger.access).send().await.data().as_array().unwrap().len(),
        1
    );

    let r = api.delete(&path).bearer(phone_access).send().await;
    assert_eq!(r.data()["revoked"], 1);
    refresh(&api, &user.refresh).await.expect_error(401, "UNAUTHORIZED");
    api.delete(&path).bearer(phone_access).send().await.expect_error(404, "NOT_FOUND");
    let left = api.get("/api/v1/users/me/sessions").bearer(phone_access).send().await.data();
    assert_eq!(left.as_array().unwrap().len(), 1);

    // Using a session moves its last use; a second device, then sign out everywhere.
    let next = refresh(&api, phone["refreshToken"].as_str().unwrap()).await.data();
    let laptop = login(&api, &user.email, PASSWORD).await.data();
    let r = api.delete("/api/v1/users/me/sessions").bearer(phone_access).send().await;
    assert_eq!(r.data()["revoked"], 2);
    assert!(r.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
    for token in [next["refreshToken"].as_str().unwrap(), laptop["refreshToken"].as_str().unwrap()] {
        refresh(&api, token).await.expect_error(401, "UNAUTHORIZED");
    }
    api.get("/api/v1/users/me/sessions").send().await.expect_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn addresses_are_compared_in_one_normalized_form() {
    let api = Api::new();
    // The local part's case and the domain's case are one account.
    let email = unique_email("ada");
    let (local, _) = email.split_once('@').unwrap();
    let shouted = format!("{}@EXAMPLE.Test", local.to_uppercase());
    let r = signup_unverified(&api, &shouted).await;
    assert_eq!(r.data()["email"], email);
    let token = mail_token(&api, &email, VERIFY).await;
    assert_eq!(api.post(VERIFY).json(json!({"token": token})).send().await.status, 200);
    assert_eq!(login(&api, &format!("{local}@example.TEST"), PASSWORD).await.status, 200);
    assert_eq!(signup_unverified(&api, &format!("{local}@Example.test")).await.status, 202);
    assert!(mailbox(&api, &email).await[0]["text"].as_str().unwrap().contains("already has an account"));

    // An internationalized domain is one account in Unicode and in its IDNA ASCII form.
    let unicode = format!("{local}@exämple.test");
    let ascii = format!("{local}@xn--exmple-cua.test");
    let r = signup_unverified(&api, &unicode).await;
    assert_eq!(r.data()["email"], ascii);
    let token = mail_token(&api, &ascii, VERIFY).await;
    assert_eq!(api.post(VERIFY).json(json!({"token": token})).send().await.status, 200);
    assert_eq!(login(&api, &ascii, PASSWORD).await.status, 200);
    assert_eq!(login(&api, &format!("{local}@EXÄMPLE.test"), PASSWORD).await.data()["user"]["email"], ascii);
    assert_eq!(signup_unverified(&api, &ascii).await.status, 202);
    assert!(mailbox(&api, &ascii).await[0]["text"].as_str().unwrap().contains("already has an account"));
}

// ── In process, with a clock the test moves and verification switched on and off ──────────

struct MovableClock(AtomicI64);

impl herald::ports::Clock for MovableClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The router over a fresh SQLite with the development mailbox: no server's clock or
/// configuration can be changed from outside, so these run in process on every target.
struct Host {
    db: herald_native::SqliteDb,
    clock: MovableClock,
    hasher: herald::identity::password::Argon2Hasher,
    blobs: herald_native::MemoryBlobs,
    verifying: herald::ports::Config,
    not_verifying: herald::ports::Config,
    verification: Cell<bool>,
    limiter: herald::ratelimit::MemoryRateLimiter,
}

impl Host {
    fn new(now: i64) -> Host {
        let verifying = test_config(Environment::Development);
        let mut not_verifying = verifying.clone();
        not_verifying.require_email_verification = false;
        Host {
            db: herald_native::SqliteDb::in_memory(&migrations_dir()).expect("migrations apply"),
            clock: MovableClock(AtomicI64::new(now)),
            hasher: herald::identity::password::Argon2Hasher::new(herald::identity::password::HashProfile::FreePlan),
            blobs: herald_native::MemoryBlobs::new(None),
            verifying,
            not_verifying,
            verification: Cell::new(true),
            limiter: herald::ratelimit::MemoryRateLimiter::new(),
        }
    }

    fn advance(&self, ms: i64) {
        self.clock.0.fetch_add(ms, Ordering::SeqCst);
    }

    async fn send(&self, method: &str, path: &str, bearer: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let mail = herald::mail::DevMailbox { db: &self.db, clock: &self.clock, random: &herald_native::OsRandom };
        let ctx = herald::Context {
            db: &self.db,
            clock: &self.clock,
            random: &herald_native::OsRandom,
            hasher: &self.hasher,
            mail: &mail,
            blobs: &self.blobs,
            http: &herald::ports::NoHttp,
            jobs: &herald::ports::NoQueue,
            limiter: &self.limiter,
            config: if self.verification.get() { &self.verifying } else { &self.not_verifying },
            sink: None,
        };
        let mut req = herald::Request::new(method, path);
        if let Some(t) = bearer {
            req.headers.push(("authorization".into(), format!("Bearer {t}")));
        }
        if let Some(body) = body {
            req.headers.push(("content-type".into(), "application/json".into()));
            req.body = serde_json::to_vec(&body).unwrap();
        }
        let r = herald::handle(&ctx, req).await;
        (r.status, serde_json::from_slice(&r.body).unwrap_or(Value::Null))
    }

    async fn token(&self, email: &str, route: &str) -> String {
        let (_, mails) =
            self.send("GET", &format!("/api/v1/dev/mailbox?to={}", email.replace('@', "%40")), None, None).await;
        let marker = format!("{route}:\n");
        let text = mails["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["text"].as_str())
            .find(|t| t.contains(&marker))
            .unwrap_or_else(|| panic!("no {route} mail to {email}: {mails}"))
            .to_string();
        text[text.find(&marker).unwrap() + marker.len()..].lines().next().unwrap().trim().to_string()
    }

    /// Signs up and answers the access token (verification must be off).
    async fn signup_at_once(&self, email: &str) -> (String, String) {
        let body = json!({"email": email, "password": PASSWORD, "name": "Someone"});
        let (status, r) = self.send("POST", "/api/v1/auth/signup", None, Some(body)).await;
        assert_eq!(status, 201, "{r}");
        (r["data"]["user"]["id"].as_str().unwrap().into(), r["data"]["accessToken"].as_str().unwrap().into())
    }
}

const START: i64 = 1_800_000_000_000;
const HOUR: i64 = 3_600_000;

#[tokio::test]
async fn a_verification_link_expires_after_a_day() {
    let host = Host::new(START);
    let email = unique_email("late");
    let body = json!({"email": email, "password": PASSWORD, "name": "Late"});
    assert_eq!(host.send("POST", "/api/v1/auth/signup", None, Some(body)).await.0, 202);
    let token = host.token(&email, VERIFY).await;
    host.advance(24 * HOUR);
    let (status, r) = host.send("POST", VERIFY, None, Some(json!({"token": token}))).await;
    assert_eq!((status, r["details"][0]["field"].as_str()), (400, Some("token")), "{r}");
    // A fresh link, asked for after signing in, works.
    let (_, session) =
        host.send("POST", "/api/v1/auth/login", None, Some(json!({"email": email, "password": PASSWORD}))).await;
    let access = session["data"]["accessToken"].as_str().unwrap();
    assert_eq!(host.send("POST", "/api/v1/auth/resend-verification", Some(access), None).await.0, 202);
    let fresh = host.token(&email, VERIFY).await;
    assert_ne!(fresh, token);
    host.advance(24 * HOUR - 1);
    assert_eq!(host.send("POST", VERIFY, None, Some(json!({"token": fresh}))).await.0, 200);
}

#[tokio::test]
async fn a_reset_link_expires_after_an_hour_and_the_limit_after_one() {
    let host = Host::new(START);
    host.verification.set(false);
    let email = unique_email("hourly");
    host.signup_at_once(&email).await;
    let forgot = || host.send("POST", "/api/v1/auth/forgot-password", None, Some(json!({"email": email})));
    assert_eq!(forgot().await.0, 202);
    let token = host.token(&email, RESET).await;
    host.advance(HOUR);
    let body = json!({"token": token, "newPassword": "a brand new secret"});
    let (status, r) = host.send("POST", RESET, None, Some(body.clone())).await;
    assert_eq!((status, r["details"][0]["field"].as_str()), (400, Some("token")), "{r}");
    // Three more this hour, then nothing until the hour has passed.
    for _ in 0..4 {
        assert_eq!(forgot().await.0, 202);
    }
    let (_, mails) =
        host.send("GET", &format!("/api/v1/dev/mailbox?to={}", email.replace('@', "%40")), None, None).await;
    assert_eq!(mails["data"].as_array().unwrap().len(), 4, "the first, then three: {mails}");
    host.advance(HOUR + 1);
    assert_eq!(forgot().await.0, 202);
    let (_, mails) =
        host.send("GET", &format!("/api/v1/dev/mailbox?to={}", email.replace('@', "%40")), None, None).await;
    assert_eq!(mails["data"].as_array().unwrap().len(), 5);
    let fresh = host.token(&email, RESET).await;
    assert_eq!(
        host.send("POST", RESET, None, Some(json!({"token": fresh, "newPassword": "a brand new secret"}))).await.0,
        200
    );
}

#[tokio::test]
async fn an_unverified_member_cannot_be_attached_to_a_client() {
    let host = Host::new(START);
    // Accounts made while verification was off (or before it existed) are unverified.
    host.verification.set(false);
    let (_, owner) = host.signup_at_once(&unique_email("agency")).await;
    let cleo_email = unique_email("cleo");
    let (cleo, cleo_access) = host.signup_at_once(&cleo_email).await;
    let (_, ws) = host.send("POST", "/api/v1/workspaces", Some(&owner), Some(json!({"name": "Agency"}))).await;
    let ws = ws["data"]["id"].as_str().unwrap().to_string();
    let invite = json!({"email": cleo_email, "role": "client"});
    assert_eq!(host.send("POST", &format!("/api/v1/workspaces/{ws}/invites"), Some(&owner), Some(invite)).await.0, 201);
    let token = host.token(&cleo_email, "/api/v1/invites/accept").await;
    assert_eq!(
        host.send("POST", "/api/v1/invites/accept", Some(&cleo_access), Some(json!({"token": token}))).await.0,
        200
    );
    let (_, client) = host
        .send("POST", &format!("/api/v1/workspaces/{ws}/clients"), Some(&owner), Some(json!({"name": "Acme"})))
        .await;
    let client = client["data"]["id"].as_str().unwrap().to_string();

    host.verification.set(true);
    let attach = format!("/api/v1/workspaces/{ws}/clients/{client}/members");
    let (status, r) = host.send("POST", &attach, Some(&owner), Some(json!({"userId": cleo}))).await;
    assert_eq!((status, r["code"].as_str()), (403, Some("EMAIL_NOT_VERIFIED")), "{r}");
    assert_eq!(host.send("POST", "/api/v1/auth/resend-verification", Some(&cleo_access), None).await.0, 202);
    let token = host.token(&cleo_email, VERIFY).await;
    assert_eq!(host.send("POST", VERIFY, None, Some(json!({"token": token}))).await.0, 200);
    let (status, r) = host.send("POST", &attach, Some(&owner), Some(json!({"userId": cleo}))).await;
    assert_eq!(status, 200, "{r}");
}

#[tokio::test]
async fn the_account_log_keeps_profile_password_and_address_changes_and_only_its_owner_reads_it() {
    let api = Api::new();
    let user = signup(&api, "logged").await;
    let other = signup(&api, "other-logger").await;
    let log = |u: &User| api.get("/api/v1/users/me/activity?limit=100").bearer(&u.access).send();
    let actions = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect()
    };
    // Where addresses are verified, sign-up proved it: the log starts there.
    let first = actions(&log(&user).await.data());
    assert!(first.is_empty() || first == ["email.verify"], "{first:?}");
    let with_first =
        |later: &[&str]| -> Vec<String> { later.iter().map(|a| a.to_string()).chain(first.clone()).collect() };

    let edit = |body: Value| {
        api.patch("/api/v1/users/me").bearer(&user.access).json(body).header("user-agent", "LogTest/1").send()
    };
    assert_eq!(edit(json!({"name": "Renamed", "locale": "en", "timezone": "Europe/Paris"})).await.status, 200);
    // Setting what is already there changes nothing and is not logged.
    assert_eq!(edit(json!({"name": "Renamed"})).await.status, 200);
    let page = log(&user).await.data();
    assert_eq!(actions(&page), with_first(&["profile.update"]));
    let entry = &page["items"][0];
    assert_eq!(entry["before"], json!({"name": "logged", "timezone": "UTC"}), "only the changed fields: {entry}");
    assert_eq!(entry["after"], json!({"name": "Renamed", "timezone": "Europe/Paris"}));
    assert_eq!(entry["userAgent"], "LogTest/1");
    assert!(entry["createdAt"].as_str().unwrap().ends_with('Z'));

    let r = api
        .post("/api/v1/users/me/password")
        .bearer(&user.access)
        .json(json!({"currentPassword": PASSWORD, "newPassword": "a changed secret"}))
        .send()
        .await;
    assert_eq!(r.status, 200);
    let new_email = unique_email("logged-moved");
    let r = api
        .post("/api/v1/users/me/email")
        .bearer(&user.access)
        .json(json!({"newEmail": new_email, "password": "a changed secret"}))
        .send()
        .await;
    assert_eq!(r.status, 202);
    let token = mail_token(&api, &new_email, CONFIRM).await;
    assert_eq!(api.post(CONFIRM).json(json!({"token": token})).send().await.status, 200);

    let page = log(&user).await.data();
    assert_eq!(actions(&page), with_first(&["email.change", "password.change", "profile.update"]));
    assert_eq!(page["items"][0]["before"], json!({"email": user.email}));
    assert_eq!(page["items"][0]["after"], json!({"email": new_email}));
    let text = page.to_string();
    assert!(
        !text.contains("a changed secret") && !text.contains(PASSWORD) && !text.contains(&token),
        "no secret is logged"
    );

    // The wall: another account sees only its own log.
    assert_eq!(actions(&log(&other).await.data()), first);
    api.get("/api/v1/users/me/activity").send().await.expect_error(401, "UNAUTHORIZED");
    let all = walk_pages(&api, &user, "/api/v1/users/me/activity", 1).await;
    assert_eq!(all.len(), 3 + first.len());
    refuses_bad_paging(&api, &user, "/api/v1/users/me/activity").await;
}
