//! AWS Signature Version 4 for S3-compatible stores (R2, S3, moto): the signing key, the
//! canonical request, presigned URLs (query-string authentication) and the `Authorization`
//! header. Pure: the caller passes the time, and nothing here reads the clock or the network.
//! The unit tests check it against the examples AWS publishes in the S3 API reference.

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = hmac::Hmac<Sha256>;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The payload hash of a presigned request: the body is not known when the URL is made.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// SigV4 allows presigned URLs of at most seven days.
pub const MAX_EXPIRES_SECS: u32 = 7 * 24 * 3600;

/// Who signs, and for which region and service.
#[derive(Clone)]
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    /// `auto` for R2, e.g. `us-east-1` for S3.
    pub region: &'a str,
    /// `s3`
    pub service: &'a str,
}

/// One request to sign. Header names are lower case; `path` is the URI path before encoding.
#[derive(Debug, Clone)]
pub struct Signable<'a> {
    pub method: &'a str,
    /// `host` or `host:port`, exactly as sent in the `Host` header.
    pub host: &'a str,
    pub path: &'a str,
    /// Query parameters, not encoded.
    pub query: Vec<(String, String)>,
    /// Headers to sign besides `host`, not including it.
    pub headers: Vec<(String, String)>,
    /// Hex SHA-256 of the body, or [`UNSIGNED_PAYLOAD`].
    pub payload_hash: String,
}

/// `(YYYYMMDD, YYYYMMDD'T'HHMMSS'Z')` in UTC.
pub fn timestamps(now_ms: i64) -> (String, String) {
    let stamp = crate::validate::utc_stamp(now_ms);
    (stamp.get(..8).unwrap_or_default().to_string(), stamp)
}

pub use crate::encoding::uri_encode;

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The key derived from the secret for one day, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> =
        query.iter().map(|(k, v)| (uri_encode(k, false), uri_encode(v, false))).collect();
    pairs.sort();
    pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// Signed headers, `host` included, sorted by name with trimmed values.
fn sorted_headers(req: &Signable<'_>) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.split_whitespace().collect::<Vec<_>>().join(" ")))
        .filter(|(k, _)| k != "host")
        .collect();
    headers.push(("host".into(), req.host.to_string()));
    headers.sort();
    headers
}

/// The names of the signed headers, `;`-separated.
pub fn signed_header_names(req: &Signable<'_>) -> String {
    sorted_headers(req).into_iter().map(|(k, _)| k).collect::<Vec<_>>().join(";")
}

pub fn canonical_request(req: &Signable<'_>) -> String {
    let headers = sorted_headers(req);
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let names = headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        uri_encode(req.path, true),
        canonical_query(&req.query),
        canonical_headers,
        names,
        req.payload_hash
    )
}

fn scope(signer: &Signer<'_>, date: &str) -> String {
    format!("{date}/{}/{}/aws4_request", signer.region, signer.service)
}

pub fn string_to_sign(signer: &Signer<'_>, now_ms: i64, canonical_request: &str) -> String {
    let (date, stamp) = timestamps(now_ms);
    format!("{ALGORITHM}\n{stamp}\n{}\n{}", scope(signer, &date), sha256_hex(canonical_request.as_bytes()))
}

/// The hex signature of `req` at `now_ms`.
pub fn signature(signer: &Signer<'_>, now_ms: i64, req: &Signable<'_>) -> String {
    let (date, _) = timestamps(now_ms);
    let key = signing_key(signer.secret_access_key, &date, signer.region, signer.service);
    let to_sign = string_to_sign(signer, now_ms, &canonical_request(req));
    hex::encode(hmac(&key, to_sign.as_bytes()))
}

/// Presigns `req`: answers the query string (without `?`) that authorizes it for
/// `expires_secs` from `now_ms`, with `req.query` first. The payload is unsigned.
pub fn presign_query(signer: &Signer<'_>, now_ms: i64, expires_secs: u32, req: &Signable<'_>) -> String {
    let (date, stamp) = timestamps(now_ms);
    let mut req = req.clone();
    req.payload_hash = UNSIGNED_PAYLOAD.into();
    let auth = [
        ("X-Amz-Algorithm", ALGORITHM.to_string()),
        ("X-Amz-Credential", format!("{}/{}", signer.access_key_id, scope(signer, &date))),
        ("X-Amz-Date", stamp),
        ("X-Amz-Expires", expires_secs.min(MAX_EXPIRES_SECS).to_string()),
        ("X-Amz-SignedHeaders", signed_header_names(&req)),
    ];
    req.query.extend(auth.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let signature = signature(signer, now_ms, &req);
    req.query.push(("X-Amz-Signature".into(), signature));
    req.query
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The `Authorization` header of `req`, which must already carry `x-amz-date` (as
/// [`timestamps`] gives it for `now_ms`) and usually `x-amz-content-sha256` among its headers.
pub fn authorization(signer: &Signer<'_>, now_ms: i64, req: &Signable<'_>) -> String {
    let (date, _) = timestamps(now_ms);
    format!(
        "{ALGORITHM} Credential={}/{},SignedHeaders={},Signature={}",
        signer.access_key_id,
        scope(signer, &date),
        signed_header_names(req),
        signature(signer, now_ms, req)
    )
}

#[cfg(test)]
mod tests {
    //! The inputs and expected values are the examples of the S3 API reference: "Authenticating
    //! Requests: Using Query Parameters (AWS Signature Version 4)" and "… Using the Authorization
    //! Header", all signed with the documentation's example key pair on 24 May 2013.
    use super::*;

    const SIGNER: Signer<'static> = Signer {
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region: "us-east-1",
        service: "s3",
    };
    const HOST: &str = "examplebucket.s3.amazonaws.com";
    /// Fri, 24 May 2013 00:00:00 GMT
    const MAY_24_2013: i64 = 1_369_353_600_000;
    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn get(headers: Vec<(&str, &str)>, payload_hash: &str) -> Signable<'static> {
        Signable {
            method: "GET",
            host: HOST,
            path: "/test.txt",
            query: Vec::new(),
            headers: headers.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            payload_hash: payload_hash.into(),
        }
    }

    #[test]
    fn timestamps_are_utc_basic_format() {
        assert_eq!(timestamps(MAY_24_2013), ("20130524".to_string(), "20130524T000000Z".to_string()));
        assert_eq!(timestamps(MAY_24_2013 + 3_723_000).1, "20130524T010203Z");
    }

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(uri_encode("a b/c~d", false), "a%20b%2Fc~d");
        assert_eq!(uri_encode("/photos/été.jpg", true), "/photos/%C3%A9t%C3%A9.jpg");
        assert_eq!(uri_encode("test$file.text", true), "test%24file.text");
    }

    #[test]
    fn presigned_get_matches_the_published_example() {
        let query = presign_query(&SIGNER, MAY_24_2013, 86_400, &get(Vec::new(), UNSIGNED_PAYLOAD));
        assert_eq!(
            query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn header_signed_get_matches_the_published_example() {
        let req = get(
            vec![("range", "bytes=0-9"), ("x-amz-content-sha256", EMPTY_SHA256), ("x-amz-date", "20130524T000000Z")],
            EMPTY_SHA256,
        );
        assert_eq!(
            canonical_request(&req),
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n\
             x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            string_to_sign(&SIGNER, MAY_24_2013, &canonical_request(&req)),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
             7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        );
        assert_eq!(
            authorization(&SIGNER, MAY_24_2013, &req),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn header_signed_put_matches_the_published_example() {
        let body_hash = sha256_hex(b"Welcome to Amazon S3.");
        assert_eq!(body_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
        let req = Signable {
            method: "PUT",
            host: HOST,
            path: "/test$file.text",
            query: Vec::new(),
            headers: vec![
                ("date".into(), "Fri, 24 May 2013 00:00:00 GMT".into()),
                ("x-amz-date".into(), "20130524T000000Z".into()),
                ("x-amz-storage-class".into(), "REDUCED_REDUNDANCY".into()),
                ("x-amz-content-sha256".into(), body_hash.clone()),
            ],
            payload_hash: body_hash,
        };
        assert_eq!(
            signature(&SIGNER, MAY_24_2013, &req),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        );
    }

    #[test]
    fn header_signed_query_matches_the_published_example() {
        // GET Bucket lifecycle: a query parameter without a value.
        let req = Signable {
            method: "GET",
            host: HOST,
            path: "/",
            query: vec![("lifecycle".into(), String::new())],
            headers: vec![
                ("x-amz-date".into(), "20130524T000000Z".into()),
                ("x-amz-content-sha256".into(), EMPTY_SHA256.into()),
            ],
            payload_hash: EMPTY_SHA256.into(),
        };
        assert_eq!(
            signature(&SIGNER, MAY_24_2013, &req),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
        );
    }

    #[test]
    fn signed_headers_bind_the_presigned_url() {
        let put = |content_type: &str| Signable {
            method: "PUT",
            host: "127.0.0.1:9000",
            path: "/bucket/media/a.png",
            query: Vec::new(),
            headers: vec![("content-type".into(), content_type.into()), ("content-length".into(), "10".into())],
            payload_hash: UNSIGNED_PAYLOAD.into(),
        };
        let png = presign_query(&SIGNER, MAY_24_2013, 900, &put("image/png"));
        assert!(png.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"), "{png}");
        assert_ne!(png, presign_query(&SIGNER, MAY_24_2013, 900, &put("text/html")));
    }
}
