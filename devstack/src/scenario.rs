//! The demo scenario shared by `sla-devstack`, the end-to-end tests and the auditor's tests: a
//! compliant and a failing provider, each with one consumer and one allocation, and four sample
//! reporters (consumer and provider side of each) posting every half epoch.

use alloy::primitives::Address;
use sla_protocol::Role;
use tokio::task::JoinHandle;

use crate::chain::{demo_terms, open_allocation, register_provider, Allocation};
use crate::reporter::{Behaviour, SampleReporter, DEFAULT_ERROR_DETAIL};
use crate::stack::Stack;

/// Wei each provider bonds.
pub const BOND_WEI: u128 = 1_000_000_000_000_000_000;

/// The two allocations and the reporters posting for them.
#[derive(Debug)]
pub struct Scenario {
    /// Account 4 (consumer) with provider 2, whose reporters post [`Behaviour::Compliant`]
    /// records.
    pub compliant: Allocation,
    /// Account 5 (consumer) with provider 3, whose reporters post [`Behaviour::Failing`]
    /// records.
    pub failing: Allocation,
    /// The penalty of the demo terms, wei per violating epoch.
    pub penalty_wei: u64,
    /// The four running reporters; each ends with the number of reports the ingest API accepted,
    /// or with the error that stopped it.
    pub reporters: Vec<JoinHandle<anyhow::Result<u64>>>,
}

impl Scenario {
    /// Sets up accounts 2 and 3 as providers and 4 and 5 as their consumers on `stack`, opens
    /// one allocation each with the demo terms, and starts the reporters with the next period.
    pub async fn start(stack: &Stack, penalty_wei: u64) -> anyhow::Result<Scenario> {
        Self::start_with(stack, penalty_wei, DEFAULT_ERROR_DETAIL).await
    }

    /// [`Scenario::start`], with `error_detail` in the failing side's failed records.
    pub async fn start_with(
        stack: &Stack,
        penalty_wei: u64,
        error_detail: &str,
    ) -> anyhow::Result<Scenario> {
        let contract = stack.deployment.contract;
        let epoch_length = stack.options.epoch_length;
        let (good, bad) = (stack.account(2)?, stack.account(3)?);
        let (alice, bob) = (stack.account(4)?, stack.account(5)?);
        register_provider(contract, &good, BOND_WEI).await?;
        register_provider(contract, &bad, BOND_WEI).await?;
        let terms = demo_terms(epoch_length, penalty_wei);
        let compliant = open_allocation(contract, &alice, &good, terms.clone(), 1).await?;
        let failing = open_allocation(contract, &bob, &bad, terms, 2).await?;

        let (start, mut sample) = sample_reporters(stack, &compliant, &failing);
        for r in &mut sample {
            r.error_detail = error_detail.to_owned();
        }
        let reporters = sample
            .into_iter()
            .map(|reporter| tokio::spawn(reporter.run(start, stack.stop_signal())))
            .collect();
        Ok(Scenario {
            compliant,
            failing,
            penalty_wei,
            reporters,
        })
    }

    /// `(data unit, provider, consumer)` of the compliant then the failing allocation.
    pub fn units(&self) -> [(u64, Address, Address); 2] {
        [
            (
                self.compliant.data_unit,
                self.compliant.provider.address(),
                self.compliant.consumer.address(),
            ),
            (
                self.failing.data_unit,
                self.failing.provider.address(),
                self.failing.consumer.address(),
            ),
        ]
    }

    /// Fails if a reporter has stopped while the stack runs (it gave up on a refused report),
    /// with the reporter's error.
    pub async fn reporters_running(&mut self) -> anyhow::Result<()> {
        if let Some(i) = self.reporters.iter().position(|r| r.is_finished()) {
            let accepted = self.reporters.remove(i).await??;
            anyhow::bail!("reporter {i} stopped early after {accepted} accepted reports");
        }
        Ok(())
    }

    /// Waits for the reporters (after the stack stopped) and returns the first error.
    pub async fn finish(self) -> anyhow::Result<()> {
        for r in self.reporters {
            r.await??;
        }
        Ok(())
    }
}

/// The four sample reporters of a compliant and a failing allocation (consumer and provider side
/// of each), posting to `stack`'s ingest API every half epoch, and the start of their first
/// period: the next period boundary (reports are sent once their period has ended).
pub fn sample_reporters(
    stack: &Stack,
    compliant: &Allocation,
    failing: &Allocation,
) -> (u64, Vec<SampleReporter>) {
    let period_ms = u64::from(stack.options.epoch_length) * 500;
    let start = (sla_runtime::now_ms() / period_ms + 1) * period_ms;
    let deployment = stack.deployment.deployment();
    let mut reporters = Vec::new();
    for (allocation, behaviour) in [
        (compliant, Behaviour::Compliant),
        (failing, Behaviour::Failing),
    ] {
        for (role, key) in [
            (Role::Consumer, allocation.consumer_key.clone()),
            (Role::Provider, allocation.provider_key.clone()),
        ] {
            reporters.push(SampleReporter {
                key,
                role,
                data_unit: allocation.data_unit,
                deployment,
                behaviour,
                period_ms,
                ingest_url: stack.ingest_url.clone(),
                error_detail: DEFAULT_ERROR_DETAIL.to_owned(),
            });
        }
    }
    (start, reporters)
}
