//! Rule: a report's period does not end in the future, beyond the clock skew the server allows.
//! (Its length, at most 24 h, and the record timestamps inside it are checked when the report is
//! decoded.)

use super::{Clock, Rejection};

/// Whether a period ending at `period_end_ms` has ended by `clock`.
pub fn check_not_in_future(period_end_ms: u64, clock: Clock) -> Result<(), Rejection> {
    let latest_allowed_ms = clock.now_ms.saturating_add(clock.max_future_skew_ms);
    if period_end_ms > latest_allowed_ms {
        return Err(Rejection::PeriodInFuture {
            period_end_ms,
            latest_allowed_ms,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_may_end_up_to_the_skew_past_now() {
        let clock = Clock {
            now_ms: 1_000,
            max_future_skew_ms: 60,
        };
        assert_eq!(check_not_in_future(1_060, clock), Ok(()));
        assert_eq!(
            check_not_in_future(1_061, clock),
            Err(Rejection::PeriodInFuture {
                period_end_ms: 1_061,
                latest_allowed_ms: 1_060
            })
        );
    }

    #[test]
    fn the_skew_never_overflows() {
        let clock = Clock {
            now_ms: u64::MAX - 1,
            max_future_skew_ms: u64::MAX,
        };
        assert_eq!(check_not_in_future(u64::MAX, clock), Ok(()));
    }
}
