//! Both views of one data unit in one epoch.

use super::context::AggregationContext;
use super::summary::EpochSummary;
use super::view::ViewAccumulator;
use super::wire::{Put, Reader};
use super::AggregateError;
use crate::report::{Report, ReportHash, Role};
use crate::signing::VerifiedReport;

/// Both views of one data unit in one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochAccumulator {
    pub consumer: ViewAccumulator,
    pub provider: ViewAccumulator,
}

impl EpochAccumulator {
    pub fn new(ctx: AggregationContext) -> Self {
        EpochAccumulator {
            consumer: ViewAccumulator::new(ctx, Role::Consumer),
            provider: ViewAccumulator::new(ctx, Role::Provider),
        }
    }

    pub fn context(&self) -> &AggregationContext {
        self.consumer.context()
    }

    pub fn view(&self, role: Role) -> &ViewAccumulator {
        match role {
            Role::Consumer => &self.consumer,
            Role::Provider => &self.provider,
        }
    }

    pub fn view_mut(&mut self, role: Role) -> &mut ViewAccumulator {
        match role {
            Role::Consumer => &mut self.consumer,
            Role::Provider => &mut self.provider,
        }
    }

    /// Adds a report to the view of its role; see [`ViewAccumulator::add_report`].
    pub fn add_report(
        &mut self,
        report: &Report,
        hash: ReportHash,
    ) -> Result<bool, AggregateError> {
        self.view_mut(report.role).add_report(report, hash)
    }

    /// Adds a verified report to the view of its role.
    pub fn add_verified(&mut self, report: &VerifiedReport) -> Result<bool, AggregateError> {
        self.add_report(&report.report, report.hash)
    }

    /// Merges both views; on error nothing changes.
    pub fn merge(&mut self, other: &EpochAccumulator) -> Result<(), AggregateError> {
        self.consumer.check_mergeable(&other.consumer)?;
        self.provider.check_mergeable(&other.provider)?;
        self.consumer.merge(&other.consumer)?;
        self.provider.merge(&other.provider)
    }

    pub fn compact(&mut self) {
        self.consumer.compact();
        self.provider.compact();
    }

    /// The derived numbers of both views, the combined uptime slots and the reports root.
    pub fn summary(&self) -> EpochSummary {
        EpochSummary::of(self)
    }

    /// The consumer's then the provider's canonical encoding, each prefixed by its `u64` length.
    pub fn encode(&self) -> Vec<u8> {
        let consumer = self.consumer.encode();
        let provider = self.provider.encode();
        let mut out = Vec::with_capacity(16 + consumer.len() + provider.len());
        out.put_u64(consumer.len() as u64);
        out.extend_from_slice(&consumer);
        out.put_u64(provider.len() as u64);
        out.extend_from_slice(&provider);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, AggregateError> {
        let mut r = Reader::new(bytes);
        let mut part = || -> Result<ViewAccumulator, AggregateError> {
            let len = usize::try_from(r.u64()?).map_err(|_| AggregateError::Malformed("length"))?;
            ViewAccumulator::decode(r.take(len)?)
        };
        let consumer = part()?;
        let provider = part()?;
        if r.remaining() != 0 {
            return Err(AggregateError::Malformed("trailing bytes"));
        }
        if consumer.role != Role::Consumer
            || provider.role != Role::Provider
            || consumer.ctx != provider.ctx
        {
            return Err(AggregateError::Malformed("views inconsistent"));
        }
        Ok(EpochAccumulator { consumer, provider })
    }
}
