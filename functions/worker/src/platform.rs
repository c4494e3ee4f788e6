//! Clock, randomness and outbound HTTP from the Workers runtime.

use async_trait::async_trait;
use futures_util::future::{select, Either};
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
        let exchange = Box::pin(async {
            let mut resp = Fetch::Request(req).send_with_signal(&signal).await.map_err(other)?;
            Ok(HttpResponse {
                status: resp.status_code(),
                headers: resp.headers().entries().collect(),
                body: resp.bytes().await.map_err(other)?,
            })
        });
        let timer = Box::pin(Delay::from(std::time::Duration::from_millis(timeout_ms.min(self.timeout_ms))));
        let raced = select(exchange, timer).await;
        match raced {
            Either::Left((answer, _)) => answer,
            Either::Right(((), pending)) => {
                drop(pending);
                controller.abort();
                Err(HttpError::Timeout)
            }
        }
    }
}
