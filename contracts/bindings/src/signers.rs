//! Who signed each submitted batch, re-derived from public data (docs/contracts.md, "Who signed a
//! batch"): the signer sets from the `OracleConfigSet` events, and each batch's signatures read
//! back from its `submitResults` transaction and recovered against the EIP-712 digest under the
//! config version its `ResultsSubmitted` names. The contract refuses a batch that fails these
//! checks; an auditor re-derives them so that trusting a result does not mean trusting the
//! contract's code or its deployer, and so that it knows which operators vouched for it.

use std::collections::{BTreeMap, BTreeSet};

use alloy::primitives::{Address, Bytes, Signature, B256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolCall, SolEvent};

use crate::applied::{logs_in_chunks, ReadError};
use crate::signing::batch_digest;
use crate::SlaOracle;

/// One version of the oracle's signer set (`OracleConfigSet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerSet {
    /// `configVersion`.
    pub version: u64,
    /// The signers, as set.
    pub signers: Vec<Address>,
    /// Signatures a batch needs.
    pub quorum: u8,
}

/// Every signer set of `contract` set from `from_block` to `to_block` (the latest when `None`),
/// by version.
pub async fn signer_sets<P: Provider>(
    provider: &P,
    contract: Address,
    from_block: u64,
    to_block: Option<u64>,
) -> Result<BTreeMap<u64, SignerSet>, ReadError> {
    let filter = Filter::new()
        .address(contract)
        .event_signature(SlaOracle::OracleConfigSet::SIGNATURE_HASH);
    let mut sets = BTreeMap::new();
    for log in logs_in_chunks(provider, filter, from_block, to_block).await? {
        let e = log
            .log_decode::<SlaOracle::OracleConfigSet>()
            .map_err(|e| ReadError::Decode(e.to_string()))?
            .inner
            .data;
        sets.insert(
            e.configVersion,
            SignerSet {
                version: e.configVersion,
                signers: e.signers,
                quorum: e.quorum,
            },
        );
    }
    Ok(sets)
}

/// The signatures of one batch, as its transaction carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchSignatures {
    /// The addresses recovered from each signature, in submitted order.
    Recovered(Vec<Address>),
    /// A signature that recovers no address: its index.
    Unrecoverable(usize),
    /// The batch came through a relay: the signatures are in an inner call, not in the
    /// transaction's input (the contract checked them all the same).
    Relayed,
}

/// Recovers the signers of a direct `submitResults` transaction `input` on `chain_id` for
/// `contract`, under `config_version` (the batch's `ResultsSubmitted.configVersion`). Its
/// `packedResults` must hash to `results_hash`.
pub fn recover_batch_signers(
    input: &[u8],
    chain_id: u64,
    contract: Address,
    config_version: u64,
    results_hash: B256,
) -> Result<BatchSignatures, String> {
    let call = SlaOracle::submitResultsCall::abi_decode(input)
        .map_err(|e| format!("the submitResults input does not decode: {e}"))?;
    let digest = batch_digest(
        chain_id,
        contract,
        config_version,
        call.epoch,
        &call.packedResults,
    );
    if crate::signing::results_hash(&call.packedResults) != results_hash {
        return Err("the transaction's packedResults are not the batch its event names".into());
    }
    Ok(recover_all(&call.signatures, digest))
}

fn recover_all(signatures: &[Bytes], digest: B256) -> BatchSignatures {
    let mut out = Vec::with_capacity(signatures.len());
    for (i, raw) in signatures.iter().enumerate() {
        let recovered = Signature::try_from(raw.as_ref())
            .ok()
            .and_then(|s| s.recover_address_from_prehash(&digest).ok());
        match recovered {
            Some(address) => out.push(address),
            None => return BatchSignatures::Unrecoverable(i),
        }
    }
    BatchSignatures::Recovered(out)
}

/// The signatures of the batch of transaction `tx_hash` (a `ResultsSubmitted` with
/// `config_version` and `results_hash`), read from the node.
pub async fn batch_signatures<P: Provider>(
    provider: &P,
    chain_id: u64,
    contract: Address,
    tx_hash: B256,
    config_version: u64,
    results_hash: B256,
) -> Result<Result<BatchSignatures, String>, ReadError> {
    use alloy::consensus::Transaction as _;
    let tx = provider
        .get_transaction_by_hash(tx_hash)
        .await?
        .ok_or(ReadError::Incomplete(
            "the node does not know the transaction",
        ))?;
    let input = tx.input();
    if input.len() < 4 || input[..4] != SlaOracle::submitResultsCall::SELECTOR {
        return Ok(Ok(BatchSignatures::Relayed));
    }
    Ok(recover_batch_signers(
        input,
        chain_id,
        contract,
        config_version,
        results_hash,
    ))
}

/// What is wrong with a batch's signatures under signer set `set` (`None`: the version its
/// event names was never set); empty when they satisfy the contract's rule: at least `quorum`
/// signatures, each by a signer of that version, in strictly ascending address order (so none
/// twice).
pub fn signer_problems(
    version: u64,
    set: Option<&SignerSet>,
    signatures: &BatchSignatures,
) -> Vec<String> {
    let Some(set) = set else {
        return vec![format!(
            "signed under config version {version}, which no OracleConfigSet event set"
        )];
    };
    let recovered = match signatures {
        BatchSignatures::Relayed => return Vec::new(),
        BatchSignatures::Unrecoverable(i) => {
            return vec![format!("signature {i} recovers no address")];
        }
        BatchSignatures::Recovered(r) => r,
    };
    let mut problems = Vec::new();
    let members: BTreeSet<&Address> = set.signers.iter().collect();
    for (i, signer) in recovered.iter().enumerate() {
        if !members.contains(signer) {
            problems.push(format!(
                "signature {i} is by {signer}, not a signer of config version {version}"
            ));
        }
    }
    if recovered.windows(2).any(|w| w[0] >= w[1]) {
        problems.push("the signatures are not in strictly ascending signer order".into());
    }
    let distinct = recovered.iter().collect::<BTreeSet<_>>().len();
    if distinct < usize::from(set.quorum) {
        problems.push(format!(
            "{distinct} distinct signers, below config version {version}'s quorum of {}",
            set.quorum
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::local::PrivateKeySigner;
    use alloy::signers::SignerSync;

    fn set(signers: &[Address], quorum: u8) -> SignerSet {
        SignerSet {
            version: 3,
            signers: signers.to_vec(),
            quorum,
        }
    }

    #[test]
    fn recovers_each_signer_and_names_every_breach_of_the_rule() {
        let keys: Vec<PrivateKeySigner> = (0..3).map(|_| PrivateKeySigner::random()).collect();
        let mut members: Vec<Address> = keys.iter().map(|k| k.address()).collect();
        members.sort();
        let digest = B256::repeat_byte(7);
        let sign = |k: &PrivateKeySigner| -> Bytes {
            k.sign_hash_sync(&digest)
                .unwrap()
                .as_bytes()
                .to_vec()
                .into()
        };
        let mut by_address: Vec<(Address, Bytes)> =
            keys.iter().map(|k| (k.address(), sign(k))).collect();
        by_address.sort();
        let two: Vec<Bytes> = by_address[..2].iter().map(|(_, s)| s.clone()).collect();
        let recovered = recover_all(&two, digest);
        assert_eq!(recovered, BatchSignatures::Recovered(members[..2].to_vec()));
        assert!(signer_problems(3, Some(&set(&members, 2)), &recovered).is_empty());

        let problems = signer_problems(3, Some(&set(&members, 3)), &recovered);
        assert_eq!(
            problems,
            ["2 distinct signers, below config version 3's quorum of 3"]
        );
        let problems = signer_problems(3, Some(&set(&members[1..], 1)), &recovered);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("not a signer of config version 3"));
        let reversed = BatchSignatures::Recovered(vec![members[1], members[0]]);
        assert_eq!(
            signer_problems(3, Some(&set(&members, 2)), &reversed),
            ["the signatures are not in strictly ascending signer order"]
        );
        assert_eq!(
            signer_problems(4, None, &recovered),
            ["signed under config version 4, which no OracleConfigSet event set"]
        );
        let garbage: Vec<Bytes> = vec![vec![0u8; 65].into()];
        assert_eq!(
            recover_all(&garbage, digest),
            BatchSignatures::Unrecoverable(0)
        );
        // A signature over another digest recovers someone else: not a member.
        let other = recover_all(&two, B256::repeat_byte(8));
        let problems = signer_problems(3, Some(&set(&members, 2)), &other);
        let strangers = problems
            .iter()
            .filter(|p| p.contains("not a signer"))
            .count();
        assert_eq!(strangers, 2, "{problems:?}");
    }
}
