//! Access tokens (short-lived HS256 JWTs) and refresh tokens (opaque, random, stored hashed,
//! rotated on every use; SPEC IAM-1). Time always comes from the Clock port.
//!
//! The JWT is written here on the HMAC-SHA256, base64 and JSON crates the domain has anyway,
//! with jiff for the times: Herald only signs and checks its own HS256 tokens, a header, a
//! payload and one HMAC, which is the smallest correct choice. The JWT crates looked at each
//! bring more than that: jwt-compact a second time crate (chrono); jsonwebtoken, with its
//! RustCrypto backend, RSA, ECDSA and EdDSA code reachable from the verifier; jwt-simple
//! those and more; jwt older copies (0.12/0.10) of the hmac and sha2 crates used here.
//! Each grows the Worker's wasm, and none spares the checks that matter here (one
//! algorithm, the Clock port's time, no leeway).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AppError;

const ISSUER: &str = "herald";
const ALGORITHM: &str = "HS256";
/// The header of every access token, as signed: the JSON is fixed, so is its encoding.
const HEADER_JSON: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    pub sub: String,
    pub iss: String,
    /// The session (refresh-token family) the token was issued to, so that the holder can
    /// tell its own session from the others. Absent in tokens minted before sessions existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// The payload as issued: the registered times first, then the custom claims (the order the
/// tokens of the former JWT crate had, so a token is the same string as before).
#[derive(Serialize)]
struct IssuedPayload<'a> {
    exp: i64,
    iat: i64,
    sub: &'a str,
    iss: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
}

/// What a presented token must say: its header...
#[derive(Deserialize)]
struct PresentedHeader {
    alg: String,
    /// Not used: any `typ` string is taken, another JSON type is malformed.
    #[serde(default, rename = "typ")]
    _typ: Option<String>,
    #[serde(default)]
    cty: Option<String>,
}

/// ...and its payload. `iat` and `nbf` are not checked, but must be times when present.
#[derive(Deserialize)]
struct PresentedPayload {
    #[serde(default, deserialize_with = "unix_seconds")]
    exp: Option<Timestamp>,
    #[serde(default, rename = "iat", deserialize_with = "unix_seconds")]
    _iat: Option<Timestamp>,
    #[serde(default, rename = "nbf", deserialize_with = "unix_seconds")]
    _nbf: Option<Timestamp>,
    sub: String,
    iss: String,
    #[serde(default)]
    sid: Option<String>,
}

/// A NumericDate (RFC 7519): seconds since the epoch, an integer or a number whose fraction is
/// dropped; one that is not a time jiff can hold (years -9999 to 9999) makes the token
/// malformed.
fn unix_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    struct Seconds;
    impl serde::de::Visitor<'_> for Seconds {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("seconds since the Unix epoch")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(E::custom)
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
            // Saturates far out of range, where from_second refuses it.
            Ok(v as i64)
        }
    }
    let seconds = d.deserialize_i64(Seconds)?;
    // A fixed message: the calendar library's own would link its whole error formatting into
    // every Worker (25 KB) for a token that is refused either way.
    Timestamp::from_second(seconds).map(Some).map_err(|_| serde::de::Error::custom("a time out of range"))
}

/// A JSON object, not an array of the same fields (which serde's derive would also take);
/// a field given twice makes it malformed.
fn json_object<T: DeserializeOwned>(json: &[u8]) -> Option<T> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    serde_json::from_slice(json).ok()
}

fn clock(now_ms: i64) -> Result<Timestamp, AppError> {
    Timestamp::from_millisecond(now_ms).map_err(|_| AppError::Internal("clock out of range".into()))
}

fn hs256(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts any key length")
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
    clock(now_ms)?;
    // Whole seconds, rounded down (also before 1970), as NumericDate has them.
    let iat = now_ms.div_euclid(1000);
    let exp = iat
        .checked_add(ttl_secs)
        .filter(|exp| Timestamp::from_second(*exp).is_ok())
        .ok_or_else(|| AppError::Internal("access token lifetime out of range".into()))?;
    let payload = serde_json::to_vec(&IssuedPayload { exp, iat, sub: user_id, iss: ISSUER, sid: session_id })
        .map_err(|e| AppError::Internal(format!("jwt sign: {e}")))?;
    let signed = format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER_JSON), URL_SAFE_NO_PAD.encode(payload));
    let mut mac = hs256(secret);
    mac.update(signed.as_bytes());
    Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())))
}

/// Checks signature, algorithm (only HS256), issuer and expiry; answers the user id.
pub fn verify_access(secret: &[u8], token: &str, now_ms: i64) -> Result<String, AppError> {
    verify_access_claims(secret, token, now_ms).map(|c| c.sub)
}

/// [`verify_access`], answering the user id and the session.
pub fn verify_access_claims(secret: &[u8], token: &str, now_ms: i64) -> Result<AccessClaims, AppError> {
    let invalid = || AppError::Unauthorized("invalid or expired access token".into());
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    // The strict engine: no padding, no stray bits after the last byte.
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| invalid());
    let (header_json, payload_json, signature) = (decode(header)?, decode(payload)?, decode(signature)?);

    let presented: PresentedHeader = json_object(&header_json).ok_or_else(invalid)?;
    // The algorithm is ours, never the token's: `none`, HS384, RS256 and the like are refused.
    if presented.alg != ALGORITHM || presented.cty.is_some_and(|cty| !cty.eq_ignore_ascii_case("json")) {
        return Err(invalid());
    }
    let mut mac = hs256(secret);
    mac.update(&token.as_bytes()[..header.len() + 1 + payload.len()]);
    // Constant-time comparison, of the full 32 bytes only.
    mac.verify_slice(&signature).map_err(|_| invalid())?;

    let payload: PresentedPayload = json_object(&payload_json).ok_or_else(invalid)?;
    let now = clock(now_ms)?;
    // An access token must say when it ends, and is dead past that instant: no leeway.
    match payload.exp {
        Some(exp) if now <= exp => {}
        _ => return Err(invalid()),
    }
    if payload.iss != ISSUER {
        return Err(invalid());
    }
    Ok(AccessClaims { sub: payload.sub, iss: payload.iss, sid: payload.sid })
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

    const NOW: i64 = 1_700_000_000_000;
    /// Made by the jwt-compact 0.8 code this module had before, with KEY: `issue_access(KEY,
    /// "u1", NOW, 900)` and `issue_session_access(KEY, "u1", Some("s1"), NOW + 123, 900)`.
    const FORMER_PLAIN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MDAwMDA5MDAsImlhdCI6MTcwMDAwMDAwMCwic3ViIjoidTEiLCJpc3MiOiJoZXJhbGQifQ.qWFnnuteVc5p5Z3_GzBDCtwTve4Lk5KZ38CVPXjNMyI";
    const FORMER_SESSION: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MDAwMDA5MDAsImlhdCI6MTcwMDAwMDAwMCwic3ViIjoidTEiLCJpc3MiOiJoZXJhbGQiLCJzaWQiOiJzMSJ9.CJ7_WercokKbbrVnLpR7KQ94UZz74d4Aa988o7SJvl0";
    const GOOD_PAYLOAD: &str = r#"{"exp":1700000900,"iat":1700000000,"sub":"u1","iss":"herald"}"#;
    const HS256_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    /// A token with this header and payload, HS256-signed with `key` whatever the header says.
    fn forge(header: &str, payload: &str, key: &[u8]) -> String {
        let signed = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
        let mut mac = hs256(key);
        mac.update(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    fn refused(token: &str) -> bool {
        matches!(verify_access_claims(KEY, token, NOW), Err(AppError::Unauthorized(m)) if m == "invalid or expired access token")
    }

    #[test]
    fn tokens_issued_before_the_change_still_verify_and_are_issued_alike() {
        assert_eq!(
            verify_access_claims(KEY, FORMER_PLAIN, NOW).unwrap(),
            AccessClaims { sub: "u1".into(), iss: "herald".into(), sid: None }
        );
        assert_eq!(verify_access_claims(KEY, FORMER_SESSION, NOW).unwrap().sid.as_deref(), Some("s1"));
        assert_eq!(issue_access(KEY, "u1", NOW, 900).unwrap(), FORMER_PLAIN);
        assert_eq!(issue_session_access(KEY, "u1", Some("s1"), NOW + 123, 900).unwrap(), FORMER_SESSION);
        assert!(verify_access(b"another key another key another!", FORMER_SESSION, NOW).is_err());
    }

    #[test]
    fn a_token_lives_up_to_the_millisecond_its_exp_second_begins() {
        // Issued at NOW + 123 ms, exp is NOW/1000 + 900 (the seconds round down).
        let t = issue_access(KEY, "u1", NOW + 123, 900).unwrap();
        assert!(verify_access(KEY, &t, NOW + 900_000).is_ok());
        assert!(refused_at(&t, NOW + 900_001));
        assert!(verify_access(KEY, &forge(HS256_HEADER, GOOD_PAYLOAD, KEY), NOW).is_ok());
    }

    fn refused_at(token: &str, now_ms: i64) -> bool {
        matches!(verify_access_claims(KEY, token, now_ms), Err(AppError::Unauthorized(_)))
    }

    #[test]
    fn only_hs256_is_taken_whatever_the_header_says() {
        let none = forge(r#"{"alg":"none","typ":"JWT"}"#, GOOD_PAYLOAD, KEY);
        let unsigned = format!("{}.", none.rsplit_once('.').unwrap().0);
        assert!(refused(&none) && refused(&unsigned));
        for alg in ["HS384", "HS512", "RS256", "hs256", ""] {
            assert!(refused(&forge(&format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#), GOOD_PAYLOAD, KEY)), "{alg}");
        }
        assert!(refused(&forge(r#"{"typ":"JWT"}"#, GOOD_PAYLOAD, KEY)));
        assert!(refused(&forge(r#"{"alg":"HS256","typ":"JWT","cty":"cbor"}"#, GOOD_PAYLOAD, KEY)));
    }

    #[test]
    fn a_token_without_exp_or_of_another_issuer_is_refused() {
        assert!(refused(&forge(HS256_HEADER, r#"{"iat":1700000000,"sub":"u1","iss":"herald"}"#, KEY)));
        assert!(refused(&forge(HS256_HEADER, r#"{"exp":null,"sub":"u1","iss":"herald"}"#, KEY)));
        assert!(refused(&forge(HS256_HEADER, r#"{"exp":"1700000900","sub":"u1","iss":"herald"}"#, KEY)));
        assert!(refused(&forge(HS256_HEADER, r#"{"exp":1700000900,"sub":"u1","iss":"other"}"#, KEY)));
        assert!(refused(&forge(HS256_HEADER, r#"{"exp":1700000900,"sub":"u1"}"#, KEY)));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let (signed, signature) = FORMER_PLAIN.rsplit_once('.').unwrap();
        let (header, payload) = signed.split_once('.').unwrap();
        for token in [
            String::new(),
            signed.to_string(),
            format!("{FORMER_PLAIN}.{signature}"),
            format!("{FORMER_PLAIN}."),
            format!("{FORMER_PLAIN}="),
            format!("{signed}."),
            format!("{signed}.{}", &signature[..42]),
            format!("!!.{payload}.{signature}"),
            format!("{header}.@@.{signature}"),
            format!(" {FORMER_PLAIN}"),
            forge("HS256", GOOD_PAYLOAD, KEY),
            forge(HS256_HEADER, "hello", KEY),
            forge(HS256_HEADER, "[1]", KEY),
            forge(r#"["HS256","JWT"]"#, GOOD_PAYLOAD, KEY),
            forge(HS256_HEADER, r#"[1700000900,null,null,"u1","herald"]"#, KEY),
            forge(r#"{"alg":"none","alg":"HS256"}"#, GOOD_PAYLOAD, KEY),
            forge(HS256_HEADER, r#"{"exp":1700000900,"sub":"u1","sub":"u2","iss":"herald"}"#, KEY),
        ] {
            assert!(refused(&token), "{token}");
        }
    }

    #[test]
    fn token_hash_is_stable_hex() {
        assert_eq!(token_hash("abc").len(), 64);
        assert_eq!(token_hash("abc"), token_hash("abc"));
        assert_ne!(token_hash("abc"), token_hash("abd"));
    }
}
