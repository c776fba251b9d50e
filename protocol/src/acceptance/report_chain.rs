//! Rule: a report extends its reporter's report chain exactly. A report chain is the sequence of
//! one reporter key's reports on one data unit: sequence numbers 1, 2, 3, … each carrying the hash
//! of the report before it (zero for the first), with periods that do not overlap. A report at a
//! sequence already taken, with other bytes, is an equivocation (exact resends are answered with
//! the original acknowledgement before this rule runs).

use crate::report::{Report, ReportHash};

use super::Rejection;

/// One reporter key's reports on one data unit: the scope of a sequence number and hash chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReportChain {
    /// The reporter's ed25519 key.
    pub reporter_key: [u8; 32],
    /// The data unit it reports on.
    pub data_unit: u64,
}

impl ReportChain {
    /// The chain `report` belongs to.
    pub fn of(report: &Report) -> Self {
        ReportChain {
            reporter_key: report.reporter_key,
            data_unit: report.data_unit,
        }
    }
}

/// The newest report of a report chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportChainHead {
    /// Its sequence number.
    pub sequence: u64,
    /// Its hash: the next report's `prev_hash`.
    pub hash: ReportHash,
    /// Its period end, Unix ms: the next period may not start before it.
    pub period_end_ms: u64,
}

impl ReportChainHead {
    /// The head after `report` (whose hash is `hash`) was stored.
    pub fn of(report: &Report, hash: ReportHash) -> Self {
        ReportChainHead {
            sequence: report.sequence,
            hash,
            period_end_ms: report.period_end_ms,
        }
    }
}

/// Whether `report` extends a chain whose head is `head` (`None`: nothing stored yet).
/// `accepted_at_sequence` is the hash stored at the report's sequence, when that sequence is
/// already taken; it names the accepted report in an equivocation.
pub fn check_report_chain(
    report: &Report,
    head: Option<&ReportChainHead>,
    accepted_at_sequence: Option<&ReportHash>,
) -> Result<(), Rejection> {
    let (expected_sequence, expected_prev_hash, last_end) = match head {
        Some(h) => (h.sequence + 1, h.hash, h.period_end_ms),
        None => (1, ReportHash::ZERO, 0),
    };
    if report.sequence < expected_sequence {
        let accepted_hash = accepted_at_sequence.copied().unwrap_or(ReportHash::ZERO);
        return Err(Rejection::Equivocation { accepted_hash });
    }
    if report.sequence > expected_sequence {
        return Err(Rejection::SequenceGap {
            expected_sequence,
            expected_prev_hash,
        });
    }
    if report.prev_hash != expected_prev_hash {
        return Err(Rejection::PrevHashMismatch {
            expected_sequence,
            expected_prev_hash,
        });
    }
    if report.period_start_ms < last_end {
        return Err(Rejection::PeriodOverlapsPrevious {
            last_period_end_ms: last_end,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acceptance::batch::tests::report;

    fn head(sequence: u64, hash: u8, period_end_ms: u64) -> ReportChainHead {
        ReportChainHead {
            sequence,
            hash: ReportHash([hash; 32]),
            period_end_ms,
        }
    }

    #[test]
    fn the_first_report_has_sequence_one_and_a_zero_prev_hash() {
        assert_eq!(
            check_report_chain(&report(1, ReportHash::ZERO, 0), None, None),
            Ok(())
        );
        assert_eq!(
            check_report_chain(&report(2, ReportHash::ZERO, 0), None, None),
            Err(Rejection::SequenceGap {
                expected_sequence: 1,
                expected_prev_hash: ReportHash::ZERO
            })
        );
        assert_eq!(
            check_report_chain(&report(1, ReportHash([1; 32]), 0), None, None),
            Err(Rejection::PrevHashMismatch {
                expected_sequence: 1,
                expected_prev_hash: ReportHash::ZERO
            })
        );
    }

    #[test]
    fn the_next_report_chains_to_the_head_and_starts_at_or_after_its_end() {
        let h = head(4, 9, 1_000);
        assert_eq!(
            check_report_chain(&report(5, ReportHash([9; 32]), 1_000), Some(&h), None),
            Ok(())
        );
        assert_eq!(
            check_report_chain(&report(5, ReportHash([9; 32]), 999), Some(&h), None),
            Err(Rejection::PeriodOverlapsPrevious {
                last_period_end_ms: 1_000
            })
        );
        assert_eq!(
            check_report_chain(&report(6, ReportHash([9; 32]), 1_000), Some(&h), None),
            Err(Rejection::SequenceGap {
                expected_sequence: 5,
                expected_prev_hash: ReportHash([9; 32])
            })
        );
    }

    #[test]
    fn a_taken_sequence_is_an_equivocation_naming_the_accepted_report() {
        let h = head(4, 9, 1_000);
        let accepted = ReportHash([3; 32]);
        assert_eq!(
            check_report_chain(
                &report(3, ReportHash([2; 32]), 0),
                Some(&h),
                Some(&accepted)
            ),
            Err(Rejection::Equivocation {
                accepted_hash: accepted
            })
        );
    }
}
