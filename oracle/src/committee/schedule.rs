//! Who leads which round, and when (docs/committee.md, "Rounds"): every node computes the same
//! answer from the contract's signer set and its own clock, with no message exchanged.

use alloy::primitives::Address;

/// The leader of `attempt` of `epoch`'s round: the signers in ascending order of address,
/// starting at `epoch mod n` and moving one on per attempt, so the role rotates from epoch to
/// epoch and a silent leader is replaced by the next signer. `None` for an empty set.
pub fn leader(signers: &[Address], epoch: u64, attempt: u64) -> Option<Address> {
    if signers.is_empty() {
        return None;
    }
    let mut sorted = signers.to_vec();
    sorted.sort();
    let n = sorted.len() as u64;
    Some(sorted[((epoch % n + attempt % n) % n) as usize])
}

/// The attempt under way at `now_ms` of a round that starts at `start_ms`, each attempt lasting
/// `timeout_ms`; `None` before the start.
pub fn attempt_at(start_ms: u64, now_ms: u64, timeout_ms: u64) -> Option<u64> {
    let elapsed = now_ms.checked_sub(start_ms)?;
    Some(elapsed / timeout_ms.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(byte: u8) -> Address {
        Address::repeat_byte(byte)
    }

    #[test]
    fn the_leader_rotates_with_the_epoch_and_the_attempt() {
        // Given in any order, taken in ascending order.
        let set = [a(3), a(1), a(2), a(4)];
        assert_eq!(leader(&set, 0, 0), Some(a(1)));
        assert_eq!(leader(&set, 1, 0), Some(a(2)));
        assert_eq!(leader(&set, 1, 1), Some(a(3)));
        assert_eq!(leader(&set, 3, 1), Some(a(1)));
        assert_eq!(leader(&set, u64::MAX, u64::MAX), leader(&set, 3, 3));
        assert_eq!(leader(&[], 7, 0), None);
    }

    #[test]
    fn attempts_follow_each_other_every_timeout() {
        assert_eq!(attempt_at(1_000, 999, 500), None);
        assert_eq!(attempt_at(1_000, 1_000, 500), Some(0));
        assert_eq!(attempt_at(1_000, 1_499, 500), Some(0));
        assert_eq!(attempt_at(1_000, 1_500, 500), Some(1));
        assert_eq!(attempt_at(1_000, 2_000, 0), Some(1_000));
    }
}
