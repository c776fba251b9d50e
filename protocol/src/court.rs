//! The court's verdicts (`ISlaCourt.Verdict`), the rule that says when a provider's closed epochs
//! call for a fault flag and what it attests ([`flag_evidence`], docs/court.md, "Flags"), and the
//! default vote a validator casts on a flag (docs/court.md, "The default vote"). Every validator that runs this code on the same flag
//! and the same court rules votes the same way, so an honest set reaches a supermajority without
//! talking; an operator who reads the provider's rebuttal and disagrees overrides the vote
//! (`sla court commit --vote`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aggregate::EpochSummary;

/// What a validator votes for and what a case decides, numbered as the contract's enum (0 is
/// the contract's "not decided", never a vote).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Nothing happens; the flag and the case stay on record.
    NoAction = 1,
    /// `slashBps` of the provider's stake goes to the flagged data units' consumers.
    Slash = 2,
    /// The provider accepts no allocation for the court's suspension period.
    Suspend = 3,
    /// The provider never accepts an allocation again.
    Remove = 4,
}

impl Verdict {
    /// All votes, in the contract's order.
    pub const ALL: [Verdict; 4] = [
        Verdict::NoAction,
        Verdict::Slash,
        Verdict::Suspend,
        Verdict::Remove,
    ];

    /// The contract's enum value.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The verdict of a contract enum value; `None` for 0 (undecided) and unknown values.
    pub fn from_code(code: u8) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.code() == code)
    }

    /// The kebab-case name (`no-action`, `slash`, `suspend`, `remove`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NoAction => "no-action",
            Verdict::Slash => "slash",
            Verdict::Suspend => "suspend",
            Verdict::Remove => "remove",
        }
    }
}

impl From<Verdict> for u8 {
    fn from(verdict: Verdict) -> u8 {
        verdict.code()
    }
}

impl TryFrom<u8> for Verdict {
    /// The value, which names no verdict (0 is the contract's "not decided").
    type Error = u8;

    fn try_from(code: u8) -> Result<Self, u8> {
        Verdict::from_code(code).ok_or(code)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown vote {s:?}: one of no-action, slash, suspend, remove"))
    }
}

/// The default vote on a flag whose fault rate is `fault_rate_bps`, under a court whose
/// threshold is `threshold_bps` (integers only, so every validator agrees):
///
/// | fault rate | vote |
/// | --- | --- |
/// | at most the threshold (the flag is not supported) | `NoAction` |
/// | above it, at most twice it | `Slash`: the consumers are compensated |
/// | above twice the threshold | `Suspend`: new consumers are protected too |
///
/// `Remove` is never a default: it ends a provider's business and is left to the operators.
pub fn default_vote(fault_rate_bps: u16, threshold_bps: u16) -> Verdict {
    let rate = u32::from(fault_rate_bps);
    let threshold = u32::from(threshold_bps);
    if rate <= threshold {
        Verdict::NoAction
    } else if rate <= 2 * threshold {
        Verdict::Slash
    } else {
        Verdict::Suspend
    }
}

/// Fewest checks a flag may rest on: below it a fault rate says too little (one failed check of
/// three is 33 %).
pub const MIN_FLAG_CHECKS: u64 = 100;

/// Most data units one flag names (the court's `MAX_AFFECTED`).
pub const MAX_FLAGGED_DATA_UNITS: usize = 64;

/// One data unit's checks and faults in one closed epoch, both views together (the checks behind
/// the "fault tolerance" score, docs/aggregation.md), and the root of the reports they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochFaults {
    /// The data unit.
    pub data_unit: u64,
    /// The epoch.
    pub epoch: u64,
    /// Checks of both views: every record, service operations and gauge samples alike.
    pub checks: u64,
    /// Of which not successful.
    pub faults: u64,
    /// The Merkle root of the reports counted (the result's `reportsRoot`).
    pub reports_root: [u8; 32],
}

impl EpochFaults {
    /// The checks and faults of a closed epoch's summary.
    pub fn of(summary: &EpochSummary) -> EpochFaults {
        EpochFaults {
            data_unit: summary.data_unit,
            epoch: summary.epoch,
            checks: summary
                .consumer
                .checks
                .saturating_add(summary.provider.checks),
            faults: summary
                .consumer
                .faults
                .saturating_add(summary.provider.faults),
            reports_root: summary.reports_root,
        }
    }
}

/// What the oracle signers attest when they flag a provider (the court's `FaultFlag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagEvidence {
    /// First flagged epoch.
    pub from_epoch: u64,
    /// Last flagged epoch.
    pub to_epoch: u64,
    /// `floor(faults * 10000 / checks)` over every data unit and epoch given.
    pub fault_rate_bps: u16,
    /// [`evidence_root`] of the rows the rate was computed from.
    pub evidence_root: [u8; 32],
    /// The data units with faults, ascending; the [`MAX_FLAGGED_DATA_UNITS`] with the most faults
    /// when there are more.
    pub data_units: Vec<u64>,
    /// Their faults over the flagged epochs (saturated to `u32::MAX`), in the same order.
    pub faults: Vec<u32>,
}

/// The flag a provider's closed epochs `[from_epoch, to_epoch]` call for, if any: the fault rate
/// of all the rows in that range (every data unit of the provider and epoch the oracle closed)
/// must be above `threshold_bps`, over at least [`MIN_FLAG_CHECKS`] checks. Rows outside the
/// range are ignored. Integer arithmetic only: the auditor recomputes the same flag from the
/// same summaries.
pub fn flag_evidence(
    rows: &[EpochFaults],
    from_epoch: u64,
    to_epoch: u64,
    threshold_bps: u16,
) -> Option<FlagEvidence> {
    let mut rows: Vec<EpochFaults> = rows
        .iter()
        .filter(|r| (from_epoch..=to_epoch).contains(&r.epoch))
        .copied()
        .collect();
    rows.sort_by_key(|r| (r.data_unit, r.epoch));
    let checks: u128 = rows.iter().map(|r| u128::from(r.checks)).sum();
    let faults: u128 = rows
        .iter()
        .map(|r| u128::from(r.faults.min(r.checks)))
        .sum();
    if checks < u128::from(MIN_FLAG_CHECKS) {
        return None;
    }
    let rate = u16::try_from(faults * 10_000 / checks).expect("faults <= checks");
    if rate <= threshold_bps {
        return None;
    }
    let mut per_unit: Vec<(u64, u64)> = Vec::new();
    for r in &rows {
        match per_unit.last_mut() {
            Some((unit, sum)) if *unit == r.data_unit => *sum = sum.saturating_add(r.faults),
            _ => per_unit.push((r.data_unit, r.faults)),
        }
    }
    per_unit.retain(|(_, f)| *f > 0);
    if per_unit.len() > MAX_FLAGGED_DATA_UNITS {
        // The most faults first, the lower id on a tie; then back to id order.
        per_unit.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        per_unit.truncate(MAX_FLAGGED_DATA_UNITS);
        per_unit.sort_by_key(|(unit, _)| *unit);
    }
    Some(FlagEvidence {
        from_epoch,
        to_epoch,
        fault_rate_bps: rate,
        evidence_root: evidence_root(&rows),
        data_units: per_unit.iter().map(|(unit, _)| *unit).collect(),
        faults: per_unit
            .iter()
            .map(|(_, f)| u32::try_from(*f).unwrap_or(u32::MAX))
            .collect(),
    })
}

/// SHA-256 of the rows in (data unit, epoch) order, each as `data_unit ‖ epoch ‖ checks ‖
/// faults` (8 bytes big-endian each) `‖ reports_root` (32 bytes): what a flag's rate rests on.
/// An auditor recomputes each row from the reports under its `reports_root`.
pub fn evidence_root(rows: &[EpochFaults]) -> [u8; 32] {
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|r| (r.data_unit, r.epoch));
    let mut h = Sha256::new();
    for r in &sorted {
        h.update(r.data_unit.to_be_bytes());
        h.update(r.epoch.to_be_bytes());
        h.update(r.checks.to_be_bytes());
        h.update(r.faults.to_be_bytes());
        h.update(r.reports_root);
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_vote_follows_the_table() {
        assert_eq!(default_vote(0, 2000), Verdict::NoAction);
        assert_eq!(default_vote(2000, 2000), Verdict::NoAction);
        assert_eq!(default_vote(2001, 2000), Verdict::Slash);
        assert_eq!(default_vote(4000, 2000), Verdict::Slash);
        assert_eq!(default_vote(4001, 2000), Verdict::Suspend);
        assert_eq!(default_vote(10_000, 2000), Verdict::Suspend);
        // A threshold above half: twice it is above 100 %, so every flag is a slash.
        assert_eq!(default_vote(10_000, 6000), Verdict::Slash);
        // A zero threshold: any fault is above twice it.
        assert_eq!(default_vote(1, 0), Verdict::Suspend);
        assert_eq!(default_vote(0, 0), Verdict::NoAction);
    }

    fn row(data_unit: u64, epoch: u64, checks: u64, faults: u64) -> EpochFaults {
        EpochFaults {
            data_unit,
            epoch,
            checks,
            faults,
            reports_root: [data_unit as u8; 32],
        }
    }

    #[test]
    fn a_flag_needs_a_rate_above_the_threshold_over_enough_checks() {
        let rows = [row(2, 5, 100, 30), row(1, 5, 100, 10), row(1, 6, 100, 0)];
        assert_eq!(
            flag_evidence(&rows, 5, 6, 2000),
            None,
            "40 of 300 is 13.33 %"
        );
        let flag = flag_evidence(&rows, 5, 6, 1000).expect("above 10 %");
        assert_eq!(flag.fault_rate_bps, 1333);
        assert_eq!(flag_evidence(&rows, 5, 6, 1333), None, "equal is not above");
        assert_eq!(flag.data_units, vec![1, 2]);
        assert_eq!(flag.faults, vec![10, 30]);
        assert_eq!((flag.from_epoch, flag.to_epoch), (5, 6));
        assert_eq!(flag.evidence_root, evidence_root(&rows));
        // Fewer than MIN_FLAG_CHECKS checks: no flag, whatever the rate.
        assert_eq!(flag_evidence(&[row(1, 5, 99, 99)], 5, 5, 0), None);
        // Rows outside the range do not count.
        assert_eq!(flag_evidence(&rows, 6, 6, 0), None, "100 checks, no fault");
    }

    #[test]
    fn the_evidence_root_binds_every_row_whatever_their_order() {
        let rows = [row(1, 5, 100, 10), row(2, 5, 100, 30)];
        let swapped = [rows[1], rows[0]];
        assert_eq!(evidence_root(&rows), evidence_root(&swapped));
        let mut changed = rows;
        changed[1].faults = 31;
        assert_ne!(evidence_root(&rows), evidence_root(&changed));
    }

    #[test]
    fn at_most_64_data_units_the_ones_with_most_faults() {
        let rows: Vec<EpochFaults> = (1..=70).map(|u| row(u, 1, 100, u)).collect();
        let flag = flag_evidence(&rows, 1, 1, 0).unwrap();
        assert_eq!(flag.data_units.len(), MAX_FLAGGED_DATA_UNITS);
        assert_eq!(
            flag.data_units.first(),
            Some(&7),
            "units 1-6 have the fewest faults"
        );
        assert!(flag.data_units.windows(2).all(|w| w[0] < w[1]), "ascending");
    }

    #[test]
    fn verdicts_round_trip_names_and_codes() {
        for v in Verdict::ALL {
            assert_eq!(v.as_str().parse::<Verdict>(), Ok(v));
            assert_eq!(Verdict::from_code(v.code()), Some(v));
        }
        assert_eq!(Verdict::from_code(0), None);
        assert_eq!(Verdict::from_code(5), None);
        assert!("Slash".parse::<Verdict>().is_err());
    }
}
