//! The court's signed and hashed inputs, exactly as `SlaCourt` checks them: the EIP-712 digest of a
//! fault flag that a quorum of the oracle signers signs (`flagProvider`), and the commitment a
//! validator commits before revealing its vote (`commitVote`, `revealVote`).
//!
//! Typed data: `FaultFlag(uint64 configVersion,address provider,uint64 fromEpoch,uint64 toEpoch,
//! uint16 faultRateBps,bytes32 evidenceRoot,bytes32 affectedHash)` with `affectedHash =
//! keccak256(abi.encode(dataUnitIds, faults))`, in the domain `{name: "SlaCourt", version: "1",
//! chainId, verifyingContract: court}`. `configVersion` is the oracle's current config version (the
//! court reads it from the oracle, so a flag signed under an old signer set no longer verifies).
//! Signatures are 65 bytes and ordered by strictly ascending signer address, as for result batches.
//!
//! ```no_run
//! # fn demo(chain_id: u64, court: alloy::primitives::Address,
//! #         flag: &sla_contracts::ISlaCourt::FaultFlag,
//! #         signers: &[alloy::signers::local::PrivateKeySigner]) -> sla_contracts::Result<()> {
//! use sla_contracts::court;
//! let digest = court::flag_digest(chain_id, court, 1, flag);
//! let signatures = court::sign_flag(signers, digest)?;
//! // court.flagProvider(flag.clone(), signatures).send().await?
//! # Ok(()) }
//! ```

use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    signers::local::PrivateKeySigner,
    sol_types::{eip712_domain, Eip712Domain, SolStruct, SolValue},
};

use crate::{signing, ISlaCourt, Result};

/// The EIP-712 struct the oracle signers sign. In a module of its own because its name must be
/// `FaultFlag` (the name is part of the type hash) while `ISlaCourt::FaultFlag`, the flag as
/// submitted, has the data units and faults in place of their hash.
mod typed {
    alloy::sol! {
        /// A flag as signed: the affected data units and faults enter as `affectedHash`.
        #[derive(Debug)]
        struct FaultFlag {
            uint64 configVersion;
            address provider;
            uint64 fromEpoch;
            uint64 toEpoch;
            uint16 faultRateBps;
            bytes32 evidenceRoot;
            bytes32 affectedHash;
        }
    }
}

/// The court's verdicts and votes by name. The bindings take and return them as bare `u8`s (a JSON
/// ABI carries no enum variants): convert with `u8::from` and `Verdict::try_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Verdict {
    /// Not a vote: a case not yet decided.
    None = 0,
    /// Nothing happens (also the verdict when no vote has a supermajority).
    NoAction = 1,
    /// `slashBps` of the provider's stake goes to the consumers of the flagged data units.
    Slash = 2,
    /// The provider accepts no allocation for `suspensionPeriod`.
    Suspend = 3,
    /// The provider accepts no allocation ever again.
    Remove = 4,
}

impl From<Verdict> for u8 {
    fn from(verdict: Verdict) -> Self {
        verdict as u8
    }
}

impl TryFrom<u8> for Verdict {
    /// The value, which names no verdict.
    type Error = u8;

    fn try_from(value: u8) -> Result<Self, u8> {
        Ok(match value {
            0 => Self::None,
            1 => Self::NoAction,
            2 => Self::Slash,
            3 => Self::Suspend,
            4 => Self::Remove,
            other => return Err(other),
        })
    }
}

/// The EIP-712 domain of the court at `court` on `chain_id`.
pub fn domain(chain_id: u64, court: Address) -> Eip712Domain {
    eip712_domain! {
        name: "SlaCourt",
        version: "1",
        chain_id: chain_id,
        verifying_contract: court,
    }
}

/// `keccak256(abi.encode(dataUnitIds, faults))`: the hash a case keeps of the flag's affected data
/// units, and the `affectedHash` of the typed data. `abi.encode` of two arguments is the parameter
/// encoding of the pair (offsets, then the arrays), not the encoding of one tuple.
pub fn affected_hash(data_unit_ids: &[u64], faults: &[u32]) -> B256 {
    keccak256((data_unit_ids.to_vec(), faults.to_vec()).abi_encode_params())
}

/// The digest each oracle signer signs to flag a provider with `flag`, under the oracle's config
/// version `config_version`.
pub fn flag_digest(
    chain_id: u64,
    court: Address,
    config_version: u64,
    flag: &ISlaCourt::FaultFlag,
) -> B256 {
    let typed = typed::FaultFlag {
        configVersion: config_version,
        provider: flag.provider,
        fromEpoch: flag.fromEpoch,
        toEpoch: flag.toEpoch,
        faultRateBps: flag.faultRateBps,
        evidenceRoot: flag.evidenceRoot,
        affectedHash: affected_hash(&flag.dataUnitIds, &flag.faults),
    };
    typed.eip712_signing_hash(&domain(chain_id, court))
}

/// The EIP-712 type hash of the signed flag (the court's `FAULT_FLAG_TYPEHASH`).
pub fn fault_flag_typehash() -> B256 {
    keccak256(typed::FaultFlag::eip712_encode_type().as_bytes())
}

/// Signs a flag's `digest` with each signer and returns the signatures ordered by ascending signer
/// address, ready for `flagProvider` (the same rule as result batches, so the same routine).
pub fn sign_flag(signers: &[PrivateKeySigner], digest: B256) -> Result<Vec<Bytes>> {
    signing::sign_batch(signers, digest)
}

/// The commitment `validator` commits for `vote` on `case_id`:
/// `keccak256(abi.encode(caseId, uint8 vote, salt, validator))`, as the court's `commitmentOf`. The
/// validator is part of it so that no validator can copy another's commitment.
pub fn vote_commitment(case_id: U256, vote: Verdict, salt: B256, validator: Address) -> B256 {
    // `abi.encode` of a `uint8` is one left-padded word, the same as of a `uint256` of its value.
    let vote = U256::from(vote as u8);
    keccak256((case_id, vote, salt, validator).abi_encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_hash_is_of_the_courts_type_string() {
        // The string of `SlaCourt.FAULT_FLAG_TYPEHASH`, copied: the anvil test compares the hashes.
        let declared = "FaultFlag(uint64 configVersion,address provider,uint64 fromEpoch,\
                        uint64 toEpoch,uint16 faultRateBps,bytes32 evidenceRoot,bytes32 affectedHash)";
        assert_eq!(fault_flag_typehash(), keccak256(declared));
    }

    #[test]
    fn verdicts_round_trip_through_their_solidity_values() {
        for verdict in [
            Verdict::None,
            Verdict::NoAction,
            Verdict::Slash,
            Verdict::Suspend,
            Verdict::Remove,
        ] {
            assert_eq!(Verdict::try_from(u8::from(verdict)), Ok(verdict));
        }
        assert_eq!(u8::from(Verdict::Slash), 2);
        assert_eq!(Verdict::try_from(5), Err(5));
    }

    #[test]
    fn affected_hash_encodes_two_arguments_not_one_tuple() {
        // abi.encode(uint64[] [1, 2], uint32[] [3]): two offsets, then 1 + 2 and 1 + 1 words.
        let encoded = (vec![1u64, 2], vec![3u32]).abi_encode_params();
        assert_eq!(encoded.len(), 7 * 32);
        assert_eq!(affected_hash(&[1, 2], &[3]), keccak256(&encoded));
    }
}
