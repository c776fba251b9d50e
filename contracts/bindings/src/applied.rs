//! Reading applied results back from the chain. The contract emits no event per result (an event
//! would cost more gas than the result's calldata): a batch's results are the `packedResults`
//! argument of the `submitResults` call whose transaction emitted `ResultsSubmitted` (whose
//! `resultsHash` is their keccak256), and a result was applied iff no result of its
//! (data unit, epoch) was applied before it, in chain order (the contract's per-epoch bitmap);
//! the others were skipped. When that call was not the transaction's own (a relay through a
//! contract or a delegated account), the transaction's input need not hold it and the contract
//! repeats the records in `ResultsRelayed`, the log just before. docs/contracts.md, "Reading
//! results".

use std::collections::HashSet;

use alloy::primitives::{keccak256, Address, B256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolCall, SolEvent};
use sla_protocol::aggregate::EpochResult;

use crate::SlaOracle;

/// `EpochResult.flags` bit 0: no usable evidence, the result changed nothing but its recording.
pub const FLAG_NO_DATA: u8 = 1;

/// Blocks per `eth_getLogs` request when reading a long history.
const LOG_CHUNK: u64 = 10_000;

/// One applied result: the `EpochResult` of its record and the epoch of its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedResult {
    /// The epoch.
    pub epoch: u64,
    /// The result, as the packed record carries it.
    pub result: EpochResult,
}

impl AppliedResult {
    /// The allocation.
    pub fn data_unit_id(&self) -> u64 {
        self.result.data_unit_id
    }
}

/// A `submitResults` call decoded from its transaction's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedBatch {
    /// The epoch argument.
    pub epoch: u64,
    /// keccak256 of `packedResults`: what `ResultsSubmitted.resultsHash` must equal.
    pub results_hash: B256,
    /// The records, in order.
    pub results: Vec<EpochResult>,
}

/// Why a transaction's input is not a readable result batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmissionError {
    /// The input does not call `submitResults` (a relayed batch comes with `ResultsRelayed`,
    /// so this is a transaction that is not the batch the event names).
    #[error("the transaction input does not call submitResults (selector {0})")]
    NotSubmitResults(String),
    /// The arguments do not decode.
    #[error("the submitResults arguments do not decode: {0}")]
    Abi(String),
    /// `packedResults` is not a whole number of records.
    #[error("packedResults of {0} bytes is not a whole number of records")]
    Length(usize),
    /// The decoded batch is not the one the event names.
    #[error("the transaction's packedResults hash to {found}, the event names {expected}")]
    HashMismatch {
        /// `ResultsSubmitted.resultsHash`.
        expected: B256,
        /// keccak256 of the decoded `packedResults`.
        found: B256,
    },
}

/// Decodes a `submitResults` transaction input.
pub fn decode_submission(input: &[u8]) -> Result<SubmittedBatch, SubmissionError> {
    if input.len() < 4 || input[..4] != SlaOracle::submitResultsCall::SELECTOR {
        let selector = input.get(..4.min(input.len())).unwrap_or_default();
        return Err(SubmissionError::NotSubmitResults(
            alloy::primitives::hex::encode(selector),
        ));
    }
    let call = SlaOracle::submitResultsCall::abi_decode(input)
        .map_err(|e| SubmissionError::Abi(e.to_string()))?;
    let packed = &call.packedResults;
    let results = sla_protocol::aggregate::unpack_results(packed)
        .map_err(|_| SubmissionError::Length(packed.len()))?;
    Ok(SubmittedBatch {
        epoch: call.epoch,
        results_hash: keccak256(packed),
        results,
    })
}

/// The records of a relayed batch's `ResultsRelayed` log, checked against the `resultsHash` its
/// `ResultsSubmitted` names (the indexer and [`submitted_results`] both read them this way).
pub fn relayed_records(
    packed: &[u8],
    results_hash: B256,
) -> Result<Vec<EpochResult>, SubmissionError> {
    let found = keccak256(packed);
    if found != results_hash {
        return Err(SubmissionError::HashMismatch {
            expected: results_hash,
            found,
        });
    }
    sla_protocol::aggregate::unpack_results(packed)
        .map_err(|_| SubmissionError::Length(packed.len()))
}

/// Decodes a batch and checks it is the one a `ResultsSubmitted` event names.
pub fn decode_submitted(
    input: &[u8],
    event: &SlaOracle::ResultsSubmitted,
) -> Result<SubmittedBatch, SubmissionError> {
    let batch = decode_submission(input)?;
    if batch.results_hash != event.resultsHash || batch.epoch != event.epoch {
        return Err(SubmissionError::HashMismatch {
            expected: event.resultsHash,
            found: batch.results_hash,
        });
    }
    Ok(batch)
}

/// One result of a batch, as the chain treated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmittedResult {
    /// The result and its epoch.
    pub applied: AppliedResult,
    /// False if a result of its (data unit, epoch) was applied before (skipped).
    pub was_applied: bool,
    /// The `submitResults` transaction.
    pub tx_hash: B256,
    /// Its block.
    pub block_number: u64,
    /// The signer set version the batch was signed under (`ResultsSubmitted.configVersion`).
    pub config_version: u64,
    /// keccak256 of the batch's `packedResults` (`ResultsSubmitted.resultsHash`).
    pub results_hash: B256,
    /// Whether the batch came through a relay (its records in `ResultsRelayed`): its signatures
    /// are then not in the transaction's input.
    pub relayed: bool,
}

/// Every result submitted to `contract` in blocks `from_block..=to_block` (the latest when
/// `None`), in chain order, each marked applied or skipped; only those of data unit `only` when
/// given. `seen` holds the (data unit, epoch) pairs applied before `from_block` (empty when
/// reading from the deployment block) and gains those applied in the range. One `eth_getLogs`
/// per 10,000 blocks and one `eth_getTransactionByHash` per batch read (none for a relayed batch,
/// whose records its `ResultsRelayed` carries); with `only`, a batch is read only if its event's
/// id range holds the data unit (records ascend, so the range is exact).
pub async fn submitted_results<P: Provider>(
    provider: &P,
    contract: Address,
    from_block: u64,
    to_block: Option<u64>,
    only: Option<u64>,
    seen: &mut HashSet<(u64, u64)>,
) -> Result<Vec<SubmittedResult>, ReadError> {
    let filter = Filter::new().address(contract).event_signature(vec![
        SlaOracle::ResultsSubmitted::SIGNATURE_HASH,
        SlaOracle::ResultsRelayed::SIGNATURE_HASH,
    ]);
    let logs = logs_in_chunks(provider, filter, from_block, to_block).await?;
    let mut out = Vec::new();
    // A relayed batch's records, held until the `ResultsSubmitted` that follows them.
    let mut relayed: Option<(B256, SlaOracle::ResultsRelayed)> = None;
    for log in logs {
        let (Some(tx_hash), Some(block_number)) = (log.transaction_hash, log.block_number) else {
            return Err(ReadError::Incomplete(
                "a log without its transaction or block",
            ));
        };
        if log.topic0() == Some(&SlaOracle::ResultsRelayed::SIGNATURE_HASH) {
            let records = log
                .log_decode::<SlaOracle::ResultsRelayed>()
                .map_err(|e| ReadError::Decode(e.to_string()))?
                .inner
                .data;
            relayed = Some((tx_hash, records));
            continue;
        }
        let event = log
            .log_decode::<SlaOracle::ResultsSubmitted>()
            .map_err(|e| ReadError::Decode(e.to_string()))?
            .inner
            .data;
        let carried = relayed
            .take()
            .filter(|(tx, r)| *tx == tx_hash && r.resultsHash == event.resultsHash);
        if only.is_some_and(|d| d < event.firstDataUnitId || d > event.lastDataUnitId) {
            continue;
        }
        let relayed = carried.is_some();
        let batch = match carried {
            Some((_, records)) => SubmittedBatch {
                epoch: event.epoch,
                results_hash: event.resultsHash,
                results: relayed_records(&records.packedResults, event.resultsHash)
                    .map_err(|source| ReadError::Batch { tx_hash, source })?,
            },
            None => batch_of(provider, tx_hash, &event).await?,
        };
        for result in batch.results {
            if only.is_some_and(|d| d != result.data_unit_id) {
                continue;
            }
            let was_applied = seen.insert((result.data_unit_id, batch.epoch));
            out.push(SubmittedResult {
                applied: AppliedResult {
                    epoch: batch.epoch,
                    result,
                },
                was_applied,
                tx_hash,
                block_number,
                config_version: event.configVersion,
                results_hash: event.resultsHash,
                relayed,
            });
        }
    }
    Ok(out)
}

/// The logs of `filter` in blocks `from_block..=to_block` (the latest when `None`), in chain
/// order: one `eth_getLogs` per [`LOG_CHUNK`] blocks, as nodes cap a query's range.
pub(crate) async fn logs_in_chunks<P: Provider>(
    provider: &P,
    filter: Filter,
    from_block: u64,
    to_block: Option<u64>,
) -> Result<Vec<alloy::rpc::types::Log>, ReadError> {
    let latest = match to_block {
        Some(b) => b,
        None => provider.get_block_number().await?,
    };
    let mut logs = Vec::new();
    let mut from = from_block;
    while from <= latest {
        let to = from.saturating_add(LOG_CHUNK - 1).min(latest);
        logs.extend(
            provider
                .get_logs(&filter.clone().from_block(from).to_block(to))
                .await?,
        );
        from = to + 1;
    }
    Ok(logs)
}

/// The results of `data_unit` applied since the deployment block `deploy_block`, up to
/// `to_block` (the latest when `None`), in chain order: one per epoch that has one.
pub async fn applied_results_of<P: Provider>(
    provider: &P,
    contract: Address,
    deploy_block: u64,
    to_block: Option<u64>,
    data_unit: u64,
) -> Result<Vec<AppliedResult>, ReadError> {
    Ok(
        applied_submissions_of(provider, contract, deploy_block, to_block, data_unit)
            .await?
            .into_iter()
            .map(|s| s.applied)
            .collect(),
    )
}

/// [`applied_results_of`] with each result's transaction, block and signer set version.
pub async fn applied_submissions_of<P: Provider>(
    provider: &P,
    contract: Address,
    deploy_block: u64,
    to_block: Option<u64>,
    data_unit: u64,
) -> Result<Vec<SubmittedResult>, ReadError> {
    let submitted = submitted_results(
        provider,
        contract,
        deploy_block,
        to_block,
        Some(data_unit),
        &mut HashSet::new(),
    )
    .await?;
    Ok(submitted.into_iter().filter(|s| s.was_applied).collect())
}

/// The batch a `ResultsSubmitted` event of transaction `tx_hash` names, read from its input.
pub async fn batch_of<P: Provider>(
    provider: &P,
    tx_hash: B256,
    event: &SlaOracle::ResultsSubmitted,
) -> Result<SubmittedBatch, ReadError> {
    use alloy::consensus::Transaction as _;
    let tx = provider
        .get_transaction_by_hash(tx_hash)
        .await?
        .ok_or(ReadError::Incomplete(
            "the node does not know the transaction",
        ))?;
    decode_submitted(tx.input(), event).map_err(|source| ReadError::Batch { tx_hash, source })
}

/// Why reading submitted results failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The JSON-RPC transport failed.
    #[error("rpc error: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    /// The node's answer lacks something the reading needs.
    #[error("incomplete answer from the node: {0}")]
    Incomplete(&'static str),
    /// A log does not decode.
    #[error("a ResultsSubmitted or ResultsRelayed log does not decode: {0}")]
    Decode(String),
    /// A transaction's input is not the batch its event names.
    #[error("transaction {tx_hash}: {source}")]
    Batch {
        /// The transaction.
        tx_hash: B256,
        /// What is wrong with it.
        source: SubmissionError,
    },
}
