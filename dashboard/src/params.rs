//! Path and query parameters, parsed here so that every malformed one is a problem naming it
//! (axum's own extractors answer in plain text).

use std::collections::HashMap;

use alloy_primitives::Address;

use crate::data::parse_address;
use crate::error::DashboardError;

/// A `0x` address path parameter.
pub(crate) fn address(s: &str) -> Result<Address, DashboardError> {
    parse_address(s).ok_or_else(|| DashboardError::Malformed {
        field: "address",
        detail: format!("{s:?} is not a 20-byte hex address"),
    })
}

/// A decimal `u64` path parameter.
pub(crate) fn number(field: &'static str, s: &str) -> Result<u64, DashboardError> {
    s.parse().map_err(|_| DashboardError::Malformed {
        field,
        detail: format!("`{field}` must be a decimal integer, got {s:?}"),
    })
}

/// The query string's parameters, refusing any not in `known`.
pub(crate) fn query(
    raw: Option<&str>,
    known: &[&'static str],
) -> Result<HashMap<&'static str, String>, DashboardError> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let Some(name) = known.iter().find(|n| **n == k) else {
            return Err(DashboardError::Malformed {
                field: "query",
                detail: format!("unknown query parameter {k:?}; known: {}", known.join(", ")),
            });
        };
        out.insert(*name, v.into_owned());
    }
    Ok(out)
}

/// An optional decimal `u64` query parameter.
pub(crate) fn opt_number(
    q: &HashMap<&'static str, String>,
    field: &'static str,
) -> Result<Option<u64>, DashboardError> {
    q.get(field).map(|v| number(field, v)).transpose()
}

/// An optional decimal `i64` query parameter (a gauge threshold may be negative).
pub(crate) fn opt_signed(
    q: &HashMap<&'static str, String>,
    field: &'static str,
) -> Result<Option<i64>, DashboardError> {
    q.get(field)
        .map(|v| {
            v.parse().map_err(|_| DashboardError::Malformed {
                field,
                detail: format!("`{field}` must be a decimal integer of 64 bits, got {v:?}"),
            })
        })
        .transpose()
}
