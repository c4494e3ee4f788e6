//! Clock, randomness and outbound HTTP from the Workers runtime.

use async_trait::async_trait;
use futures_util::future::{select, Either};
#[cfg(feature = "ai")]
use futures_util::StreamExt;
#[cfg(feature = "ai")]
use herald::ports::{Chunks, Streamed};
use herald::ports::{Clock, Http, HttpError, HttpRequest, HttpResponse, Random};
use worker::{AbortController, Delay, Fetch, Headers, Method, RequestInit};

pub struct JsClock;

impl Clock for JsClock {
    fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }
}

pub struct JsRandom;

impl Random for JsRandom {
    fn fill(&self, buf: &mut [u8]) {
        // crypto.getRandomValues cannot fail for buffers this small; without it nothing secret can be made.
        getrandom::fill(buf).expect("crypto.getRandomValues failed");
    }
}

/// `fetch`, given up (and aborted) after `timeout_ms`: a platform that does not answer in time
/// is an unknown outcome to the publishers, never a hang that eats the invocation.
pub struct FetchHttp {
    pub timeout_ms: u64,
}

#[async_trait(?Send)]
impl Http for FetchHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.send_within(request, self.timeout_ms).await
    }

    async fn send_within(&self, request: HttpRequest, timeout_ms: u64) -> Result<HttpResponse, HttpError> {
        let other = |e: worker::Error| HttpError::Other(e.to_string());
        // One time for the whole exchange: what the head left of it, for the body.
        let started = js_sys::Date::now() as u64;
        let (mut resp, controller) = self.start(request, timeout_ms).await?;
        let spent = (js_sys::Date::now() as u64).saturating_sub(started);
        let left = timeout_ms.min(self.timeout_ms).saturating_sub(spent);
        let (status, headers) = (resp.status_code(), resp.headers().entries().collect());
        let read = {
            let body = Box::pin(resp.bytes());
            let timer = Box::pin(Delay::from(std::time::Duration::from_millis(left)));
            match select(body, timer).await {
                Either::Left((body, _)) => Some(body),
                Either::Right(((), pending)) => {
                    drop(pending);
                    None
                }
            }
        };
        match read {
            Some(body) => Ok(HttpResponse { status, headers, body: body.map_err(other)? }),
            None => {
                controller.abort();
                Err(HttpError::Timeout)
            }
        }
    }

    // Only the AI Worker reads answers as they come (its providers' streams); the others keep the
    // port's whole-body reading, and their size.
    #[cfg(feature = "ai")]
    async fn send_streamed(&self, request: HttpRequest, timeout_ms: u64) -> Result<Streamed, HttpError> {
        let (mut resp, controller) = self.start(request, timeout_ms).await?;
        let status = resp.status_code();
        let headers = resp.headers().entries().collect();
        let stream = resp.stream().map_err(|e| HttpError::Other(e.to_string()))?;
        Ok(Streamed { status, headers, body: Box::new(Body { stream, _controller: controller }) })
    }
}

/// A fetched body read as it arrives.
#[cfg(feature = "ai")]
struct Body {
    stream: worker::ByteStream,
    /// Aborts the fetch when the body is dropped unread.
    _controller: AbortController,
}

#[cfg(feature = "ai")]
#[async_trait(?Send)]
impl Chunks for Body {
    async fn next(&mut self) -> Option<Result<Vec<u8>, HttpError>> {
        self.stream.next().await.map(|c| c.map_err(|e| HttpError::Other(e.to_string())))
    }
}

impl FetchHttp {
    /// Sends `request` and answers once the head of the answer is in (by `timeout_ms`), with the
    /// controller that aborts it.
    async fn start(
        &self,
        request: HttpRequest,
        timeout_ms: u64,
    ) -> Result<(worker::Response, AbortController), HttpError> {
        let other = |e: worker::Error| HttpError::Other(e.to_string());
        let headers = Headers::new();
        for (k, v) in &request.headers {
            headers.append(k, v).map_err(other)?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::from(request.method.clone())).with_headers(headers);
        // A Uint8Array is a body of known length: fetch sends it with its Content-Length (and
        // an empty POST with `Content-Length: 0`), never chunked.
        if !request.body.is_empty() {
            init.with_body(Some(js_sys::Uint8Array::from(request.body.as_slice()).into()));
        }
        let req = worker::Request::new_with_init(&request.url, &init).map_err(other)?;
        // fetch does not say whether the request left before it failed: treat it as possibly
        // sent (publishers then read the platform instead of posting again).
        let controller = AbortController::default();
        let signal = controller.signal();
        let exchange = Box::pin(async { Fetch::Request(req).send_with_signal(&signal).await.map_err(other) });
        let timer = Box::pin(Delay::from(std::time::Duration::from_millis(timeout_ms.min(self.timeout_ms))));
        let raced = select(exchange, timer).await;
        match raced {
            Either::Left((answer, _)) => Ok((answer?, controller)),
            Either::Right(((), pending)) => {
                drop(pending);
                controller.abort();
                Err(HttpError::Timeout)
            }
        }
    }
}
