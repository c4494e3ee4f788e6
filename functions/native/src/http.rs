//! The Http port over reqwest, for native hosts.

use std::time::Duration;

use async_trait::async_trait;
use herald::ports::{Chunks, Http, HttpError, HttpRequest, HttpResponse, Streamed};

pub struct ReqwestHttp {
    client: reqwest::Client,
}

impl ReqwestHttp {
    pub fn new(timeout: Duration) -> Self {
        let client = reqwest::Client::builder().timeout(timeout).build().unwrap_or_default();
        Self { client }
    }
}

#[async_trait(?Send)]
impl Http for ReqwestHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.exchange(request, None).await
    }

    async fn send_within(&self, request: HttpRequest, timeout_ms: u64) -> Result<HttpResponse, HttpError> {
        self.exchange(request, Some(Duration::from_millis(timeout_ms))).await
    }

    async fn send_streamed(&self, request: HttpRequest, timeout_ms: u64) -> Result<Streamed, HttpError> {
        let response = tokio::time::timeout(Duration::from_millis(timeout_ms), self.start(request, None))
            .await
            .map_err(|_| HttpError::Timeout)??;
        let status = response.status().as_u16();
        let headers = pairs(response.headers());
        Ok(Streamed { status, headers, body: Box::new(Body(response)) })
    }
}

/// A body read as it arrives.
struct Body(reqwest::Response);

#[async_trait(?Send)]
impl Chunks for Body {
    async fn next(&mut self) -> Option<Result<Vec<u8>, HttpError>> {
        self.0.chunk().await.map_err(|e| HttpError::Other(e.to_string())).transpose().map(|c| c.map(|b| b.to_vec()))
    }
}

fn pairs(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers.iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string())).collect()
}

impl ReqwestHttp {
    async fn exchange(&self, request: HttpRequest, timeout: Option<Duration>) -> Result<HttpResponse, HttpError> {
        let response = self.start(request, timeout).await?;
        let status = response.status().as_u16();
        let headers = pairs(response.headers());
        let body = response.bytes().await.map_err(|e| HttpError::Other(e.to_string()))?.to_vec();
        Ok(HttpResponse { status, headers, body })
    }

    /// Sends `request` and answers once the head of the answer is in.
    async fn start(&self, request: HttpRequest, timeout: Option<Duration>) -> Result<reqwest::Response, HttpError> {
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| HttpError::Other(e.to_string()))?;
        let mut rb = self.client.request(method, &request.url).body(request.body);
        for (k, v) in &request.headers {
            rb = rb.header(k, v);
        }
        if let Some(timeout) = timeout {
            rb = rb.timeout(timeout);
        }
        // Only a failure to connect proves the request was never sent; anything later (a reset,
        // a dropped connection) may come after the server acted on it.
        rb.send().await.map_err(|e| {
            if e.is_timeout() {
                HttpError::Timeout
            } else if e.is_connect() {
                HttpError::Connect(e.to_string())
            } else {
                HttpError::Other(e.to_string())
            }
        })
    }
}
