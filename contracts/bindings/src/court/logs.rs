//! What the court keeps only in its events, read back: the flag that opened a case (its data
//! units and faults, which `decide` takes again) and a validator's commitment (which
//! [`super::vote_of_commitment`] turns back into the vote, given the salt).

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;

use crate::{Error, ISlaCourt, Result, SlaCourt};

/// The flag of `case_id` from its `ProviderFlagged` event (`None`: no such case).
pub async fn flag_of<P: Provider>(
    provider: &P,
    court: Address,
    from_block: u64,
    case_id: u64,
) -> Result<Option<ISlaCourt::FaultFlag>> {
    let filter = Filter::new()
        .address(court)
        .event_signature(SlaCourt::ProviderFlagged::SIGNATURE_HASH)
        .topic1(U256::from(case_id))
        .from_block(from_block);
    let Some(log) = provider.get_logs(&filter).await?.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(
        decode::<SlaCourt::ProviderFlagged>(&log, "ProviderFlagged")?.flag,
    ))
}

/// The commitment `validator` made on `case_id`, from its `VoteCommitted` event (`None`: it has
/// not committed; a validator commits once per case).
pub async fn committed<P: Provider>(
    provider: &P,
    court: Address,
    from_block: u64,
    case_id: u64,
    validator: Address,
) -> Result<Option<B256>> {
    let filter = Filter::new()
        .address(court)
        .event_signature(SlaCourt::VoteCommitted::SIGNATURE_HASH)
        .topic1(U256::from(case_id))
        .topic2(validator.into_word())
        .from_block(from_block);
    let Some(log) = provider.get_logs(&filter).await?.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(
        decode::<SlaCourt::VoteCommitted>(&log, "VoteCommitted")?.commitment,
    ))
}

fn decode<E: SolEvent>(log: &Log, name: &'static str) -> Result<E> {
    log.log_decode::<E>()
        .map(|decoded| decoded.inner.data)
        .map_err(|e| Error::Log(name, e.to_string()))
}
