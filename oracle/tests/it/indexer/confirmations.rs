//! Only blocks at least `confirmations` deep are mirrored.

use super::support::*;
use crate::send;

/// The depth: one more than the deployment's blocks after its first (the policies contract, the
/// court, and the court's binding), so that nothing of the deployment is confirmed at first.
const DEPTH: u64 = 4;

#[tokio::test]
async fn nothing_is_mirrored_before_the_confirmation_depth() {
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let mut indexer = chain.indexer(&db.storage, DEPTH);
        // Nothing is confirmed right after the deployment (the oracle's block, then the policies
        // contract's, the court's and its binding's), and its last block is, DEPTH blocks later.
        assert_eq!(indexer.sync().await.unwrap(), None);
        let deployed = chain.head().await;
        assert!(deployed >= chain.deployment.deploy_block);
        chain.mine(DEPTH).await;
        assert_eq!(indexer.sync().await.unwrap(), Some(deployed));

        let receipt = send!(chain.oracle_as(CONSUMER).registerKey(b256(key_of(1))));
        let block = receipt.block_number.unwrap();
        for confirmations in 0..DEPTH {
            let cursor = indexer.sync().await.unwrap();
            assert_eq!(cursor, Some(chain.head().await - DEPTH));
            assert!(cursor.unwrap() < block);
            assert_eq!(
                db.storage.mirror().current_key(&key_of(1)).await.unwrap(),
                None,
                "mirrored after {confirmations} confirmations"
            );
            chain.mine(1).await;
        }

        // The head is now DEPTH blocks past the key's block.
        assert_eq!(indexer.sync().await.unwrap(), Some(block));
        let key = db.storage.mirror().current_key(&key_of(1)).await.unwrap();
        assert_eq!(key.unwrap().account, chain.address(CONSUMER));
        assert_eq!(indexer.metrics().lag_blocks(), DEPTH as i64);
        assert_eq!(indexer.metrics().last_indexed_block(), block as i64);
    }
}
