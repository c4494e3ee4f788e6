//! Slowly arriving request bodies, for races between uploads (`Call::slow`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use herald::ports::{BlobError, BlobInfo, Blobs};
use http_body::{Body, Frame, SizeHint};

/// A body whose first half goes at once and whose second half follows `delay` later.
pub struct SlowBody {
    chunks: Vec<Bytes>,
    total: u64,
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
    delay: Duration,
}

impl SlowBody {
    pub fn new(body: Vec<u8>, delay: Duration) -> Self {
        let total = body.len() as u64;
        let mut first = Bytes::from(body);
        let second = first.split_off(first.len() / 2);
        // Popped from the end: the first half first.
        let chunks = [second, first].into_iter().filter(|c| !c.is_empty()).collect();
        SlowBody { chunks, total, wait: None, delay }
    }
}

impl Body for SlowBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Some(wait) = this.wait.as_mut() {
            if wait.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        let Some(chunk) = this.chunks.pop() else { return Poll::Ready(None) };
        this.wait = Some(Box::pin(tokio::time::sleep(this.delay)));
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.total)
    }
}

/// The host's object storage, reached `delay` late by writes: in process, a request's body is
/// whole before it is handled, and this is where a slowly arriving one would hold it up.
pub struct SlowBlobs<'a> {
    pub inner: &'a dyn Blobs,
    pub delay: Duration,
}

#[async_trait(?Send)]
impl Blobs for SlowBlobs<'_> {
    async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), BlobError> {
        tokio::time::sleep(self.delay).await;
        self.inner.put(key, content_type, body).await
    }
    async fn put_request_body(&self, key: &str, content_type: &str, length: u64) -> Result<bool, BlobError> {
        tokio::time::sleep(self.delay).await;
        self.inner.put_request_body(key, content_type, length).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        self.inner.get(key).await
    }
    async fn get_prefix(&self, key: &str, length: u64) -> Result<Option<Vec<u8>>, BlobError> {
        self.inner.get_prefix(key, length).await
    }
    async fn head(&self, key: &str) -> Result<Option<BlobInfo>, BlobError> {
        self.inner.head(key).await
    }
    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.inner.delete(key).await
    }
    fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        secs: u32,
        now_ms: i64,
    ) -> Result<String, BlobError> {
        self.inner.presign_put(key, content_type, length, secs, now_ms)
    }
    fn presign_get(&self, key: &str, secs: u32, now_ms: i64) -> Result<String, BlobError> {
        self.inner.presign_get(key, secs, now_ms)
    }
}
