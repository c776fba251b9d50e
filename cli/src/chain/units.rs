//! Amounts of wei on the command line and in output.

use alloy::primitives::utils::{format_ether, parse_units};
use alloy::primitives::U256;

/// Parses `1000` (wei), `1000wei`, `2.5gwei`, `1ether`, `0.5eth` (a space before the unit is
/// allowed). Negative amounts and more decimals than the unit has are refused.
pub fn parse_amount(input: &str) -> Result<U256, String> {
    let s = input.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let (unit, decimals) = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "wei" => ("wei", 0),
        "gwei" => ("gwei", 9),
        "eth" | "ether" => ("ether", 18),
        other => {
            return Err(format!(
                "unknown unit {other:?} in {input:?} (use wei, gwei or ether)"
            ))
        }
    };
    if number.is_empty() || number.matches('.').count() > 1 {
        return Err(format!(
            "{input:?} is not an amount (e.g. 1000, 2.5gwei, 1ether)"
        ));
    }
    let fraction = number.split_once('.').map_or(0, |(_, f)| f.len());
    if fraction > decimals {
        return Err(format!(
            "{input:?} has more decimals than a {unit} amount can have ({decimals})"
        ));
    }
    let parsed =
        parse_units(number, unit).map_err(|e| format!("{input:?} is not an amount: {e}"))?;
    Ok(parsed.into())
}

/// `1500000000000000000 wei (1.5 ETH)`, or `0 wei`.
pub fn format_wei(amount: U256) -> String {
    if amount.is_zero() {
        return "0 wei".into();
    }
    let ether = format_ether(amount);
    let ether = ether.trim_end_matches('0').trim_end_matches('.');
    format!("{amount} wei ({ether} ETH)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_with_and_without_units() {
        let eth = U256::from(10u64).pow(U256::from(18u64));
        assert_eq!(parse_amount("1000").unwrap(), U256::from(1000u64));
        assert_eq!(parse_amount("1000wei").unwrap(), U256::from(1000u64));
        assert_eq!(
            parse_amount("2.5gwei").unwrap(),
            U256::from(2_500_000_000u64)
        );
        assert_eq!(parse_amount("1ether").unwrap(), eth);
        assert_eq!(parse_amount("0.5 eth").unwrap(), eth / U256::from(2u64));
        assert!(parse_amount("-1").is_err());
        assert!(parse_amount("1btc").is_err());
        assert!(parse_amount("1.2.3").is_err());
        assert!(parse_amount("0.5wei").is_err());
    }

    #[test]
    fn wei_formats_with_ether() {
        assert_eq!(
            format_wei(U256::from(1_500_000_000_000_000_000u64)),
            "1500000000000000000 wei (1.5 ETH)"
        );
        assert_eq!(format_wei(U256::ZERO), "0 wei");
    }
}

/// Unix seconds as an RFC 3339 UTC time, e.g. `2026-12-03T08:00:00Z` (`-` for 0, the contract's
/// "never").
pub fn utc(secs: u64) -> String {
    if secs == 0 {
        return "-".to_owned();
    }
    let [y, mo, d, h, mi, s] = sla_runtime::utc_parts(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod utc_tests {
    use super::utc;

    #[test]
    fn unix_seconds_read_as_utc() {
        assert_eq!(utc(0), "-");
        assert_eq!(utc(1), "1970-01-01T00:00:01Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_796_288_400), "2026-12-03T09:00:00Z");
    }
}
