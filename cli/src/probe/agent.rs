//! The probe agent's life: a measuring task (rounds at `probe_interval`, reports built into the
//! spool at `report_interval`) and a delivering task (reconcile with the ingest API once, then send
//! spooled reports in sequence order, retrying with backoff), until shutdown.
//!
//! Everything that must survive a crash is in the spool before the side effect: a record before
//! it counts, a report (signed, with its sequence and previous hash) before it is sent, the
//! acknowledgement after it arrives. A restart therefore resends at most the reports whose
//! acknowledgement was lost, and the ingest API answers those idempotently.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{watch, Notify};
use tokio::time::{Instant, MissedTickBehavior};

use super::checks::Checks;
use super::config::{ProbeConfig, Reporter};
use super::endpoint::{Prober, RecordSink};
use super::gauges::Gauges;
use super::ingest::{problem_text, IngestClient, PostOutcome};
use super::now_ms;
use super::spool::{ReportStatus, Spool};
use sla_protocol::QosRecord;

/// What the two tasks share.
struct Shared {
    config: ProbeConfig,
    reporter: Reporter,
    spool: Spool,
    /// Set once the spool's chain was checked against the ingest API in this process.
    reconciled: AtomicBool,
    /// Wakes the deliverer when a report was built.
    built: Notify,
}

/// Runs the agent until `shutdown` completes; then builds a last report of what was measured,
/// delivers what it can within `delivery.shutdown_grace`, and returns. Returns an error on a
/// spool failure or when the spool and the ingest API disagree about the chain (a fork), which
/// needs an operator.
pub async fn run(
    config: ProbeConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let reporter = config.reporter()?;
    let spool = Spool::open(&config.spool, &reporter).await?;
    let prober = match &config.storage {
        Some(s) => Some(Prober::new(s, config.data_unit)?),
        None => None,
    };
    let checks = Checks::new(&config.checks)?;
    let gauges = match &config.gauges {
        Some(g) if !g.is_empty() => Some(Gauges::new(g)?),
        _ => None,
    };
    let ingest = IngestClient::new(&config.ingest_url, config.delivery.timeout.0)?;
    tracing::info!(
        data_unit = reporter.data_unit,
        role = reporter.role.as_str(),
        key = %hex::encode(reporter.public_key()),
        storage = config.storage.as_ref().map_or("none", |s| s.url.as_str()),
        checks = checks.len(),
        gauges = gauges.is_some(),
        ingest = %config.ingest_url,
        spool = %config.spool.display(),
        "probe agent started"
    );
    let shared = Arc::new(Shared {
        config,
        reporter,
        spool,
        reconciled: AtomicBool::new(false),
        built: Notify::new(),
    });
    // The measurer stops first and builds the last report; only then does the deliverer drain.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (drain_tx, drain_rx) = watch::channel(false);
    let mut measurer = tokio::spawn(measure(shared.clone(), prober, checks, gauges, stop_rx));
    let mut deliverer = tokio::spawn(deliver(shared.clone(), ingest, drain_rx));

    // Whichever ends first: a shutdown request, or a task failing.
    let mut measured: Option<anyhow::Result<()>> = None;
    let mut delivered: Option<anyhow::Result<()>> = None;
    tokio::select! {
        _ = shutdown => tracing::info!("shutdown requested"),
        r = &mut measurer => measured = Some(flatten(r)),
        r = &mut deliverer => delivered = Some(flatten(r)),
    }
    let _ = stop_tx.send(true);
    let measured = match measured {
        Some(r) => r,
        None => flatten(measurer.await),
    };
    let _ = drain_tx.send(true);
    let delivered = match delivered {
        Some(r) => r,
        None => flatten(deliverer.await),
    };
    let stats = shared.spool.stats().await;
    shared.spool.close().await;
    if let Ok(stats) = stats {
        tracing::info!(
            records = stats.records,
            unreported = stats.records_unreported,
            pending = stats.reports_pending,
            sent = stats.reports_sent,
            rejected = stats.reports_rejected,
            "probe agent stopped"
        );
    }
    measured.and(delivered)
}

fn flatten(r: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    r.context("agent task panicked")?
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, which also means stop.
    let _ = stop.wait_for(|s| *s).await;
}

/// Measurement rounds and report building.
async fn measure(
    shared: Arc<Shared>,
    prober: Option<Prober>,
    checks: Checks,
    gauges: Option<Gauges>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let config = &shared.config;
    let mut probe_tick = tokio::time::interval(config.probe_interval.0);
    probe_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let report_every = config.report_interval.0;
    let mut report_tick = tokio::time::interval_at(Instant::now() + report_every, report_every);
    report_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = stopped(&mut stop) => break,
            _ = report_tick.tick() => build(&shared).await?,
            _ = probe_tick.tick() => {
                tokio::select! {
                    r = round(&shared.spool, prober.as_ref(), &checks, gauges.as_ref()) => r?,
                    // A round cut short keeps the records measured so far.
                    _ = stopped(&mut stop) => break,
                }
            }
        }
    }
    // The last report: what was measured since the previous one.
    build(&shared).await
}

/// One round: the storage operations then the checks (not concurrently: a large upload would
/// slow a download check and blur what each measures), and the gauges at the same time (an
/// exporter that times out must not delay the probes, nor the other way round). Each record is
/// spooled as soon as it is measured: storage records one by one, check records and gauge
/// samples when they answered.
async fn round(
    spool: &Spool,
    prober: Option<&Prober>,
    checks: &Checks,
    gauges: Option<&Gauges>,
) -> anyhow::Result<()> {
    let probes = async {
        if let Some(p) = prober {
            p.round(&mut SpoolSink(spool)).await?;
        }
        if !checks.is_empty() {
            spool.append_all(&checks.sample(now_ms()).await).await?;
        }
        anyhow::Ok(())
    };
    let sampled = async {
        let Some(g) = gauges else { return Ok(()) };
        let samples = g.sample(now_ms()).await;
        log_gauge_failures(&samples);
        spool.append_all(&samples).await?;
        anyhow::Ok(())
    };
    let (probed, sampled) = tokio::join!(probes, sampled);
    probed.and(sampled)
}

/// One warning per cause, not per gauge: an exporter down fails all of its gauges alike.
fn log_gauge_failures(samples: &[QosRecord]) {
    let mut causes: std::collections::BTreeMap<(u16, &str), (usize, &str)> = Default::default();
    for r in samples.iter().filter(|r| !r.success) {
        causes
            .entry((r.error_code, r.error_detail.as_str()))
            .or_insert((0, r.operation.name()))
            .0 += 1;
    }
    for ((code, detail), (gauges, first)) in causes {
        tracing::warn!(code, %detail, gauges, first, "gauges not sampled");
    }
}

/// Appends each record to the spool (durably) as it is measured.
struct SpoolSink<'a>(&'a Spool);

impl RecordSink for SpoolSink<'_> {
    async fn put(&mut self, record: QosRecord) -> anyhow::Result<()> {
        if !record.success {
            tracing::warn!(
                operation = record.operation.name(),
                code = record.error_code,
                detail = %record.error_detail,
                "operation failed"
            );
        }
        self.0.append(&record).await?;
        Ok(())
    }
}

/// Builds reports of everything measured so far, unless the chain cannot start yet.
async fn build(shared: &Shared) -> anyhow::Result<()> {
    // A new spool must first learn from the ingest API whether this key already has a chain
    // there (a lost spool); until then records wait in the spool.
    if shared.spool.head().await?.is_none() && !shared.reconciled.load(Ordering::SeqCst) {
        tracing::info!("waiting to reach the ingest API before starting the report chain");
        return Ok(());
    }
    let built = shared
        .spool
        .build_reports(
            &shared.reporter,
            now_ms(),
            shared.config.max_records_per_report,
        )
        .await?;
    for report in &built {
        tracing::info!(
            sequence = report.sequence,
            records = report.record_count,
            period_start_ms = report.period_start_ms,
            period_end_ms = report.period_end_ms,
            hash = %report.hash,
            "report signed and spooled"
        );
    }
    if !built.is_empty() {
        shared.built.notify_one();
    }
    Ok(())
}

/// Why the spool and the ingest API could not be reconciled.
enum ReconcileError {
    /// The ingest API could not be asked; try again later.
    Transient(String),
    /// They disagree about the chain; an operator must decide.
    Fork(String),
}

/// Compares the spool with the ingest API's view of this reporter's chain and fixes the delivery
/// status: reports the server has are sent, reports it lacks are pending, and a spool that is new
/// (or behind) continues from the server's head.
async fn reconcile(shared: &Shared, ingest: &IngestClient) -> Result<(), ReconcileError> {
    let spool = &shared.spool;
    let fatal = |e: super::spool::SpoolError| ReconcileError::Fork(e.to_string());
    let server = ingest
        .reporter_head(&shared.reporter.public_key(), shared.reporter.data_unit)
        .await
        .map_err(ReconcileError::Transient)?;
    let reports = spool.reports().await.map_err(fatal)?;
    let base = spool.base().await.map_err(fatal)?;
    let local_last = reports.last().map(|r| r.sequence).unwrap_or(0);
    let Some(server) = server else {
        if let Some(base) = base {
            return Err(ReconcileError::Fork(format!(
                "the ingest API has no report of this key on this data unit, but the spool continues the chain from sequence {} that the ingest API had before",
                base.sequence
            )));
        }
        let requeued = spool.mark_pending_after(0).await.map_err(fatal)?;
        if requeued > 0 {
            tracing::warn!(
                requeued,
                "the ingest API has none of this reporter's reports; sending them again"
            );
        }
        return Ok(());
    };
    if let Some(ours) = reports.iter().find(|r| r.sequence == server.sequence) {
        if ours.hash != server.hash {
            return Err(ReconcileError::Fork(format!(
                "the ingest API's report {} has hash {}, the spool's has hash {}: another agent used this key on this data unit",
                server.sequence, server.hash, ours.hash
            )));
        }
        let sent = spool
            .mark_sent_through(server.sequence, now_ms())
            .await
            .map_err(fatal)?;
        let requeued = spool
            .mark_pending_after(server.sequence)
            .await
            .map_err(fatal)?;
        if sent > 0 || requeued > 0 {
            tracing::info!(
                server_sequence = server.sequence,
                marked_sent = sent,
                requeued,
                "spool reconciled with the ingest API"
            );
        }
        return Ok(());
    }
    if server.sequence > local_last.max(base.map_or(0, |b| b.sequence)) {
        // The server is ahead of everything spooled: the spool is new or was lost. Its last
        // report, if any, must be on the server; then continue from the server's head.
        if let Some(last) = reports.last() {
            let known = ingest
                .has_report(&last.hash)
                .await
                .map_err(ReconcileError::Transient)?;
            if !known {
                return Err(ReconcileError::Fork(format!(
                    "the ingest API is at sequence {} but does not have the spool's report {} ({}): another agent used this key on this data unit",
                    server.sequence, last.sequence, last.hash
                )));
            }
            spool
                .mark_sent_through(last.sequence, now_ms())
                .await
                .map_err(fatal)?;
        }
        spool.adopt_base(server).await.map_err(fatal)?;
        tracing::warn!(
            server_sequence = server.sequence,
            "the ingest API knows a longer chain than the spool; continuing from its head"
        );
        return Ok(());
    }
    match base {
        Some(b) if b.sequence == server.sequence && b.hash == server.hash => {
            spool.mark_pending_after(b.sequence).await.map_err(fatal)?;
            Ok(())
        }
        _ => Err(ReconcileError::Fork(format!(
            "the ingest API is at sequence {} ({}), which the spool does not have",
            server.sequence, server.hash
        ))),
    }
}

/// Delivery in sequence order, with backoff, until stopped (then drains within the grace time).
async fn deliver(
    shared: Arc<Shared>,
    ingest: IngestClient,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let delivery = shared.config.delivery.clone();
    let mut backoff = delivery.retry_initial.0;
    let mut deadline: Option<Instant> = None;
    let mut blocked_logged: Option<u64> = None;
    loop {
        if *stop.borrow() && deadline.is_none() {
            deadline = Some(Instant::now() + delivery.shutdown_grace.0);
        }
        let draining = deadline.is_some();
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        // Wait `d`, or until stopped (then only the rest of the grace time counts).
        let pause = |d: Duration| {
            let mut stop = stop.clone();
            async move {
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = stopped(&mut stop), if !draining => {}
                }
            }
        };

        if !shared.reconciled.load(Ordering::SeqCst) {
            match reconcile(&shared, &ingest).await {
                Ok(()) => {
                    shared.reconciled.store(true, Ordering::SeqCst);
                    backoff = delivery.retry_initial.0;
                }
                Err(ReconcileError::Fork(message)) => {
                    anyhow::bail!("spool and ingest API disagree: {message}");
                }
                Err(ReconcileError::Transient(error)) => {
                    if draining {
                        break;
                    }
                    tracing::warn!(%error, retry_in = ?backoff, "cannot reach the ingest API to check the chain");
                    pause(backoff).await;
                    backoff = (backoff * 2).min(delivery.retry_max.0);
                    continue;
                }
            }
        }

        let Some(report) = shared.spool.first_undelivered().await? else {
            if draining {
                break;
            }
            tokio::select! {
                _ = shared.built.notified() => {}
                _ = stopped(&mut stop) => {}
            }
            continue;
        };
        if report.status == ReportStatus::Rejected {
            if draining {
                break;
            }
            if blocked_logged != Some(report.sequence) {
                tracing::error!(
                    sequence = report.sequence,
                    problem = report.last_error.as_deref().unwrap_or(""),
                    "delivery is blocked: the ingest API rejected this report and the later ones chain onto it; fix the cause and run `sla probe retry`"
                );
                blocked_logged = Some(report.sequence);
            }
            tokio::select! {
                _ = shared.built.notified() => {}
                _ = stopped(&mut stop) => {}
            }
            continue;
        }
        blocked_logged = None;
        match ingest.post(&report.signed).await {
            PostOutcome::Accepted(ack) => {
                shared.spool.mark_sent(report.sequence, now_ms()).await?;
                backoff = delivery.retry_initial.0;
                tracing::info!(
                    sequence = report.sequence,
                    records = report.record_count,
                    received_at_ms = ack["received_at_ms"].as_u64().unwrap_or_default(),
                    "report delivered"
                );
            }
            PostOutcome::Retry(error) => {
                shared.spool.note_attempt(report.sequence, &error).await?;
                if draining {
                    tracing::warn!(sequence = report.sequence, %error, "not delivered before shutdown; it stays in the spool");
                    break;
                }
                tracing::warn!(sequence = report.sequence, %error, retry_in = ?backoff, "delivery failed; will retry");
                pause(backoff).await;
                backoff = (backoff * 2).min(delivery.retry_max.0);
            }
            PostOutcome::Rejected { status, problem } => {
                // A 409 may mean the server already has this report (its acknowledgement was
                // lost and the chain moved on); then it is delivered.
                if status == 409 && ingest.has_report(&report.hash).await == Ok(true) {
                    shared.spool.mark_sent(report.sequence, now_ms()).await?;
                    continue;
                }
                let text = format!("HTTP {status}: {}", problem_text(&problem));
                tracing::error!(sequence = report.sequence, problem = %text, "the ingest API rejected the report; kept in the spool");
                shared.spool.mark_rejected(report.sequence, &text).await?;
            }
        }
    }
    Ok(())
}
