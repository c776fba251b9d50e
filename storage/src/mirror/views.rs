//! Reads of the mirror for the dashboard and its JSON API: summaries across providers, a
//! provider's history and its data units. Read-only, outside the indexer's transaction.

use alloy_primitives::Address;
use sla_protocol::parties::{Allocation, ReporterKey};

use super::rows::{
    AllocationRow, KeyRow, PenaltyRow, ProfileRow, ALLOCATION_COLUMNS, KEY_COLUMNS,
    PENALTY_COLUMNS, PROFILE_COLUMNS,
};
use super::types::{ChainOrigin, MirroredPenalty, Profile};
use super::MirrorStore;
use crate::backend::on_conn;
use crate::error::Result;
use crate::rows::{address_text, At};

/// Most provider versions [`MirrorStore::reputation_history`] reads.
pub const REPUTATION_HISTORY: u32 = 1_000;

/// How many of a provider's applied results in a span of epochs met every term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compliance {
    /// The provider.
    pub provider: Address,
    /// Results applied on chain for its data units in the span.
    pub results: u64,
    /// Of which without a violation.
    pub compliant: u64,
}

/// A provider's reputation after one change, with the epoch of the results that changed it
/// (`None` for a change outside a result batch, such as registration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReputationChange {
    /// Reputation after the change, 0..=10000.
    pub reputation: u16,
    /// The epoch of the result batch whose transaction changed it.
    pub epoch: Option<u64>,
    /// The event.
    pub origin: ChainOrigin,
}

/// Totals per provider: active data units and penalties paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderTotals {
    /// The provider.
    pub provider: Address,
    /// Its data units whose allocation is active.
    pub active_data_units: u64,
    /// Wei it has paid in penalties, ever.
    pub penalties_paid: u128,
}

/// The exact sum of penalty amounts given as `(amount, how many times)`. Amounts are decimal
/// text (they exceed 64 bits, and SQLite would sum them as floating point), so the queries group
/// by amount (a data unit's penalty is the same every epoch but for a bond running out) and the
/// multiplication happens here: a handful of rows instead of one per penalty.
fn sum_penalties(amounts: &[(String, i64)], row: &dyn std::fmt::Display) -> Result<u128> {
    let at = At {
        table: "chain_penalties",
        row,
    };
    amounts.iter().try_fold(0u128, |sum, (a, n)| {
        let part = at.wei("amount", a)?.saturating_mul(*n as u128);
        Ok(sum.saturating_add(part))
    })
}

fn address_at(table: &'static str, text: &str) -> Result<Address> {
    At { table, row: &text }.address("provider", text)
}

impl MirrorStore {
    /// Applied results and how many were compliant, per provider, over epochs `>= since_epoch`.
    pub async fn compliance_since(&self, since_epoch: u64) -> Result<Vec<Compliance>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<(String, i64, i64)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT a.provider, COUNT(*), \
                 SUM(CASE WHEN r.violations = 0 THEN 1 ELSE 0 END) \
                 FROM chain_results r JOIN allocations a ON a.data_unit = r.data_unit \
                 WHERE r.epoch >= $1 GROUP BY a.provider",
            )
            .bind(since_epoch.min(i64::MAX as u64) as i64)
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(p, results, compliant)| {
                Ok(Compliance {
                    provider: address_at("chain_results", &p)?,
                    results: results as u64,
                    compliant: compliant as u64,
                })
            })
            .collect()
    }

    /// One provider's applied results and compliant results over epochs `>= since_epoch`.
    /// (`+r.epoch` keeps SQLite from scanning every data unit's results by epoch: the
    /// provider's data units, then each one's results by primary key.)
    pub async fn compliance_of(&self, provider: &Address, since_epoch: u64) -> Result<Compliance> {
        let mut conn = self.db.backend().read().await?;
        let (results, compliant): (i64, Option<i64>) = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT COUNT(*), SUM(CASE WHEN r.violations = 0 THEN 1 ELSE 0 END) \
                 FROM allocations a JOIN chain_results r ON r.data_unit = a.data_unit \
                 WHERE a.provider = $1 AND +r.epoch >= $2",
            )
            .bind(address_text(provider))
            .bind(since_epoch.min(i64::MAX as u64) as i64)
            .fetch_one(c)
            .await?
        });
        Ok(Compliance {
            provider: *provider,
            results: results as u64,
            compliant: compliant.unwrap_or(0) as u64,
        })
    }

    /// Wei a provider has paid in penalties, ever.
    pub async fn penalties_paid(&self, provider: &Address) -> Result<u128> {
        let mut conn = self.db.backend().read().await?;
        let amounts: Vec<(String, i64)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT amount, COUNT(*) FROM chain_penalties WHERE provider = $1 \
                 GROUP BY amount",
            )
            .bind(address_text(provider))
            .fetch_all(c)
            .await?
        });
        sum_penalties(&amounts, provider)
    }

    /// Active data units and penalties paid, per provider that has either.
    pub async fn provider_totals(&self) -> Result<Vec<ProviderTotals>> {
        let mut conn = self.db.backend().read().await?;
        type Counts = Vec<(String, i64)>;
        type Amounts = Vec<(String, String, i64)>;
        let (active, penalties): (Counts, Amounts) = on_conn!(conn.conn(), |c| {
            let active = sqlx::query_as(
                "SELECT provider, COUNT(*) FROM allocations WHERE status = 'active' \
                     GROUP BY provider",
            )
            .fetch_all(&mut *c)
            .await?;
            // Amounts are decimal text (they exceed 64 bits): summed exactly here.
            let penalties = sqlx::query_as(
                "SELECT provider, amount, COUNT(*) FROM chain_penalties \
                 GROUP BY provider, amount",
            )
            .fetch_all(&mut *c)
            .await?;
            (active, penalties)
        });
        let mut totals: std::collections::BTreeMap<Address, ProviderTotals> = Default::default();
        let entry = |totals: &mut std::collections::BTreeMap<Address, ProviderTotals>, p| {
            *totals.entry(p).or_insert(ProviderTotals {
                provider: p,
                active_data_units: 0,
                penalties_paid: 0,
            })
        };
        for (p, n) in active {
            let p = address_at("allocations", &p)?;
            let mut t = entry(&mut totals, p);
            t.active_data_units = n as u64;
            totals.insert(p, t);
        }
        for (p, amount, n) in penalties {
            let provider = address_at("chain_penalties", &p)?;
            let paid = sum_penalties(&[(amount, n)], &p)?;
            let mut t = entry(&mut totals, provider);
            t.penalties_paid = t.penalties_paid.saturating_add(paid);
            totals.insert(provider, t);
        }
        Ok(totals.into_values().collect())
    }

    /// The newest epoch with a result batch accepted on chain.
    pub async fn last_result_epoch(&self) -> Result<Option<u64>> {
        let mut conn = self.db.backend().read().await?;
        let epoch: Option<i64> = on_conn!(conn.conn(), |c| {
            sqlx::query_scalar("SELECT MAX(epoch) FROM chain_result_batches")
                .fetch_one(c)
                .await?
        });
        Ok(epoch.map(|e| e as u64))
    }

    /// The newest block that changed a result, a provider or an allocation: moves whenever
    /// something the dashboard shows from the chain changes.
    pub async fn last_fact_block(&self) -> Result<Option<u64>> {
        let mut conn = self.db.backend().read().await?;
        let block: Option<i64> = on_conn!(conn.conn(), |c| {
            sqlx::query_scalar(
                "SELECT MAX(b) FROM (\
                 SELECT MAX(block_number) AS b FROM chain_results UNION ALL \
                 SELECT MAX(block_number) FROM chain_provider_versions UNION ALL \
                 SELECT MAX(block_number) FROM chain_allocation_versions) AS blocks",
            )
            .fetch_one(c)
            .await?
        });
        Ok(block.map(|b| b as u64))
    }

    /// The reputations a provider has had, in chain order: its newest [`REPUTATION_HISTORY`]
    /// changes (a year of hourly epochs can make one per epoch).
    pub async fn reputation_history(&self, provider: &Address) -> Result<Vec<ReputationChange>> {
        let mut conn = self.db.backend().read().await?;
        type Row = (i64, Option<i64>, i64, Option<i64>, Option<Vec<u8>>);
        let rows: Vec<Row> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT v.reputation, b.epoch, v.block_number, v.log_index, v.tx_hash \
                 FROM chain_provider_versions v LEFT JOIN chain_result_batches b \
                 ON b.block_number = v.block_number AND b.tx_hash = v.tx_hash \
                 WHERE v.provider = $1 ORDER BY v.id DESC LIMIT $2",
            )
            .bind(address_text(provider))
            .bind(REPUTATION_HISTORY as i64)
            .fetch_all(c)
            .await?
        });
        let mut changes: Vec<ReputationChange> = Vec::with_capacity(rows.len());
        for (reputation, epoch, block, log, tx) in rows.into_iter().rev() {
            let at = At {
                table: "chain_provider_versions",
                row: &block,
            };
            let change = ReputationChange {
                reputation: reputation as u16,
                epoch: epoch.map(|e| e as u64),
                origin: ChainOrigin {
                    block_number: block as u64,
                    log_index: log.map(|l| l as u64),
                    tx_hash: tx
                        .as_deref()
                        .map(|h| at.bytes32("tx_hash", h))
                        .transpose()?,
                },
            };
            // A bond or an unbond is a version too; only changes of the reputation count.
            if changes.last().map(|c| c.reputation) != Some(change.reputation) {
                changes.push(change);
            }
        }
        Ok(changes)
    }

    /// The counter every change to allocations and reporter keys bumps (migration 0002): a
    /// reader caching them reads them again only when it moved.
    pub async fn version(&self) -> Result<i64> {
        let mut conn = self.db.backend().read().await?;
        Ok(on_conn!(conn.conn(), |c| {
            sqlx::query_scalar("SELECT version FROM mirror_version WHERE id = 1")
                .fetch_one(c)
                .await?
        }))
    }

    /// Reporter keys whose validity ends in `(from_ms, to_ms]`, soonest first: the keys an
    /// alert warns about before their reports stop being accepted.
    pub async fn keys_ending(&self, from_ms: u64, to_ms: u64) -> Result<Vec<ReporterKey>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM reporter_keys WHERE valid_until_ms > $1 \
             AND valid_until_ms <= $2 ORDER BY valid_until_ms, public_key"
        );
        let mut conn = self.db.backend().read().await?;
        let rows = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, KeyRow>(&sql)
                .bind(from_ms.min(i64::MAX as u64) as i64)
                .bind(to_ms.min(i64::MAX as u64) as i64)
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(KeyRow::into_domain).collect()
    }

    /// A provider's data units as they stand, by data unit.
    pub async fn allocations_of(&self, provider: &Address) -> Result<Vec<Allocation>> {
        let sql = format!(
            "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE provider = $1 ORDER BY data_unit"
        );
        let mut conn = self.db.backend().read().await?;
        let rows = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, AllocationRow>(&sql)
                .bind(address_text(provider))
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(AllocationRow::into_domain).collect()
    }

    /// A provider's SLA profiles as they stand (retired ones included), by id.
    pub async fn profiles_of(&self, provider: &Address) -> Result<Vec<Profile>> {
        let sql = format!(
            "SELECT {PROFILE_COLUMNS} FROM chain_profile_versions v WHERE v.provider = $1 \
             AND v.id = (SELECT MAX(w.id) FROM chain_profile_versions w \
             WHERE w.profile_id = v.profile_id) ORDER BY v.profile_id"
        );
        let mut conn = self.db.backend().read().await?;
        let rows = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, ProfileRow>(&sql)
                .bind(address_text(provider))
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(ProfileRow::into_domain).collect()
    }

    /// A data unit's penalties for epochs `from..=to`, by epoch.
    pub async fn penalties_between(
        &self,
        data_unit: u64,
        from: u64,
        to: u64,
    ) -> Result<Vec<MirroredPenalty>> {
        let sql = format!(
            "SELECT {PENALTY_COLUMNS} FROM chain_penalties WHERE data_unit = $1 \
             AND epoch >= $2 AND epoch <= $3 ORDER BY epoch"
        );
        let mut conn = self.db.backend().read().await?;
        let rows = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, PenaltyRow>(&sql)
                .bind(data_unit as i64)
                .bind(from.min(i64::MAX as u64) as i64)
                .bind(to.min(i64::MAX as u64) as i64)
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(PenaltyRow::into_domain).collect()
    }

    /// How many penalties a data unit has paid, and their sum in wei (exact).
    pub async fn penalty_total(&self, data_unit: u64) -> Result<(u64, u128)> {
        let mut conn = self.db.backend().read().await?;
        let amounts: Vec<(String, i64)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT amount, COUNT(*) FROM chain_penalties WHERE data_unit = $1 \
                 GROUP BY amount",
            )
            .bind(data_unit as i64)
            .fetch_all(c)
            .await?
        });
        let count = amounts.iter().map(|(_, n)| *n as u64).sum();
        Ok((count, sum_penalties(&amounts, &data_unit)?))
    }

    /// Penalties applied in blocks after `after_block`, in chain order (at most `limit`): what
    /// a follower of the chain has not seen yet.
    pub async fn penalties_after_block(
        &self,
        after_block: u64,
        limit: u32,
    ) -> Result<Vec<MirroredPenalty>> {
        let sql = format!(
            "SELECT {PENALTY_COLUMNS} FROM chain_penalties WHERE block_number > $1 \
             ORDER BY block_number, log_index LIMIT $2"
        );
        let mut conn = self.db.backend().read().await?;
        let rows = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, PenaltyRow>(&sql)
                .bind(after_block.min(i64::MAX as u64) as i64)
                .bind(i64::from(limit))
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(PenaltyRow::into_domain).collect()
    }

    /// The newest `limit` penalties a provider paid, newest first.
    pub async fn penalties_of_provider(
        &self,
        provider: &Address,
        limit: u32,
    ) -> Result<Vec<MirroredPenalty>> {
        let sql = format!(
            "SELECT {PENALTY_COLUMNS} FROM chain_penalties WHERE provider = $1 \
             ORDER BY epoch DESC, data_unit DESC LIMIT $2"
        );
        let mut conn = self.db.backend().read().await?;
        let rows = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, PenaltyRow>(&sql)
                .bind(address_text(provider))
                .bind(i64::from(limit))
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(PenaltyRow::into_domain).collect()
    }
}
