//! Generates `protocol/test-vectors/maintenance-v1.json`, the vectors of announced maintenance
//! windows (docs/aggregation.md, "Maintenance windows"):
//!
//! ```text
//! cargo run -p sla-protocol --example gen_maintenance_vectors > protocol/test-vectors/maintenance-v1.json
//! ```
//!
//! Each case is one hour-long epoch (60 slots) of one data unit: the records of both views, the
//! windows announced for the data unit, and what the rules derive without the windows and with
//! them (combined slots, each view's error rate, the verdict's violations and values, and the
//! canonical summary encoding with them). The expected slot counts and violations are also
//! stated by hand in each case (`stated`), and the generator stops if the library disagrees.
//! Deterministic: no clock, no randomness. `maintenance_vectors_file_is_up_to_date`
//! (protocol/tests/it) checks the committed file.

use std::ops::Range;

use serde_json::{json, Value};
use sla_protocol::aggregate::{
    evaluate, AggregationContext, EpochAccumulator, EpochConfig, Exclusions, MaintenanceWindow,
    SlaTerms, WindowSummary,
};
use sla_protocol::{Deployment, Operation, QosRecord, Report, ReportHash, Role};

/// 2026-01-01T00:00:00Z: genesis, and the start of every case's epoch 0.
const GENESIS_S: u64 = 1_767_225_600;
const START: u64 = GENESIS_S * 1000;
const SLOT: u64 = 60_000;
const DATA_UNIT: u64 = 1;

fn main() {
    print!("{}", maintenance_vectors_json());
}

/// Enforced: uptime ≥ 99 % and an error rate ≤ 5 % over one epoch.
pub(crate) fn terms() -> SlaTerms {
    let mut t = SlaTerms::reporting_only(3_600);
    t.min_uptime_bps = 9_900;
    t.uptime_window = 3_600;
    t.max_error_rate_bps = 500;
    t.penalty_per_epoch = 1_000;
    t
}

pub(crate) fn config() -> EpochConfig {
    EpochConfig::new(GENESIS_S, 3_600).expect("epoch clock")
}

/// One read per slot of `slots`, `offset` ms into each, failed in the slots of `failing`.
fn reads(slots: Range<u64>, offset: u64, failing: Range<u64>) -> Vec<QosRecord> {
    slots
        .map(|s| {
            let at = START + s * SLOT + offset;
            if failing.contains(&s) {
                QosRecord::failure(at, Operation::Read, 900_000, 503, "service unavailable")
            } else {
                QosRecord::success(at, Operation::Read, 20_000, 4_096)
            }
        })
        .collect()
}

/// A report of `role` covering the whole epoch.
pub(crate) fn report(role: Role, records: Vec<QosRecord>) -> Report {
    Report {
        deployment: Deployment {
            chain_id: 31_337,
            contract: [0xaa; 20],
        },
        role,
        reporter_key: [role.tag(); 32],
        data_unit: DATA_UNIT,
        sequence: 1,
        prev_hash: ReportHash::ZERO,
        period_start_ms: START,
        period_end_ms: START + 3_600_000,
        records,
    }
}

pub(crate) fn hash_of(role: Role) -> ReportHash {
    ReportHash([role.tag(); 32])
}

/// A window `[start, end)` in seconds after the epoch's start.
fn window(start: u64, end: u64) -> MaintenanceWindow {
    MaintenanceWindow {
        start_s: GENESIS_S + start,
        end_s: GENESIS_S + end,
    }
}

/// What the rules derive from `reports` with `windows` excluded.
pub(crate) fn derive(reports: &[Report], windows: &[MaintenanceWindow]) -> Value {
    let config = config();
    let ctx = AggregationContext::new(&config, &terms(), DATA_UNIT, 0).expect("context");
    let excluded = Exclusions::for_epoch(&ctx, windows);
    let mut acc = EpochAccumulator::new(ctx);
    for r in reports {
        acc.add_report_except(r, hash_of(r.role), &excluded)
            .expect("report of the data unit");
    }
    let summary = acc.summary();
    let window = WindowSummary::for_terms(
        &config,
        &terms(),
        DATA_UNIT,
        0,
        std::slice::from_ref(&summary),
    )
    .expect("window");
    let verdict = evaluate(&terms(), &summary, &window).expect("verdict");
    json!({
        "combined": summary.combined.slots,
        "consumer_error_rate_bps": summary.consumer.error_rate_bps,
        "provider_error_rate_bps": summary.provider.error_rate_bps,
        "violations": verdict.violations,
        "uptime_bps": verdict.uptime_bps,
        "error_rate_bps": verdict.error_rate_bps,
        "summary_encoding": hex::encode(summary.encode()),
    })
}

struct Case {
    name: &'static str,
    description: &'static str,
    reports: Vec<Report>,
    windows: Vec<MaintenanceWindow>,
    /// `(up, down)` and violations without the windows, then with them, stated by hand.
    stated: [((u64, u64), u8); 2],
}

/// Violation bits (`Metric::bit`): uptime, error rate.
const UPTIME: u8 = 1 << 4;
const ERRORS: u8 = 1 << 5;

fn cases() -> Vec<Case> {
    use Role::{Consumer as C, Provider as P};
    vec![
        Case {
            name: "downtime-inside-a-window",
            description: "the consumer's reads fail in slots 10-19 and the window is exactly those ten minutes: 50 up, 10 down without it; 50 up, 0 down with it",
            reports: vec![report(C, reads(0..60, 1_000, 10..20))],
            windows: vec![window(600, 1_200)],
            stated: [((50, 10), UPTIME | ERRORS), ((50, 0), 0)],
        },
        Case {
            name: "downtime-outside-a-window",
            description: "the same failures with the window announced for slots 30-39: nothing inside it fails, so nothing changes but the ten slots it removes",
            reports: vec![report(C, reads(0..60, 1_000, 10..20))],
            windows: vec![window(1_800, 2_400)],
            stated: [((50, 10), UPTIME | ERRORS), ((40, 10), UPTIME | ERRORS)],
        },
        Case {
            name: "half-open-edges",
            description: "failed reads at 0.999 s before the window, at its first millisecond and at its end: the one at the end is outside ([start, end)), so slots 9 and 20 stay down",
            reports: vec![report(
                C,
                [
                    reads(0..60, 30_000, 0..0),
                    vec![
                        QosRecord::failure(START + 600_000 - 1, Operation::Read, 1, 503, "x"),
                        QosRecord::failure(START + 600_000, Operation::Read, 1, 503, "x"),
                        QosRecord::failure(START + 1_200_000, Operation::Read, 1, 503, "x"),
                    ],
                ]
                .concat(),
            )],
            windows: vec![window(600, 1_200)],
            stated: [((60, 0), 0), ((50, 0), 0)],
        },
        Case {
            name: "errors-inside-a-window",
            description: "every slot up, but 20 extra failed reads in slot 5 (inside the window) push the error rate over 5 %: with the window they do not count",
            reports: vec![report(
                C,
                [
                    reads(0..60, 1_000, 0..0),
                    (0..20)
                        .map(|i| {
                            QosRecord::failure(START + 5 * SLOT + 2_000 + i, Operation::Read, 1, 500, "x")
                        })
                        .collect(),
                ]
                .concat(),
            )],
            windows: vec![window(300, 360)],
            stated: [((60, 0), ERRORS), ((59, 0), 0)],
        },
        Case {
            name: "window-from-the-previous-epoch",
            description: "a window that began an hour earlier and ends 5 minutes into the epoch, and one in the next epoch (ignored); the provider admits downtime in slots 0-4",
            reports: vec![
                report(C, reads(0..60, 1_000, 0..0)),
                report(P, reads(0..60, 2_000, 0..5)),
            ],
            windows: vec![window(0, 300).shifted_back(3_600), window(3_600, 4_000)],
            stated: [((55, 5), UPTIME | ERRORS), ((55, 0), 0)],
        },
    ]
}

/// A window moved back by `s` seconds at its start only (it then spans the previous epoch).
trait ShiftedBack {
    fn shifted_back(self, s: u64) -> Self;
}

impl ShiftedBack for MaintenanceWindow {
    fn shifted_back(self, s: u64) -> Self {
        MaintenanceWindow {
            start_s: self.start_s - s,
            end_s: self.end_s,
        }
    }
}

fn record_json(r: &QosRecord) -> Value {
    json!({
        "timestamp_ms": r.timestamp_ms.to_string(),
        "operation": r.operation.name(),
        "latency_us": r.latency_us,
        "success": r.success,
    })
}

fn case_json(c: &Case) -> Value {
    let without = derive(&c.reports, &[]);
    let with = derive(&c.reports, &c.windows);
    for (derived, ((up, down), violations)) in [&without, &with].into_iter().zip(c.stated) {
        assert_eq!(derived["combined"]["up"], up, "{}: up", c.name);
        assert_eq!(derived["combined"]["down"], down, "{}: down", c.name);
        assert_eq!(derived["violations"], violations, "{}: violations", c.name);
    }
    json!({
        "name": c.name,
        "description": c.description,
        "windows": c.windows.iter().map(|w| json!({"start_s": w.start_s, "end_s": w.end_s})).collect::<Vec<_>>(),
        "reports": c.reports.iter().map(|r| json!({
            "role": r.role.as_str(),
            "records": r.records.iter().map(record_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "without_windows": without,
        "with_windows": with,
    })
}

/// The whole file, pretty-printed, with a final newline.
pub(crate) fn maintenance_vectors_json() -> String {
    let t = terms();
    let file = json!({
        "description": "Maintenance windows (docs/aggregation.md): records whose timestamp lies in [start_s*1000, end_s*1000) of an announced window of their data unit are not counted. Epoch 0 of a clock with genesis_s and one-hour epochs (60 slots); each report covers the whole epoch. Terms: min_uptime_bps 9900 over one epoch, max_error_rate_bps 500, nothing else enforced. violations: bit 4 uptime, bit 5 error rate.",
        "genesis_s": GENESIS_S,
        "epoch_len_s": 3600,
        "data_unit": DATA_UNIT,
        "terms": t,
        "cases": cases().iter().map(case_json).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_string_pretty(&file).expect("vectors serialize");
    out.push('\n');
    out
}
