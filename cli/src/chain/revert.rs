//! Reverts decoded into the contract's custom errors, by name and with named arguments, from the
//! ABI of the committed forge artifact: `InvalidAllocationStatus(dataUnitId=3, status=Active)`.

use std::fmt;
use std::sync::OnceLock;

use alloy::dyn_abi::{DynSolValue, JsonAbiExt};
use alloy::json_abi::{JsonAbi, Param};
use alloy::primitives::Bytes;
use serde_json::{json, Value};

/// The artifacts the bindings are generated from; only their ABIs' errors are used here. The
/// contracts' errors are told apart by their selectors (a court decision that the oracle refuses
/// reverts with the oracle's error; `ZeroAddress`, declared by all three, is one error).
const ARTIFACTS: [&str; 3] = [
    include_str!("../../../contracts/bindings/artifacts/SlaOracle.json"),
    include_str!("../../../contracts/bindings/artifacts/SlaCourt.json"),
    include_str!("../../../contracts/bindings/artifacts/SlaPolicies.json"),
];

/// Names of `ISlaOracle.AllocationStatus`, in declaration order.
const ALLOCATION_STATUS: [&str; 6] = [
    "None",
    "Requested",
    "Active",
    "Declined",
    "Closed",
    "Expired",
];

fn abi() -> &'static JsonAbi {
    static ABI: OnceLock<JsonAbi> = OnceLock::new();
    ABI.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct Artifact {
            abi: JsonAbi,
        }
        let mut merged = JsonAbi::new();
        for artifact in ARTIFACTS {
            let abi = serde_json::from_str::<Artifact>(artifact)
                .expect("the committed artifacts have valid ABIs")
                .abi;
            for (name, errors) in abi.errors {
                merged.errors.entry(name).or_default().extend(errors);
            }
        }
        merged
    })
}

/// A transaction or call the contract refused, with the decoded custom error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ContractRevert {
    /// Error name, e.g. `InvalidAllocationStatus`, or `Error` / `Panic` for the built-in ones, or
    /// `UnknownError` when the selector is not in the ABI.
    pub name: String,
    /// Arguments by name, formatted (enums by variant name, addresses checksummed).
    pub args: Vec<(String, String)>,
}

impl fmt::Display for ContractRevert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        for (i, (name, value)) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if name.is_empty() {
                write!(f, "{value}")?;
            } else {
                write!(f, "{name}={value}")?;
            }
        }
        f.write_str(")")
    }
}

impl ContractRevert {
    /// `{"name": …, "args": {…}}` for `--json` error output.
    pub fn to_json(&self) -> Value {
        let args: serde_json::Map<String, Value> = self
            .args
            .iter()
            .enumerate()
            .map(|(i, (name, value))| {
                let key = if name.is_empty() {
                    i.to_string()
                } else {
                    name.clone()
                };
                (key, Value::String(value.clone()))
            })
            .collect();
        json!({ "name": self.name, "args": args })
    }

    /// Decodes revert data: a custom error of `SlaOracle`, `SlaCourt` or `SlaPolicies`, `Error(string)` or
    /// `Panic(uint256)`.
    pub fn decode(data: &[u8]) -> ContractRevert {
        if data.len() < 4 {
            return ContractRevert {
                name: "Revert".into(),
                args: if data.is_empty() {
                    vec![]
                } else {
                    vec![("data".into(), Bytes::copy_from_slice(data).to_string())]
                },
            };
        }
        let (selector, body) = data.split_at(4);
        let builtin = [
            alloy::json_abi::Error::parse("Error(string reason)").expect("valid signature"),
            alloy::json_abi::Error::parse("Panic(uint256 code)").expect("valid signature"),
        ];
        let found = abi()
            .errors()
            .chain(builtin.iter())
            .find(|e| e.selector().as_slice() == selector);
        let Some(error) = found else {
            return ContractRevert {
                name: "UnknownError".into(),
                args: vec![("data".into(), Bytes::copy_from_slice(data).to_string())],
            };
        };
        match error.abi_decode_input(body) {
            Ok(values) => ContractRevert {
                name: error.name.clone(),
                args: error
                    .inputs
                    .iter()
                    .zip(values.iter())
                    .map(|(param, value)| (param.name.clone(), format_value(param, value)))
                    .collect(),
            },
            Err(_) => ContractRevert {
                name: error.name.clone(),
                args: vec![("data".into(), Bytes::copy_from_slice(body).to_string())],
            },
        }
    }

    /// The decoded revert inside a contract call error, if the node returned revert data.
    pub fn from_contract_error(error: &alloy::contract::Error) -> Option<ContractRevert> {
        error.as_revert_data().map(|data| Self::decode(&data))
    }
}

fn is_allocation_status(param: &Param) -> bool {
    param
        .internal_type
        .as_ref()
        .and_then(|t| t.as_enum())
        .is_some_and(|(_, ty)| ty == "AllocationStatus")
}

fn format_value(param: &Param, value: &DynSolValue) -> String {
    match value {
        DynSolValue::Uint(v, _) if is_allocation_status(param) => {
            let index = usize::try_from(*v).unwrap_or(usize::MAX);
            ALLOCATION_STATUS
                .get(index)
                .map(|s| (*s).to_owned())
                .unwrap_or_else(|| v.to_string())
        }
        other => format_plain(other),
    }
}

fn format_plain(value: &DynSolValue) -> String {
    match value {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(v, _) => v.to_string(),
        DynSolValue::Uint(v, _) => v.to_string(),
        DynSolValue::FixedBytes(word, size) => format!("0x{}", hex::encode(&word[..*size])),
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::Function(f) => format!("0x{}", hex::encode(f.as_slice())),
        DynSolValue::Bytes(b) => format!("0x{}", hex::encode(b)),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            let inner: Vec<String> = items.iter().map(format_plain).collect();
            format!("[{}]", inner.join(", "))
        }
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use alloy::sol_types::SolError;

    use super::*;
    use sla_contracts::SlaOracle;

    #[test]
    fn custom_error_decodes_with_names_and_enum_variant() {
        let data = SlaOracle::InvalidAllocationStatus {
            dataUnitId: 3,
            status: 2,
        }
        .abi_encode();
        let revert = ContractRevert::decode(&data);
        assert_eq!(
            revert.to_string(),
            "InvalidAllocationStatus(dataUnitId=3, status=Active)"
        );
    }

    #[test]
    fn error_string_and_unknown_selector_decode() {
        let data = alloy::sol_types::Revert::from("nope").abi_encode();
        assert_eq!(
            ContractRevert::decode(&data).to_string(),
            "Error(reason=\"nope\")"
        );
        assert_eq!(
            ContractRevert::decode(&[1, 2, 3, 4]).to_string(),
            "UnknownError(data=0x01020304)"
        );
    }
}
