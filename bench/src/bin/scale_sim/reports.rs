//! One simulated hour of reports: for every data unit, the consumer's and the provider's report
//! of that hour, signed in the protocol's format by the party's reporter key, each the next link
//! of its report chain (per data unit and key). Signed on all cores before the hour is fed (not
//! timed).

use ed25519_dalek::SigningKey;
use sla_protocol::{
    report_hash, sign_report, Operation, QosRecord, Report, ReportHash, Role, VerifiedReport,
};

use super::population::{Population, DEPLOYMENT, HOUR_MS};

/// The heads of every report chain: index `2 * (unit - 1)` the consumer's, `+ 1` the provider's.
pub(crate) struct Chains {
    pub(crate) population: Population,
    pub(crate) start_ms: u64,
    pub(crate) records: u64,
    provider_keys: Vec<SigningKey>,
    consumer_keys: Vec<SigningKey>,
    heads: Vec<(u64, ReportHash)>,
}

impl Chains {
    pub(crate) fn new(population: Population, start_ms: u64, records: u64) -> Self {
        Chains {
            population,
            start_ms,
            records,
            provider_keys: population.provider_keys(),
            consumer_keys: population.consumer_keys(),
            heads: vec![(0, ReportHash::ZERO); 2 * population.data_units as usize],
        }
    }

    /// Every report of hour `hour` (0-based), in data unit order, signed on `threads` threads.
    pub(crate) fn hour(&mut self, hour: u64, threads: usize) -> Vec<VerifiedReport> {
        let per_thread = self
            .heads
            .len()
            .div_ceil(threads.max(1))
            .next_multiple_of(2);
        let this = &*self;
        let parts: Vec<(usize, Vec<VerifiedReport>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..this.heads.len())
                .step_by(per_thread.max(2))
                .map(|from| {
                    let to = (from + per_thread).min(this.heads.len());
                    scope.spawn(move || (from, this.sign_range(hour, from, to)))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut all = Vec::with_capacity(self.heads.len());
        for (from, reports) in parts {
            for (i, v) in reports.iter().enumerate() {
                self.heads[from + i] = (v.report.sequence, v.hash);
            }
            all.extend(reports);
        }
        all
    }

    fn sign_range(&self, hour: u64, from: usize, to: usize) -> Vec<VerifiedReport> {
        (from..to).map(|chain| self.sign(hour, chain)).collect()
    }

    fn sign(&self, hour: u64, chain: usize) -> VerifiedReport {
        let unit = chain as u64 / 2 + 1;
        let (role, key) = if chain.is_multiple_of(2) {
            let c = self.population.consumer_of(unit) as usize;
            (Role::Consumer, &self.consumer_keys[c])
        } else {
            let p = self.population.provider_of(unit) as usize;
            (Role::Provider, &self.provider_keys[p])
        };
        let (sequence, prev_hash) = self.heads[chain];
        let start = self.start_ms + hour * HOUR_MS;
        let report = Report {
            deployment: DEPLOYMENT,
            role,
            reporter_key: key.verifying_key().to_bytes(),
            data_unit: unit,
            sequence: sequence + 1,
            prev_hash,
            period_start_ms: start,
            period_end_ms: start + HOUR_MS,
            records: records(unit, hour, start, self.records),
        };
        let signed = sign_report(&report, key).expect("a report of in-range fields encodes");
        // Signed here a moment ago: the ingest API's signature check is measured on the HTTP
        // path; the storage path is handed the report as the API hands it to the group commit.
        VerifiedReport {
            hash: report_hash(&signed.payload),
            report,
            signed,
        }
    }
}

/// `count` records spread evenly over the hour: reads, every fourth a write, about 1 % failed.
fn records(unit: u64, hour: u64, start: u64, count: u64) -> Vec<QosRecord> {
    (0..count)
        .map(|r| {
            let ts = start + r * (HOUR_MS / count.max(1));
            let latency = 800 + ((r * 7_919 + hour * 104_729 + unit * 31) % 20_000) as u32;
            let op = if r % 4 == 3 {
                Operation::Write
            } else {
                Operation::Read
            };
            if (unit + hour * 7 + r).is_multiple_of(97) {
                QosRecord::failure(ts, op, latency, 503, "busy")
            } else {
                QosRecord::success(ts, op, latency, 4_096)
            }
        })
        .collect()
}
