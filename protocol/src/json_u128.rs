//! 128-bit integers in JSON as decimal strings: many JSON parsers (JavaScript's among them) read
//! every number as a double and lose digits past 2^53, and a latency or byte sum or an amount of
//! wei passes that. Written as a string; read from a string or, as rows and documents written
//! before this rule hold them, from a number up to 2^64 - 1 (a larger number is refused rather
//! than read through a double, as serde_json would read it here).

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// `#[serde(with = "crate::json_u128")]`
pub(crate) fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// See [`serialize`].
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
    struct U128Visitor;
    impl Visitor<'_> for U128Visitor {
        type Value = u128;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative integer as a decimal string (or a JSON number)")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u128, E> {
            Ok(u128::from(v))
        }
        fn visit_u128<E: de::Error>(self, v: u128) -> Result<u128, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u128, E> {
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(E::custom("expected a decimal string of digits"));
            }
            v.parse()
                .map_err(|_| E::custom("integer out of the 128-bit range"))
        }
    }
    d.deserialize_any(U128Visitor)
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sum(#[serde(with = "super")] u128);

    #[test]
    fn written_as_a_string_read_from_either() {
        let big = Sum(u128::MAX);
        let text = serde_json::to_string(&big).unwrap();
        assert_eq!(text, format!("\"{}\"", u128::MAX));
        assert_eq!(serde_json::from_str::<Sum>(&text).unwrap(), big);
        assert_eq!(serde_json::from_str::<Sum>("12").unwrap(), Sum(12));
        assert_eq!(
            serde_json::from_str::<Sum>(&u64::MAX.to_string()).unwrap(),
            Sum(u64::MAX.into())
        );
        assert!(serde_json::from_str::<Sum>("\"-1\"").is_err());
        assert!(serde_json::from_str::<Sum>("\"\"").is_err());
        assert!(serde_json::from_str::<Sum>("-1").is_err());
    }
}
