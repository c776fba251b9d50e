//! Process plumbing every binary of the SLA oracle shares, written once: the wall clock in Unix
//! milliseconds (the unit of every timestamp in the protocol), the future that completes on
//! Ctrl-C or SIGTERM (graceful shutdown), log set-up from `RUST_LOG`, and which IP addresses are
//! public (`net`).

#![warn(missing_docs)]

pub mod net;

use std::time::{SystemTime, UNIX_EPOCH};

use tracing_subscriber::EnvFilter;

/// The wall clock, Unix milliseconds (0 if the clock is set before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Unix seconds as a UTC calendar date and time, `[year, month, day, hour, minute, second]`, in
/// integers (days to a civil date by Howard Hinnant's algorithm, proleptic Gregorian).
pub fn utc_parts(secs: u64) -> [i64; 6] {
    let days = (secs / 86_400) as i64;
    let rem = (secs % 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    [year, month, day, rem / 3_600, rem % 3_600 / 60, rem % 60]
}

/// Completes when the process is asked to stop: Ctrl-C, or SIGTERM on Unix (what service
/// managers and `kill` send). Logs which one arrived.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; only Ctrl-C stops");
                std::future::pending::<()>().await
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received; shutting down"),
        _ = terminate => tracing::info!("SIGTERM received; shutting down"),
    }
}

/// Logs to standard output with the filter in `RUST_LOG`, or `default_filter` (e.g. `"info"`) when it is
/// unset or invalid.
pub fn init_logging(default_filter: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into()),
        )
        .init();
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_clock_is_after_2026() {
        assert!(super::now_ms() > 1_767_225_600_000);
    }
}
