//! What a leader proposes and a follower answers (docs/committee.md, "Messages"), and how each
//! side proves who sent it: the leader signs the proposal's bytes (EIP-191) with its oracle key,
//! a follower answers with EIP-712 signatures of the batches, which are their own proof.

use alloy::primitives::{Address, Bytes, Signature};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use serde::{Deserialize, Serialize};
use sla_protocol::aggregate::{EpochResult, PACKED_RESULT_LEN};

/// The header that carries the leader's signature of the body, `0x` and 130 hex digits.
pub const SIGNATURE_HEADER: &str = "x-sla-leader-signature";

/// A leader's proposal: the results of one epoch for every data unit of a range not yet on
/// chain, in batches as they will be submitted. An epoch of many data units is proposed in
/// parts, consecutive ranges, so that no message grows with the deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// The contract's configuration version the batches are signed under.
    pub config_version: u64,
    /// The epoch.
    pub epoch: u64,
    /// The attempt of the epoch's round (which signer leads it).
    pub attempt: u64,
    /// The data units this proposal speaks for: every result of theirs not on chain is in it,
    /// and none other. All of them when absent.
    #[serde(default)]
    pub data_units: DataUnits,
    /// The batches: packed results (`0x` hex), data units in ascending order across batches.
    pub batches: Vec<String>,
}

/// A range of data units, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataUnits {
    /// The first.
    pub first: u64,
    /// The last.
    pub last: u64,
}

impl Default for DataUnits {
    /// Every data unit.
    fn default() -> Self {
        DataUnits {
            first: 0,
            last: u64::MAX,
        }
    }
}

impl DataUnits {
    /// As a range.
    pub fn range(&self) -> std::ops::RangeInclusive<u64> {
        self.first..=self.last
    }
}

/// A follower's answer: its signature of each batch, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatures {
    /// One 65-byte EIP-712 signature (`0x` hex) per batch.
    pub signatures: Vec<Bytes>,
}

/// A follower's refusal, with what it found wrong (served as problem+json, status 409).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{reason}: {detail}")]
pub struct Refusal {
    /// Why, as a stable name: `not-ready`, `config-version`, `not-leader`, `malformed`,
    /// `omits-data-unit`, `omits-report`, `unknown-report`, `results-differ`,
    /// `not-a-member`, `unavailable`.
    pub reason: String,
    /// In words.
    pub detail: String,
    /// The data unit concerned, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_unit: Option<u64>,
    /// The report concerned (its hash, hex), if one: the report a proposal left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
}

impl Refusal {
    /// A refusal for `reason`, explained by `detail`.
    pub fn new(reason: &str, detail: impl Into<String>) -> Self {
        Refusal {
            reason: reason.to_owned(),
            detail: detail.into(),
            data_unit: None,
            report: None,
        }
    }

    /// The same, about `data_unit`.
    pub fn about(mut self, data_unit: u64) -> Self {
        self.data_unit = Some(data_unit);
        self
    }
}

impl Proposal {
    /// The batches' bytes, or why they are not batches of packed results in ascending order of
    /// data unit.
    pub fn packed_batches(&self) -> Result<Vec<Vec<u8>>, Refusal> {
        let range = self.data_units.range();
        if range.is_empty() {
            return Err(Refusal::new(
                "malformed",
                "the range of data units is empty",
            ));
        }
        let mut out = Vec::with_capacity(self.batches.len());
        let mut previous: Option<u64> = None;
        for (i, batch) in self.batches.iter().enumerate() {
            let bytes = hex::decode(batch.trim_start_matches("0x"))
                .map_err(|_| Refusal::new("malformed", format!("batch {i} is not hex")))?;
            if bytes.is_empty() || bytes.len() % PACKED_RESULT_LEN != 0 {
                return Err(Refusal::new(
                    "malformed",
                    format!("batch {i} is not a whole number of packed results"),
                ));
            }
            for record in bytes.chunks(PACKED_RESULT_LEN) {
                let id = u64::from_be_bytes(record[..8].try_into().expect("8 bytes"));
                if previous.is_some_and(|p| p >= id) {
                    return Err(Refusal::new(
                        "malformed",
                        format!("data unit {id} is not after the one before it"),
                    ));
                }
                if !range.contains(&id) {
                    return Err(Refusal::new(
                        "malformed",
                        format!(
                            "data unit {id} is outside the proposal's range {}..={}",
                            range.start(),
                            range.end()
                        ),
                    ));
                }
                previous = Some(id);
            }
            out.push(bytes);
        }
        if out.is_empty() {
            return Err(Refusal::new("malformed", "no batch"));
        }
        Ok(out)
    }

    /// Every proposed result, across the batches.
    pub fn results(batches: &[Vec<u8>]) -> impl Iterator<Item = EpochResult> + '_ {
        batches.iter().flat_map(|b| {
            b.chunks(PACKED_RESULT_LEN)
                .map(|r| EpochResult::unpack(r.try_into().expect("whole records")))
        })
    }
}

/// The leader's signature of `body` (EIP-191), for [`SIGNATURE_HEADER`].
pub fn sign_body(signer: &PrivateKeySigner, body: &[u8]) -> Result<String, String> {
    signer
        .sign_message_sync(body)
        .map(|s| format!("0x{}", hex::encode(s.as_bytes())))
        .map_err(|e| e.to_string())
}

/// Who signed `body`, from the [`SIGNATURE_HEADER`] value.
pub fn body_signer(header: &str, body: &[u8]) -> Option<Address> {
    let bytes = hex::decode(header.trim_start_matches("0x")).ok()?;
    let signature = Signature::try_from(bytes.as_slice()).ok()?;
    signature.recover_address_from_msg(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64) -> String {
        let mut r = [0u8; PACKED_RESULT_LEN];
        r[..8].copy_from_slice(&id.to_be_bytes());
        hex::encode(r)
    }

    fn proposal(batches: Vec<String>) -> Proposal {
        Proposal {
            config_version: 1,
            epoch: 9,
            attempt: 0,
            data_units: DataUnits::default(),
            batches,
        }
    }

    #[test]
    fn data_units_must_lie_in_the_proposal_range_which_defaults_to_all() {
        let json = r#"{"config_version":1,"epoch":9,"attempt":0,"batches":[]}"#;
        let whole: Proposal = serde_json::from_str(json).unwrap();
        assert_eq!(whole.data_units.range(), 0..=u64::MAX);
        let mut part = proposal(vec![record(3) + &record(4)]);
        part.data_units = DataUnits { first: 3, last: 4 };
        assert!(part.packed_batches().is_ok());
        for (first, last) in [(4, 9), (0, 3), (5, 4)] {
            part.data_units = DataUnits { first, last };
            let refusal = part.packed_batches().unwrap_err();
            assert_eq!(refusal.reason, "malformed", "{first}..={last}");
        }
    }

    #[test]
    fn data_units_must_ascend_across_batches() {
        let ok = proposal(vec![record(1) + &record(2), record(5)]);
        let batches = ok.packed_batches().unwrap();
        let ids: Vec<u64> = Proposal::results(&batches)
            .map(|r| r.data_unit_id)
            .collect();
        assert_eq!(ids, [1, 2, 5]);
        for bad in [
            vec![record(2), record(2)],
            vec![record(3) + &record(1)],
            vec!["zz".into()],
            vec!["00".into()],
            vec![],
        ] {
            assert_eq!(
                proposal(bad).packed_batches().unwrap_err().reason,
                "malformed"
            );
        }
    }

    #[test]
    fn the_body_signer_is_recovered_and_a_changed_body_is_not_its() {
        let signer = PrivateKeySigner::random();
        let header = sign_body(&signer, b"{\"epoch\":1}").unwrap();
        assert_eq!(
            body_signer(&header, b"{\"epoch\":1}"),
            Some(signer.address())
        );
        assert_ne!(
            body_signer(&header, b"{\"epoch\":2}"),
            Some(signer.address())
        );
        assert_eq!(body_signer("0x1234", b"x"), None);
    }
}
