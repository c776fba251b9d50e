//! Counting the reports stored since the last run.

use std::collections::BTreeSet;

use sla_protocol::aggregate::{AggregationContext, EpochAccumulator};
use sla_protocol::codec;
use sla_storage::rollups::{RollupWrite, UncountedReport};
use sla_storage::RollupStatus;

use super::{Aggregator, AggregatorError, RunStats};

/// Most reports counted before the touched roll-ups are saved (bounds memory and redo work).
const SAVE_EVERY_REPORTS: u64 = 200_000;

impl Aggregator {
    /// Reads every report after the cursor and adds it to its epochs' accumulators; saves the
    /// touched roll-ups with the cursor in one transaction.
    pub(super) async fn count_new_reports(&mut self) -> Result<RunStats, AggregatorError> {
        let mut stats = RunStats::default();
        let mut cursor = self.stores.rollups.cursor().await?;
        let mut touched: BTreeSet<(u64, u64)> = BTreeSet::new();
        let mut uncounted: Vec<UncountedReport> = Vec::new();
        let mut since_save = 0u64;
        loop {
            let page = self
                .stores
                .reports
                .after(cursor, self.config.page_size)
                .await?;
            let Some(last) = page.last() else { break };
            let last_id = last.id;
            for stored in &page {
                let report = codec::decode(&stored.payload).map_err(|source| {
                    AggregatorError::CorruptReport {
                        id: stored.id,
                        source,
                    }
                })?;
                stats.reports_read += 1;
                since_save += 1;
                if self.ignored_reporter == Some(report.reporter_key) {
                    uncounted.push(UncountedReport {
                        report_id: stored.id,
                        data_unit: report.data_unit,
                        epoch: 0,
                        reason: "ignored (test hook: a byzantine node)".into(),
                    });
                    stats.reports_not_counted += 1;
                    continue;
                }
                let Some(terms) = self.terms_of(report.data_unit).await? else {
                    uncounted.push(UncountedReport {
                        report_id: stored.id,
                        data_unit: report.data_unit,
                        epoch: 0,
                        reason: "data unit has no SLA terms in the mirror".into(),
                    });
                    stats.reports_not_counted += 1;
                    continue;
                };
                let Some(epochs) = self
                    .config
                    .epochs
                    .epochs_overlapping(report.period_start_ms, report.period_end_ms)
                else {
                    continue;
                };
                for epoch in epochs {
                    let key = (report.data_unit, epoch);
                    // Judged by arrival time, so the verdict does not depend on when runs happen.
                    if stored.received_at_ms > self.closes_at_ms(epoch) {
                        uncounted.push(UncountedReport {
                            report_id: stored.id,
                            data_unit: report.data_unit,
                            epoch,
                            reason: "arrived after the epoch closed (end + grace)".into(),
                        });
                        stats.reports_not_counted += 1;
                        continue;
                    }
                    if !self.open.contains_key(&key) {
                        match self.stores.rollups.state(key.0, key.1).await? {
                            Some(row) if row.status != RollupStatus::Open => {
                                uncounted.push(UncountedReport {
                                    report_id: stored.id,
                                    data_unit: report.data_unit,
                                    epoch,
                                    reason: format!("epoch already {}", row.status.as_str()),
                                });
                                stats.reports_not_counted += 1;
                                continue;
                            }
                            Some(row) => {
                                self.open.insert(key, row.accumulator);
                            }
                            None => {
                                let ctx = AggregationContext::new(
                                    &self.config.epochs,
                                    &terms,
                                    report.data_unit,
                                    epoch,
                                )?;
                                self.open.insert(key, EpochAccumulator::new(ctx));
                            }
                        }
                    }
                    let acc = self.open.get_mut(&key).expect("inserted above");
                    let before = acc.view(report.role).report_hashes().count();
                    acc.add_report(&report, stored.hash)?;
                    if acc.view(report.role).report_hashes().count() > before {
                        stats.records_counted += report.records.len() as u64;
                    }
                    touched.insert(key);
                }
            }
            cursor = last_id;
            if since_save >= SAVE_EVERY_REPORTS {
                stats.rollups_saved += self.save(&touched, &uncounted, cursor).await?;
                touched.clear();
                uncounted.clear();
                since_save = 0;
            }
        }
        if since_save > 0 || !touched.is_empty() {
            stats.rollups_saved += self.save(&touched, &uncounted, cursor).await?;
        }
        Ok(stats)
    }

    async fn save(
        &self,
        touched: &BTreeSet<(u64, u64)>,
        uncounted: &[UncountedReport],
        cursor: i64,
    ) -> Result<u64, AggregatorError> {
        let now = sla_runtime::now_ms();
        let summaries: Vec<_> = touched.iter().map(|key| self.open[key].summary()).collect();
        let rows: Vec<RollupWrite<'_>> = touched
            .iter()
            .zip(&summaries)
            .map(|(key, summary)| RollupWrite {
                accumulator: &self.open[key],
                summary,
                status: RollupStatus::Open,
                verdict: None,
                updated_at_ms: now,
            })
            .collect();
        self.stores
            .rollups
            .save(&rows, uncounted, Some(cursor))
            .await?;
        Ok(rows.len() as u64)
    }
}
