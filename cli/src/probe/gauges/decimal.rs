//! Exact decimal numbers for scaling gauge values: an exporter's `36.6` times a scale of `1000`
//! must be `36600`, not `36599` as binary floating point can give. A value is
//! `mantissa × 10^exponent`; a final rounding to an integer is half away from zero.

use std::fmt;

/// Most significant digits kept of a parsed value. Exporters print at most 17 (a 64-bit float);
/// digits beyond 20 are cut (not rounded), which cannot change a result that fits an `i64`
/// by more than the final rounding would.
const MAX_VALUE_DIGITS: u32 = 20;
/// Most significant digits of a scale: a scale times a value then always fits an `i128`.
pub const MAX_SCALE_DIGITS: u32 = 18;

/// `mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    mantissa: i128,
    exponent: i32,
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        exponent: 0,
    };

    /// One.
    pub const ONE: Decimal = Decimal {
        mantissa: 1,
        exponent: 0,
    };

    /// Parses `[+-]digits[.digits][e[+-]digits]` (also `.5`, `5.`); `None` for anything else,
    /// including `NaN` and `Inf`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let text = text.trim();
        let (negative, rest) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (number, exp_text) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int_part, frac_part) = match number.find('.') {
            Some(i) => (&number[..i], &number[i + 1..]),
            None => (number, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let mut mantissa: i128 = 0;
        let mut exponent: i64 = 0;
        let mut digits = 0u32;
        for (i, part) in [int_part, frac_part].into_iter().enumerate() {
            for c in part.bytes() {
                if !c.is_ascii_digit() {
                    return None;
                }
                let fractional = i == 1;
                if digits < MAX_VALUE_DIGITS {
                    mantissa = mantissa * 10 + i128::from(c - b'0');
                    if mantissa != 0 {
                        digits += 1;
                    }
                    if fractional {
                        exponent -= 1;
                    }
                } else if !fractional {
                    // A cut integer digit still counts for the magnitude.
                    exponent += 1;
                }
            }
        }
        if let Some(e) = exp_text {
            let (sign, digits) = match e.as_bytes().first()? {
                b'-' => (-1, &e[1..]),
                b'+' => (1, &e[1..]),
                _ => (1, e),
            };
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            // Saturate: 10^±100000 is out of any range anyway.
            let n: i64 = digits.parse().unwrap_or(100_000).min(100_000);
            exponent += sign * n;
        }
        let exponent = i32::try_from(exponent.clamp(-200_000, 200_000)).ok()?;
        Some(
            Decimal {
                mantissa: if negative { -mantissa } else { mantissa },
                exponent,
            }
            .normalized(),
        )
    }

    /// Trailing zeros of the mantissa moved into the exponent (so digits can be counted).
    fn normalized(mut self) -> Decimal {
        if self.mantissa == 0 {
            return Decimal {
                mantissa: 0,
                exponent: 0,
            };
        }
        while self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.exponent += 1;
        }
        self
    }

    /// Whether this is zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// Significant digits of the mantissa.
    pub fn digits(&self) -> u32 {
        self.mantissa
            .unsigned_abs()
            .checked_ilog10()
            .map_or(0, |d| d + 1)
    }

    /// The power of ten of the most significant digit (`123.4` → 2).
    pub fn magnitude(&self) -> i64 {
        i64::from(self.exponent) + i64::from(self.digits()) - 1
    }

    /// The exact product, `None` on overflow.
    pub fn checked_mul(self, other: Decimal) -> Option<Decimal> {
        Some(
            Decimal {
                mantissa: self.mantissa.checked_mul(other.mantissa)?,
                exponent: self.exponent.checked_add(other.exponent)?,
            }
            .normalized(),
        )
    }

    /// The exact sum, `None` on overflow.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        if self.is_zero() {
            return Some(other);
        }
        if other.is_zero() {
            return Some(self);
        }
        let (hi, lo) = if self.exponent >= other.exponent {
            (self, other)
        } else {
            (other, self)
        };
        let shift = u32::try_from(hi.exponent - lo.exponent).ok()?;
        let aligned = hi.mantissa.checked_mul(10i128.checked_pow(shift)?)?;
        Some(
            Decimal {
                mantissa: aligned.checked_add(lo.mantissa)?,
                exponent: lo.exponent,
            }
            .normalized(),
        )
    }

    /// The nearest integer, halves rounded away from zero; `None` when it does not fit an `i64`.
    pub fn round_to_i64(self) -> Option<i64> {
        if self.mantissa == 0 {
            return Some(0);
        }
        let value = if self.exponent >= 0 {
            let factor = 10i128.checked_pow(u32::try_from(self.exponent).ok()?)?;
            self.mantissa.checked_mul(factor)?
        } else {
            let k = self.exponent.unsigned_abs();
            // |mantissa| < 2^127 < 0.5 × 10^39: anything divided by 10^39 or more rounds to 0.
            if k > 38 {
                return Some(0);
            }
            let divisor = 10i128.pow(k);
            let (q, r) = (self.mantissa / divisor, self.mantissa % divisor);
            if r.unsigned_abs() * 2 >= divisor.unsigned_abs() {
                q + self.mantissa.signum()
            } else {
                q
            }
        };
        i64::try_from(value).ok()
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.exponent == 0 {
            write!(f, "{}", self.mantissa)
        } else {
            write!(f, "{}e{}", self.mantissa, self.exponent)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaled(value: &str, scale: &str) -> Option<i64> {
        Decimal::parse(value)?
            .checked_mul(Decimal::parse(scale)?)?
            .round_to_i64()
    }

    #[test]
    fn scaling_is_exact_where_binary_floats_are_not() {
        // 36.6 * 1000.0 in f64 is 36599.99999999999.
        assert_eq!(scaled("36.6", "1000"), Some(36_600));
        assert_eq!(scaled("0.1", "3"), Some(0));
        assert_eq!(scaled("1.2345e+06", "1"), Some(1_234_500));
        assert_eq!(scaled("4.2e-3", "1e6"), Some(4_200));
        assert_eq!(scaled("-3", "0.5"), Some(-2), "half away from zero");
        assert_eq!(scaled("2.5", "1"), Some(3));
        assert_eq!(scaled("2.4999", "1"), Some(2));
        assert_eq!(scaled(".5", "1"), Some(1));
        assert_eq!(scaled("7.", "1"), Some(7));
        assert_eq!(scaled("1e-300", "1"), Some(0));
    }

    #[test]
    fn overflow_and_garbage_are_refused() {
        assert_eq!(scaled("9223372036854775807", "1"), Some(i64::MAX));
        assert_eq!(scaled("9223372036854775808", "1"), None);
        assert_eq!(scaled("1e19", "1"), None);
        assert_eq!(scaled("1e300", "1000"), None);
        assert_eq!(scaled("-9.3e18", "1"), None);
        for bad in [
            "", "-", "NaN", "+Inf", "1e", "1.2.3", "0x10", "1_000", "e5", ".",
        ] {
            assert_eq!(Decimal::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sums_align_exponents_exactly() {
        let a = Decimal::parse("0.1").unwrap();
        let b = Decimal::parse("0.2").unwrap();
        let sum = a.checked_add(b).unwrap();
        assert_eq!(sum, Decimal::parse("0.3").unwrap());
        assert_eq!(
            Decimal::parse("123000").unwrap().digits(),
            3,
            "trailing zeros are not significant"
        );
        assert_eq!(Decimal::parse("123.4").unwrap().magnitude(), 2);
    }
}
