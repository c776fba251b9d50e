//! The records of each `ResultsSubmitted` batch: the contract emits no event per result (see
//! `sla_contracts::applied`). A batch sent as its transaction's own call has its records in the
//! transaction's input: the indexer fetches the `submitResults` call (one
//! `eth_getTransactionByHash` each). A relayed batch (through a contract or a delegated account)
//! has them in the `ResultsRelayed` log just before its `ResultsSubmitted`. Either way their
//! keccak256 must be the event's `resultsHash`.

use alloy::consensus::Transaction as _;
use alloy::primitives::B256;
use alloy::providers::Provider;
use futures::{StreamExt, TryStreamExt};
use sla_contracts::applied::{self, decode_submission};
use sla_protocol::aggregate::EpochResult;

use super::error::IndexerError;
use super::events::{ChainEvent, ChainLog};

/// Transactions fetched concurrently.
const CONCURRENCY: usize = 16;

/// Fills the `results` of every `ResultsSubmitted` in `logs`.
pub(super) async fn fill_results<P: Provider>(
    provider: &P,
    logs: &mut [ChainLog],
) -> Result<(), IndexerError> {
    let mut from_input = Vec::new();
    let mut from_relay = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        let ChainEvent::ResultsSubmitted { results_hash, .. } = &log.event else {
            continue;
        };
        let relayed = i
            .checked_sub(1)
            .map(|p| &logs[p])
            .filter(|prev| prev.tx_hash == log.tx_hash)
            .and_then(|prev| match &prev.event {
                ChainEvent::ResultsRelayed {
                    results_hash: h,
                    packed_results,
                } if h == results_hash => Some(packed_results),
                _ => None,
            });
        match relayed {
            Some(packed) => from_relay.push((i, relayed_records(log, packed)?)),
            None => from_input.push(i),
        }
    }
    let fetched: Vec<(usize, Vec<EpochResult>)> = futures::stream::iter(from_input)
        .map(|i| {
            let log = &logs[i];
            async move { read_batch(provider, log).await.map(|r| (i, r)) }
        })
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    for (i, batch) in fetched.into_iter().chain(from_relay) {
        if let ChainEvent::ResultsSubmitted { results, .. } = &mut logs[i].event {
            *results = batch;
        }
    }
    Ok(())
}

fn decode_error(log: &ChainLog, reason: String) -> IndexerError {
    IndexerError::Decode {
        block: log.block_number,
        log_index: log.log_index,
        reason,
    }
}

/// The records of a relayed batch, checked against its `ResultsSubmitted`.
fn relayed_records(log: &ChainLog, packed: &[u8]) -> Result<Vec<EpochResult>, IndexerError> {
    let ChainEvent::ResultsSubmitted { results_hash, .. } = &log.event else {
        unreachable!("only batches are read");
    };
    // The contract logs the very bytes it hashed: a failure is a node or binding fault.
    applied::relayed_records(packed, B256::from(*results_hash))
        .map_err(|e| decode_error(log, format!("ResultsRelayed: {e}")))
}

async fn read_batch<P: Provider>(
    provider: &P,
    log: &ChainLog,
) -> Result<Vec<EpochResult>, IndexerError> {
    let ChainEvent::ResultsSubmitted {
        epoch,
        results_hash,
        ..
    } = &log.event
    else {
        unreachable!("only batches are read");
    };
    let tx_hash = B256::from(log.tx_hash);
    let tx = provider
        .get_transaction_by_hash(tx_hash)
        .await?
        .ok_or_else(|| {
            IndexerError::Inconsistent(format!("the node does not know transaction {tx_hash}"))
        })?;
    let batch = decode_submission(tx.input())
        .map_err(|e| decode_error(log, format!("transaction {tx_hash}: {e}")))?;
    if batch.results_hash.0 != *results_hash || batch.epoch != *epoch {
        return Err(decode_error(
            log,
            format!(
            "transaction {tx_hash} submits epoch {} with results hash {}, its event names epoch {epoch} and {}",
            batch.epoch,
            batch.results_hash,
            B256::from(*results_hash)
        ),
        ));
    }
    Ok(batch.results)
}
