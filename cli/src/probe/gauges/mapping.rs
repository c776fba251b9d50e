//! What the Prometheus and JSON sources share: turning a configured mapping (`gauge`, `unit`,
//! `scale`) into a checked one, and a source value into the gauge's integer.
//!
//! The unit travels inside the signed bytes as the gauge name's suffix (`sla_protocol::gauge`),
//! so the configured `unit` is a check, not a conversion: it must be the unit the name declares.
//! A mistake here is a configuration error at start, never a wrongly labelled sample later.

use std::fmt;

use anyhow::bail;
use serde::{Deserialize, Deserializer};
use sla_protocol::gauge::GaugeUnit;
use sla_protocol::record::validate_custom_name;

use super::decimal::{Decimal, MAX_SCALE_DIGITS};
use super::Failure;

/// A scale as written: a TOML/JSON number or a string holding a decimal (`"0.001"`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleText(pub String);

impl<'de> Deserialize<'de> for ScaleText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            // Display of an f64 is its shortest exact round-trip text (`0.001`, not `0.00100…`).
            Float(f64),
            Text(String),
        }
        Ok(ScaleText(match Raw::deserialize(d)? {
            Raw::Int(i) => i.to_string(),
            Raw::Float(f) => f.to_string(),
            Raw::Text(t) => t,
        }))
    }
}

/// A checked mapping: the gauge name, its unit and the exact multiplier.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The gauge's name (a valid custom name whose suffix is `unit`).
    pub gauge: String,
    /// The unit the name declares.
    pub unit: GaugeUnit,
    /// What a source value is multiplied by before rounding.
    pub scale: Decimal,
}

/// Checks a gauge name on its own: the record alphabet and a known unit suffix.
pub fn check_name(field: &str, gauge: &str) -> anyhow::Result<GaugeUnit> {
    if validate_custom_name(gauge.as_bytes()).is_err() {
        bail!("{field}.gauge: {gauge:?} must be 1 to 64 bytes of a-z, 0-9, '_', '.', ':' or '-'");
    }
    Ok(GaugeUnit::of(gauge))
}

/// Checks `gauge`, `unit` and `scale` of the mapping at `field` (e.g.
/// `gauges.prometheus[0].series[2]`); the error names the field.
pub fn resolve(
    field: &str,
    gauge: &str,
    unit: &str,
    scale: Option<&ScaleText>,
) -> anyhow::Result<Mapping> {
    let declared = check_name(field, gauge)?;
    let Some(unit) = GaugeUnit::parse(unit) else {
        let valid: Vec<&str> = GaugeUnit::all().map(GaugeUnit::as_str).collect();
        bail!(
            "{field}.unit: unknown unit {unit:?}; valid units: {}",
            valid.join(", ")
        );
    };
    if declared != unit {
        bail!(
            "{field}.unit: {:?} but the gauge name {gauge:?} declares {:?} (the unit is read from the name's suffix: name it …{})",
            unit.as_str(),
            declared.as_str(),
            unit.suffix()
        );
    }
    let scale = match scale {
        None => Decimal::ONE,
        Some(ScaleText(text)) => {
            parse_scale(text).map_err(|why| anyhow::anyhow!("{field}.scale: {text:?} {why}"))?
        }
    };
    Ok(Mapping {
        gauge: gauge.to_owned(),
        unit,
        scale,
    })
}

fn parse_scale(text: &str) -> Result<Decimal, &'static str> {
    let scale = Decimal::parse(text).ok_or("is not a decimal number (e.g. 1000 or 0.001)")?;
    if scale.is_zero() {
        return Err("must not be zero");
    }
    if scale.digits() > MAX_SCALE_DIGITS || scale.magnitude() >= i64::from(MAX_SCALE_DIGITS) {
        return Err("is out of range: at most 18 significant digits and below 10^18");
    }
    Ok(scale)
}

impl Mapping {
    /// The gauge's value of a source value written as decimal text.
    pub fn apply(&self, text: &str) -> Result<i64, Failure> {
        let value = Decimal::parse(text).ok_or_else(|| Failure::not_a_number(text))?;
        self.scale_exact(value)
    }

    /// `value × scale`, rounded half away from zero; out of `i64` range is a failure.
    pub fn scale_exact(&self, value: Decimal) -> Result<i64, Failure> {
        value
            .checked_mul(self.scale)
            .and_then(Decimal::round_to_i64)
            .ok_or_else(|| Failure::out_of_range(value, self.scale))
    }
}

/// A version `a.b.c` as `a × 1 000 000 + b × 1 000 + c` (the `_version` unit): an optional
/// leading `v`, one to three numbers, and anything after a `-` or `+` ignored (`8.9.0-rc1`).
/// Each of `b` and `c` must be below 1000.
pub fn parse_version(text: &str) -> Option<i64> {
    let core = text.trim().trim_start_matches('v');
    let core = core.split(['-', '+']).next()?;
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut numbers = [0i64; 3];
    for (slot, part) in numbers.iter_mut().zip(&parts) {
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    let [a, b, c] = numbers;
    if b >= 1000 || c >= 1000 {
        return None;
    }
    a.checked_mul(1_000_000)?.checked_add(b * 1000 + c)
}

impl fmt::Display for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (×{})", self.gauge, self.scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(gauge: &str, unit: &str, scale: Option<&str>) -> String {
        let scale = scale.map(|s| ScaleText(s.into()));
        format!(
            "{:#}",
            resolve("gauges.json[0].mappings[1]", gauge, unit, scale.as_ref()).unwrap_err()
        )
    }

    #[test]
    fn mappings_check_name_unit_and_scale() {
        let m = resolve(
            "f",
            "gpu0.temp_millicelsius",
            "millicelsius",
            Some(&ScaleText("1000".into())),
        )
        .unwrap();
        assert_eq!(m.apply("36.6"), Ok(36_600));
        assert_eq!(
            resolve("f", "pool.shares_total", "count", None)
                .unwrap()
                .apply("12"),
            Ok(12)
        );

        let e = err("gpu0.temp_millicelsius", "furlongs", None);
        assert!(e.starts_with("gauges.json[0].mappings[1].unit: unknown unit \"furlongs\"; valid units: bytes_per_s"), "{e}");
        let e = err("GPU0.Temp_millicelsius", "millicelsius", None);
        assert!(e.starts_with("gauges.json[0].mappings[1].gauge:"), "{e}");
        let e = err("gpu0.temp_millicelsius", "milliwatts", None);
        assert!(
            e.contains(".unit: \"milliwatts\" but the gauge name"),
            "{e}"
        );
        let e = err("gpu0.temp_millicelsius", "millicelsius", Some("1e30"));
        assert!(e.contains(".scale: \"1e30\" is out of range"), "{e}");
        let e = err("gpu0.temp_millicelsius", "millicelsius", Some("0"));
        assert!(e.contains(".scale: \"0\" must not be zero"), "{e}");
    }

    #[test]
    fn overflow_after_scaling_is_a_failure_not_a_wrap() {
        let m = resolve("f", "x_bytes", "bytes", Some(&ScaleText("1000".into()))).unwrap();
        let failure = m.apply("1e17").unwrap_err();
        assert!(
            failure.detail.starts_with("value out of range"),
            "{failure:?}"
        );
        assert!(m.apply("NaN").is_err());
    }

    #[test]
    fn versions_encode_as_numbers() {
        assert_eq!(parse_version("10.1.4"), Some(10_001_004));
        assert_eq!(parse_version("v8.9"), Some(8_009_000));
        assert_eq!(parse_version("8.9.0-rc1"), Some(8_009_000));
        assert_eq!(parse_version("1.2.3.4"), None);
        assert_eq!(parse_version("1.1000.0"), None);
        assert_eq!(parse_version("abc"), None);
    }
}
