//! Percent-encoding for URLs and form bodies (RFC 3986), shared by SigV4 signing, OAuth
//! exchanges and the payment provider's API.

/// RFC 3986 percent-encoding (what SigV4 and form bodies want): unreserved characters stay, every other byte
/// becomes `%XX` in upper case; `/` stays when `keep_slash` (paths).
pub fn uri_encode(input: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len() * 3);
    for b in input.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An `application/x-www-form-urlencoded` body (or query) of `pairs`, in order.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}
