//! A provider: reputation over time, stake, SLA profiles in words, its data units with their
//! status, and the penalties it paid with their transactions.

use serde::Serialize;

use super::status::{self, ReporterLine, SlaStatus};
use super::{address, compliance_epochs, current_epoch, wei, ComplianceShare, OnChain, Source};
use crate::error::DashboardError;
use crate::words;
use alloy_primitives::Address;

/// Penalties listed on a provider page.
pub const PENALTIES_SHOWN: u32 = 100;
/// Data units whose status a provider page works out (the first, by id); the rest are counted
/// and in the exports. Each costs a few reads, so a provider with thousands stays fast.
pub const UNITS_SHOWN: usize = 200;
/// Epochs of roll-ups read per data unit to find its newest verdict.
const STATUS_EPOCHS: u64 = 2;

/// A provider page's data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    /// Its account, `0x` hex.
    pub address: String,
    /// Its id, in registration order.
    pub provider_id: u32,
    /// Reputation, 0..=10000.
    pub reputation: u16,
    /// Bonded stake, wei.
    pub bonded_wei: String,
    /// Stake unbonding (still slashable), wei.
    pub unbonding_wei: String,
    /// When the unbonding stake is released, Unix seconds (0: nothing unbonding).
    pub unbonding_release_at_s: u64,
    /// Until when a court decision suspended it (no new allocations), Unix seconds; 0: never
    /// suspended, or removed (see `removed`). Past values stay: a suspension that has ended.
    pub suspended_until_s: u64,
    /// Whether a court decision removed it for good: it accepts no allocation again
    /// (docs/court.md).
    pub removed: bool,
    /// Its withdrawable balance on chain, wei.
    pub withdrawable_wei: String,
    /// Compliance of its results over the last 30 days of epochs.
    pub compliance: ComplianceShare,
    /// First epoch of that span.
    pub compliance_since_epoch: u64,
    /// Penalties it paid, ever, wei.
    pub penalties_paid_wei: String,
    /// Every change of its reputation, oldest first.
    pub reputation_history: Vec<ReputationPoint>,
    /// Its SLA profiles.
    pub profiles: Vec<ProfileLine>,
    /// Its data units (the first [`UNITS_SHOWN`] by id).
    pub data_units: Vec<UnitLine>,
    /// How many data units it has in all.
    pub data_units_total: u64,
    /// The newest penalties it paid, newest first.
    pub penalties: Vec<PenaltyLine>,
}

/// Reputation after a change.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReputationPoint {
    /// The epoch of the results that changed it (`None`: registration).
    pub epoch: Option<u64>,
    /// Reputation after the change.
    pub reputation: u16,
    /// The event.
    pub on_chain: OnChain,
}

/// An SLA profile.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProfileLine {
    /// Its id.
    pub profile_id: u64,
    /// Retired profiles take no new allocations.
    pub retired: bool,
    /// Its terms in words.
    pub terms_words: Vec<String>,
}

/// One of the provider's data units.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitLine {
    /// The allocation id.
    pub data_unit: u64,
    /// Its consumer.
    pub consumer: String,
    /// The allocation's status on chain.
    pub allocation_status: &'static str,
    /// Compliant, at risk, violating, no data or inactive.
    pub status: SlaStatus,
    /// Why, in words.
    pub reasons: Vec<String>,
    /// The newest judged epoch and its window uptime, basis points.
    pub last_judged: Option<(u64, u16)>,
    /// Both sides' reporting.
    pub reporters: Vec<ReporterLine>,
}

/// A penalty paid.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PenaltyLine {
    /// The data unit.
    pub data_unit: u64,
    /// The violating epoch.
    pub epoch: u64,
    /// Wei moved.
    pub amount_wei: String,
    /// Who was credited.
    pub consumer: String,
    /// Where the penalty was taken: its `PenaltiesEscrowed` event.
    pub on_chain: OnChain,
}

/// Builds the page of `provider`; `Ok(None)` when it is not a registered provider.
pub async fn provider(
    source: &Source,
    provider: &Address,
    now_ms: u64,
) -> Result<Option<ProviderView>, DashboardError> {
    let mirror = source.db.mirror();
    let Some(state) = mirror.provider(provider).await? else {
        return Ok(None);
    };
    let epochs = source.epochs().await?;
    let current = current_epoch(&epochs, now_ms);
    let since = current.saturating_sub(compliance_epochs(&epochs) - 1);
    let compliance = mirror.compliance_of(provider, since).await?;
    let rollups = source.db.rollups();
    let reports = source.db.reports();
    let mut data_units = Vec::new();
    let allocations = mirror.allocations_of(provider).await?;
    let data_units_total = allocations.len() as u64;
    for allocation in allocations.into_iter().take(UNITS_SHOWN) {
        let recent = rollups
            .of_data_unit(
                allocation.data_unit,
                current.saturating_sub(STATUS_EPOCHS),
                current,
            )
            .await?;
        let newest = reports.newest_of_data_unit(allocation.data_unit, 1).await?;
        let reporters = status::reporters(&allocation, &newest, now_ms);
        let (status, reasons) = status::judge(&allocation, &epochs, &recent, &reporters);
        data_units.push(UnitLine {
            data_unit: allocation.data_unit,
            consumer: address(&allocation.consumer),
            allocation_status: allocation.status.as_str(),
            status,
            reasons,
            last_judged: recent
                .iter()
                .rev()
                .find_map(|r| Some((r.epoch, r.verdict.as_ref()?.uptime_bps))),
            reporters,
        });
    }
    let history = mirror.reputation_history(provider).await?;
    Ok(Some(ProviderView {
        address: address(provider),
        provider_id: state.provider_id,
        reputation: state.reputation,
        bonded_wei: wei(state.bonded),
        unbonding_wei: wei(state.unbonding),
        unbonding_release_at_s: state.unbonding_release_at,
        suspended_until_s: if state.suspended_until == u64::MAX {
            0
        } else {
            state.suspended_until
        },
        removed: state.suspended_until == u64::MAX,
        withdrawable_wei: wei(mirror.withdrawable(provider).await?),
        compliance: ComplianceShare::new(compliance.results, compliance.compliant),
        compliance_since_epoch: since,
        penalties_paid_wei: wei(mirror.penalties_paid(provider).await?),
        reputation_history: history
            .iter()
            .map(|c| ReputationPoint {
                epoch: c.epoch,
                reputation: c.reputation,
                on_chain: OnChain::from(&c.origin),
            })
            .collect(),
        profiles: mirror
            .profiles_of(provider)
            .await?
            .iter()
            .map(|p| ProfileLine {
                profile_id: p.profile_id,
                retired: p.retired,
                terms_words: words::terms(&p.terms),
            })
            .collect(),
        data_units,
        data_units_total,
        penalties: mirror
            .penalties_of_provider(provider, PENALTIES_SHOWN)
            .await?
            .iter()
            .map(|p| PenaltyLine {
                data_unit: p.data_unit,
                epoch: p.epoch,
                amount_wei: wei(p.amount),
                consumer: address(&p.consumer),
                on_chain: OnChain::from(&p.origin),
            })
            .collect(),
    }))
}
