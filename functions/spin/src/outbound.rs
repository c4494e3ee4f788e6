//! The outbound request Spin sends for the Http port. WASI HTTP streams a body and does not
//! look at its size, so without a `Content-Length` header Spin sends it chunked — which some
//! servers (OAuth token endpoints among them) read as an empty form. Every body here is whole
//! in memory, so its length is always stated.

use bytes::Bytes;
use herald::ports::{HttpError, HttpRequest};
use http::header::{HeaderValue, CONTENT_LENGTH};
use http_body_util::Full;

pub type Body = Full<Bytes>;

/// The request for `spin_sdk::http::send`: the port's method, URL and headers, and the body
/// with its exact length (any `Content-Length` the caller gave is replaced). A bodiless GET,
/// HEAD, DELETE or OPTIONS carries none; an empty POST, PUT or PATCH says `0`.
pub fn request(request: HttpRequest) -> Result<http::Request<Body>, HttpError> {
    let method = http::Method::from_bytes(request.method.as_bytes()).map_err(|e| HttpError::Other(e.to_string()))?;
    let states_length =
        !request.body.is_empty() || matches!(method, http::Method::POST | http::Method::PUT | http::Method::PATCH);
    let mut builder = http::Request::builder().method(method).uri(&request.url);
    for (k, v) in request.headers.iter().filter(|(k, _)| !k.eq_ignore_ascii_case(CONTENT_LENGTH.as_str())) {
        builder = builder.header(k, v);
    }
    if states_length {
        builder = builder.header(CONTENT_LENGTH, HeaderValue::from(request.body.len()));
    }
    builder.body(Full::new(Bytes::from(request.body))).map_err(|e| HttpError::Other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn port(method: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            url: "https://api.x.com/2/oauth2/token".into(),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.to_vec(),
        }
    }

    fn lengths(r: &http::Request<Body>) -> Vec<&str> {
        r.headers().get_all(CONTENT_LENGTH).iter().filter_map(|v| v.to_str().ok()).collect()
    }

    #[test]
    fn a_form_body_is_sent_with_its_length() {
        let form = b"grant_type=authorization_code&code=abc&code_verifier=xyz";
        let r = request(port("POST", &[("content-type", "application/x-www-form-urlencoded")], form)).unwrap();
        assert_eq!(lengths(&r), [form.len().to_string()]);
        assert_eq!(r.headers()["content-type"], "application/x-www-form-urlencoded");
        assert_eq!((r.method(), r.uri().to_string()), (&http::Method::POST, "https://api.x.com/2/oauth2/token".into()));
        let sent = futures::executor::block_on(r.into_body().collect()).unwrap().to_bytes();
        assert_eq!(&sent[..], form);
    }

    #[test]
    fn a_callers_length_is_replaced_by_the_true_one() {
        let r = request(port("PUT", &[("Content-Length", "999")], b"{}")).unwrap();
        assert_eq!(lengths(&r), ["2"]);
    }

    #[test]
    fn an_empty_post_says_zero_and_a_get_says_nothing() {
        assert_eq!(lengths(&request(port("POST", &[], b"")).unwrap()), ["0"]);
        assert!(lengths(&request(port("GET", &[], b"")).unwrap()).is_empty());
        assert!(lengths(&request(port("DELETE", &[], b"")).unwrap()).is_empty());
    }

    #[test]
    fn a_bad_method_or_url_is_an_error_not_a_panic() {
        assert!(request(port("NOT A METHOD", &[], b"")).is_err());
        let mut bad = port("GET", &[], b"");
        bad.url = "http://exa mple".into();
        assert!(request(bad).is_err());
    }
}
