//! The records of each `ResultsSubmitted` batch, read from its transaction's input: the contract
//! emits no event per result (see `sla_contracts::applied`), so the indexer fetches the
//! `submitResults` call of every batch (one `eth_getTransactionByHash` each) and checks that its
//! `packedResults` hash to the event's `resultsHash`.

use alloy::consensus::Transaction as _;
use alloy::primitives::B256;
use alloy::providers::Provider;
use futures::{StreamExt, TryStreamExt};
use sla_contracts::applied::decode_submission;

use super::error::IndexerError;
use super::events::{ChainEvent, ChainLog};

/// Transactions fetched concurrently.
const CONCURRENCY: usize = 16;

/// Fills the `results` of every `ResultsSubmitted` in `logs`.
pub(super) async fn fill_results<P: Provider>(
    provider: &P,
    logs: &mut [ChainLog],
) -> Result<(), IndexerError> {
    let wanted: Vec<usize> = logs
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(l.event, ChainEvent::ResultsSubmitted { .. }))
        .map(|(i, _)| i)
        .collect();
    let fetched: Vec<(usize, Vec<sla_protocol::aggregate::EpochResult>)> =
        futures::stream::iter(wanted)
            .map(|i| {
                let log = &logs[i];
                async move { read_batch(provider, log).await.map(|r| (i, r)) }
            })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
    for (i, batch) in fetched {
        if let ChainEvent::ResultsSubmitted { results, .. } = &mut logs[i].event {
            *results = batch;
        }
    }
    Ok(())
}

async fn read_batch<P: Provider>(
    provider: &P,
    log: &ChainLog,
) -> Result<Vec<sla_protocol::aggregate::EpochResult>, IndexerError> {
    let ChainEvent::ResultsSubmitted {
        epoch,
        results_hash,
        ..
    } = &log.event
    else {
        unreachable!("only batches are read");
    };
    let fail = |reason: String| IndexerError::Decode {
        block: log.block_number,
        log_index: log.log_index,
        reason,
    };
    let tx_hash = B256::from(log.tx_hash);
    let tx = provider
        .get_transaction_by_hash(tx_hash)
        .await?
        .ok_or_else(|| {
            IndexerError::Inconsistent(format!("the node does not know transaction {tx_hash}"))
        })?;
    let batch =
        decode_submission(tx.input()).map_err(|e| fail(format!("transaction {tx_hash}: {e}")))?;
    if batch.results_hash.0 != *results_hash || batch.epoch != *epoch {
        return Err(fail(format!(
            "transaction {tx_hash} submits epoch {} with results hash {}, its event names epoch {epoch} and {}",
            batch.epoch,
            batch.results_hash,
            B256::from(*results_hash)
        )));
    }
    Ok(batch.results)
}
