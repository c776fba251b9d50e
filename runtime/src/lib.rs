//! Process plumbing every binary of the SLA oracle shares, written once: the wall clock in Unix
//! milliseconds (the unit of every timestamp in the protocol), the future that completes on
//! Ctrl-C or SIGTERM (graceful shutdown), and log set-up from `RUST_LOG`.

#![warn(missing_docs)]

use std::time::{SystemTime, UNIX_EPOCH};

use tracing_subscriber::EnvFilter;

/// The wall clock, Unix milliseconds (0 if the clock is set before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
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
