//! The one HTTP request the exporter sources make: a GET whose answer is read up to a bound, so
//! a misconfigured URL (a log file, a video) cannot fill the agent's memory.

use reqwest::header::HeaderMap;

use super::{Failure, ERR_FORMAT};
use crate::probe::endpoint::describe_error;

/// Checks a source's `name`, `url` (http or https) and `timeout` (positive) at `field`.
pub(super) fn check_source(
    field: &str,
    name: &str,
    url: &str,
    timeout: std::time::Duration,
) -> anyhow::Result<reqwest::Url> {
    use anyhow::{bail, Context};
    if name.trim().is_empty() {
        bail!("{field}.name must not be empty");
    }
    let url = reqwest::Url::parse(url).with_context(|| format!("{field}.url"))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("{field}.url must be an http or https URL");
    }
    if timeout.is_zero() {
        bail!("{field}.timeout must be positive");
    }
    Ok(url)
}

/// Largest answer read from an exporter: 8 MiB (node_exporter on a big host sends ~0.5 MiB).
pub(super) const MAX_BODY_BYTES: usize = 8 << 20;

/// GETs `url` and returns the body; a transport error, a non-2xx status or a body over
/// [`MAX_BODY_BYTES`] is a failure (the time limit is the caller's).
pub(super) async fn get_bounded(
    http: &reqwest::Client,
    url: &reqwest::Url,
    headers: &HeaderMap,
) -> Result<Vec<u8>, Failure> {
    let transport = |e: reqwest::Error| {
        let (code, detail) = describe_error(&e);
        Failure::new(code, detail)
    };
    let mut response = http
        .get(url.clone())
        .headers(headers.clone())
        .send()
        .await
        .map_err(transport)?;
    let status = response.status();
    if !status.is_success() {
        return Err(Failure::new(status.as_u16(), format!("GET: HTTP {status}")));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Failure::new(
                ERR_FORMAT,
                format!("answer larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
