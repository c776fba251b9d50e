//! Efficiency: resources used / resources pledged, per epoch, in basis points (rules version 2,
//! `docs/aggregation.md`, "Efficiency").
//!
//! Used is the epoch's mean of the host gauge an agent measures; pledged is the latest value of
//! the pledge gauge the same view declares (`crate::gauge::names`). Both are signed by the view's
//! reporter key, so an auditor reads them from the same reports.

use serde::{Deserialize, Serialize};

use super::summary::ViewSummary;
use crate::gauge::names;

/// A pledged resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// CPU, thousandths of a core.
    Cpu,
    /// Memory, bytes.
    Memory,
    /// Network, bytes per second.
    Bandwidth,
    /// Storage, bytes.
    Storage,
}

impl Resource {
    /// All resources, in the order of every list.
    pub const ALL: [Resource; 4] = [
        Resource::Cpu,
        Resource::Memory,
        Resource::Bandwidth,
        Resource::Storage,
    ];

    /// `(used gauge, pledge gauge)` names.
    pub fn gauges(self) -> (&'static str, &'static str) {
        match self {
            Resource::Cpu => (names::CPU_USED, names::PLEDGE_CPU),
            Resource::Memory => (names::MEMORY_USED, names::PLEDGE_MEMORY),
            Resource::Bandwidth => (names::NETWORK, names::PLEDGE_BANDWIDTH),
            Resource::Storage => (names::STORAGE_USED, names::PLEDGE_STORAGE),
        }
    }
}

/// One resource's efficiency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceEfficiency {
    /// Which resource.
    pub resource: Resource,
    /// The epoch's mean of the used gauge; `None` without samples.
    pub used: Option<i64>,
    /// The latest pledge; `None` without one.
    pub pledged: Option<i64>,
    /// `min(10000, floor(max(used, 0) · 10000 / pledged))`; `None` unless both are known and
    /// the pledge is positive.
    pub efficiency_bps: Option<u16>,
}

/// Every resource's efficiency in one view and epoch, and their mean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Efficiency {
    /// One entry per resource, in [`Resource::ALL`] order.
    pub resources: Vec<ResourceEfficiency>,
    /// `floor(Σ efficiency_bps / n)` over the `n` resources that have one; `None` when none has.
    pub overall_bps: Option<u16>,
}

impl Efficiency {
    /// The efficiency a view's gauges show.
    pub fn of(view: &ViewSummary) -> Efficiency {
        Efficiency::from_values(|name| view.gauge(name).map_or((None, None), |g| (g.mean, g.last)))
    }

    /// The efficiency from each gauge's `(mean, last)`, as `values` gives them by name (an epoch's
    /// summary, or a window's).
    pub fn from_values(values: impl Fn(&str) -> (Option<i64>, Option<i64>)) -> Efficiency {
        let resources: Vec<ResourceEfficiency> = Resource::ALL
            .iter()
            .map(|&resource| {
                let (used_name, pledge_name) = resource.gauges();
                let used = values(used_name).0;
                let pledged = values(pledge_name).1;
                let efficiency_bps = match (used, pledged) {
                    (Some(u), Some(p)) if p > 0 => {
                        let bps = i128::from(u.max(0)) * 10_000 / i128::from(p);
                        Some(bps.min(10_000) as u16)
                    }
                    _ => None,
                };
                ResourceEfficiency {
                    resource,
                    used,
                    pledged,
                    efficiency_bps,
                }
            })
            .collect();
        let known: Vec<u32> = resources
            .iter()
            .filter_map(|r| r.efficiency_bps.map(u32::from))
            .collect();
        let overall_bps =
            (!known.is_empty()).then(|| (known.iter().sum::<u32>() / known.len() as u32) as u16);
        Efficiency {
            resources,
            overall_bps,
        }
    }
}
