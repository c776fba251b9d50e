//! Reputation and penalty arithmetic, mirroring the contract (`SlaTermsLib.score`,
//! `SlaTermsLib.nextReputation`, `_penalize`).

use proptest::prelude::*;
use sla_protocol::aggregate::{epoch_score, next_reputation, REPUTATION_START};

const W: [u16; 6] = [2_000, 2_000, 1_500, 1_500, 2_000, 1_000];

#[test]
fn epoch_score_sums_the_weights_of_metrics_not_violated() {
    assert_eq!(epoch_score(&W, 0), 10_000);
    assert_eq!(epoch_score(&W, 0b11_1111), 0);
    assert_eq!(epoch_score(&W, 0b00_0001), 8_000);
    assert_eq!(epoch_score(&W, 0b10_0000), 9_000);
    assert_eq!(epoch_score(&W, 0b01_0100), 6_500);
    // Bit 6 (a metric rule violated) halves the score, rounded down; bit 7 is ignored (the
    // contract refuses it).
    assert_eq!(epoch_score(&W, 0b0100_0000), 5_000);
    assert_eq!(epoch_score(&W, 0b1100_0000), 5_000);
    assert_eq!(epoch_score(&W, 0b1000_0000), 10_000);
    assert_eq!(epoch_score(&W, 0b0100_0001), 4_000);
    assert_eq!(epoch_score(&[1, 0, 0, 0, 0, 0], 0b0100_0010), 0);
    // No violations is always a full score, as in the contract, whatever the weights.
    assert_eq!(epoch_score(&[0; 6], 0), 10_000);
    assert_eq!(epoch_score(&[u16::MAX; 6], 0b1), u16::MAX);
}

#[test]
fn next_reputation_edge_values() {
    assert_eq!(REPUTATION_START, 5_000);
    assert_eq!(next_reputation(5_000, 10_000), 5_625);
    assert_eq!(next_reputation(5_000, 0), 4_375);
    assert_eq!(next_reputation(0, 0), 0);
    assert_eq!(next_reputation(0, 10_000), 1_250);
    assert_eq!(next_reputation(10_000, 10_000), 10_000);
    assert_eq!(next_reputation(10_000, 0), 8_750);
    assert_eq!(next_reputation(1, 0), 0);
    assert_eq!(next_reputation(7, 7), 7);
    // Floor rounding: from 9 999 a perfect epoch gives 9 999.125 -> 9 999; the top is only
    // reached from 10 000 (and 9 993 + perfect scores converge to 9 993..9 999).
    assert_eq!(next_reputation(9_999, 10_000), 9_999);
    assert_eq!(next_reputation(9_992, 10_000), 9_993);
    assert_eq!(next_reputation(u16::MAX, u16::MAX), u16::MAX);
}

proptest! {
    #[test]
    fn reputation_stays_in_bounds_and_matches_the_formula(old in 0u16..=10_000, score in 0u16..=10_000) {
        let next = next_reputation(old, score);
        prop_assert!(next <= 10_000);
        prop_assert_eq!(u32::from(next), (u32::from(old) * 7 + u32::from(score)) / 8);
        prop_assert!(next >= old.min(score) && next <= old.max(score));
    }

    #[test]
    fn score_of_valid_weights_is_in_bounds(mut cuts in prop::array::uniform5(0u16..=10_000), v in any::<u8>()) {
        cuts.sort();
        let mut w = [0u16; 6];
        let mut prev = 0;
        for (i, c) in cuts.iter().enumerate() {
            w[i] = c - prev;
            prev = *c;
        }
        w[5] = 10_000 - prev;
        let s = epoch_score(&w, v);
        prop_assert!(s <= 10_000);
        let sum: u16 = (0..6).filter(|i| v >> i & 1 == 0).map(|i| w[i]).sum();
        let expect = if v == 0 { 10_000 } else if v & 0x40 != 0 { sum / 2 } else { sum };
        prop_assert_eq!(s, expect);
    }
}
