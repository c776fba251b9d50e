//! Rule: the data unit takes reports for the period. Reports are taken for an active data unit,
//! and for a closed one up to the moment it closed, so that the last period before a close still
//! counts.

use super::Rejection;
use crate::parties::{Allocation, AllocationStatus};

/// Whether `allocation` takes a report whose period ends at `period_end_ms`.
pub fn check_data_unit_open(allocation: &Allocation, period_end_ms: u64) -> Result<(), Rejection> {
    match (allocation.status, allocation.closed_at_ms) {
        (AllocationStatus::Active, _) => Ok(()),
        (AllocationStatus::Closed, Some(closed)) if period_end_ms <= closed => Ok(()),
        (status, _) => Err(Rejection::DataUnitNotActive { status }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acceptance::batch::tests::allocation;

    #[test]
    fn an_active_data_unit_takes_any_period() {
        assert_eq!(
            check_data_unit_open(&allocation(AllocationStatus::Active), u64::MAX),
            Ok(())
        );
    }

    #[test]
    fn a_closed_data_unit_takes_periods_that_end_by_the_close() {
        let mut closed = allocation(AllocationStatus::Closed);
        closed.closed_at_ms = Some(5_000);
        assert_eq!(check_data_unit_open(&closed, 5_000), Ok(()));
        assert_eq!(
            check_data_unit_open(&closed, 5_001),
            Err(Rejection::DataUnitNotActive {
                status: AllocationStatus::Closed
            })
        );
    }

    #[test]
    fn requested_declined_and_expired_data_units_take_nothing() {
        for status in [
            AllocationStatus::Requested,
            AllocationStatus::Declined,
            AllocationStatus::Expired,
        ] {
            assert_eq!(
                check_data_unit_open(&allocation(status), 1),
                Err(Rejection::DataUnitNotActive { status })
            );
        }
    }
}
