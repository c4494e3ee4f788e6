//! Sign-up, login, refresh rotation, logout and the profile.

use herald_tests::*;
use serde_json::json;

#[tokio::test]
async fn verifying_the_address_signs_in_with_tokens_and_a_secure_cookie() {
    let api = Api::new();
    let email = unique_email("ada");
    let r = api
        .post("/api/v1/auth/signup")
        .json(json!({"email": email.to_uppercase(), "password": PASSWORD, "name": "Ada"}))
        .send()
        .await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.data().get("accessToken").is_none() && r.header("set-cookie").is_none(), "no token before verification");
    let token = mail_token(&api, &email, "/api/v1/auth/verify-email").await;
    let r = api.post("/api/v1/auth/verify-email").json(json!({"token": token})).send().await;
    assert_eq!(r.status, 200);
    let d = r.data();
    assert_eq!(d["user"]["email"], email, "stored lower-cased");
    assert_eq!(d["user"]["emailVerified"], true);
    assert_eq!(d["user"]["name"], "Ada");
    assert_eq!(d["user"]["timezone"], "UTC");
    assert!(d["user"].get("passwordHash").is_none() && d["user"].get("password_hash").is_none());
    assert_eq!(d["expiresIn"], 900);
    assert_eq!(d["accessToken"].as_str().unwrap().split('.').count(), 3);
    let cookie = r.header("set-cookie").expect("refresh cookie");
    assert!(cookie.starts_with(&format!("herald_refresh={}", d["refreshToken"].as_str().unwrap())));
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth"] {
        assert!(cookie.contains(attr), "{attr} missing from {cookie}");
    }
}

/// With REQUIRE_EMAIL_VERIFICATION off (as outside development in the harness), sign-up signs
/// in at once and a taken address is a conflict.
#[tokio::test]
async fn without_verification_signup_signs_in_and_a_taken_address_is_a_conflict() {
    let api = Api::local(herald::ports::Environment::Test);
    let email = unique_email("dup");
    let r =
        api.post("/api/v1/auth/signup").json(json!({"email": email, "password": PASSWORD, "name": "Dup"})).send().await;
    assert_eq!(r.status, 201);
    assert_eq!(r.data()["user"]["emailVerified"], false);
    assert!(r.data()["accessToken"].is_string());
    let r = api
        .post("/api/v1/auth/signup")
        .json(json!({"email": email.to_uppercase(), "password": "another password", "name": "Twin"}))
        .send()
        .await;
    r.expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn signup_reports_every_invalid_field() {
    let api = Api::new();
    let r = api
        .post("/api/v1/auth/signup")
        .json(json!({"email": "not-an-email", "password": "short", "name": " "}))
        .send()
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["email", "name", "password"]);
}

#[tokio::test]
async fn login_checks_the_password() {
    let api = Api::new();
    let user = signup(&api, "login").await;
    let r =
        api.post("/api/v1/auth/login").json(json!({"email": user.email, "password": "wrong password"})).send().await;
    r.expect_error(401, "UNAUTHORIZED");
    let r =
        api.post("/api/v1/auth/login").json(json!({"email": "nobody@example.test", "password": PASSWORD})).send().await;
    let unknown = r.expect_error(401, "UNAUTHORIZED");
    let r = api.post("/api/v1/auth/login").json(json!({"email": user.email, "password": PASSWORD})).send().await;
    assert_eq!(r.status, 200);
    let d = r.data();
    assert_eq!(d["user"]["id"], user.id);
    let me = api.get("/api/v1/users/me").bearer(d["accessToken"].as_str().unwrap()).send().await;
    assert_eq!(me.data()["email"], user.email);
    assert_eq!(unknown["error"], "invalid email or password", "an unknown email is not revealed");
}

async fn refresh(api: &Api, token: &str) -> herald_tests::Resp {
    api.post("/api/v1/auth/refresh").json(json!({"refreshToken": token})).send().await
}

#[tokio::test]
async fn refresh_rotates_the_token() {
    let api = Api::new();
    let user = signup(&api, "rotate").await;
    let r = refresh(&api, &user.refresh).await;
    assert_eq!(r.status, 200);
    let next = r.data()["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(next, user.refresh);
    let access = r.data()["accessToken"].as_str().unwrap().to_string();
    assert_eq!(api.get("/api/v1/users/me").bearer(&access).send().await.status, 200);
    let r = refresh(&api, &next).await;
    assert_eq!(r.status, 200, "the successor works once");
}

#[tokio::test]
async fn spent_refresh_token_revokes_its_family() {
    let api = Api::new();
    let user = signup(&api, "family").await;
    let other_session =
        api.post("/api/v1/auth/login").json(json!({"email": user.email, "password": PASSWORD})).send().await.data();
    let next = refresh(&api, &user.refresh).await.data()["refreshToken"].as_str().unwrap().to_string();
    // A thief replays the spent token: refused, and the legitimate successor dies with it.
    refresh(&api, &user.refresh).await.expect_error(401, "UNAUTHORIZED");
    refresh(&api, &next).await.expect_error(401, "UNAUTHORIZED");
    // Another login is another family and lives on.
    let r = refresh(&api, other_session["refreshToken"].as_str().unwrap()).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn refresh_works_from_the_cookie() {
    let api = Api::new();
    let user = signup(&api, "cookie").await;
    let r = api
        .post("/api/v1/auth/refresh")
        .header("cookie", &format!("theme=dark; herald_refresh={}", user.refresh))
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("set-cookie").is_some_and(|c| c.starts_with("herald_refresh=")));
    api.post("/api/v1/auth/refresh").send().await.expect_error(401, "UNAUTHORIZED");
    refresh(&api, "made-up-token").await.expect_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let api = Api::new();
    let user = signup(&api, "logout").await;
    let r = api.post("/api/v1/auth/logout").json(json!({"refreshToken": user.refresh})).send().await;
    assert_eq!(r.status, 200);
    assert!(r.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
    refresh(&api, &user.refresh).await.expect_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn profile_updates_are_validated_and_merged() {
    let api = Api::new();
    let user = signup(&api, "profile").await;
    let r = api
        .patch("/api/v1/users/me")
        .bearer(&user.access)
        .json(json!({"timezone": "+02:00", "locale": "english please"}))
        .send()
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["locale", "timezone"]);

    let r = api
        .patch("/api/v1/users/me")
        .bearer(&user.access)
        .json(json!({"name": "Grace", "timezone": "America/New_York", "locale": "pt-BR", "preferences": {"theme": "dark", "digest": {"daily": true}}}))
        .send()
        .await;
    let d = r.data();
    assert_eq!(
        (d["name"].as_str(), d["timezone"].as_str(), d["locale"].as_str()),
        (Some("Grace"), Some("America/New_York"), Some("pt-BR"))
    );
    let r = api
        .patch("/api/v1/users/me")
        .bearer(&user.access)
        .json(json!({"preferences": {"theme": null, "digest": {"weekly": false}}}))
        .send()
        .await;
    assert_eq!(r.data()["preferences"], json!({"digest": {"daily": true, "weekly": false}}));
    let me = api.get("/api/v1/users/me").bearer(&user.access).send().await.data();
    assert_eq!(me["name"], "Grace");
}

#[tokio::test]
async fn two_refreshes_racing_with_one_token_mint_at_most_one_successor() {
    let api = Api::new();
    let user = signup(&api, "refresh-race").await;
    let send = || api.post("/api/v1/auth/refresh").json(json!({"refreshToken": user.refresh})).send();
    let (a, b) = tokio::join!(send(), send());
    let statuses = [a.status, b.status];
    assert!(statuses.contains(&401), "a token spent twice is a reuse: {statuses:?}");
    // Whatever won, the reuse revoked the family: no successor keeps working.
    for r in [a, b].into_iter().filter(|r| r.status == 200) {
        let next = r.data()["refreshToken"].as_str().unwrap().to_string();
        api.post("/api/v1/auth/refresh")
            .json(json!({"refreshToken": next}))
            .send()
            .await
            .expect_error(401, "UNAUTHORIZED");
    }
}
