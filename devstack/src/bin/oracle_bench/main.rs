//! `sla-oracle-bench`: the oracle submitter's latency from epoch close to every result confirmed
//! on chain, for N data units on a local anvil, and the gas per data-unit result from the
//! receipts (issue 5's figures; method in docs/performance-oracle.md).
//!
//! Setup (not timed): anvil in automine mode, `SlaOracle` deployed with one-hour epochs,
//! `--providers` providers registered, bonded and each with one published profile, one consumer
//! requesting N allocations from those profiles (round robin over the providers; the submitter
//! sorts the results by data unit id, `providerId << 32 | n`, so each provider's results form one
//! run per batch) and the providers
//! accepting them; all these transactions are signed locally with managed nonces and sent without
//! waiting for each other. The finalized roll-ups of the epoch all allocations are active in are
//! written straight into the SQLite database (status `final`, an `EpochVerdict` as
//! `verdict_json`; `--violating-percent` of them with violations and a penalty), as the
//! aggregator would leave them.
//!
//! Timed: anvil switches to `--block-time` interval mining, the next block is given the epoch's
//! end as timestamp (the chain closes the epoch), and the submitter (`Submitter::tick` every
//! `--poll-ms`, as in the service) plans, signs, sends and confirms everything. Printed as one JSON
//! line: from the closing block to all sent, first confirmed and all confirmed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::eips::eip2718::Encodable2718;
use alloy::eips::BlockNumberOrTag;
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::node_bindings::Anvil;
use alloy::primitives::{keccak256, Address, Bytes, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use clap::Parser;
use serde_json::json;
use sla_contracts::{DeployConfig, SlaOracle};
use sla_devstack::chain::demo_terms;
use sla_oracle::submitter::{Submitter, SubmitterConfig, SubmitterMetrics, SubmitterStores};
use sla_protocol::aggregate::{
    epoch_score, EpochConfig, EpochVerdict, EvidenceSource, Metric, MetricVerdict, ViewEvidence,
};
use sla_protocol::aggregate::{AggregationContext, EpochAccumulator};
use sla_protocol::parties::{Allocation, AllocationStatus};
use sla_storage::rollups::RollupWrite;
use sla_storage::{Database, RollupStatus, TxState};

mod committee;

#[derive(Debug, Parser)]
#[command(about = "Oracle submitter benchmark: epoch close to confirmed on anvil, gas per result")]
struct Args {
    /// Data units (allocations), one result each.
    #[arg(long, default_value_t = 1_000)]
    data_units: u64,
    /// Results per transaction (the service's --max-batch).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Providers the allocations are spread over (round robin).
    #[arg(long, default_value_t = 10)]
    providers: usize,
    /// Percentage of results with violations (a penalty moves).
    #[arg(long, default_value_t = 10)]
    violating_percent: u64,
    /// Seconds between blocks while timed.
    #[arg(long, default_value_t = 1)]
    block_time: u64,
    /// Blocks on top of a transaction's block before its results count.
    #[arg(long, default_value_t = 1)]
    confirmations: u64,
    /// Milliseconds between submitter rounds (the service's --poll-ms).
    #[arg(long, default_value_t = 250)]
    poll_ms: u64,
    /// Directory for the SQLite file (default: a temporary directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Oracle nodes: 1 is the single oracle; more run a committee (docs/committee.md), each node
    /// with its own database, committee endpoint and submitter, in this process.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Signatures a batch needs (default: a single node's 1, else more than two thirds).
    #[arg(long)]
    quorum: Option<u8>,
    /// With a committee: the first round's leader never starts, so the next one leads after the
    /// round timeout.
    #[arg(long)]
    leader_down: bool,
    /// With a committee: most results per proposal (more are proposed in parts).
    #[arg(long, default_value_t = sla_oracle::committee::MAX_PROPOSAL_RESULTS)]
    proposal_results: usize,
    /// With a committee: how long a round's attempt lasts, ms.
    #[arg(long, default_value_t = 5_000)]
    round_timeout_ms: u64,
    /// Seconds per epoch. A committee schedules rounds by the wall clock, so it needs an epoch
    /// that ends in real time soon after the setup (e.g. 30); a single node jumps the chain's
    /// clock to the epoch's end instead.
    #[arg(long, default_value_t = 3_600)]
    epoch_length: u32,
}

const PENALTY_WEI: u64 = 10_000_000_000_000_000;
const BOND_WEI: u128 = 100_000_000_000_000_000_000;
const SETUP_IN_FLIGHT: usize = 64;
/// Gas limit of the setup blocks, and of the timed ones (anvil's default, mainnet-like).
const SETUP_GAS_LIMIT: u64 = 200_000_000;
const BLOCK_GAS_LIMIT: u64 = 30_000_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tmp = tempfile_dir()?;
    let dir = args.data_dir.clone().unwrap_or_else(|| tmp.clone());
    std::fs::create_dir_all(&dir)?;
    let setup_started = Instant::now();

    // Chain: automine while setting up.
    let anvil = Anvil::at(sla_contracts::anvil::anvil_path()?)
        .arg("--accounts")
        .arg((args.providers + 2 + args.nodes).to_string())
        .arg("--balance")
        .arg("1000000")
        .try_spawn()?;
    let url = anvil.endpoint_url();
    let keys: Vec<PrivateKeySigner> = anvil.keys().iter().map(|k| k.clone().into()).collect();
    let reader = ProviderBuilder::new().connect_http(url.clone()).erased();
    // The oracle signers: account 1, then (a committee) the accounts after the consumer.
    let signers: Vec<PrivateKeySigner> = std::iter::once(keys[1].clone())
        .chain(
            keys[args.providers + 3..args.providers + 2 + args.nodes]
                .iter()
                .cloned(),
        )
        .collect();
    let quorum = args.quorum.unwrap_or(if args.nodes == 1 {
        1
    } else {
        (args.nodes * 2 / 3 + 1) as u8
    });
    let chain_id = reader.get_chain_id().await?;
    let deployment = sla_contracts::deploy(
        url.clone(),
        keys[0].clone(),
        &DeployConfig {
            epoch_length: args.epoch_length,
            submission_window: 3_600.max(2 * args.epoch_length),
            allocation_request_ttl: 86_400,
            oracle_signers: signers.iter().map(|k| k.address()).collect(),
            quorum,
            ..DeployConfig::default()
        },
    )
    .await?;
    let contract = deployment.contract;
    let terms = demo_terms(args.epoch_length, PENALTY_WEI);

    // Providers: register, bond, publish one profile each.
    let mut profiles = Vec::new();
    for key in &keys[2..2 + args.providers] {
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(key.clone()))
            .connect_http(url.clone())
            .erased();
        let oracle = SlaOracle::new(contract, provider);
        oracle
            .registerProvider()
            .send()
            .await?
            .get_receipt()
            .await?;
        oracle
            .bond()
            .value(U256::from(BOND_WEI))
            .send()
            .await?
            .get_receipt()
            .await?;
        let receipt = oracle
            .publishProfile(terms.clone())
            .send()
            .await?
            .get_receipt()
            .await?;
        let id = receipt
            .inner
            .logs()
            .iter()
            .find_map(|l| l.log_decode::<SlaOracle::ProfilePublished>().ok())
            .map(|e| e.inner.data.profileId)
            .ok_or_else(|| anyhow::anyhow!("no ProfilePublished"))?;
        profiles.push(id);
    }

    // From here on the setup transactions go into the pool and are mined in a few large blocks
    // (one block per transaction gets slow on anvil past a few thousand).
    let _: serde_json::Value = reader
        .raw_request("evm_setAutomine".into(), (false,))
        .await?;
    let _: serde_json::Value = reader
        .raw_request(
            "anvil_setBlockGasLimit".into(),
            (U256::from(SETUP_GAS_LIMIT),),
        )
        .await?;

    // One consumer requests every allocation, round robin over the providers: request i goes to
    // provider i % p (registered (i % p) + 1-th), whose (i / p + 1)-th allocation it is.
    let consumer = keys[2 + args.providers].clone();
    let p = args.providers as u64;
    let ids: Vec<u64> = (0..args.data_units)
        .map(|i| ((i % p + 1) << 32) | (i / p + 1))
        .collect();
    let last_id = *ids.last().ok_or_else(|| anyhow::anyhow!("no data units"))?;
    let requests: Vec<Bytes> = (0..args.data_units)
        .map(|i| {
            SlaOracle::requestAllocationFromProfileCall {
                profileId: profiles[(i % p) as usize],
            }
            .abi_encode()
            .into()
        })
        .collect();
    eprintln!(
        "setup: {:.1} s: sending {} allocation requests",
        setup_started.elapsed().as_secs_f64(),
        requests.len()
    );
    let target = send_all(&reader, &consumer, contract, chain_id, requests).await?;
    eprintln!(
        "setup: {:.1} s: mining them",
        setup_started.elapsed().as_secs_f64()
    );
    mine_until(&reader, &[target]).await?;
    eprintln!(
        "setup: {:.1} s: accepting",
        setup_started.elapsed().as_secs_f64()
    );
    let last = SlaOracle::new(contract, reader.clone())
        .getAllocation(last_id)
        .call()
        .await?;
    anyhow::ensure!(
        last.consumer == consumer.address(),
        "data unit {last_id} is not the consumer's"
    );

    // Each provider accepts its allocations.
    let mut accepting = tokio::task::JoinSet::new();
    for (index, key) in keys[2..2 + args.providers].iter().enumerate() {
        let calls: Vec<Bytes> = ids
            .iter()
            .filter(|&&id| (id >> 32) - 1 == index as u64)
            .map(|&id| {
                SlaOracle::acceptAllocationCall { dataUnitId: id }
                    .abi_encode()
                    .into()
            })
            .collect();
        let (reader, key) = (reader.clone(), key.clone());
        accepting.spawn(async move { send_all(&reader, &key, contract, chain_id, calls).await });
    }
    let mut targets = Vec::new();
    while let Some(done) = accepting.join_next().await {
        targets.push(done??);
    }
    eprintln!(
        "setup: {:.1} s: mining the accepts",
        setup_started.elapsed().as_secs_f64()
    );
    mine_until(&reader, &targets).await?;
    eprintln!(
        "setup: {:.1} s: writing roll-ups",
        setup_started.elapsed().as_secs_f64()
    );
    let _: serde_json::Value = reader
        .raw_request(
            "anvil_setBlockGasLimit".into(),
            (U256::from(BLOCK_GAS_LIMIT),),
        )
        .await?;
    let _: serde_json::Value = reader.raw_request("evm_mine".into(), ()).await?;
    let head_ts = head(&reader).await?.1;
    let epoch = deployment.epoch_at(head_ts);
    let info = SlaOracle::new(contract, reader.clone())
        .getAllocation(last_id)
        .call()
        .await?;
    anyhow::ensure!(
        info.activeFromEpoch <= epoch,
        "allocations not active in {epoch}"
    );

    // The aggregator's output for that epoch, straight into each node's database.
    let epochs = deployment.epochs()?;
    let protocol_terms = sla_protocol::aggregate::SlaTerms::from(&terms);
    let seed = Seed {
        ids: &ids,
        epoch,
        epochs,
        terms: &protocol_terms,
        weights: terms.weights,
        violating_percent: args.violating_percent,
        providers: keys[2..2 + args.providers]
            .iter()
            .map(|k| k.address())
            .collect(),
        consumer: consumer.address(),
    };
    if args.nodes > 1 {
        let mut databases = Vec::new();
        for node in 0..args.nodes {
            databases.push(
                seed.database(&dir, &format!("oracle-bench-{node}.sqlite"))
                    .await?,
            );
        }
        let setup_seconds = setup_started.elapsed().as_secs_f64();
        return committee::run(
            &args,
            committee::Chain {
                reader,
                url,
                chain_id,
                contract,
                epochs,
                epoch,
                submission_window_s: u64::from(deployment.submission_window),
            },
            signers,
            quorum,
            databases,
            setup_seconds,
        )
        .await;
    }
    let storage = seed.database(&dir, "oracle-bench.sqlite").await?;
    let setup_seconds = setup_started.elapsed().as_secs_f64();

    // The submitter, configured as the service configures it.
    let submitter_provider = ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_http(url.clone())
        .erased();
    let mut submitter = Submitter::new(
        SubmitterConfig {
            chain_id,
            contract,
            epochs: EpochConfig::new(deployment.genesis_time, args.epoch_length)?,
            submission_window_s: u64::from(deployment.submission_window),
            confirmations: args.confirmations,
            max_batch: args.batch,
            stuck_after: Duration::from_secs(30),
            fee_bump_percent: 15,
            max_fee_ceiling: 500_000_000_000,
            crash_after: None,
        },
        submitter_provider,
        keys[1].clone(),
        SubmitterStores::of(&storage),
        Arc::new(SubmitterMetrics::default()),
    );

    // Timed: blocks every --block-time seconds, the next one closes the epoch.
    let end = deployment.epoch_end(epoch);
    let _: serde_json::Value = reader
        .raw_request("evm_setNextBlockTimestamp".into(), (end,))
        .await?;
    let _: serde_json::Value = reader
        .raw_request("evm_setIntervalMining".into(), (args.block_time,))
        .await?;
    let closed = tokio::spawn({
        let reader = reader.clone();
        async move {
            loop {
                if let Ok((number, ts)) = head(&reader).await {
                    if ts >= end {
                        return (Instant::now(), number);
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let n = args.data_units as usize;
    let (mut all_sent, mut first_confirmed, mut all_confirmed) = (None, None, None);
    let deadline = Instant::now() + Duration::from_secs(600);
    while all_confirmed.is_none() {
        anyhow::ensure!(Instant::now() < deadline, "not confirmed within 10 minutes");
        if let Err(e) = submitter.tick(sla_runtime::now_ms()).await {
            eprintln!("submitter tick failed: {e}");
        }
        let txs = storage
            .txs()
            .in_states(&[TxState::Sent, TxState::Confirmed])
            .await?;
        let count = |state: Option<TxState>| -> usize {
            txs.iter()
                .filter(|t| state.is_none_or(|s| t.state == s))
                .map(|t| t.results.len())
                .sum()
        };
        let now = Instant::now();
        if all_sent.is_none() && count(None) == n {
            all_sent = Some(now);
        }
        if first_confirmed.is_none() && count(Some(TxState::Confirmed)) > 0 {
            first_confirmed = Some(now);
        }
        if count(Some(TxState::Confirmed)) == n {
            all_confirmed = Some(now);
        } else {
            tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
        }
    }
    let (closed_at, closing_block) = closed.await?;
    let since =
        |t: Option<Instant>| t.map(|t| t.saturating_duration_since(closed_at).as_secs_f64());

    // Gas per result from the receipts (stored by the submitter from each receipt), and a check
    // that every result was applied exactly once.
    let confirmed = storage.txs().in_states(&[TxState::Confirmed]).await?;
    let mut full = Vec::new();
    let mut by_block: BTreeMap<u64, usize> = BTreeMap::new();
    for tx in &confirmed {
        let gas = tx.gas_used.expect("confirmed transactions have gas used");
        if tx.results.len() == args.batch {
            full.push(gas as f64 / args.batch as f64);
        }
        *by_block
            .entry(tx.block_number.unwrap_or_default())
            .or_default() += 1;
    }
    let total_gas: u64 = confirmed.iter().filter_map(|t| t.gas_used).sum();
    let submitted = sla_contracts::applied::submitted_results(
        &reader,
        contract,
        closing_block,
        None,
        None,
        &mut std::collections::HashSet::new(),
    )
    .await?;
    let applied = submitted.iter().filter(|s| s.was_applied).count();
    let skipped = submitted.len() - applied;
    anyhow::ensure!(
        applied == n && skipped == 0,
        "applied {applied}, skipped {skipped}"
    );
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    println!(
        "{}",
        json!({
            "data_units": n,
            "batch": args.batch,
            "providers": args.providers,
            "violating_percent": args.violating_percent,
            "block_time_s": args.block_time,
            "confirmations": args.confirmations,
            "poll_ms": args.poll_ms,
            "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "setup_seconds": setup_seconds,
            "transactions": confirmed.len(),
            "blocks": by_block.len(),
            "close_to_all_sent_s": since(all_sent),
            "close_to_first_confirmed_s": since(first_confirmed),
            "close_to_all_confirmed_s": since(all_confirmed),
            "gas_per_result_at_batch": mean(&full),
            "gas_per_result_overall": total_gas as f64 / n as f64,
            "gas_total": total_gas,
        })
    );
    storage.close().await;
    drop(anvil);
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

/// What every node's database starts with: the verdicts of the epoch, as the aggregator would
/// leave them, and the allocations, as the indexer would mirror them.
struct Seed<'a> {
    ids: &'a [u64],
    epoch: u64,
    epochs: EpochConfig,
    terms: &'a sla_protocol::aggregate::SlaTerms,
    weights: [u16; 6],
    violating_percent: u64,
    providers: Vec<Address>,
    consumer: Address,
}

impl Seed<'_> {
    /// A fresh SQLite database `file` in `dir`, seeded.
    async fn database(&self, dir: &std::path::Path, file: &str) -> anyhow::Result<Database> {
        let path = dir.join(file);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let storage = Database::connect(&format!("sqlite:{}", path.display())).await?;
        // Empty accumulators: the submitter reads only the verdicts.
        let accumulators: Vec<(EpochAccumulator, EpochVerdict)> = self
            .ids
            .iter()
            .enumerate()
            .map(|(i, &unit)| {
                let ctx = AggregationContext::new(&self.epochs, self.terms, unit, self.epoch)?;
                let violating = (i as u64) % 100 < self.violating_percent;
                Ok((
                    EpochAccumulator::new(ctx),
                    verdict(unit, self.epoch, violating, &self.weights),
                ))
            })
            .collect::<anyhow::Result<_>>()?;
        let summaries: Vec<_> = accumulators.iter().map(|(acc, _)| acc.summary()).collect();
        let now_ms = sla_runtime::now_ms();
        let rows: Vec<RollupWrite<'_>> = accumulators
            .iter()
            .zip(&summaries)
            .map(|((accumulator, verdict), summary)| RollupWrite {
                accumulator,
                summary,
                status: RollupStatus::Final,
                verdict: Some(verdict),
                updated_at_ms: now_ms,
            })
            .collect();
        for chunk in rows.chunks(1_000) {
            storage.rollups().save(chunk, &[], None).await?;
        }
        // The mirror the indexer would have written (the submitter groups results by provider).
        let mut mirror = storage.mirror().begin_write().await?;
        for &unit in self.ids {
            mirror
                .upsert_current_allocation(&Allocation {
                    data_unit: unit,
                    consumer: self.consumer,
                    provider: self.providers[((unit >> 32) - 1) as usize],
                    status: AllocationStatus::Active,
                    terms_hash: [0; 32],
                    terms: self.terms.clone(),
                    active_from_ms: 0,
                    closed_at_ms: None,
                })
                .await?;
        }
        mirror.commit().await?;
        Ok(storage)
    }
}

/// A fresh directory under the system's temporary directory.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "sla-oracle-bench-{}-{}",
        std::process::id(),
        sla_runtime::now_ms()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn head(reader: &DynProvider) -> anyhow::Result<(u64, u64)> {
    let block = reader
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no latest block"))?;
    Ok((block.header.number, block.header.timestamp))
}

/// Signs one transaction per call to `contract` from `key` with consecutive nonces and puts them
/// in the pool with up to `SETUP_IN_FLIGHT` requests in flight. Returns the account and the
/// nonce it reaches once all are mined.
async fn send_all(
    reader: &DynProvider,
    key: &PrivateKeySigner,
    contract: Address,
    chain_id: u64,
    calls: Vec<Bytes>,
) -> anyhow::Result<(Address, u64)> {
    let from = key.address();
    let start = reader.get_transaction_count(from).pending().await?;
    let Some(first_call) = calls.first() else {
        return Ok((from, start));
    };
    let wallet = EthereumWallet::from(key.clone());
    let gas = reader
        .estimate_gas(
            TransactionRequest::default()
                .with_from(from)
                .with_to(contract)
                .with_input(first_call.clone()),
        )
        .await?;
    let mut raws = Vec::with_capacity(calls.len());
    for (i, input) in calls.into_iter().enumerate() {
        let request = TransactionRequest::default()
            .with_from(from)
            .with_to(contract)
            .with_input(input)
            .with_nonce(start + i as u64)
            .with_chain_id(chain_id)
            .with_gas_limit(gas * 2)
            .with_max_fee_per_gas(100_000_000_000)
            .with_max_priority_fee_per_gas(1);
        raws.push(request.build(&wallet).await?.encoded_2718());
    }
    let total = raws.len() as u64;
    let mut in_flight = tokio::task::JoinSet::new();
    for raw in raws {
        while in_flight.len() >= SETUP_IN_FLIGHT {
            if let Some(done) = in_flight.join_next().await {
                done??;
            }
        }
        let reader = reader.clone();
        in_flight.spawn(async move {
            reader
                .send_raw_transaction(&raw)
                .await
                .map(|_| ())
                .map_err(anyhow::Error::from)
        });
    }
    while let Some(done) = in_flight.join_next().await {
        done??;
    }
    Ok((from, start + total))
}

/// Mines blocks until every `(account, nonce)` is reached; fails if a block holds a reverted
/// transaction.
async fn mine_until(reader: &DynProvider, targets: &[(Address, u64)]) -> anyhow::Result<()> {
    loop {
        let mut done = true;
        for (account, nonce) in targets {
            done &= reader.get_transaction_count(*account).latest().await? >= *nonce;
        }
        if done {
            return Ok(());
        }
        let _: serde_json::Value = reader.raw_request("evm_mine".into(), ()).await?;
        let block = reader
            .get_block_receipts(BlockNumberOrTag::Latest.into())
            .await?
            .unwrap_or_default();
        anyhow::ensure!(!block.is_empty(), "a setup block is empty");
        anyhow::ensure!(
            block.iter().all(|r| r.status()),
            "a setup transaction reverted"
        );
    }
}

/// A final verdict as the aggregator stores it: compliant, or read/write latency and error rate
/// violated with the terms' penalty.
fn verdict(data_unit: u64, epoch: u64, violating: bool, weights: &[u16; 6]) -> EpochVerdict {
    let (read, write, errors) = if violating {
        (180_000u32, 190_000u32, 3_333u16)
    } else {
        (8_000 + (data_unit % 5_000) as u32, 25_000, 0)
    };
    let mut violations = 0u8;
    let metrics = Metric::ALL.map(|metric| {
        let (value, enforced) = match metric {
            Metric::ReadLatency => (u64::from(read), true),
            Metric::WriteLatency => (u64::from(write), true),
            Metric::ErrorRate => (u64::from(errors), true),
            Metric::Uptime => (10_000, false),
            _ => (0, false),
        };
        let violated = enforced && violating;
        if violated {
            violations |= metric.bit();
        }
        let view = ViewEvidence {
            samples: 24,
            value: Some(value),
            sufficient: true,
            breaches: violated,
        };
        MetricVerdict {
            metric,
            enforced,
            consumer: view,
            provider: view,
            source: EvidenceSource::Provider,
            has_evidence: enforced,
            violated,
            disputed: false,
            value,
        }
    });
    EpochVerdict {
        data_unit,
        epoch,
        violations,
        flags: 0,
        read_latency_us: read,
        write_latency_us: write,
        upload_bps: 0,
        download_bps: 0,
        uptime_bps: 10_000,
        error_rate_bps: errors,
        operations: 48,
        reports_root: keccak256(data_unit.to_be_bytes()).0,
        penalty_wei: if violating {
            u128::from(PENALTY_WEI)
        } else {
            0
        },
        waived_pct: 0,
        reputation_score_input: Some(epoch_score(weights, violations)),
        metrics,
        discrepancies: Vec::new(),
        rules: Vec::new(),
    }
}
