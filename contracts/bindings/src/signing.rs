//! EIP-712 signing of result batches, exactly as `SlaOracle.submitResults` verifies them.
//!
//! Typed data: `ResultBatch(uint64 configVersion,uint64 epoch,bytes32 resultsHash)` with
//! `resultsHash = keccak256(packedResults)`, the hash of the very bytes submitted (the 74-byte records
//! of [`crate::pack_results`]), in the domain `{name: "SlaOracle", version: "1", chainId,
//! verifyingContract}`. Signatures are 65 bytes (r, s, v = 27/28) and must be submitted ordered by
//! strictly ascending signer address.
//!
//! ```no_run
//! # fn demo(chain_id: u64, contract: alloy::primitives::Address,
//! #         results: &[sla_contracts::ISlaOracle::EpochResult],
//! #         signers: &[alloy::signers::local::PrivateKeySigner]) -> sla_contracts::Result<()> {
//! use sla_contracts::{pack_results, signing};
//! let packed = pack_results(results);
//! let digest = signing::batch_digest(chain_id, contract, 1, 7, &packed);
//! let signatures = signing::sign_batch(signers, digest)?;
//! // oracle.submitResults(7, packed, signatures).send().await?
//! # Ok(()) }
//! ```

use alloy::{
    primitives::{keccak256, Address, Bytes, B256},
    signers::{local::PrivateKeySigner, SignerSync},
    sol_types::{eip712_domain, Eip712Domain, SolStruct},
};

use crate::Result;

alloy::sol! {
    /// The EIP-712 struct the oracle signers sign.
    #[derive(Debug)]
    struct ResultBatch {
        uint64 configVersion;
        uint64 epoch;
        bytes32 resultsHash;
    }
}

/// The EIP-712 domain of the contract at `contract` on `chain_id`.
pub fn domain(chain_id: u64, contract: Address) -> Eip712Domain {
    eip712_domain! {
        name: "SlaOracle",
        version: "1",
        chain_id: chain_id,
        verifying_contract: contract,
    }
}

/// `keccak256(packed_results)`: the `resultsHash` of the typed data and of the `ResultsSubmitted`
/// event, over the packed bytes (see [`crate::pack_results`]).
pub fn results_hash(packed_results: &[u8]) -> B256 {
    keccak256(packed_results)
}

/// The digest each oracle signer signs for a batch of packed results (the bytes that will be
/// submitted).
pub fn batch_digest(
    chain_id: u64,
    contract: Address,
    config_version: u64,
    epoch: u64,
    packed_results: &[u8],
) -> B256 {
    let batch = ResultBatch {
        configVersion: config_version,
        epoch,
        resultsHash: results_hash(packed_results),
    };
    batch.eip712_signing_hash(&domain(chain_id, contract))
}

/// Signs `digest` with each signer and returns the signatures ordered by ascending signer address,
/// ready for `submitResults`.
pub fn sign_batch(signers: &[PrivateKeySigner], digest: B256) -> Result<Vec<Bytes>> {
    let mut signed = signers
        .iter()
        .map(|s| Ok((s.address(), s.sign_hash_sync(&digest)?)))
        .collect::<Result<Vec<_>>>()?;
    signed.sort_by_key(|(address, _)| *address);
    Ok(signed
        .into_iter()
        .map(|(_, sig)| Bytes::from(sig.as_bytes().to_vec()))
        .collect())
}
