//! Where a subscription may send alerts: an http(s) URL with a host, without credentials in it,
//! and (unless the operator allows private targets, as tests on one machine need) a host that is
//! public: an SSRF defence, so that nobody can make the alerting process post to loopback, the
//! private network or a cloud metadata address. A name is resolved here and every address it
//! resolves to must be public; the alerting process does not follow redirects.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::StatusCode;
use sla_runtime::net::is_public;
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

#[cfg(test)]
mod tests {
    use super::*;

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
