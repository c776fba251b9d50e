//! The overview: every provider ranked by reputation, and the epoch clock.

use std::collections::HashMap;

use serde::Serialize;
use sla_protocol::aggregate::EpochConfig;

use super::{address, compliance_epochs, current_epoch, wei, ComplianceShare, Source};
use crate::error::DashboardError;

/// Where the epochs and the oracle stand.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct EpochClock {
    /// When this was computed, Unix ms.
    pub now_ms: u64,
    /// Epoch length, seconds.
    pub epoch_length_s: u32,
    /// The epoch in progress.
    pub current_epoch: u64,
    /// When it ends, Unix ms.
    pub epoch_ends_ms: u64,
    /// Milliseconds until it ends.
    pub ms_to_close: u64,
    /// The newest epoch with results accepted on chain.
    pub last_confirmed_epoch: Option<u64>,
    /// Closed epochs after the last confirmed one (0 when the oracle is up to date; `None`
    /// before the first result).
    pub oracle_lag_epochs: Option<u64>,
    /// The newest block the indexer has applied.
    pub chain_block: Option<u64>,
    /// Its timestamp, Unix ms.
    pub chain_time_ms: Option<u64>,
}

/// One provider's line of the overview.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ProviderLine {
    /// Its account, `0x` hex.
    pub address: String,
    /// Its id, in registration order.
    pub provider_id: u32,
    /// Reputation, 0..=10000.
    pub reputation: u16,
    /// Bonded stake, wei (decimal string).
    pub bonded_wei: String,
    /// Stake unbonding and still slashable, wei.
    pub unbonding_wei: String,
    /// Data units whose allocation is active.
    pub active_data_units: u64,
    /// Compliance of its results over the last 30 days of epochs.
    pub compliance: ComplianceShare,
    /// Penalties it has paid, wei.
    pub penalties_paid_wei: String,
}

/// The overview page's data.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Overview {
    /// The epoch clock.
    pub clock: EpochClock,
    /// First epoch of the compliance span.
    pub compliance_since_epoch: u64,
    /// Providers, highest reputation first (then larger bond, then registration order).
    pub providers: Vec<ProviderLine>,
}

/// The epoch clock at `now_ms`.
pub async fn clock(
    source: &Source,
    epochs: &EpochConfig,
    now_ms: u64,
) -> Result<EpochClock, DashboardError> {
    let mirror = source.db.mirror();
    let current = current_epoch(epochs, now_ms);
    let (_, ends) = epochs
        .bounds_ms(current)
        .ok_or_else(|| DashboardError::Internal("epoch past the end of time".into()))?;
    let last = mirror.last_result_epoch().await?;
    let cursor = mirror.cursor().await?;
    Ok(EpochClock {
        now_ms,
        epoch_length_s: epochs.epoch_len_s,
        current_epoch: current,
        epoch_ends_ms: ends,
        ms_to_close: ends.saturating_sub(now_ms),
        last_confirmed_epoch: last,
        oracle_lag_epochs: last.map(|l| current.saturating_sub(1).saturating_sub(l)),
        chain_block: cursor.as_ref().map(|c| c.number),
        chain_time_ms: cursor.as_ref().map(|c| c.timestamp_ms),
    })
}

/// Builds the overview at `now_ms`.
pub async fn overview(source: &Source, now_ms: u64) -> Result<Overview, DashboardError> {
    let epochs = source.epochs().await?;
    let clock = clock(source, &epochs, now_ms).await?;
    let since = clock
        .current_epoch
        .saturating_sub(compliance_epochs(&epochs) - 1);
    let mirror = source.db.mirror();
    let compliance: HashMap<_, _> = mirror
        .compliance_since(since)
        .await?
        .into_iter()
        .map(|c| (c.provider, ComplianceShare::new(c.results, c.compliant)))
        .collect();
    let totals: HashMap<_, _> = mirror
        .provider_totals()
        .await?
        .into_iter()
        .map(|t| (t.provider, t))
        .collect();
    let mut providers = mirror.providers().await?;
    providers.sort_by(|a, b| {
        (b.reputation, b.bonded, a.provider_id).cmp(&(a.reputation, a.bonded, b.provider_id))
    });
    let providers = providers
        .into_iter()
        .map(|p| {
            let t = totals.get(&p.provider);
            ProviderLine {
                address: address(&p.provider),
                provider_id: p.provider_id,
                reputation: p.reputation,
                bonded_wei: wei(p.bonded),
                unbonding_wei: wei(p.unbonding),
                active_data_units: t.map_or(0, |t| t.active_data_units),
                compliance: compliance.get(&p.provider).copied().unwrap_or_default(),
                penalties_paid_wei: wei(t.map_or(0, |t| t.penalties_paid)),
            }
        })
        .collect();
    Ok(Overview {
        clock,
        compliance_since_epoch: since,
        providers,
    })
}
