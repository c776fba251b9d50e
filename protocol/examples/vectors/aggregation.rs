//! `aggregation-v2.json`: epochs of signed reports and everything the rules of
//! `docs/aggregation.md` derive from them: the accumulator after folding the reports in, the
//! epoch summary (JSON and canonical bytes), the window, the verdict, the contract's
//! `EpochResult` and the reputation, for a clean epoch, a violation of each SLA term, a dispute,
//! an epoch without evidence, late and out-of-order reports, gauges, and a window over several
//! epochs with its trend.
//!
//! Every value comes from the crate's functions; each scenario states the violations and flags
//! it is meant to produce, and the generator stops if the library disagrees.

use serde_json::{json, Value};
use sla_protocol::aggregate::{
    evaluate, AggregationContext, EpochAccumulator, EpochConfig, EpochSummary, SlaTerms, Trend,
    WindowSummary, EQUAL_WEIGHTS, FLAG_DISPUTED, FLAG_NO_DATA, FLAG_PROVIDER_GAP, REPUTATION_START,
};
use sla_protocol::gauge::names;
use sla_protocol::{codec, report_hash, Operation, QosRecord, Report, ReportHash, Role};

use super::{
    public_key, report, seed, sign, CONSUMER_SEED_HEX, GENERATOR, HOUR, PROVIDER_SEED_HEX, START,
};

/// Seconds per epoch: one hour, 60 uptime slots.
const EPOCH_LEN_S: u32 = 3_600;
/// One uptime slot, ms.
const SLOT: u64 = 60_000;
const MIB: u64 = 1 << 20;

const READ: u8 = 1 << 0;
const WRITE: u8 = 1 << 1;
const UPLOAD: u8 = 1 << 2;
const DOWNLOAD: u8 = 1 << 3;
const UPTIME: u8 = 1 << 4;
const ERROR_RATE: u8 = 1 << 5;

fn config() -> EpochConfig {
    EpochConfig::new(START / 1000, EPOCH_LEN_S).expect("epoch clock")
}

/// Terms enforcing uptime only, over a window of `window_epochs` epochs.
fn uptime_terms(window_epochs: u32) -> SlaTerms {
    let mut terms = SlaTerms::reporting_only(3_600);
    terms.min_uptime_bps = 9_500;
    terms.uptime_window = window_epochs * EPOCH_LEN_S;
    terms.penalty_per_epoch = 1_000_000_000_000_000;
    terms.validate().expect("valid terms");
    terms
}

/// Terms enforcing every metric; the uptime window is `window_epochs` epochs.
fn full_terms(window_epochs: u32) -> SlaTerms {
    let terms = SlaTerms {
        max_read_latency_us: 200_000,
        max_write_latency_us: 300_000,
        min_upload_bps: 2_000_000,
        min_download_bps: 4_000_000,
        speed_size_bound: 64 * MIB,
        min_uptime_bps: 9_500,
        uptime_window: window_epochs * EPOCH_LEN_S,
        max_error_rate_bps: 500,
        reporting_interval: 3_600,
        penalty_per_epoch: 1_000_000_000_000_000,
        weights: EQUAL_WEIGHTS,
    };
    terms.validate().expect("valid terms");
    terms
}

/// What one party measured in one epoch, 12 of each built-in kind (more than `MIN_SAMPLES`), one
/// kind per 12 slots: reads in slots 0-11, writes 12-23, uploads 24-35, downloads 36-47 (slots
/// 48-59 have no operation).
#[derive(Clone, Copy)]
struct Measured {
    read_us: u32,
    write_us: u32,
    /// Latency of each 4 MiB upload.
    upload_us: u32,
    /// Latency of each 8 MiB download.
    download_us: u32,
    /// Failed reads besides the 12 successful ones, each in the slot of a successful read.
    failed_reads: u64,
}

const GOOD: Measured = Measured {
    read_us: 120_000,
    write_us: 180_000,
    upload_us: 1_000_000,   // 4 MiB/s
    download_us: 1_000_000, // 8 MiB/s
    failed_reads: 0,
};

fn measured(epoch_start: u64, m: Measured) -> Vec<QosRecord> {
    let mut out = Vec::new();
    for i in 0..12u64 {
        let at = |block: u64| epoch_start + (block * 12 + i) * SLOT + 1_000 * (block + 1);
        // Latencies vary by a few µs so the percentiles differ from the mean.
        out.push(QosRecord::success(
            at(0),
            Operation::Read,
            m.read_us + i as u32 * 7,
            65_536,
        ));
        if i < m.failed_reads {
            // In the slot of a successful read: the slot stays up, only the error rate moves.
            out.push(QosRecord::failure(
                at(0) + 500,
                Operation::Read,
                5_000_000,
                504,
                "gateway timeout",
            ));
        }
        out.push(QosRecord::success(
            at(1),
            Operation::Write,
            m.write_us + i as u32 * 11,
            65_536,
        ));
        out.push(QosRecord::success(
            at(2),
            Operation::Upload,
            m.upload_us,
            4 * MIB,
        ));
        out.push(QosRecord::success(
            at(3),
            Operation::Download,
            m.download_us,
            8 * MIB,
        ));
    }
    out.sort_by_key(|r| r.timestamp_ms);
    out
}

/// Failed probes in slots `from..to` of the epoch starting at `epoch_start` (an outage seen by
/// whoever reports them).
fn outage(epoch_start: u64, from: u64, to: u64) -> Vec<QosRecord> {
    (from..to)
        .map(|s| {
            QosRecord::failure(
                epoch_start + s * SLOT + 30_000,
                Operation::Probe,
                10_000_000,
                503,
                "service unavailable",
            )
        })
        .collect()
}

/// Successful probes in slots `from..to`.
fn probes(epoch_start: u64, from: u64, to: u64) -> Vec<QosRecord> {
    (from..to)
        .map(|s| QosRecord::success(epoch_start + s * SLOT + 30_000, Operation::Probe, 40_000, 0))
        .collect()
}

fn gauge(at: u64, name: &str, value: i64) -> QosRecord {
    QosRecord::success(
        at,
        Operation::Custom {
            name: name.into(),
            value,
        },
        0,
        0,
    )
}

/// A signed report as the scenario's input.
struct Input {
    report: Report,
    payload: Vec<u8>,
    signature: Vec<u8>,
    hash: ReportHash,
    /// Stored before the aggregator closed the epochs it overlaps; a report stored later is
    /// kept but not counted (docs/aggregation.md, "Which reports count").
    counted: bool,
    note: &'static str,
}

/// The reports of one scenario, signed and chained per (key, data unit) in the order they are
/// written; the scenario then lists them in arrival order.
struct Chains {
    data_unit: u64,
    consumer: [u8; 32],
    provider: [u8; 32],
    heads: [(u64, ReportHash); 2],
}

impl Chains {
    fn new(data_unit: u64) -> Self {
        Chains {
            data_unit,
            consumer: seed(CONSUMER_SEED_HEX),
            provider: seed(PROVIDER_SEED_HEX),
            heads: [(0, ReportHash::ZERO); 2],
        }
    }

    /// The next report of `role`'s chain over `[from, to)` (Unix ms), with `records` sorted by
    /// time.
    fn next(&mut self, role: Role, from: u64, to: u64, mut records: Vec<QosRecord>) -> Input {
        records.sort_by_key(|r| r.timestamp_ms);
        let (secret, slot) = match role {
            Role::Consumer => (self.consumer, 0),
            Role::Provider => (self.provider, 1),
        };
        let (sequence, prev) = self.heads[slot];
        let report = report(
            role,
            public_key(&secret),
            self.data_unit,
            sequence + 1,
            prev,
            (from, to),
            records,
        );
        let payload = codec::encode(&report).expect("valid report");
        let signature = sign(&secret, &payload);
        let hash = report_hash(&payload);
        self.heads[slot] = (sequence + 1, hash);
        Input {
            report,
            payload,
            signature,
            hash,
            counted: true,
            note: "",
        }
    }

    /// `role`'s report of the whole of `epoch`.
    fn epoch(&mut self, role: Role, epoch: u64, records: Vec<QosRecord>) -> Input {
        let start = START + epoch * HOUR;
        self.next(role, start, start + HOUR, records)
    }
}

fn noted(mut input: Input, note: &'static str) -> Input {
    input.note = note;
    input
}

/// One epoch judged, with the violations and flags it is meant to get.
struct Judged {
    epoch: u64,
    violations: u8,
    flags: u8,
}

struct Scenario {
    name: &'static str,
    description: &'static str,
    data_unit: u64,
    terms: SlaTerms,
    /// In arrival order: the order they are folded into the accumulators.
    reports: Vec<Input>,
    epochs: Vec<Judged>,
}

fn judged(epoch: u64, violations: u8, flags: u8) -> Judged {
    Judged {
        epoch,
        violations,
        flags,
    }
}

/// The accumulator of `epoch` after adding the counted `reports` in order; asserts that the
/// reverse order gives the same bytes (the result does not depend on arrival order) and that the
/// encoding round-trips.
fn fold(s: &Scenario, epoch: u64) -> (EpochAccumulator, Vec<ReportHash>) {
    let ctx = AggregationContext::new(&config(), &s.terms, s.data_unit, epoch).expect("context");
    let add = |order: &mut dyn Iterator<Item = &Input>| {
        let mut acc = EpochAccumulator::new(ctx);
        let mut used = Vec::new();
        for input in order.filter(|i| i.counted) {
            let overlaps = acc
                .add_report(&input.report, input.hash)
                .expect("same data unit");
            if overlaps && !used.contains(&input.hash) {
                used.push(input.hash);
            }
        }
        acc.compact();
        (acc, used)
    };
    let (acc, used) = add(&mut s.reports.iter());
    let (reversed, _) = add(&mut s.reports.iter().rev());
    assert_eq!(acc.encode(), reversed.encode(), "{}: order", s.name);
    assert_eq!(
        EpochAccumulator::decode(&acc.encode()).expect("decodes"),
        acc,
        "{}: round trip",
        s.name
    );
    (acc, used)
}

fn scenario_json(s: &Scenario) -> Value {
    let config = config();
    let mut summaries: Vec<EpochSummary> = Vec::new();
    let mut reputation = REPUTATION_START;
    let mut epochs = Vec::new();
    for j in &s.epochs {
        let (acc, used) = fold(s, j.epoch);
        let summary = acc.summary();
        summaries.push(summary.clone());
        let window = WindowSummary::for_terms(&config, &s.terms, s.data_unit, j.epoch, &summaries)
            .expect("window");
        let verdict = evaluate(&s.terms, &summary, &window).expect("verdict");
        assert_eq!(
            (verdict.violations, verdict.flags),
            (j.violations, j.flags),
            "{} epoch {}: violations and flags",
            s.name,
            j.epoch
        );
        let before = reputation;
        reputation = verdict.apply_to_reputation(reputation);
        epochs.push(json!({
            "epoch": j.epoch,
            "start_ms": summary.start_ms,
            "end_ms": summary.end_ms,
            "reports_used": used.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
            "accumulator": hex::encode(acc.encode()),
            "summary": summary,
            "summary_encoding": hex::encode(summary.encode()),
            "window": window,
            "verdict": verdict,
            "epoch_result": verdict.epoch_result(),
            "reputation_before": before,
            "reputation_after": reputation,
        }));
    }
    let last = s.epochs.last().expect("an epoch").epoch;
    let window_epochs = s.terms.window_epochs(config.epoch_len_s);
    let trend = (s.epochs.len() > 1).then(|| {
        Trend::compute(&config, s.data_unit, last, window_epochs, &summaries).expect("trend")
    });
    json!({
        "name": s.name,
        "description": s.description,
        "data_unit": s.data_unit,
        "terms": s.terms,
        "window_epochs": window_epochs,
        "reports": s.reports.iter().map(|i| json!({
            "role": i.report.role.as_str(),
            "payload": hex::encode(&i.payload),
            "signature": hex::encode(&i.signature),
            "report_hash": i.hash.to_hex(),
            "counted": i.counted,
            "note": i.note,
        })).collect::<Vec<_>>(),
        "epochs": epochs,
        "trend": trend,
    })
}

fn scenarios() -> Vec<Scenario> {
    use Role::{Consumer as C, Provider as P};
    let e0 = START;
    let mut out = Vec::new();

    let mut ch = Chains::new(101);
    out.push(Scenario {
        name: "clean-epoch",
        description: "Both parties report the whole epoch and measure the same compliant \
                      service: nothing violated, full score.",
        data_unit: 101,
        terms: full_terms(1),
        reports: vec![
            ch.epoch(C, 0, measured(e0, GOOD)),
            ch.epoch(P, 0, measured(e0, GOOD)),
        ],
        epochs: vec![judged(0, 0, 0)],
    });

    let mut ch = Chains::new(102);
    let slow_reads = Measured {
        read_us: 250_000,
        ..GOOD
    };
    out.push(Scenario {
        name: "read-latency-self-admitted",
        description: "The provider's own reads average 250 ms against a maximum of 200 ms: \
                      the provider's sufficient evidence decides, and it breaches.",
        data_unit: 102,
        terms: full_terms(1),
        reports: vec![
            ch.epoch(C, 0, measured(e0, GOOD)),
            ch.epoch(P, 0, measured(e0, slow_reads)),
        ],
        epochs: vec![judged(0, READ, 0)],
    });

    let mut ch = Chains::new(103);
    let slow_writes = Measured {
        write_us: 400_000,
        ..GOOD
    };
    out.push(Scenario {
        name: "write-latency-provider-silent",
        description: "Only the consumer reports; its writes average 400 ms against a maximum of \
                      300 ms. The provider's silence never shields: the consumer's sufficient \
                      evidence decides, and every slot is silent for the provider \
                      (PROVIDER_GAP, off chain).",
        data_unit: 103,
        terms: full_terms(1),
        reports: vec![ch.epoch(C, 0, measured(e0, slow_writes))],
        epochs: vec![judged(0, WRITE, FLAG_PROVIDER_GAP)],
    });

    let mut ch = Chains::new(104);
    let slow_uploads = Measured {
        upload_us: 4_000_000, // 1 MiB/s
        ..GOOD
    };
    out.push(Scenario {
        name: "upload-speed",
        description: "Both parties measure 4 MiB uploads taking 4 s (1 MiB/s) against a minimum \
                      of 2 000 000 bytes/s.",
        data_unit: 104,
        terms: full_terms(1),
        reports: vec![
            ch.epoch(C, 0, measured(e0, slow_uploads)),
            ch.epoch(P, 0, measured(e0, slow_uploads)),
        ],
        epochs: vec![judged(0, UPLOAD, 0)],
    });

    let mut ch = Chains::new(105);
    let slow_downloads = Measured {
        download_us: 4_000_000, // 2 MiB/s
        ..GOOD
    };
    out.push(Scenario {
        name: "download-speed",
        description: "The provider measures 8 MiB downloads taking 4 s (2 MiB/s) against a \
                      minimum of 4 000 000 bytes/s; the consumer's own downloads comply, but \
                      the provider's sufficient evidence decides (self-admitted).",
        data_unit: 105,
        terms: full_terms(1),
        reports: vec![
            ch.epoch(C, 0, measured(e0, GOOD)),
            ch.epoch(P, 0, measured(e0, slow_downloads)),
        ],
        epochs: vec![judged(0, DOWNLOAD, 0)],
    });

    let mut ch = Chains::new(106);
    let failing = Measured {
        failed_reads: 2,
        ..GOOD
    };
    out.push(Scenario {
        name: "error-rate",
        description: "Besides 48 successful service operations, 2 of the provider's reads \
                      failed (2 of 50: 400 bps against a maximum of 500 bps, complies) and 3 of \
                      the consumer's (3 of 51: 588 bps, breaches), each in a slot that is up \
                      anyway. The provider's sufficient evidence contradicts the consumer's: \
                      not violated, DISPUTED (off chain).",
        data_unit: 106,
        terms: full_terms(1),
        reports: vec![
            ch.epoch(
                C,
                0,
                measured(
                    e0,
                    Measured {
                        failed_reads: 3,
                        ..GOOD
                    },
                ),
            ),
            ch.epoch(P, 0, measured(e0, failing)),
        ],
        epochs: vec![judged(0, 0, FLAG_DISPUTED)],
    });

    let mut ch = Chains::new(107);
    let very_failing = Measured {
        failed_reads: 4,
        ..GOOD
    };
    out.push(Scenario {
        name: "error-rate-self-admitted",
        description: "Besides 48 successful service operations, 4 of the provider's reads \
                      failed: 4 of 52, 769 bps against a maximum of 500 bps. Uptime is not \
                      affected (each failure shares its slot with a success).",
        data_unit: 107,
        terms: full_terms(1),
        reports: vec![
            ch.epoch(C, 0, measured(e0, GOOD)),
            ch.epoch(P, 0, measured(e0, very_failing)),
        ],
        epochs: vec![judged(0, ERROR_RATE, 0)],
    });

    let mut ch = Chains::new(108);
    out.push(Scenario {
        name: "read-latency-disputed",
        description: "The consumer's reads average 250 ms (breach), the provider's 120 ms: the \
                      provider's sufficient evidence decides, the metric is not violated and \
                      the claim is surfaced as DISPUTED; the discrepancy is in the verdict.",
        data_unit: 108,
        terms: full_terms(1),
        reports: vec![
            ch.epoch(C, 0, measured(e0, slow_reads)),
            ch.epoch(P, 0, measured(e0, GOOD)),
        ],
        epochs: vec![judged(0, 0, FLAG_DISPUTED)],
    });

    let mut ch = Chains::new(109);
    out.push(Scenario {
        name: "no-data",
        description: "The consumer reports 4 slow reads, 4 failed probes and nothing else: \
                      fewer than MIN_SAMPLES (10) for every metric (8 service operations, 8 \
                      observed slots), \
                      so no enforced metric is judged (NO_DATA: no penalty, reputation \
                      unchanged), and the provider is silent (PROVIDER_GAP).",
        data_unit: 109,
        terms: full_terms(1),
        reports: vec![ch.epoch(
            C,
            0,
            measured(e0, slow_reads)
                .into_iter()
                .filter(|r| r.operation == Operation::Read)
                .take(4)
                .chain(outage(e0, 50, 54))
                .collect(),
        )],
        epochs: vec![judged(0, 0, FLAG_NO_DATA | FLAG_PROVIDER_GAP)],
    });

    // Uptime over a window of two epochs: the outage of epoch 1 is blamed on epoch 1 only.
    let mut ch = Chains::new(110);
    let e = |n: u64| START + n * HOUR;
    let mut reports = Vec::new();
    for n in 0..4u64 {
        let mut provider = probes(e(n), 0, 60);
        let mut consumer = probes(e(n), 0, 60);
        if n == 1 {
            // Slots 0-9 down for both views: the provider admits the outage.
            provider = outage(e(n), 0, 10)
                .into_iter()
                .chain(probes(e(n), 10, 60))
                .collect();
            consumer = outage(e(n), 0, 10)
                .into_iter()
                .chain(probes(e(n), 10, 60))
                .collect();
        }
        reports.push(ch.epoch(C, n, consumer));
        reports.push(ch.epoch(P, n, provider));
    }
    out.push(Scenario {
        name: "uptime-window",
        description: "Four epochs of probes in every slot by both parties; in epoch 1 slots \
                      0-9 are down for both (an outage the provider admits). Uptime is judged \
                      over a window of 2 epochs (uptime_window 7200 s) against 9500 bps, the \
                      only term enforced: epoch 1 \
                      (window 0-1: 110 of 120 slots up, 9166 bps) violates; epoch 2 (window 1-2, \
                      same uptime) does not, because epoch 2 itself has no down slot; epoch 3 \
                      (window 2-3) is at 10000 bps. The trend compares the window ending at \
                      epoch 3 with the one ending at epoch 1.",
        data_unit: 110,
        terms: uptime_terms(2),
        reports,
        epochs: vec![
            judged(0, 0, 0),
            judged(1, UPTIME, 0),
            judged(2, 0, 0),
            judged(3, 0, 0),
        ],
    });

    // Late, out-of-order, duplicated and epoch-spanning reports.
    let mut ch = Chains::new(111);
    let third = 20 * SLOT;
    let p1 = ch.next(P, e0, e0 + third, probes(e0, 0, 20));
    let p2 = ch.next(P, e0 + third, e0 + 2 * third, probes(e0, 20, 40));
    let p3 = ch.next(P, e0 + 2 * third, e0 + HOUR, probes(e0, 40, 60));
    let c1 = ch.next(
        C,
        e0 + HOUR / 2,
        e0 + HOUR + HOUR / 2,
        probes(e0, 30, 60)
            .into_iter()
            .chain(probes(e0 + HOUR, 0, 30))
            .collect(),
    );
    let p4 = ch.next(P, e0 + HOUR, e0 + 2 * HOUR, probes(e0 + HOUR, 0, 60));
    let mut c2 = ch.next(
        C,
        e0 + HOUR + HOUR / 2,
        e0 + 2 * HOUR,
        outage(e0 + HOUR, 30, 60),
    );
    c2.counted = false;
    let p3_again = Input {
        report: p3.report.clone(),
        payload: p3.payload.clone(),
        signature: p3.signature.clone(),
        hash: p3.hash,
        counted: true,
        note: "the same report as the first one, received again: a report counts once",
    };
    out.push(Scenario {
        name: "late-out-of-order-and-spanning",
        description: "Epochs 0 and 1 under reporting-only terms (nothing enforced, so NO_DATA). \
                      The provider's three 20-minute reports of epoch 0 arrive out of order \
                      (3, 1, 2) and report 3 arrives twice; the consumer's first report spans \
                      both epochs (its records count in the epoch of their timestamps); the \
                      consumer's second report, with failed probes, was stored after epoch 1 \
                      closed, so it is not counted (counted: false): it changes no value.",
        data_unit: 111,
        terms: SlaTerms::reporting_only(3_600),
        reports: vec![
            noted(p3, "provider report 3 of epoch 0, arriving first"),
            noted(p1, "provider report 1"),
            noted(
                c1,
                "consumer report spanning 00:30-01:30: used by epochs 0 and 1",
            ),
            p3_again,
            noted(p2, "provider report 2, arriving last of epoch 0's"),
            noted(p4, "provider report of epoch 1"),
            noted(
                c2,
                "consumer report of 01:30-02:00 with failed probes, stored after epoch 1 \
                 closed: not counted",
            ),
        ],
        epochs: vec![judged(0, 0, FLAG_NO_DATA), judged(1, 0, FLAG_NO_DATA)],
    });

    // Gauges (rules version 2) beside service operations.
    let mut ch = Chains::new(112);
    let mut provider = measured(e0, GOOD);
    for s in 0..6u64 {
        let at = e0 + s * 10 * SLOT + 5_000;
        provider.push(gauge(at, names::CPU_USED, 1_000 + 200 * s as i64));
        provider.push(gauge(
            at,
            "gpu0.temp_millicelsius",
            61_000 - 1_500 * s as i64,
        ));
        provider.push(gauge(
            at,
            "pool.shares_accepted_total",
            [10, 30, 5, 25, 40, 41][s as usize],
        ));
    }
    provider.push(gauge(e0 + 7_000, names::PLEDGE_CPU, 4_000));
    provider.push(QosRecord::failure(
        e0 + 59 * SLOT,
        Operation::Custom {
            name: "gpu0.temp_millicelsius".into(),
            value: 0,
        },
        0,
        7,
        "exporter timed out",
    ));
    out.push(Scenario {
        name: "gauges",
        description: "A compliant epoch in which the provider also reports gauges: CPU use and \
                      its pledge (efficiency), a temperature (one failed sample: a fault), and a \
                      counter that restarts once. Gauges change no version 1 value: the verdict \
                      is the clean epoch's.",
        data_unit: 112,
        terms: full_terms(1),
        reports: vec![ch.epoch(C, 0, measured(e0, GOOD)), ch.epoch(P, 0, provider)],
        epochs: vec![judged(0, 0, 0)],
    });

    out
}

/// The whole file, pretty-printed, with a final newline.
pub(crate) fn aggregation_json() -> String {
    let config = config();
    let file = json!({
        "format": "SLA oracle aggregation, rules version 2: accumulators, epoch summaries, windows, verdicts",
        "spec": "docs/aggregation.md",
        "generator": GENERATOR,
        "notes": [
            "Byte strings are lowercase hex without 0x. Integers are JSON numbers, exactly as the ingest API's roll-up answers write them (read them as 64-bit integers, and the 128-bit sums — a latency sum, a speed's bytes and latency_us — and the verdict's penalty_wei as integers of up to 128 bits); the terms' penalty_per_epoch and a gauge's sum are decimal strings.",
            "epoch_config is the contract's clock: epoch e covers [1000·(genesis_s + e·epoch_len_s), 1000·(genesis_s + (e+1)·epoch_len_s)) ms.",
            "Each scenario gives the terms (JSON as stored, docs/aggregation.md \"Inputs\") and the signed reports of one data unit in arrival order (keys, chain id and contract of reports-v1.json): decode each payload as docs/report-format.md says (reports-v1.json pins the decoding). A report with counted false was stored after its epoch closed: it is not added to any accumulator.",
            "For each judged epoch: reports_used are the hashes the epoch used, in the order they were first added; accumulator is EpochAccumulator::encode after adding every counted report in the listed order (the reverse order gives the same bytes); summary is the EpochSummary (the summary member of the roll-up answer) and summary_encoding its canonical bytes; window is the uptime window of the terms ending at the epoch, from this scenario's summaries up to it; verdict is evaluate(terms, summary, window) (the roll-up answer's verdict); epoch_result is the contract's EpochResult (off-chain flags masked); reputation_before and reputation_after follow the contract's rule from 5000 at the first judged epoch.",
            "trend (scenarios with several epochs) is the window of window_epochs ending at the last epoch against the window of the same length before it.",
        ],
        "rules_version": sla_protocol::aggregate::RULES_VERSION,
        "epoch_config": config,
        "scenarios": scenarios().iter().map(scenario_json).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_string_pretty(&file).expect("vectors serialize");
    out.push('\n');
    out
}
