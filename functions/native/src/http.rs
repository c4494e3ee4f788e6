//! The Http port over reqwest, for native hosts.

use std::time::Duration;

use async_trait::async_trait;
use herald::ports::{Http, HttpError, HttpRequest, HttpResponse};

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
}

impl ReqwestHttp {
    async fn exchange(&self, request: HttpRequest, timeout: Option<Duration>) -> Result<HttpResponse, HttpError> {
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
        let response = rb.send().await.map_err(|e| {
            if e.is_timeout() {
                HttpError::Timeout
            } else if e.is_connect() {
                HttpError::Connect(e.to_string())
            } else {
                HttpError::Other(e.to_string())
            }
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let body = response.bytes().await.map_err(|e| HttpError::Other(e.to_string()))?.to_vec();
        Ok(HttpResponse { status, headers, body })
    }
}
