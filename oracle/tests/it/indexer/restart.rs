//! A restart resumes after the stored cursor and never applies a range twice.

use alloy::primitives::U256;
use sla_oracle::indexer::{apply_range, ApplyOutcome, ChainRange, Step};

use super::support::*;
use crate::send;

#[tokio::test]
async fn a_restarted_indexer_resumes_from_its_cursor_without_duplicating_anything() {
    for backend in backends() {
        let chain = Chain::start().await;
        let db = Db::new(&backend).await;
        let provider = chain.oracle_as(PROVIDER);
        let consumer = chain.oracle_as(CONSUMER);
        send!(provider.registerProvider());
        send!(provider.bond().value(U256::from(ETHER)));
        send!(provider.publishProfile(sla_terms()));
        send!(consumer.requestAllocationFromProfile(1));
        send!(consumer.registerKey(b256(key_of(1))));

        let mut first = chain.indexer(&db.storage, 0);
        let cursor = first.sync().await.unwrap();
        assert_eq!(cursor, Some(chain.head().await));
        let counts = db.storage.mirror().counts().await.unwrap();
        drop(first);
        db.storage.close().await;

        // A new process: a new connection and a new indexer.
        let storage = db.reconnect().await;
        assert_eq!(
            storage.mirror().cursor().await.unwrap().map(|c| c.number),
            cursor
        );
        let mut second = chain.indexer(&storage, 0);
        assert_eq!(second.step().await.unwrap(), Step::CaughtUp { cursor });
        assert_eq!(storage.mirror().counts().await.unwrap(), counts);

        // A range that does not start right after the cursor (what a stale or second indexer
        // would send) writes nothing.
        let at = storage.mirror().cursor().await.unwrap().unwrap();
        let stale = ChainRange {
            from_block: at.number,
            to: at,
            blocks: Vec::new(),
            logs: Vec::new(),
            reorg_window: 64,
        };
        assert_eq!(
            apply_range(&storage.mirror(), &stale).await.unwrap(),
            ApplyOutcome::CursorMismatch { cursor: Some(at) }
        );
        assert_eq!(storage.mirror().counts().await.unwrap(), counts);

        // Later events continue from the cursor.
        send!(provider.acceptAllocation(DU1));
        send!(consumer.revokeKey(b256(key_of(1))));
        second.sync().await.unwrap();
        let after = storage.mirror().counts().await.unwrap();
        assert_eq!(after.allocation_versions, counts.allocation_versions + 1);
        assert_eq!(after.key_versions, counts.key_versions + 1);
        assert_eq!(after.provider_versions, counts.provider_versions);
        assert_mirror_equals_chain(&chain, &storage, &[key_of(1)], &[PROVIDER, CONSUMER]).await;
    }
}
