//! Where a subscription may send alerts: an http(s) URL with a host, without credentials in it,
//! and (unless the operator allows private targets, as tests on one machine need) a host that is
//! public: an SSRF defence, so that nobody can make the alerting process post to loopback, the
//! private network or a cloud metadata address. A name is resolved here and every address it
//! resolves to must be public; the alerting process does not follow redirects.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use axum::http::StatusCode;
use url::{Host, Url};

use crate::problem::ApiError;
use crate::signed::refuse;

/// Longest accepted URL, bytes.
const MAX_URL_BYTES: usize = 2_048;

/// Names that are never public, whatever they resolve to.
const PRIVATE_SUFFIXES: [&str; 4] = [".localhost", ".local", ".internal", ".home.arpa"];

fn not_public(field: &str, why: &str) -> ApiError {
    refuse(
        StatusCode::UNPROCESSABLE_ENTITY,
        "target-not-public",
        field,
        format!("`{field}` {why}: alerts are only sent to public addresses"),
    )
}

/// The URL in `text` if it may receive alerts. `field` names it in a refusal, whose words never
/// quote the URL (a chat webhook's URL is itself a secret).
pub async fn check_url(text: &str, field: &str, allow_private: bool) -> Result<Url, ApiError> {
    let malformed = || ApiError::Malformed {
        field: field.to_owned(),
        detail: format!("`{field}` must be an http(s) URL with a host, without credentials"),
    };
    if text.len() > MAX_URL_BYTES || text.chars().any(char::is_control) {
        return Err(malformed());
    }
    let url = Url::parse(text).map_err(|_| malformed())?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(malformed());
    }
    let host = url.host().ok_or_else(malformed)?;
    if allow_private {
        return Ok(url);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    match host {
        Host::Ipv4(ip) if !is_public(IpAddr::V4(ip)) => {
            Err(not_public(field, "is a private address"))
        }
        Host::Ipv6(ip) if !is_public(IpAddr::V6(ip)) => {
            Err(not_public(field, "is a private address"))
        }
        Host::Ipv4(_) | Host::Ipv6(_) => Ok(url),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || PRIVATE_SUFFIXES.iter().any(|s| name.ends_with(s)) {
                return Err(not_public(field, "names a private host"));
            }
            let lookup = tokio::net::lookup_host((name.as_str(), port));
            let addrs: Vec<_> = match tokio::time::timeout(Duration::from_secs(3), lookup).await {
                Ok(Ok(addrs)) => addrs.collect(),
                _ => return Err(not_public(field, "does not resolve")),
            };
            if addrs.is_empty() || addrs.iter().any(|a| !is_public(a.ip())) {
                return Err(not_public(field, "resolves to a private address"));
            }
            Ok(url)
        }
    }
}

/// Whether `ip` is reachable on the public internet (not loopback, private, link-local,
/// shared, documentation, multicast, reserved, nor an IPv6 form of such an IPv4 address).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 of an IPv4 address
                || s[..6] == [0; 6]) // IPv4-compatible (deprecated)
        }
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [o0, o1, ..] = a.octets();
    !(a.is_private()
        || a.is_loopback()
        || a.is_link_local() // 169.254/16: cloud metadata
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || o0 == 0
        || o0 >= 240
        || (o0 == 100 && (o1 & 0xc0) == 64) // shared address space (CGNAT)
        || (o0 == 198 && (o1 & 0xfe) == 18) // benchmarking
        || (o0 == 192 && o1 == 0 && a.octets()[2] == 0)) // IETF protocol assignments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn urls_must_be_http_with_a_public_host() {
        for bad in [
            "ftp://example.org/x",
            "https://",
            "not a url",
            "https://user:pw@93.184.215.14/",
            "https://93.184.215.14/\0",
        ] {
            let err = check_url(bad, "message.target", false).await.unwrap_err();
            assert_eq!(err.rule(), "malformed", "{bad}");
        }
        for private in [
            "http://127.0.0.1:8080/hook",
            "http://2130706433/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost/",
            "http://metadata.google.internal/",
            "http://printer.local/",
        ] {
            let err = check_url(private, "message.target", false)
                .await
                .unwrap_err();
            assert_eq!(err.rule(), "target-not-public", "{private}");
            assert!(!err.to_string().contains(private), "the URL is not quoted");
        }
        assert!(check_url("https://93.184.215.14/hook", "t", false)
            .await
            .is_ok());
        assert!(check_url("http://127.0.0.1:1/hook", "t", true)
            .await
            .is_ok());
    }
}
