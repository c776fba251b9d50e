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

/// Unix seconds as RFC 3339 UTC, `2026-12-07T02:30:00Z` (what [`utc_secs`]'s callers parse).
pub fn utc_text(secs: u64) -> String {
    let [y, mo, d, h, mi, s] = utc_parts(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// The Unix seconds of a UTC date and time (the inverse of [`utc_parts`]); `None` for a date
/// before 1970 or a field out of range (month 1-12, day 1-31 and within its month, hour 0-23,
/// minute and second 0-59).
pub fn utc_secs(parts: [i64; 6]) -> Option<u64> {
    let [year, month, day, hour, minute, second] = parts;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
        || !(0..60).contains(&second)
    {
        return None;
    }
    let y = year - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = u64::try_from(days * 86_400 + hour * 3_600 + minute * 60 + second).ok()?;
    // A day past the end of its month (31 April) comes back as another date: refused.
    (utc_parts(secs) == parts).then_some(secs)
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

    #[test]
    fn utc_secs_inverts_utc_parts() {
        for secs in [0, 951_782_400, 1_767_225_600, 1_798_761_599, 4_102_444_800] {
            assert_eq!(
                super::utc_secs(super::utc_parts(secs)),
                Some(secs),
                "{secs}"
            );
        }
        assert_eq!(
            super::utc_secs([2026, 12, 7, 2, 30, 0]),
            Some(1_796_610_600)
        );
        assert_eq!(super::utc_text(1_796_610_600), "2026-12-07T02:30:00Z");
        assert_eq!(super::utc_secs([2026, 4, 31, 0, 0, 0]), None, "31 April");
        assert_eq!(
            super::utc_secs([2027, 2, 29, 0, 0, 0]),
            None,
            "not a leap year"
        );
        assert_eq!(super::utc_secs([1969, 12, 31, 23, 59, 59]), None);
        assert_eq!(super::utc_secs([2026, 13, 1, 0, 0, 0]), None);
    }
}
