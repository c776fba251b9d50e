//! How long a component waits before retrying a step that failed.

use std::time::Duration;

/// The longest wait between retries of a failing step.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The wait after `failures` failures in a row: `base * 2^(failures-1)`, at least 250 ms and at
/// most 30 s.
pub(crate) fn backoff(base: Duration, failures: u32) -> Duration {
    let base = base.max(Duration::from_millis(250));
    base.saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(MAX_BACKOFF)
}
