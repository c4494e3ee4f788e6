//! Password hashing (SPEC IAM-3). Hashes are PHC strings, so each stored hash says how it was
//! made and a login can upgrade it when the configured profile changes. No OWASP-grade hash
//! fits the Workers free plan's 10 ms of CPU, hence named profiles.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;

use crate::error::AppError;
pub use crate::ports::PasswordHasher;

/// Argon2id cost profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashProfile {
    /// OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    Strong,
    /// Sized for the Workers free plan's 10 ms CPU budget: 8 MiB, 1 pass, 1 lane —
    /// about a fifth of the OWASP minimum's work.
    FreePlan,
}

impl HashProfile {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "strong" | "owasp" => Some(HashProfile::Strong),
            "free" | "free-plan" | "freeplan" => Some(HashProfile::FreePlan),
            _ => None,
        }
    }

    /// (memory KiB, passes, lanes)
    pub fn costs(self) -> (u32, u32, u32) {
        match self {
            HashProfile::Strong => (19 * 1024, 2, 1),
            HashProfile::FreePlan => (8 * 1024, 1, 1),
        }
    }
}

/// Pure-Rust Argon2id; runs the same on every target.
pub struct Argon2Hasher {
    profile: HashProfile,
}

impl Argon2Hasher {
    pub fn new(profile: HashProfile) -> Self {
        Self { profile }
    }

    fn params(&self) -> Result<Params, AppError> {
        let (m, t, p) = self.profile.costs();
        Params::new(m, t, p, None).map_err(|e| AppError::Internal(format!("argon2 params: {e}")))
    }
}

#[async_trait(?Send)]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str, salt: &[u8]) -> Result<String, AppError> {
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params()?);
        argon
            .hash_password_with_salt(password.as_bytes(), salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("argon2 hash: {e}")))
    }

    async fn verify(&self, password: &str, stored: &str) -> bool {
        // The stored string carries its own parameters; verification uses those.
        Argon2::default().verify_password(password.as_bytes(), stored).is_ok()
    }

    fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        if parsed.algorithm != Algorithm::Argon2id.ident() {
            return true;
        }
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        let (m, t, p) = self.profile.costs();
        (params.m_cost(), params.t_cost(), params.p_cost()) != (m, t, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        // The hasher never awaits anything pending; one poll finishes it.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("hasher future pending"),
        }
    }

    #[test]
    fn hash_is_a_self_describing_phc_string_that_verifies() {
        let h = Argon2Hasher::new(HashProfile::FreePlan);
        let stored = block_on(h.hash("correct horse", b"0123456789abcdef")).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"), "{stored}");
        assert!(block_on(h.verify("correct horse", &stored)));
        assert!(!block_on(h.verify("wrong horse", &stored)));
    }

    #[test]
    fn a_hash_from_another_profile_needs_rehash() {
        let free = Argon2Hasher::new(HashProfile::FreePlan);
        let strong = Argon2Hasher::new(HashProfile::Strong);
        let stored = block_on(free.hash("pw-123456", b"0123456789abcdef")).unwrap();
        assert!(!free.needs_rehash(&stored));
        assert!(strong.needs_rehash(&stored));
        assert!(block_on(strong.verify("pw-123456", &stored)), "old hashes still verify");
        assert!(strong.needs_rehash("not a phc string"));
    }
}
