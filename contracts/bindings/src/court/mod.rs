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
    signers::{local::PrivateKeySigner, SignerSync},
    sol_types::{eip712_domain, Eip712Domain, SolStruct, SolValue},
};

mod logs;

pub use logs::{committed, flag_of};

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

/// The court's verdicts and votes, numbered as the contract's enum; the bindings take and return
/// them as bare `u8`s (a JSON ABI carries no enum variants): convert with `u8::from` and
/// `Verdict::try_from` (0, "not decided", is no verdict).
pub use sla_protocol::court::Verdict;

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
    let vote = U256::from(u8::from(vote));
    keccak256((case_id, vote, salt, validator).abi_encode())
}

/// The salt `signer` commits with on `case_id` of the court at `court`: `keccak256` of the
/// signer's signature of `keccak256(abi.encode("sla-court-vote-salt", chainId, court, caseId))`.
/// ECDSA signing here is deterministic (RFC 6979), so the salt is the same every time for the same
/// key and case, and secret as long as the key is: a validator stores nothing between its commit
/// and its reveal, and `sla court commit` and the oracle's validator role can each reveal what the
/// other committed.
pub fn vote_salt(
    signer: &PrivateKeySigner,
    chain_id: u64,
    court: Address,
    case_id: u64,
) -> Result<B256> {
    let message = keccak256(
        (
            "sla-court-vote-salt".to_string(),
            U256::from(chain_id),
            court,
            U256::from(case_id),
        )
            .abi_encode_params(),
    );
    let signature = signer.sign_hash_sync(&message)?;
    Ok(keccak256(signature.as_bytes()))
}

/// The vote whose commitment with `salt` is `commitment`, if any (there are four to try).
pub fn vote_of_commitment(
    case_id: u64,
    salt: B256,
    validator: Address,
    commitment: B256,
) -> Option<Verdict> {
    Verdict::ALL
        .into_iter()
        .find(|v| vote_commitment(U256::from(case_id), *v, salt, validator) == commitment)
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
    fn the_vote_salt_is_deterministic_and_per_key_and_case() {
        let a = PrivateKeySigner::from_bytes(&B256::repeat_byte(1)).unwrap();
        let b = PrivateKeySigner::from_bytes(&B256::repeat_byte(2)).unwrap();
        let court = Address::repeat_byte(9);
        let salt = vote_salt(&a, 1, court, 1).unwrap();
        assert_eq!(salt, vote_salt(&a, 1, court, 1).unwrap(), "deterministic");
        assert_ne!(salt, vote_salt(&b, 1, court, 1).unwrap(), "per key");
        assert_ne!(salt, vote_salt(&a, 1, court, 2).unwrap(), "per case");
        assert_ne!(salt, vote_salt(&a, 2, court, 1).unwrap(), "per chain");
        let me = a.address();
        let commitment = vote_commitment(U256::from(1), Verdict::Suspend, salt, me);
        assert_eq!(
            vote_of_commitment(1, salt, me, commitment),
            Some(Verdict::Suspend)
        );
        assert_eq!(vote_of_commitment(2, salt, me, commitment), None);
    }

    #[test]
    fn affected_hash_encodes_two_arguments_not_one_tuple() {
        // abi.encode(uint64[] [1, 2], uint32[] [3]): two offsets, then 1 + 2 and 1 + 1 words.
        let encoded = (vec![1u64, 2], vec![3u32]).abi_encode_params();
        assert_eq!(encoded.len(), 7 * 32);
        assert_eq!(affected_hash(&[1, 2], &[3]), keccak256(&encoded));
    }
}
