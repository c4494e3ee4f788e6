//! Access tokens (short-lived HS256 JWTs) and refresh tokens (opaque, random, stored hashed,
//! rotated on every use; SPEC IAM-1). Time always comes from the Clock port.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AppError;

const ISSUER: &str = "herald";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    pub sub: String,
    pub iss: String,
    /// The session (refresh-token family) the token was issued to, so that the holder can
    /// tell its own session from the others. Absent in tokens minted before sessions existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

fn time_options(now_ms: i64) -> Result<TimeOptions<impl Fn() -> DateTime<Utc>>, AppError> {
    let now = DateTime::from_timestamp_millis(now_ms).ok_or_else(|| AppError::Internal("clock out of range".into()))?;
    // No leeway: a token is dead the second it says so.
    Ok(TimeOptions::new(Duration::zero(), move || now))
}

/// Signs an access token for `user_id` valid for `ttl_secs` from `now_ms`.
pub fn issue_access(secret: &[u8], user_id: &str, now_ms: i64, ttl_secs: i64) -> Result<String, AppError> {
    issue_session_access(secret, user_id, None, now_ms, ttl_secs)
}

/// Signs an access token for `user_id` in session `session_id`.
pub fn issue_session_access(
    secret: &[u8],
    user_id: &str,
    session_id: Option<&str>,
    now_ms: i64,
    ttl_secs: i64,
) -> Result<String, AppError> {
    let opts = time_options(now_ms)?;
    let custom = AccessClaims { sub: user_id.to_string(), iss: ISSUER.into(), sid: session_id.map(str::to_string) };
    let claims = Claims::new(custom).set_duration_and_issuance(&opts, Duration::seconds(ttl_secs));
    let header = Header::empty().with_token_type("JWT");
    Hs256.token(&header, &claims, &Hs256Key::new(secret)).map_err(|e| AppError::Internal(format!("jwt sign: {e}")))
}

/// Checks signature, algorithm (only HS256), issuer and expiry; answers the user id.
pub fn verify_access(secret: &[u8], token: &str, now_ms: i64) -> Result<String, AppError> {
    verify_access_claims(secret, token, now_ms).map(|c| c.sub)
}

/// [`verify_access`], answering the user id and the session.
pub fn verify_access_claims(secret: &[u8], token: &str, now_ms: i64) -> Result<AccessClaims, AppError> {
    let invalid = || AppError::Unauthorized("invalid or expired access token".into());
    let untrusted = UntrustedToken::new(token).map_err(|_| invalid())?;
    let token: Token<AccessClaims> =
        Hs256.validator(&Hs256Key::new(secret)).validate(&untrusted).map_err(|_| invalid())?;
    let opts = time_options(now_ms)?;
    let claims = token.claims();
    // An access token must say when it ends.
    claims.validate_expiration(&opts).map_err(|_| invalid())?;
    if claims.custom.iss != ISSUER {
        return Err(invalid());
    }
    Ok(claims.custom.clone())
}

/// An opaque secret for the caller (refresh tokens, invitations): 32 random bytes, base64url.
pub fn opaque_token(random: [u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// What is stored for an opaque token: its SHA-256, hex. Only the holder knows the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_fresh_token_verifies_and_names_its_user() {
        let t = issue_access(KEY, "u1", 1_700_000_000_000, 900).unwrap();
        assert_eq!(verify_access(KEY, &t, 1_700_000_000_000 + 899_000).unwrap(), "u1");
    }

    #[test]
    fn an_expired_token_is_refused() {
        let t = issue_access(KEY, "u1", 1_700_000_000_000, 900).unwrap();
        assert!(verify_access(KEY, &t, 1_700_000_000_000 + 901_000).is_err());
    }

    #[test]
    fn another_key_is_refused() {
        let t = issue_access(KEY, "u1", 1_700_000_000_000, 900).unwrap();
        assert!(verify_access(b"another key another key another!", &t, 1_700_000_000_000).is_err());
    }

    #[test]
    fn a_session_token_names_its_session() {
        let t = issue_session_access(KEY, "u1", Some("s1"), 1_700_000_000_000, 900).unwrap();
        let claims = verify_access_claims(KEY, &t, 1_700_000_000_000).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_deref()), ("u1", Some("s1")));
        let old = issue_access(KEY, "u1", 1_700_000_000_000, 900).unwrap();
        assert_eq!(verify_access_claims(KEY, &old, 1_700_000_000_000).unwrap().sid, None);
    }

    #[test]
    fn token_hash_is_stable_hex() {
        assert_eq!(token_hash("abc").len(), 64);
        assert_eq!(token_hash("abc"), token_hash("abc"));
        assert_ne!(token_hash("abc"), token_hash("abd"));
    }
}
