//! Media storage on the Worker: R2 through the `MEDIA` binding, and presigned URLs for the same
//! bucket's S3-compatible endpoint when the `S3_*` variables are set.

use std::cell::RefCell;

use async_trait::async_trait;
use herald::media::s3::S3Settings;
use herald::ports::{BlobError, BlobInfo, Blobs};
use worker::web_sys::ReadableStream;
use worker::{Bucket, Data, HttpMetadata, Range};

pub struct R2Blobs {
    bucket: Option<Bucket>,
    presign_as: Option<S3Settings>,
    /// The body of the request being served, left unread so that it streams into R2.
    body: RefCell<Option<ReadableStream>>,
}

fn failed(e: worker::Error) -> BlobError {
    BlobError::Failed(format!("R2: {e}"))
}

fn metadata(content_type: &str) -> HttpMetadata {
    HttpMetadata { content_type: Some(content_type.to_string()), ..HttpMetadata::default() }
}

impl R2Blobs {
    pub fn new(bucket: Option<Bucket>, presign_as: Option<S3Settings>) -> Self {
        Self { bucket, presign_as, body: RefCell::new(None) }
    }

    /// Keeps the request's body for [`Blobs::put_request_body`] (only the HTTP Workers serve requests).
    #[cfg(feature = "http")]
    pub fn hold_body(&self, body: Option<ReadableStream>) {
        *self.body.borrow_mut() = body;
    }

    fn bucket(&self) -> Result<&Bucket, BlobError> {
        self.bucket
            .as_ref()
            .ok_or_else(|| BlobError::Unavailable("media storage (the MEDIA R2 binding) is not configured".into()))
    }

    fn presigner(&self) -> Result<&S3Settings, BlobError> {
        self.presign_as.as_ref().ok_or_else(|| {
            BlobError::Unavailable(
                "presigned URLs need S3_ENDPOINT, S3_BUCKET and the S3 keys; upload with method stream".into(),
            )
        })
    }
}

#[async_trait(?Send)]
impl Blobs for R2Blobs {
    async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), BlobError> {
        self.bucket()?
            .put(key, Data::Bytes(body))
            .http_metadata(metadata(content_type))
            .execute()
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn put_request_body(&self, key: &str, content_type: &str, _length: u64) -> Result<bool, BlobError> {
        let bucket = self.bucket()?;
        let Some(stream) = self.body.borrow_mut().take() else {
            return Ok(false);
        };
        // R2 takes a stream of known length: the request's, from its content-length.
        bucket
            .put(key, Data::ReadableStream(stream))
            .http_metadata(metadata(content_type))
            .execute()
            .await
            .map_err(failed)?;
        Ok(true)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let Some(object) = self.bucket()?.get(key).execute().await.map_err(failed)? else {
            return Ok(None);
        };
        match object.body() {
            Some(body) => Ok(Some(body.bytes().await.map_err(failed)?)),
            None => Ok(Some(Vec::new())),
        }
    }

    async fn get_prefix(&self, key: &str, length: u64) -> Result<Option<Vec<u8>>, BlobError> {
        let Some(info) = self.head(key).await? else {
            return Ok(None);
        };
        if info.size == 0 || length == 0 {
            return Ok(Some(Vec::new()));
        }
        let range = Range::Prefix { length: length.min(info.size) };
        let Some(object) = self.bucket()?.get(key).range(range).execute().await.map_err(failed)? else {
            return Ok(None);
        };
        match object.body() {
            Some(body) => Ok(Some(body.bytes().await.map_err(failed)?)),
            None => Ok(Some(Vec::new())),
        }
    }

    async fn head(&self, key: &str) -> Result<Option<BlobInfo>, BlobError> {
        let object = self.bucket()?.head(key).await.map_err(failed)?;
        Ok(object.map(|o| BlobInfo { size: o.size(), content_type: o.http_metadata().content_type }))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.bucket()?.delete(key).await.map_err(failed)
    }

    fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        expires: u32,
        now_ms: i64,
    ) -> Result<String, BlobError> {
        Ok(self.presigner()?.presign_put(key, content_type, length, expires, now_ms))
    }

    fn presign_get(&self, key: &str, expires: u32, now_ms: i64) -> Result<String, BlobError> {
        Ok(self.presigner()?.presign_get(key, expires, now_ms))
    }
}
