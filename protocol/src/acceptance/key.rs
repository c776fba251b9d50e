//! Rule: the reporter key belongs to the party of the report's role and was valid over the whole
//! period. The ingest API applies it to the mirrored key; the auditor applies it to the key as
//! the contract's `keyInfo` answers.

use alloy_primitives::Address;

use super::Rejection;
use crate::parties::ReporterKey;
use crate::report::Role;

/// Whether `key` may sign a report of `role` for the party `party` over
/// `[period_start_ms, period_end_ms)`: registered by `party`, valid from at or before the start
/// and, once revoked, until at or after the end.
pub fn check_key(
    key: &ReporterKey,
    party: Address,
    role: Role,
    period_start_ms: u64,
    period_end_ms: u64,
) -> Result<(), Rejection> {
    if key.account != party {
        return Err(Rejection::KeyNotOfParty {
            role,
            account: key.account,
            party,
        });
    }
    let after_start = period_start_ms >= key.valid_from_ms;
    let before_end = key
        .valid_until_ms
        .is_none_or(|until| period_end_ms <= until);
    if !(after_start && before_end) {
        return Err(Rejection::KeyNotValidForPeriod {
            valid_from_ms: key.valid_from_ms,
            valid_until_ms: key.valid_until_ms,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: Address = Address::repeat_byte(0xc1);

    fn key(valid_from_ms: u64, valid_until_ms: Option<u64>) -> ReporterKey {
        ReporterKey {
            public_key: [7; 32],
            account: OWNER,
            valid_from_ms,
            valid_until_ms,
        }
    }

    #[test]
    fn a_key_of_another_account_is_refused_with_both_accounts() {
        let other = Address::repeat_byte(0xb1);
        assert_eq!(
            check_key(&key(0, None), other, Role::Provider, 10, 20),
            Err(Rejection::KeyNotOfParty {
                role: Role::Provider,
                account: OWNER,
                party: other
            })
        );
    }

    #[test]
    fn validity_covers_the_whole_period_inclusive_at_both_ends() {
        assert_eq!(
            check_key(&key(10, Some(20)), OWNER, Role::Consumer, 10, 20),
            Ok(())
        );
        let refused = Err(Rejection::KeyNotValidForPeriod {
            valid_from_ms: 10,
            valid_until_ms: Some(20),
        });
        assert_eq!(
            check_key(&key(10, Some(20)), OWNER, Role::Consumer, 9, 20),
            refused
        );
        assert_eq!(
            check_key(&key(10, Some(20)), OWNER, Role::Consumer, 10, 21),
            refused
        );
    }

    #[test]
    fn a_key_never_revoked_is_valid_from_its_start_on() {
        assert_eq!(
            check_key(&key(10, None), OWNER, Role::Consumer, 10, u64::MAX),
            Ok(())
        );
    }
}
