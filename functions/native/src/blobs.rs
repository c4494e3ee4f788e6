//! Media storage for native hosts: in memory (the in-process suite), or any S3-compatible
//! endpoint through reqwest (moto in tests).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use herald::media::s3::{S3Blobs, S3Settings};
use herald::ports::{BlobError, BlobInfo, Blobs};

use crate::{ReqwestHttp, SystemClock};

type Objects = Arc<Mutex<HashMap<String, (String, Vec<u8>)>>>;
static PROCESS_BUCKET: OnceLock<Objects> = OnceLock::new();

/// Objects in a map. Presigns for `presign_as` when given (URLs nobody serves: for checking
/// their shape), and answers 503 like an unconfigured server otherwise.
#[derive(Default)]
pub struct MemoryBlobs {
    objects: Arc<Mutex<HashMap<String, (String, Vec<u8>)>>>,
    presign_as: Option<S3Settings>,
}

impl MemoryBlobs {
    pub fn new(presign_as: Option<S3Settings>) -> Self {
        Self { objects: Arc::default(), presign_as }
    }

    /// One bucket for the whole process, as a deployment has one: hosts sharing a database
    /// (the in-process suite over Postgres) then see each other's files, as the cron expects.
    pub fn process_wide(presign_as: Option<S3Settings>) -> Self {
        Self { objects: PROCESS_BUCKET.get_or_init(Arc::default).clone(), presign_as }
    }

    /// How many files the process-wide bucket holds under `prefix` (tests of erasure).
    pub fn process_wide_count(prefix: &str) -> usize {
        let objects = PROCESS_BUCKET.get_or_init(Arc::default).lock().unwrap_or_else(|e| e.into_inner());
        objects.keys().filter(|k| k.starts_with(prefix)).count()
    }

    fn presigner(&self) -> Result<&S3Settings, BlobError> {
        self.presign_as.as_ref().ok_or_else(|| BlobError::Unavailable("no S3 endpoint to presign for".into()))
    }
}

#[async_trait(?Send)]
impl Blobs for MemoryBlobs {
    async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), BlobError> {
        self.objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_string(), (content_type.to_string(), body));
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        Ok(self.objects.lock().unwrap_or_else(|e| e.into_inner()).get(key).map(|(_, b)| b.clone()))
    }

    async fn head(&self, key: &str) -> Result<Option<BlobInfo>, BlobError> {
        Ok(self
            .objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .map(|(t, b)| BlobInfo { size: b.len() as u64, content_type: Some(t.clone()) }))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.objects.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
        Ok(())
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

/// An S3-compatible store over reqwest, signed with the system clock.
pub fn s3_blobs(settings: S3Settings, timeout: Duration) -> S3Blobs<ReqwestHttp, SystemClock> {
    S3Blobs { http: ReqwestHttp::new(timeout), clock: SystemClock, settings }
}
