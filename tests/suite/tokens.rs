//! Access tokens: expired, tampered, unsigned and foreign tokens are all refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use herald::identity::tokens::issue_access;
use herald_tests::*;

async fn me(api: &Api, token: &str) -> Resp {
    api.get("/api/v1/users/me").bearer(token).send().await
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[tokio::test]
async fn a_token_signed_with_the_shared_key_is_accepted() {
    // Proves the forged tokens below fail for the reason each test names, not for the key.
    let api = Api::new();
    let user = signup(&api, "forge").await;
    let token = issue_access(TEST_JWT_SECRET.as_bytes(), &user.id, now_ms(), 60).unwrap();
    assert_eq!(me(&api, &token).await.status, 200);
}

#[tokio::test]
async fn expired_token_is_rejected() {
    let api = Api::new();
    let user = signup(&api, "expired").await;
    let token = issue_access(TEST_JWT_SECRET.as_bytes(), &user.id, now_ms() - 3_600_000, 900).unwrap();
    me(&api, &token).await.expect_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn tampered_token_is_rejected() {
    let api = Api::new();
    let victim = signup(&api, "victim").await;
    let attacker = signup(&api, "attacker").await;
    // Swap the payload for the victim's while keeping the attacker's signature.
    let victim_token = issue_access(TEST_JWT_SECRET.as_bytes(), &victim.id, now_ms(), 900).unwrap();
    let a: Vec<&str> = attacker.access.split('.').collect();
    let v: Vec<&str> = victim_token.split('.').collect();
    me(&api, &format!("{}.{}.{}", a[0], v[1], a[2])).await.expect_error(401, "UNAUTHORIZED");
    // Flip one character of the signature.
    let mut sig: Vec<u8> = a[2].bytes().collect();
    sig[0] = if sig[0] == b'A' { b'B' } else { b'A' };
    me(&api, &format!("{}.{}.{}", a[0], a[1], String::from_utf8(sig).unwrap())).await.expect_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn unsigned_alg_none_token_is_rejected() {
    let api = Api::new();
    let user = signup(&api, "none").await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = user.access.split('.').nth(1).unwrap();
    me(&api, &format!("{header}.{payload}.")).await.expect_error(401, "UNAUTHORIZED");
    me(&api, &format!("{header}.{payload}")).await.expect_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn token_signed_with_another_key_is_rejected() {
    let api = Api::new();
    let user = signup(&api, "otherkey").await;
    let token = issue_access(b"some-other-key-some-other-key-000", &user.id, now_ms(), 900).unwrap();
    me(&api, &token).await.expect_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_rejected() {
    let api = Api::new();
    api.get("/api/v1/users/me").send().await.expect_error(401, "UNAUTHORIZED");
    api.get("/api/v1/workspaces")
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .expect_error(401, "UNAUTHORIZED");
    me(&api, "not.a.jwt").await.expect_error(401, "UNAUTHORIZED");
}
