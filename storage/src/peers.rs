//! The report exchange's progress per peer (docs/committee.md): the cursor in each peer's feed of
//! reports and what that peer served, stored and refused. The reports themselves go through the
//! group commit ([`crate::ReportStore::ingest`]) like any other.

use crate::backend::on_conn;
use crate::error::Result;
use crate::Database;

/// Where this node stands in one peer's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCursor {
    /// The peer's name in this node's configuration.
    pub peer: String,
    /// The last arrival id of the peer's feed this node has judged (0: none yet).
    pub after_id: i64,
    /// Reports from this peer that this node lacked and stored.
    pub stored: u64,
    /// Reports from this peer that this node refused.
    pub rejected: u64,
    /// When the cursor last moved, Unix ms.
    pub updated_at_ms: u64,
}

/// The peer cursors of a [`Database`].
#[derive(Debug, Clone)]
pub struct PeerStore {
    db: Database,
}

impl PeerStore {
    pub(crate) fn new(db: Database) -> Self {
        PeerStore { db }
    }

    /// Every peer's cursor, by name.
    pub async fn cursors(&self) -> Result<Vec<PeerCursor>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<(String, i64, i64, i64, i64)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT peer, after_id, stored, rejected, updated_at_ms FROM peer_cursors \
                 ORDER BY peer",
            )
            .fetch_all(c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(peer, after_id, stored, rejected, updated_at_ms)| PeerCursor {
                    peer,
                    after_id,
                    stored: stored as u64,
                    rejected: rejected as u64,
                    updated_at_ms: updated_at_ms as u64,
                },
            )
            .collect())
    }

    /// One peer's cursor; `None` before its first page.
    pub async fn cursor(&self, peer: &str) -> Result<Option<PeerCursor>> {
        Ok(self.cursors().await?.into_iter().find(|c| c.peer == peer))
    }

    /// Moves `peer`'s cursor to `after_id` (never back) and adds to its counts. Called after the
    /// page's reports were committed: a crash in between reads the page again, whose reports are
    /// then duplicates.
    pub async fn advance(
        &self,
        peer: &str,
        after_id: i64,
        stored: u64,
        rejected: u64,
        now_ms: u64,
    ) -> Result<()> {
        let mut tx = self.db.backend().begin_write().await?;
        on_conn!(tx.conn(), |c| {
            sqlx::query(
                "INSERT INTO peer_cursors (peer, after_id, stored, rejected, updated_at_ms) \
                 VALUES ($1,$2,$3,$4,$5) ON CONFLICT (peer) DO UPDATE SET \
                 after_id = CASE WHEN excluded.after_id > peer_cursors.after_id \
                   THEN excluded.after_id ELSE peer_cursors.after_id END, \
                 stored = peer_cursors.stored + excluded.stored, \
                 rejected = peer_cursors.rejected + excluded.rejected, \
                 updated_at_ms = excluded.updated_at_ms",
            )
            .bind(peer)
            .bind(after_id)
            .bind(stored as i64)
            .bind(rejected as i64)
            .bind(now_ms as i64)
            .execute(c)
            .await?;
        });
        tx.commit().await?;
        Ok(())
    }
}
