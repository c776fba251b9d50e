//! Decoding column values into domain values, shared by every table's rows: fixed-size byte
//! strings, addresses (stored as lowercase `0x` hex text) and JSON, each failure naming the
//! table, the row and the column.

use alloy_primitives::Address;
use serde::de::DeserializeOwned;

use crate::error::{corrupt, Result};

/// Where a value was read: table and row key, for errors.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub(crate) table: &'static str,
    pub(crate) row: &'a dyn std::fmt::Display,
}

impl At<'_> {
    /// A 32-byte column.
    pub(crate) fn bytes32(&self, column: &str, bytes: &[u8]) -> Result<[u8; 32]> {
        bytes.try_into().map_err(|_| {
            corrupt(
                self.table,
                self.row,
                format!("{column} holds {} bytes, not 32", bytes.len()),
            )
        })
    }

    /// An address column.
    pub(crate) fn address(&self, column: &str, text: &str) -> Result<Address> {
        text.parse().map_err(|_| {
            corrupt(
                self.table,
                self.row,
                format!("{column} {text:?} is not an address"),
            )
        })
    }

    /// A JSON column.
    pub(crate) fn json<T: DeserializeOwned>(&self, column: &str, text: &str) -> Result<T> {
        serde_json::from_str(text).map_err(|e| {
            corrupt(
                self.table,
                self.row,
                format!("{column} does not parse: {e}"),
            )
        })
    }

    /// A column whose text must be one of a fixed set of names.
    pub(crate) fn named<T>(
        &self,
        column: &str,
        text: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<T> {
        parse(text).ok_or_else(|| {
            corrupt(
                self.table,
                self.row,
                format!("{column} {text:?} is not a known value"),
            )
        })
    }

    /// A wei amount stored as decimal text.
    pub(crate) fn wei(&self, column: &str, text: &str) -> Result<u128> {
        text.parse().map_err(|_| {
            corrupt(
                self.table,
                self.row,
                format!("{column} {text:?} is not an amount of wei"),
            )
        })
    }
}

/// Text of our own making (an RPC node's error message, say) as a text column can hold it on
/// both backends: PostgreSQL's text refuses NUL, so each NUL becomes U+FFFD. Only for
/// diagnostics; what reporters signed is stored exactly, as bytes where it may hold NUL.
pub(crate) fn diagnostic_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        text.replace('\0', "\u{fffd}").into()
    } else {
        text.into()
    }
}

/// An address as every table stores it: lowercase `0x` hex.
pub(crate) fn address_text(address: &Address) -> String {
    format!("{address:#x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_text_loses_only_its_nul_bytes() {
        assert_eq!(
            diagnostic_text("reverted: \0x\0"),
            "reverted: \u{fffd}x\u{fffd}"
        );
        assert!(matches!(
            diagnostic_text("fine"),
            std::borrow::Cow::Borrowed("fine")
        ));
    }

    #[test]
    fn addresses_are_stored_as_lowercase_hex_and_read_back() {
        let address: Address = "0x00000000000000000000000000000000000000C1"
            .parse()
            .unwrap();
        let text = address_text(&address);
        assert_eq!(text, "0x00000000000000000000000000000000000000c1");
        let at = At {
            table: "t",
            row: &1,
        };
        assert_eq!(at.address("a", &text).unwrap(), address);
        let err = at.address("a", "0x12").unwrap_err().to_string();
        assert!(err.contains("t row 1") && err.contains("\"0x12\""), "{err}");
    }
}
