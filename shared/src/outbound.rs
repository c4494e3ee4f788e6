//! URLs a user names and Herald then calls (an account's server, a Slack webhook): checked
//! before any call, so that no request reaches loopback, private or link-local addresses
//! (server-side request forgery) unless development and tests allow it.

/// The origin (and path, without a trailing slash) of an account's server, checked: https,
/// and no loopback, private or link-local address unless `allow_private` (development and
/// tests). Names are not resolved here: a deployment that must stop DNS rebinding puts an
/// egress proxy in front.
pub fn server_url(input: &str, allow_private: bool) -> Result<String, String> {
    let input = input.trim().trim_end_matches('/');
    let (scheme, rest) = input.split_once("://").ok_or("must be an absolute URL, like https://example.social")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && !(allow_private && scheme == "http") {
        return Err("must use https".into());
    }
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host_port.is_empty() || host_port.contains('@') || rest.contains(['?', '#', ' ']) {
        return Err("must be a plain server address (no credentials, query or fragment)".into());
    }
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default().to_ascii_lowercase(),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h).to_ascii_lowercase(),
    };
    let valid =
        !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'_'));
    if !valid {
        return Err("names an invalid host".into());
    }
    if !allow_private && is_private_host(&host) {
        return Err("must be a public server".into());
    }
    Ok(format!("{scheme}://{rest}"))
}

/// Whether `host` (a name or an address, without its port) is loopback, private, link-local or
/// otherwise not a public server's.
pub fn is_private_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local") || host.ends_with(".internal") {
        return true;
    }
    // Every spelling an HTTP stack may read as IPv4: 127.0.0.1, 2130706433, 0177.0.0.1,
    // 0x7f.1 … As in the WHATWG URL standard, a host whose last label is a number is an IPv4
    // address; one that does not parse as such is refused rather than left to a resolver.
    let last = host.rsplit('.').next().unwrap_or(host);
    let numeric = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit())
        || last.len() > 2
            && (last.starts_with("0x") || last.starts_with("0X"))
            && last[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if numeric {
        return inet_aton(host).is_none_or(is_private_v4);
    }
    if let Ok(ip) = host.parse::<std::net::Ipv6Addr>() {
        // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96)
        // addresses reach the IPv4 address inside them.
        let s = ip.segments();
        let embedded = if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) && !ip.is_loopback() && !ip.is_unspecified()
            || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
        {
            Some(std::net::Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8))
        } else if s[0] == 0x2002 {
            // 6to4 carries an IPv4 address in its second and third groups.
            Some(std::net::Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8))
        } else {
            None
        };
        if embedded.is_some_and(is_private_v4) {
            return true;
        }
        let first = s[0];
        return ip.is_loopback()
            || ip.is_unspecified()
            || ip.is_multicast()
            || (first & 0xfe00) == 0xfc00
            || (first & 0xffc0) == 0xfe80
            || (first & 0xffc0) == 0xfec0;
    }
    false
}

/// Loopback, private, link-local (cloud metadata), carrier-grade NAT, "this network",
/// benchmarking, multicast and reserved addresses.
fn is_private_v4(ip: std::net::Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || a == 0
        || a == 100 && (64..128).contains(&b)
        || a == 198 && (18..20).contains(&b)
        || a >= 224
}

/// IPv4 in the classic `inet_aton` forms: one to four parts, each decimal, octal (leading 0)
/// or hex (0x), the last filling the remaining bytes.
fn inet_aton(host: &str) -> Option<std::net::Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(4);
    for part in &parts {
        let value = if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            u32::from_str_radix(hex, 16).ok()?
        } else if part.len() > 1 && part.starts_with('0') {
            u32::from_str_radix(&part[1..], 8).ok()?
        } else {
            part.parse::<u32>().ok()?
        };
        values.push(value);
    }
    let (last, head) = values.split_last()?;
    let last_bits = 8 * (4 - head.len() as u32);
    if head.iter().any(|v| *v > 255) || last_bits < 32 && *last >= 1 << last_bits {
        return None;
    }
    let mut n: u32 = 0;
    for (i, v) in head.iter().enumerate() {
        n |= v << (24 - 8 * i);
    }
    Some(std::net::Ipv4Addr::from(n | last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_servers_are_public_https_unless_allowed() {
        assert_eq!(server_url("https://bsky.social/", false).unwrap(), "https://bsky.social");
        assert_eq!(server_url("https://mastodon.example/sub", false).unwrap(), "https://mastodon.example/sub");
        for bad in [
            "http://mastodon.example",
            "https://127.0.0.1:8080",
            "https://10.1.2.3",
            "https://192.168.0.1",
            "https://169.254.169.254",
            "https://[::1]:3000",
            "https://[::ffff:127.0.0.1]",
            "https://[::ffff:7f00:1]",
            "https://[::ffff:169.254.169.254]",
            "https://[64:ff9b::a00:1]",
            "https://[2002:7f00:1::]",
            "https://[fe80::1]",
            "https://2130706433",
            "https://0177.0.0.1",
            "https://0x7f.0.0.1",
            "https://127.1",
            "https://0x7f000001",
            "https://0",
            "https://017700000001",
            "https://999.1.1.1",
            "https://localhost.",
            "https://1.2.3.0x7f000001",
            "https://localhost",
            "https://user:pw@host.example",
            "mastodon.example",
            "https://host.example/?q=1",
        ] {
            assert!(server_url(bad, false).is_err(), "{bad}");
        }
        assert_eq!(server_url("https://[2001:db8::1]", false).unwrap(), "https://[2001:db8::1]");
        assert_eq!(server_url("https://8.8.8.8", false).unwrap(), "https://8.8.8.8");
        assert_eq!(server_url("https://1e100.net", false).unwrap(), "https://1e100.net");
        assert_eq!(server_url("https://123abc.be", false).unwrap(), "https://123abc.be");
        assert_eq!(server_url("http://127.0.0.1:2583", true).unwrap(), "http://127.0.0.1:2583");
        assert!(server_url("ftp://x.example", true).is_err());
    }
}
