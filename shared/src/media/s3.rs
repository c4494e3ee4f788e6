//! An S3-compatible store (Cloudflare R2, AWS S3, MinIO, moto): its settings, presigned URLs,
//! and a [`Blobs`] adapter over the [`Http`] port, signed with [`super::sigv4`]. Objects are
//! addressed path-style: `{endpoint}/{bucket}/{key}`, which R2 and every emulator accept.

use async_trait::async_trait;

use super::sigv4::{self, Signable, Signer};
use crate::ports::{BlobError, BlobInfo, Blobs, Clock, Http, HttpRequest, HttpResponse};

/// Where the bucket is and who signs for it. Read by each runtime from `S3_ENDPOINT`,
/// `S3_REGION`, `S3_BUCKET`, `S3_ACCESS_KEY_ID` and `S3_SECRET_ACCESS_KEY`.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// `scheme://host[:port]`, e.g. `https://<account>.r2.cloudflarestorage.com`.
    pub endpoint: String,
    /// `auto` for R2.
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    /// Never logged, never returned.
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl S3Settings {
    /// The settings from a runtime's variables: `None` unless the endpoint, the bucket and both
    /// keys are set; `Err` when they are set but unusable. The region defaults to `auto`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Option<Result<S3Settings, String>> {
        let get = |name: &str| var(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let (endpoint, bucket, access_key_id, secret_access_key) =
            (get("S3_ENDPOINT")?, get("S3_BUCKET")?, get("S3_ACCESS_KEY_ID")?, get("S3_SECRET_ACCESS_KEY")?);
        let settings = S3Settings {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            region: get("S3_REGION").unwrap_or_else(|| "auto".into()),
            bucket,
            access_key_id,
            secret_access_key,
        };
        Some(settings.check().map(|()| settings))
    }

    fn check(&self) -> Result<(), String> {
        let rest = self
            .endpoint
            .strip_prefix("https://")
            .or_else(|| self.endpoint.strip_prefix("http://"))
            .ok_or("S3_ENDPOINT must start with https:// or http://")?;
        if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
            return Err("S3_ENDPOINT must be scheme://host[:port], without a path".into());
        }
        if self.bucket.contains(['/', '?', '#']) {
            return Err("S3_BUCKET must be a bucket name".into());
        }
        Ok(())
    }

    /// `host[:port]`, as the `Host` header carries it.
    pub fn host(&self) -> &str {
        self.endpoint.split_once("://").map_or(self.endpoint.as_str(), |(_, h)| h)
    }

    fn signer(&self) -> Signer<'_> {
        Signer {
            access_key_id: &self.access_key_id,
            secret_access_key: &self.secret_access_key,
            region: &self.region,
            service: "s3",
        }
    }

    /// The object's path, not encoded.
    fn path(&self, key: &str) -> String {
        format!("/{}/{}", self.bucket, key)
    }

    fn url(&self, key: &str, query: &str) -> String {
        let path = sigv4::uri_encode(&self.path(key), true);
        if query.is_empty() {
            format!("{}{path}", self.endpoint)
        } else {
            format!("{}{path}?{query}", self.endpoint)
        }
    }

    fn presign(
        &self,
        method: &str,
        key: &str,
        headers: Vec<(String, String)>,
        expires_secs: u32,
        now_ms: i64,
    ) -> String {
        let path = self.path(key);
        let req = Signable {
            method,
            host: self.host(),
            path: &path,
            query: Vec::new(),
            headers,
            payload_hash: sigv4::UNSIGNED_PAYLOAD.into(),
        };
        self.url(key, &sigv4::presign_query(&self.signer(), now_ms, expires_secs, &req))
    }

    /// A presigned PUT: `content-type` and `content-length` are signed, so the URL uploads
    /// exactly that many bytes of that type and nothing else.
    pub fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_secs: u32,
        now_ms: i64,
    ) -> String {
        let headers = vec![
            ("content-type".to_string(), content_type.to_string()),
            ("content-length".to_string(), content_length.to_string()),
        ];
        self.presign("PUT", key, headers, expires_secs, now_ms)
    }

    pub fn presign_get(&self, key: &str, expires_secs: u32, now_ms: i64) -> String {
        self.presign("GET", key, Vec::new(), expires_secs, now_ms)
    }

    /// A request to the store, signed in the `Authorization` header.
    pub fn signed_request(
        &self,
        method: &str,
        key: &str,
        mut headers: Vec<(String, String)>,
        body: Vec<u8>,
        now_ms: i64,
    ) -> HttpRequest {
        let payload_hash = sigv4::sha256_hex(&body);
        let (_, stamp) = sigv4::timestamps(now_ms);
        headers.push(("x-amz-date".into(), stamp));
        headers.push(("x-amz-content-sha256".into(), payload_hash.clone()));
        let path = self.path(key);
        let req = Signable { method, host: self.host(), path: &path, query: Vec::new(), headers, payload_hash };
        let authorization = sigv4::authorization(&self.signer(), now_ms, &req);
        let mut headers = req.headers;
        headers.push(("authorization".into(), authorization));
        HttpRequest { method: method.to_string(), url: self.url(key, ""), headers, body }
    }
}

/// [`Blobs`] over any S3-compatible endpoint, through the Http port.
pub struct S3Blobs<H, C> {
    pub http: H,
    /// Dates each signature.
    pub clock: C,
    pub settings: S3Settings,
}

/// The error for a store that answered `status` to `what` (the method), with the start of its body.
pub fn failed(what: &str, status: u16, body: &[u8]) -> BlobError {
    let text: String = String::from_utf8_lossy(body).chars().take(300).collect();
    BlobError::Failed(format!("S3 {what} answered {status}: {text}"))
}

impl<H: Http, C: Clock> S3Blobs<H, C> {
    async fn send(
        &self,
        method: &str,
        key: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<HttpResponse, BlobError> {
        let request = self.settings.signed_request(method, key, headers, body, self.clock.now_ms());
        self.http.send(request).await.map_err(|e| BlobError::Failed(format!("S3 {method}: {e}")))
    }
}

#[async_trait(?Send)]
impl<H: Http, C: Clock> Blobs for S3Blobs<H, C> {
    async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), BlobError> {
        let r = self.send("PUT", key, vec![("content-type".into(), content_type.into())], body).await?;
        if (200..300).contains(&r.status) {
            Ok(())
        } else {
            Err(failed("PUT", r.status, &r.body))
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let r = self.send("GET", key, Vec::new(), Vec::new()).await?;
        match r.status {
            200 => Ok(Some(r.body)),
            404 => Ok(None),
            s => Err(failed("GET", s, &r.body)),
        }
    }

    async fn get_prefix(&self, key: &str, length: u64) -> Result<Option<Vec<u8>>, BlobError> {
        if length == 0 {
            return Ok(self.head(key).await?.map(|_| Vec::new()));
        }
        let range = format!("bytes=0-{}", length - 1);
        let r = self.send("GET", key, vec![("range".into(), range)], Vec::new()).await?;
        match r.status {
            200 | 206 => {
                let mut body = r.body;
                body.truncate(usize::try_from(length).unwrap_or(usize::MAX));
                Ok(Some(body))
            }
            // An empty object has no byte 0.
            416 => Ok(Some(Vec::new())),
            404 => Ok(None),
            s => Err(failed("GET", s, &r.body)),
        }
    }

    async fn head(&self, key: &str) -> Result<Option<BlobInfo>, BlobError> {
        let r = self.send("HEAD", key, Vec::new(), Vec::new()).await?;
        let header = |name: &str| r.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim());
        match r.status {
            200 => {
                let size = header("content-length")
                    .and_then(|l| l.parse().ok())
                    .ok_or_else(|| BlobError::Failed("S3 HEAD answered without a content-length".into()))?;
                Ok(Some(BlobInfo { size, content_type: header("content-type").map(str::to_string) }))
            }
            404 => Ok(None),
            s => Err(failed("HEAD", s, &r.body)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let r = self.send("DELETE", key, Vec::new(), Vec::new()).await?;
        if (200..300).contains(&r.status) || r.status == 404 {
            Ok(())
        } else {
            Err(failed("DELETE", r.status, &r.body))
        }
    }

    fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_secs: u32,
        now_ms: i64,
    ) -> Result<String, BlobError> {
        Ok(self.settings.presign_put(key, content_type, content_length, expires_secs, now_ms))
    }

    fn presign_get(&self, key: &str, expires_secs: u32, now_ms: i64) -> Result<String, BlobError> {
        Ok(self.settings.presign_get(key, expires_secs, now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    const FULL: [(&str, &str); 4] = [
        ("S3_ENDPOINT", "https://acc.r2.cloudflarestorage.com/"),
        ("S3_BUCKET", "media"),
        ("S3_ACCESS_KEY_ID", "AKID"),
        ("S3_SECRET_ACCESS_KEY", "very-secret"),
    ];

    #[test]
    fn settings_need_all_four_variables_and_default_to_auto() {
        assert!(S3Settings::from_vars(vars(&FULL[..3])).is_none());
        let s = S3Settings::from_vars(vars(&FULL)).unwrap().unwrap();
        assert_eq!(
            (s.endpoint.as_str(), s.region.as_str(), s.host()),
            ("https://acc.r2.cloudflarestorage.com", "auto", "acc.r2.cloudflarestorage.com")
        );
        let mut bad = FULL;
        bad[0].1 = "acc.r2.cloudflarestorage.com";
        assert!(S3Settings::from_vars(vars(&bad)).unwrap().is_err());
        bad[0].1 = "https://host/path";
        assert!(S3Settings::from_vars(vars(&bad)).unwrap().is_err());
    }

    #[test]
    fn the_secret_is_never_printed() {
        let s = S3Settings::from_vars(vars(&FULL)).unwrap().unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("very-secret") && printed.contains("<redacted>"), "{printed}");
        let url = s.presign_put("media/w/a.png", "image/png", 10, 900, 1_700_000_000_000);
        assert!(!url.contains("very-secret"));
        let req = s.signed_request("HEAD", "media/w/a.png", Vec::new(), Vec::new(), 1_700_000_000_000);
        assert!(req.headers.iter().all(|(_, v)| !v.contains("very-secret")));
    }

    #[test]
    fn presigned_urls_are_path_style_with_signed_type_and_length() {
        let s = S3Settings::from_vars(vars(&FULL)).unwrap().unwrap();
        let url = s.presign_put("media/w 1/a.png", "image/png", 10, 900, 1_700_000_000_000);
        assert!(
            url.starts_with(
                "https://acc.r2.cloudflarestorage.com/media/media/w%201/a.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
            ),
            "{url}"
        );
        assert!(url.contains("X-Amz-Credential=AKID%2F20231114%2Fauto%2Fs3%2Faws4_request"), "{url}");
        assert!(url
            .contains("&X-Amz-Expires=900&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost&X-Amz-Signature="));
        let get = s.presign_get("media/w/a.png", 60, 1_700_000_000_000);
        assert!(get.contains("X-Amz-SignedHeaders=host&"), "{get}");
    }
}
