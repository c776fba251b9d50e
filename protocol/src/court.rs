//! The court's verdicts (`ISlaCourt.Verdict`) and the default vote a validator casts on a fault
//! flag (docs/court.md, "The default vote"). Every validator that runs this code on the same flag
//! and the same court rules votes the same way, so an honest set reaches a supermajority without
//! talking; an operator who reads the provider's rebuttal and disagrees overrides the vote
//! (`sla court commit --vote`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
