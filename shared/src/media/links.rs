//! Signed links to media files, for platforms that pull media by URL (Instagram, Threads,
//! TikTok) when the store cannot presign (R2 through its binding, with no S3 credentials):
//! `GET /api/v1/media-links/{workspaceId}/{mediaId}?expires={unix seconds}&signature={…}`.
//!
//! The signature is HMAC-SHA256 over the workspace, the asset and the expiry, under a key
//! derived from `JWT_SECRET` for this purpose alone; it is checked in constant time. A link
//! names one asset of one workspace until it expires; anything else is a 404. Links need the
//! API's public address (`PUBLIC_URL`): without it, none are made.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::api::Context;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The longest a link lives: platforms fetch within minutes; a retry makes a new link.
pub const MAX_LINK_SECS: i64 = 24 * 3600;

fn mac(secret: &[u8], workspace_id: &str, media_id: &str, expires: i64) -> HmacSha256 {
    // The link key is derived, so that a link's signature says nothing about the JWT key.
    let mut derive = <HmacSha256 as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    derive.update(b"herald media link v1");
    let key = derive.finalize().into_bytes();
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&key).expect("HMAC takes any key length");
    // Length-prefixed: no two (workspace, asset) pairs read the same.
    mac.update(format!("{}:{workspace_id}{}:{media_id}{expires}", workspace_id.len(), media_id.len()).as_bytes());
    mac
}

/// The signature of a link.
pub fn signature(secret: &[u8], workspace_id: &str, media_id: &str, expires: i64) -> String {
    B64.encode(mac(secret, workspace_id, media_id, expires).finalize().into_bytes())
}

/// A link to the asset valid for `secs` (at most a day), or `None` without `PUBLIC_URL`.
pub fn link(ctx: &Context<'_>, workspace_id: &str, media_id: &str, secs: i64) -> Option<String> {
    let base = ctx.config.public_url.as_deref()?.trim_end_matches('/');
    let expires = ctx.clock.now_ms() / 1000 + secs.clamp(1, MAX_LINK_SECS);
    let sig = signature(&ctx.config.jwt_secret, workspace_id, media_id, expires);
    Some(format!("{base}/api/v1/media-links/{workspace_id}/{media_id}?expires={expires}&signature={sig}"))
}

/// Whether `sig` signs the link, and it has not expired.
pub fn valid(secret: &[u8], workspace_id: &str, media_id: &str, expires: i64, sig: &str, now_ms: i64) -> bool {
    let Ok(given) = B64.decode(sig.trim()) else { return false };
    expires.saturating_mul(1000) > now_ms
        && expires <= now_ms / 1000 + MAX_LINK_SECS
        && mac(secret, workspace_id, media_id, expires).verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a-test-secret-of-thirty-two-bytes!!";

    #[test]
    fn a_link_signs_its_workspace_asset_and_expiry() {
        let now = 1_800_000_000_000;
        let exp = now / 1000 + 600;
        let sig = signature(SECRET, "w1", "m1", exp);
        assert!(valid(SECRET, "w1", "m1", exp, &sig, now));
        assert!(!valid(SECRET, "w2", "m1", exp, &sig, now), "another workspace");
        assert!(!valid(SECRET, "w1", "m2", exp, &sig, now), "another asset");
        assert!(!valid(SECRET, "w1", "m1", exp + 1, &sig, now), "another expiry");
        assert!(!valid(b"another-secret-of-thirty-two-bytes!", "w1", "m1", exp, &sig, now), "another key");
        assert!(!valid(SECRET, "w1", "m1", exp, &sig, (exp + 1) * 1000), "expired");
        assert!(!valid(SECRET, "w1", "m1", exp, "not base64!", now));
        let far = now / 1000 + MAX_LINK_SECS + 60;
        assert!(!valid(SECRET, "w1", "m1", far, &signature(SECRET, "w1", "m1", far), now), "too long-lived");
        // The split between the fields cannot be moved.
        assert_ne!(signature(SECRET, "w1m", "1", exp), signature(SECRET, "w1", "m1", exp));
    }
}
