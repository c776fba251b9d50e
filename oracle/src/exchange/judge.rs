//! What a page of a peer's feed did here, report by report, and where the cursor moves.
//!
//! A refusal that depends on this node's view of the chain or on its clock (the data unit or the
//! key not mirrored yet, a period ending ahead of this clock, an earlier report of the chain not
//! here yet) may be this node's lag rather than the peer's fault: the cursor stops before such a
//! report, which is judged again at the next pull, for at most the hold time. Every other refusal
//! (a signature, an encoding, a broken chain, an equivocation) is final and counted against the
//! peer at once.

use sla_protocol::acceptance::{Outcome, Rejection};
use sla_storage::reports::Ingested;

/// What happened to one served report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// This node lacked it and stored it.
    Stored,
    /// This node had it already.
    Duplicate,
    /// Refused for a reason that may be this node's lag: judged again later.
    Held(&'static str),
    /// Refused for good, for this reason.
    Rejected(&'static str),
}

/// Whether a refusal may come from this node's lag behind the chain, its clock, or a report of
/// the same chain it has not received yet.
fn may_be_lag(rejection: &Rejection) -> bool {
    matches!(
        rejection,
        Rejection::DataUnitUnknown
            | Rejection::DataUnitNotActive { .. }
            | Rejection::KeyNotRegistered
            | Rejection::PeriodInFuture { .. }
            | Rejection::SequenceGap { .. }
    )
}

/// The verdict of the group commit's outcome for one report.
pub(super) fn of_outcome(outcome: &Ingested) -> Verdict {
    match outcome {
        Ok(Outcome::Accepted(_)) => Verdict::Stored,
        Ok(Outcome::Duplicate(_)) => Verdict::Duplicate,
        Ok(Outcome::Rejected(r)) if may_be_lag(r) => Verdict::Held(r.rule()),
        Ok(Outcome::Rejected(r)) => Verdict::Rejected(r.rule()),
        Err(_) => Verdict::Rejected("unstorable"),
    }
}

/// The outcome of a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Settled {
    /// The new cursor: past every report judged for good.
    pub cursor: i64,
    /// Reports stored.
    pub stored: u64,
    /// Reports this node had.
    pub duplicates: u64,
    /// Reasons of the reports refused for good (one entry per report).
    pub rejected: Vec<&'static str>,
    /// The first report held back, and why; the cursor stops before it.
    pub held: Option<(i64, &'static str)>,
}

/// Settles a page judged report by report (`(id, verdict)` in feed order) from cursor `after`.
/// With `hold`, the cursor stops before the first held report, and only the refusals before it
/// count (the rest are judged again at the next pull; what was stored is then a duplicate);
/// without it (the hold time ran out), held reports are refused for good.
pub(super) fn settle(after: i64, verdicts: &[(i64, Verdict)], hold: bool) -> Settled {
    let mut settled = Settled {
        cursor: after,
        ..Settled::default()
    };
    let mut stopped = false;
    for &(id, verdict) in verdicts {
        match verdict {
            Verdict::Stored => settled.stored += 1,
            Verdict::Duplicate if !stopped => settled.duplicates += 1,
            Verdict::Held(reason) if !stopped && hold => {
                stopped = true;
                settled.held = Some((id, reason));
            }
            Verdict::Held(reason) | Verdict::Rejected(reason) if !stopped => {
                settled.rejected.push(reason)
            }
            _ => {}
        }
        if !stopped {
            settled.cursor = id;
        }
    }
    settled
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::*;

    #[test]
    fn a_clean_page_moves_the_cursor_to_its_last_report() {
        let s = settle(3, &[(4, Stored), (6, Duplicate), (7, Stored)], true);
        assert_eq!(s.cursor, 7);
        assert_eq!((s.stored, s.duplicates), (2, 1));
        assert!(s.rejected.is_empty() && s.held.is_none());
    }

    #[test]
    fn the_cursor_stops_before_a_held_report_and_later_refusals_wait() {
        let verdicts = [
            (4, Rejected("bad-signature")),
            (5, Held("data-unit-unknown")),
            (6, Stored),
            (7, Rejected("equivocation")),
            (8, Held("sequence-gap")),
        ];
        let s = settle(3, &verdicts, true);
        assert_eq!(s.cursor, 4);
        assert_eq!(s.held, Some((5, "data-unit-unknown")));
        assert_eq!(s.rejected, vec!["bad-signature"]);
        // 6 was stored now and will be a duplicate when the page is read again.
        assert_eq!(s.stored, 1);
    }

    #[test]
    fn past_the_hold_time_held_reports_are_refused_for_good() {
        let verdicts = [(5, Held("data-unit-unknown")), (6, Held("sequence-gap"))];
        let s = settle(4, &verdicts, false);
        assert_eq!(s.cursor, 6);
        assert_eq!(s.rejected, vec!["data-unit-unknown", "sequence-gap"]);
        assert_eq!(s.held, None);
    }

    #[test]
    fn an_empty_page_keeps_the_cursor() {
        assert_eq!(settle(9, &[], true).cursor, 9);
    }
}
