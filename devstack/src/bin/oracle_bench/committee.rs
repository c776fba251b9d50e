//! `sla-oracle-bench --nodes N`: the same results agreed by a committee of N nodes in this
//! process (docs/committee.md), each with its own SQLite database (seeded alike), committee
//! endpoint on a random port, `Committee` and `Submitter` ticking every `--poll-ms` as in the
//! service. The round starts at the epoch's end by the wall clock (no grace or settle time here:
//! the roll-ups are final already); timed, as the single node is, from the closing block (the
//! first whose time is the epoch's end or later) to every result applied on chain under
//! `--confirmations` blocks, read back from the chain (whichever node sent it), and also from the
//! wall-clock end. With `--leader-down` the first round's leader never
//! starts, so its attempt times out and the next signer leads.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use serde_json::json;
use sla_contracts::SlaOracle;
use sla_oracle::committee::{
    schedule, Committee, CommitteeConfig, CommitteeFile, CommitteeMetrics, CommitteeStores, Member,
};
use sla_oracle::submitter::{Submitter, SubmitterConfig, SubmitterMetrics, SubmitterStores};
use sla_protocol::aggregate::EpochConfig;
use sla_storage::mirror::{ChainOrigin, OracleConfig};
use sla_storage::{Database, TxState};

use crate::Args;

/// The chain the committee submits to.
pub(crate) struct Chain {
    pub reader: DynProvider,
    pub url: reqwest::Url,
    pub chain_id: u64,
    pub contract: Address,
    pub epochs: EpochConfig,
    pub epoch: u64,
    pub submission_window_s: u64,
}

struct Node {
    committee: Arc<Committee>,
    submitter: Submitter,
    storage: Database,
}

pub(crate) async fn run(
    args: &Args,
    chain: Chain,
    signers: Vec<PrivateKeySigner>,
    quorum: u8,
    databases: Vec<Database>,
    setup_seconds: f64,
) -> anyhow::Result<()> {
    let oracle = SlaOracle::new(chain.contract, chain.reader.clone());
    let config_version = oracle.oracleConfig().call().await?.configVersion;
    let addresses: Vec<Address> = signers.iter().map(|s| s.address()).collect();
    for db in &databases {
        let mut mirror = db.mirror().begin_write().await?;
        mirror
            .insert_oracle_config(&OracleConfig {
                config_version,
                signers: addresses.clone(),
                quorum,
                origin: ChainOrigin {
                    block_number: 0,
                    log_index: None,
                    tx_hash: None,
                },
            })
            .await?;
        mirror.commit().await?;
    }
    let mut listeners = Vec::new();
    let mut members = Vec::new();
    for (i, signer) in signers.iter().enumerate() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url: reqwest::Url = format!("http://{}/", listener.local_addr()?).parse()?;
        members.push(Member {
            name: format!("node-{i}"),
            address: signer.address(),
            api: url.clone(),
            committee: url,
        });
        listeners.push(listener);
    }
    let file = CommitteeFile {
        members,
        round_timeout_ms: args.round_timeout_ms,
    };
    let first_leader = schedule::leader(&addresses, chain.epoch, 0).expect("signers");
    let mut nodes = Vec::new();
    for ((signer, listener), storage) in signers.into_iter().zip(listeners).zip(databases) {
        if args.leader_down && signer.address() == first_leader {
            continue;
        }
        let (to_submitter, batches) = tokio::sync::mpsc::unbounded_channel();
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_http(chain.url.clone())
            .erased();
        let submitter = Submitter::new(
            SubmitterConfig {
                chain_id: chain.chain_id,
                contract: chain.contract,
                epochs: chain.epochs,
                submission_window_s: chain.submission_window_s,
                confirmations: args.confirmations,
                max_batch: args.batch,
                stuck_after: Duration::from_secs(30),
                fee_bump_percent: 15,
                max_fee_ceiling: 500_000_000_000,
                crash_after: None,
            },
            provider,
            signer.clone(),
            SubmitterStores::of(&storage),
            Arc::new(SubmitterMetrics::default()),
        )
        .with_committee(batches);
        let committee = Arc::new(Committee::new(
            signer,
            CommitteeConfig {
                chain_id: chain.chain_id,
                contract: chain.contract,
                epochs: chain.epochs,
                grace_ms: 0,
                settle_ms: 0,
                submission_window_s: chain.submission_window_s,
                max_batch: args.batch,
                max_proposal_results: args.proposal_results,
                byzantine_signatures: false,
            },
            file.clone(),
            CommitteeStores::of(&storage),
            CommitteeMetrics::default(),
            to_submitter,
        )?);
        tokio::spawn(sla_oracle::committee::serve(
            listener,
            committee.clone(),
            sla_oracle::committee::EndpointLimits::default(),
            std::future::pending(),
        ));
        nodes.push(Node {
            committee,
            submitter,
            storage,
        });
    }

    // Blocks every --block-time seconds; the round starts when the epoch ends by the wall clock.
    let _: serde_json::Value = chain
        .reader
        .raw_request("evm_setIntervalMining".into(), (args.block_time,))
        .await?;
    let (_, end_ms) = chain
        .epochs
        .bounds_ms(chain.epoch)
        .ok_or_else(|| anyhow::anyhow!("no end for epoch {}", chain.epoch))?;
    let from_block = chain.reader.get_block_number().await?;
    let wait_ms = end_ms.saturating_sub(sla_runtime::now_ms());
    eprintln!(
        "waiting {:.1} s for epoch {} to end",
        wait_ms as f64 / 1000.0,
        chain.epoch
    );
    // The closing block (the first with the epoch's end as its time or later), from which the
    // single node's figure is timed too.
    let end_s = end_ms / 1000;
    let closed = tokio::spawn({
        let reader = chain.reader.clone();
        async move {
            loop {
                if let Ok(Some(block)) = reader
                    .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
                    .await
                {
                    if block.header.timestamp >= end_s {
                        return Instant::now();
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(wait_ms)).await;
    let started = Instant::now();

    let n = args.data_units as usize;
    let deadline = started + Duration::from_secs(600);
    let mut applied = 0;
    let mut all_applied = None;
    while all_applied.is_none() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "not applied within 10 minutes ({applied} of {n})"
        );
        let now_ms = sla_runtime::now_ms();
        for node in &mut nodes {
            if let Err(e) = node.committee.tick(now_ms).await {
                eprintln!("committee tick failed: {e}");
            }
            if let Err(e) = node.submitter.tick(now_ms).await {
                eprintln!("submitter tick failed: {e}");
            }
        }
        // Applied and under `--confirmations` blocks, as the single node counts confirmed.
        let head = chain.reader.get_block_number().await?;
        let submitted = sla_contracts::applied::submitted_results(
            &chain.reader,
            chain.contract,
            from_block,
            Some(head.saturating_sub(args.confirmations)),
            None,
            &mut HashSet::new(),
        )
        .await?;
        applied = submitted.iter().filter(|s| s.was_applied).count();
        if applied == n {
            all_applied = Some(Instant::now());
        } else {
            tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
        }
    }
    let closed_at = closed.await?;
    let done = all_applied.expect("set when the loop ends");
    // Let duplicate transmissions (a later leader that had not seen the results land) finish.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let submitted = sla_contracts::applied::submitted_results(
        &chain.reader,
        chain.contract,
        from_block,
        None,
        None,
        &mut HashSet::new(),
    )
    .await?;
    let skipped = submitted.iter().filter(|s| !s.was_applied).count();
    let mut transactions = 0;
    let mut gas_total = 0;
    for node in &nodes {
        for tx in node.storage.txs().in_states(&[TxState::Confirmed]).await? {
            transactions += 1;
            gas_total += tx.gas_used.unwrap_or_default();
        }
    }
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
            "nodes": args.nodes,
            "quorum": quorum,
            "leader_down": args.leader_down,
            "round_timeout_ms": args.round_timeout_ms,
            "proposal_results": args.proposal_results,
            "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "setup_seconds": setup_seconds,
            "transactions": transactions,
            "results_skipped_as_repeats": skipped,
            "close_to_all_confirmed_s": done.saturating_duration_since(closed_at).as_secs_f64(),
            "wall_end_to_all_confirmed_s": done.saturating_duration_since(started).as_secs_f64(),
            "gas_per_result_overall": gas_total as f64 / n as f64,
            "gas_total": gas_total,
        })
    );
    for node in nodes {
        node.storage.close().await;
    }
    Ok(())
}
