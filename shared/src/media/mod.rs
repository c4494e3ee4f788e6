//! The media library (SPEC CT-4): images and videos a workspace uploads, with their metadata,
//! kept in object storage through the [`Blobs`](crate::ports::Blobs) port.
//!
//! Two ways in: the client asks for an upload (`POST media/uploads`), gets a presigned PUT URL
//! and sends the file straight to the bucket, then calls `complete`; or it PUTs the bytes to
//! `media/{id}/content`, which the Worker streams into R2 without holding them. Either way the
//! declared type must be on the allow-list and the size within its limit, and the stored bytes
//! must match both before the asset is `ready`.

pub mod handlers;
pub mod links;
pub mod model;
pub mod probe;
pub mod s3;
pub mod sigv4;
mod store;

use async_trait::async_trait;

use crate::ports::{BlobError, BlobInfo, Blobs};

/// The one route whose body is not JSON and not bound by `max_body_bytes`: it carries the file.
pub fn streams_body(method: &str, path: &str) -> bool {
    if !method.eq_ignore_ascii_case("PUT") {
        return false;
    }
    let path = path.strip_suffix('/').unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    matches!(parts.as_slice(), ["", "api", "v1", "workspaces", w, "media", m, "content"] if !w.is_empty() && !m.is_empty())
}

/// A host without object storage: every operation answers 503.
pub struct NoBlobs;

fn no_storage() -> BlobError {
    BlobError::Unavailable("media storage is not configured on this server".into())
}

#[async_trait(?Send)]
impl Blobs for NoBlobs {
    async fn put(&self, _: &str, _: &str, _: Vec<u8>) -> Result<(), BlobError> {
        Err(no_storage())
    }
    async fn get(&self, _: &str) -> Result<Option<Vec<u8>>, BlobError> {
        Err(no_storage())
    }
    async fn head(&self, _: &str) -> Result<Option<BlobInfo>, BlobError> {
        Err(no_storage())
    }
    async fn delete(&self, _: &str) -> Result<(), BlobError> {
        Err(no_storage())
    }
    fn presign_put(&self, _: &str, _: &str, _: u64, _: u32, _: i64) -> Result<String, BlobError> {
        Err(no_storage())
    }
    fn presign_get(&self, _: &str, _: u32, _: i64) -> Result<String, BlobError> {
        Err(no_storage())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_content_put_streams() {
        assert!(streams_body("PUT", "/api/v1/workspaces/w/media/m/content"));
        assert!(streams_body("put", "/api/v1/workspaces/w/media/m/content/"));
        assert!(!streams_body("GET", "/api/v1/workspaces/w/media/m/content"));
        assert!(!streams_body("PUT", "/api/v1/workspaces/w/media/m"));
        assert!(!streams_body("PUT", "/api/v1/workspaces//media/m/content"));
        assert!(!streams_body("PUT", "/api/v1/workspaces/w/media/m/content/x"));
    }
}
