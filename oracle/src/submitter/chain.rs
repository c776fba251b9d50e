//! The few chain reads the submitter makes, with errors turned into text once.

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionReceipt;

use super::{Submitter, SubmitterError};

/// The chain head as this RPC node reports it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Head {
    pub number: u64,
    pub timestamp: u64,
}

fn rpc<E: std::fmt::Display>(e: E) -> SubmitterError {
    SubmitterError::Rpc(e.to_string())
}

impl Submitter {
    pub(super) async fn head(&self) -> Result<Head, SubmitterError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc)?
            .ok_or_else(|| SubmitterError::Rpc("node has no latest block".into()))?;
        Ok(Head {
            number: block.header.number,
            timestamp: block.header.timestamp,
        })
    }

    /// The number of transactions of `address` in mined blocks.
    pub(super) async fn mined_nonce(&self, address: Address) -> Result<u64, SubmitterError> {
        self.provider
            .get_transaction_count(address)
            .latest()
            .await
            .map_err(rpc)
    }

    pub(super) async fn receipt(
        &self,
        hash: B256,
    ) -> Result<Option<TransactionReceipt>, SubmitterError> {
        self.provider
            .get_transaction_receipt(hash)
            .await
            .map_err(rpc)
    }

    /// Whether the node knows the transaction (pending or mined).
    pub(super) async fn known(&self, hash: B256) -> Result<bool, SubmitterError> {
        Ok(self
            .provider
            .get_transaction_by_hash(hash)
            .await
            .map_err(rpc)?
            .is_some())
    }

    /// Current EIP-1559 fee suggestion: (max fee per gas, max priority fee per gas).
    pub(super) async fn fees(&self) -> Result<(u128, u128), SubmitterError> {
        let fees = self.provider.estimate_eip1559_fees().await.map_err(rpc)?;
        Ok((fees.max_fee_per_gas, fees.max_priority_fee_per_gas))
    }

    /// Sends signed bytes. "Already known" counts as sent; "nonce too low" is reported as
    /// `Ok(false)` (the nonce is used: mined, by us or by someone else).
    pub(super) async fn send_raw(&self, raw: &[u8]) -> Result<bool, SubmitterError> {
        match self.provider.send_raw_transaction(raw).await {
            Ok(_) => Ok(true),
            Err(e) => {
                let text = e.to_string().to_ascii_lowercase();
                if text.contains("already known") || text.contains("already imported") {
                    Ok(true)
                } else if text.contains("nonce too low") || text.contains("nonce is too low") {
                    Ok(false)
                } else {
                    Err(rpc(e))
                }
            }
        }
    }
}
