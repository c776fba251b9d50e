//! The court's reads and transactions the validator role needs, with errors that name the call.

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use sla_contracts::{court, SlaCourt};
use sla_protocol::court::Verdict;

use super::ValidatorError;

/// How long to wait for a transaction's receipt.
const RECEIPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// A case's fields the role reads.
pub(super) struct CaseView {
    pub(super) validator_set: u64,
    pub(super) fault_rate_bps: u16,
    pub(super) commit_end: u64,
    pub(super) reveal_end: u64,
    pub(super) verdict: u8,
}

pub(super) struct Court {
    court: SlaCourt::SlaCourtInstance<DynProvider>,
    provider: DynProvider,
    from_block: u64,
}

fn chain_err(what: &str) -> impl FnOnce(alloy::contract::Error) -> ValidatorError + '_ {
    move |e| {
        let detail = match e.as_decoded_interface_error::<SlaCourt::SlaCourtErrors>() {
            Some(decoded) => format!("{decoded:?}"),
            None => e.to_string(),
        };
        ValidatorError::Chain(format!("{what}: {detail}"))
    }
}

impl Court {
    pub(super) fn new(address: Address, provider: DynProvider, from_block: u64) -> Self {
        Court {
            court: SlaCourt::new(address, provider.clone()),
            provider,
            from_block,
        }
    }

    pub(super) async fn threshold(&self) -> Result<u16, ValidatorError> {
        let config = self
            .court
            .courtConfig()
            .call()
            .await
            .map_err(chain_err("courtConfig"))?;
        Ok(config.faultThresholdBps)
    }

    pub(super) async fn case_count(&self) -> Result<u64, ValidatorError> {
        let count = self
            .court
            .caseCount()
            .call()
            .await
            .map_err(chain_err("caseCount"))?;
        Ok(count.saturating_to())
    }

    /// The latest block's timestamp: the phases are judged by block time.
    pub(super) async fn now(&self) -> Result<u64, ValidatorError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| ValidatorError::Chain(format!("latest block: {e}")))?
            .ok_or_else(|| ValidatorError::Chain("latest block: none".into()))?;
        Ok(block.header.timestamp)
    }

    pub(super) async fn case(&self, case: u64) -> Result<CaseView, ValidatorError> {
        let c = self
            .court
            .getCase(U256::from(case))
            .call()
            .await
            .map_err(chain_err("getCase"))?;
        Ok(CaseView {
            validator_set: c.validatorSet,
            fault_rate_bps: c.faultRateBps,
            commit_end: c.commitEnd.to::<u64>(),
            reveal_end: c.revealEnd.to::<u64>(),
            verdict: c.verdict,
        })
    }

    pub(super) async fn validators(&self, version: u64) -> Result<Vec<Address>, ValidatorError> {
        self.court
            .validatorsOf(version)
            .call()
            .await
            .map_err(chain_err("validatorsOf"))
    }

    /// 0 nothing, 1 committed, 2 revealed.
    pub(super) async fn stage(&self, case: u64, validator: Address) -> Result<u8, ValidatorError> {
        let vote = self
            .court
            .voteOf(U256::from(case), validator)
            .call()
            .await
            .map_err(chain_err("voteOf"))?;
        Ok(vote.stage)
    }

    /// The commitment `validator` made on `case`, from its `VoteCommitted` event.
    pub(super) async fn commitment(
        &self,
        case: u64,
        validator: Address,
    ) -> Result<B256, ValidatorError> {
        court::committed(
            &self.provider,
            *self.court.address(),
            self.from_block,
            case,
            validator,
        )
        .await
        .map_err(|e| ValidatorError::Chain(format!("VoteCommitted of case {case}: {e}")))?
        .ok_or_else(|| ValidatorError::Chain(format!("case {case}: no VoteCommitted log")))
    }

    /// The data units and faults of the flag that opened `case`.
    async fn affected(&self, case: u64) -> Result<(Vec<u64>, Vec<u32>), ValidatorError> {
        let flag = court::flag_of(&self.provider, *self.court.address(), self.from_block, case)
            .await
            .map_err(|e| ValidatorError::Chain(format!("ProviderFlagged of case {case}: {e}")))?
            .ok_or_else(|| ValidatorError::Chain(format!("case {case}: no ProviderFlagged log")))?;
        Ok((flag.dataUnitIds, flag.faults))
    }

    pub(super) fn address(&self) -> Address {
        *self.court.address()
    }

    pub(super) async fn open_case_of(&self, provider: Address) -> Result<u64, ValidatorError> {
        let case = self
            .court
            .openCaseOf(provider)
            .call()
            .await
            .map_err(chain_err("openCaseOf"))?;
        Ok(case.saturating_to())
    }

    pub(super) async fn next_flaggable(&self, provider: Address) -> Result<u64, ValidatorError> {
        self.court
            .nextFlaggableEpoch(provider)
            .call()
            .await
            .map_err(chain_err("nextFlaggableEpoch"))
    }

    pub(super) async fn flag(
        &self,
        flag: sla_contracts::ISlaCourt::FaultFlag,
        signatures: Vec<alloy::primitives::Bytes>,
    ) -> Result<(), ValidatorError> {
        let call = self.court.flagProvider(flag, signatures);
        self.send("flagProvider", call).await
    }

    pub(super) async fn commit(&self, case: u64, commitment: B256) -> Result<(), ValidatorError> {
        let call = self.court.commitVote(U256::from(case), commitment);
        self.send("commitVote", call).await
    }

    pub(super) async fn reveal(
        &self,
        case: u64,
        vote: Verdict,
        salt: B256,
    ) -> Result<(), ValidatorError> {
        let call = self.court.revealVote(U256::from(case), vote.code(), salt);
        self.send("revealVote", call).await
    }

    /// Decides `case`; `false` when another account decided it first.
    pub(super) async fn decide(&self, case: u64) -> Result<bool, ValidatorError> {
        let (ids, faults) = self.affected(case).await?;
        let call = self.court.decide(U256::from(case), ids, faults);
        match call.send().await {
            Ok(pending) => {
                self.confirm("decide", pending).await?;
                Ok(true)
            }
            Err(e) => match e.as_decoded_interface_error::<SlaCourt::SlaCourtErrors>() {
                Some(SlaCourt::SlaCourtErrors::CaseAlreadyDecided(_)) => Ok(false),
                _ => Err(chain_err("decide")(e)),
            },
        }
    }

    async fn send<D: alloy::contract::CallDecoder>(
        &self,
        what: &str,
        call: alloy::contract::CallBuilder<&DynProvider, D>,
    ) -> Result<(), ValidatorError> {
        let pending = call.send().await.map_err(chain_err(what))?;
        self.confirm(what, pending).await
    }

    async fn confirm(
        &self,
        what: &str,
        pending: alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
    ) -> Result<(), ValidatorError> {
        let receipt = pending
            .with_timeout(Some(RECEIPT_TIMEOUT))
            .get_receipt()
            .await
            .map_err(|e| ValidatorError::Chain(format!("{what}: {e}")))?;
        if !receipt.status() {
            return Err(ValidatorError::Chain(format!(
                "{what}: transaction {} reverted",
                receipt.transaction_hash
            )));
        }
        Ok(())
    }
}
