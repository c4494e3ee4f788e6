//! Media in an S3-compatible store, with an upload's body streamed through: the shell leaves the
//! body of a streamed route (`Reading::Stream`) unread, the domain claims the asset first (so a
//! second upload meanwhile is told "in progress"), and the body then goes to the store as it
//! arrives, in a PUT to a presigned URL, never held whole in memory.

use std::cell::RefCell;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_trait::async_trait;
use bytes::Bytes;
use futures::channel::oneshot;
use futures::future::{select, Either};
use herald::media::s3::S3Blobs;
use herald::ports::{BlobError, BlobInfo, Blobs, Clock};
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

use super::{kicked, SpinHttp, SystemClock};

/// Seconds the URL the body goes to is valid: it is used at once.
const PRESIGNED_FOR_SECS: u32 = 300;

pub(super) struct SpinS3 {
    pub store: S3Blobs<SpinHttp, SystemClock>,
    /// The body of the request being served, when its route streams it.
    pub body: RefCell<Option<IncomingRequestBody>>,
}

/// The request's body, telling `ended` once it has been read to its end (or failed).
struct Watched {
    body: IncomingRequestBody,
    ended: Option<oneshot::Sender<()>>,
}

impl http_body::Body for Watched {
    type Data = Bytes;
    type Error = spin_sdk::wasip3::http::types::ErrorCode;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let frame = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(frame, Poll::Ready(None | Some(Err(_)))) {
            if let Some(ended) = self.ended.take() {
                let _ = ended.send(());
            }
        }
        frame
    }
}

#[async_trait(?Send)]
impl Blobs for SpinS3 {
    async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), BlobError> {
        self.store.put(key, content_type, body).await
    }

    /// The held body, streamed to the store. The store has `platform_timeout_ms` to answer once
    /// the last byte is sent; how long the caller takes to send them is the host's to limit.
    async fn put_request_body(&self, key: &str, content_type: &str, length: u64) -> Result<bool, BlobError> {
        let Some(body) = self.body.borrow_mut().take() else {
            return Ok(false);
        };
        let url =
            self.store.settings.presign_put(key, content_type, length, PRESIGNED_FOR_SECS, self.store.clock.now_ms());
        let (ended, sent) = oneshot::channel();
        let request = http::Request::put(url)
            .header(http::header::CONTENT_TYPE, content_type)
            .header(http::header::CONTENT_LENGTH, length)
            .body(Watched { body, ended: Some(ended) })
            .map_err(|e| BlobError::Failed(format!("S3 PUT: {e}")))?;
        let exchange = Box::pin(kicked(spin_sdk::http::send(request)));
        let timeout = std::time::Duration::from_millis(self.store.http.timeout_ms);
        let deadline = Box::pin(async move {
            let _ = sent.await;
            spin_sdk::time::sleep(timeout).await;
        });
        let response = match select(exchange, deadline).await {
            Either::Left((answer, _)) => answer.map_err(|e| BlobError::Failed(format!("S3 PUT: {e:?}")))?,
            Either::Right(((), _)) => return Err(BlobError::Failed("S3 PUT: no answer (timed out)".into())),
        };
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(true);
        }
        let text = spin_sdk::http::body::IncomingBodyExt::bytes(response.into_body()).await.unwrap_or_default();
        Err(herald::media::s3::failed("PUT", status, &text))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        self.store.get(key).await
    }

    async fn get_prefix(&self, key: &str, length: u64) -> Result<Option<Vec<u8>>, BlobError> {
        self.store.get_prefix(key, length).await
    }

    async fn head(&self, key: &str) -> Result<Option<BlobInfo>, BlobError> {
        self.store.head(key).await
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.store.delete(key).await
    }

    fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_secs: u32,
        now_ms: i64,
    ) -> Result<String, BlobError> {
        self.store.presign_put(key, content_type, content_length, expires_secs, now_ms)
    }

    fn presign_get(&self, key: &str, expires_secs: u32, now_ms: i64) -> Result<String, BlobError> {
        self.store.presign_get(key, expires_secs, now_ms)
    }
}
