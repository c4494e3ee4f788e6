//! Secrets at rest (SPEC PB-1): platform tokens and app passwords are sealed with AES-256-GCM
//! before they reach the database, under a key named by an id so keys can rotate — new seals
//! use the first key of `TOKEN_KEYS`, and any key still listed opens what it sealed.
//!
//! A sealed value is `v1.{key id}.{base64url(12-byte nonce ‖ ciphertext ‖ tag)}`. The nonce is
//! random (from the Random port) and the associated data binds the value to the row it belongs to
//! (an account id, an OAuth state), so a sealed token copied into another row does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;

/// The keys tokens are sealed under: the first seals, every one opens.
#[derive(Clone, Default)]
pub struct KeyRing {
    keys: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("KeyRing").field("key_ids", &ids).finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("no token key is configured (TOKEN_KEYS)")]
    NoKey,
    #[error("the sealed value names key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the sealed value does not open: wrong key, or altered")]
    Altered,
}

impl KeyRing {
    /// Parses `TOKEN_KEYS`: comma-separated `id:key` pairs, each key 32 bytes in base64
    /// (standard or url-safe, padded or not). Ids are 1–32 characters of [A-Za-z0-9_-].
    pub fn parse(spec: &str) -> Result<KeyRing, String> {
        let mut keys = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, key) = part.split_once(':').ok_or("each TOKEN_KEYS entry is id:base64key")?;
            let valid_id = !id.is_empty()
                && id.len() <= 32
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid_id {
                // The id is not echoed: a mangled entry may have key material where the id goes.
                return Err(format!(
                    "TOKEN_KEYS: entry {} has a key id that is not 1-32 of [A-Za-z0-9_-]",
                    keys.len() + 1
                ));
            }
            let cleaned: String = key.trim().trim_end_matches('=').replace('+', "-").replace('/', "_");
            let bytes = B64.decode(cleaned).map_err(|_| format!("TOKEN_KEYS: key {id} is not base64"))?;
            let key: [u8; 32] = bytes.try_into().map_err(|_| format!("TOKEN_KEYS: key {id} must be 32 bytes"))?;
            if keys.iter().any(|(k, _)| k == id) {
                return Err(format!("TOKEN_KEYS: key id {id} appears twice"));
            }
            keys.push((id.to_string(), key));
        }
        Ok(KeyRing { keys })
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The id new seals use.
    pub fn current_id(&self) -> Option<&str> {
        self.keys.first().map(|(id, _)| id.as_str())
    }

    /// Seals `plaintext` for the row `bound_to`, under a fresh random `nonce` (from the Random
    /// port: `ctx.random.bytes()`).
    pub fn seal(&self, nonce: [u8; 12], plaintext: &[u8], bound_to: &str) -> Result<String, SealError> {
        let (id, key) = self.keys.first().ok_or(SealError::NoKey)?;
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| SealError::NoKey)?;
        let sealed = cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: bound_to.as_bytes() })
            .map_err(|_| SealError::Malformed)?;
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("v1.{id}.{}", B64.encode(out)))
    }

    pub fn open(&self, sealed: &str, bound_to: &str) -> Result<Vec<u8>, SealError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SealError::Malformed);
        };
        let key = self.keys.iter().find(|(k, _)| k == id).ok_or_else(|| SealError::UnknownKey(id.to_string()))?;
        let bytes = B64.decode(data).map_err(|_| SealError::Malformed)?;
        if bytes.len() < 12 + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let cipher = Aes256Gcm::new_from_slice(&key.1).map_err(|_| SealError::NoKey)?;
        cipher
            .decrypt(
                &Nonce::try_from(nonce).map_err(|_| SealError::Malformed)?,
                Payload { msg: ciphertext, aad: bound_to.as_bytes() },
            )
            .map_err(|_| SealError::Altered)
    }

    /// The key id a sealed value was made with.
    pub fn key_id_of(sealed: &str) -> Option<&str> {
        sealed.strip_prefix("v1.").and_then(|rest| rest.split('.').next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Random;

    struct Counter(std::cell::Cell<u8>);
    impl Random for Counter {
        fn fill(&self, buf: &mut [u8]) {
            for b in buf {
                self.0.set(self.0.get().wrapping_add(1));
                *b = self.0.get();
            }
        }
    }

    fn nonce(random: &dyn Random) -> [u8; 12] {
        random.bytes()
    }

    fn key(byte: u8) -> String {
        B64.encode([byte; 32])
    }

    #[test]
    fn sealed_tokens_open_only_with_their_key_and_their_row() {
        let random = Counter(std::cell::Cell::new(0));
        let ring = KeyRing::parse(&format!("k2:{},k1:{}", key(2), key(1))).unwrap();
        let sealed = ring.seal(nonce(&random), b"refresh-token-secret", "acct-1").unwrap();
        assert!(sealed.starts_with("v1.k2."), "the first key seals");
        assert!(!sealed.contains("refresh-token-secret"));
        assert_eq!(ring.open(&sealed, "acct-1").unwrap(), b"refresh-token-secret");
        assert_eq!(ring.open(&sealed, "acct-2"), Err(SealError::Altered), "bound to its row");
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(ring.open(std::str::from_utf8(&altered).unwrap(), "acct-1"), Err(SealError::Altered));
        // Two seals of the same text differ (fresh nonce).
        assert_ne!(ring.seal(nonce(&random), b"x", "a").unwrap(), ring.seal(nonce(&random), b"x", "a").unwrap());
    }

    #[test]
    fn keys_rotate_old_seals_still_open_and_unknown_keys_are_named() {
        let random = Counter(std::cell::Cell::new(9));
        let old = KeyRing::parse(&format!("k1:{}", key(1))).unwrap();
        let sealed = old.seal(nonce(&random), b"token", "a").unwrap();
        let rotated = KeyRing::parse(&format!("k2:{}, k1:{}", key(2), key(1))).unwrap();
        assert_eq!(rotated.open(&sealed, "a").unwrap(), b"token");
        assert_eq!(KeyRing::key_id_of(&sealed), Some("k1"));
        let retired = KeyRing::parse(&format!("k2:{}", key(2))).unwrap();
        assert_eq!(retired.open(&sealed, "a"), Err(SealError::UnknownKey("k1".into())));
        assert_eq!(KeyRing::default().seal(nonce(&random), b"x", "a"), Err(SealError::NoKey));
        assert_eq!(rotated.open("v1.k2.short", "a"), Err(SealError::Malformed));
    }

    #[test]
    fn token_keys_are_validated() {
        assert!(KeyRing::parse("k1").is_err());
        assert!(KeyRing::parse("k1:dG9vIHNob3J0").is_err(), "too short");
        assert!(KeyRing::parse(&format!("bad id:{}", key(1))).is_err());
        assert!(KeyRing::parse(&format!("k:{},k:{}", key(1), key(2))).is_err());
        let padded = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(KeyRing::parse(&format!("k:{padded}")).unwrap().current_id(), Some("k"));
        assert!(KeyRing::parse("").unwrap().is_empty());
    }

    #[test]
    fn a_malformed_token_keys_never_echoes_key_material() {
        let material = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
        for spec in [
            format!("{material}:k1"),
            format!("k1{material}:{material}"),
            material.clone(),
            format!("k1:{}", &material[..20]),
            format!("k1:{material}x"),
        ] {
            let error = KeyRing::parse(&spec).err().unwrap_or_else(|| panic!("{spec} parsed"));
            assert!(!error.contains(&material[..12]), "{error}");
        }
    }
}
