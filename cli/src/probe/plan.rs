//! Cutting spooled records into report periods. Pure, so its rules can be tested alone:
//!
//! - a period is half-open `[start, end)`, non-empty, at most 24 h long, and starts no earlier than
//!   the previous report's end (gaps are allowed, overlaps are not);
//! - every pending record lands in exactly one period, in timestamp order, at most
//!   `max_records` per period;
//! - the last period ends at `now` (or just after the newest record, if the clock is behind it);
//! - an empty stretch longer than 24 h (the agent was down) is skipped, not filled with empty reports;
//! - with no previous report and no records, there is nothing to report.

use std::ops::Range;

/// One report to build: its period and the indices of its records in the sorted input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Start of the period, Unix milliseconds (inclusive).
    pub start_ms: u64,
    /// End of the period, Unix milliseconds (exclusive).
    pub end_ms: u64,
    /// Indices of its records in the sorted input (possibly empty).
    pub records: Range<usize>,
}

/// Plans the reports for records with the sorted timestamps `ts` (all `>= prev_end` if given).
pub fn plan(
    prev_end: Option<u64>,
    ts: &[u64],
    now_ms: u64,
    max_records: usize,
    max_period_ms: u64,
) -> Vec<Period> {
    let max_records = max_records.max(1);
    let n = ts.len();
    let mut start = match (prev_end, ts.first()) {
        (Some(end), _) => end,
        (None, Some(first)) => *first,
        (None, None) => return Vec::new(),
    };
    let end_limit = ts.last().map_or(now_ms, |last| now_ms.max(last + 1));
    let mut out = Vec::new();
    let mut i = 0;
    while start < end_limit {
        if i < n && ts[i] - start >= max_period_ms {
            start = ts[i];
        }
        if i == n && end_limit - start > max_period_ms {
            start = end_limit - max_period_ms;
        }
        let limit = (start + max_period_ms).min(end_limit);
        let mut j = i;
        while j < n && ts[j] < limit && j - i < max_records {
            j += 1;
        }
        let end = if j < n && ts[j] < limit {
            // Full: end at the next record's timestamp, never between equal timestamps.
            let mut k = j;
            while k > i && ts[k - 1] == ts[k] {
                k -= 1;
            }
            if k == i {
                // More than max_records records share one millisecond: keep them together.
                while j < n && ts[j] == ts[i] {
                    j += 1;
                }
                ts[i] + 1
            } else {
                j = k;
                ts[k]
            }
        } else {
            limit
        };
        out.push(Period {
            start_ms: start,
            end_ms: end,
            records: i..j,
        });
        start = end;
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400_000;

    fn check(prev: Option<u64>, ts: &[u64], now: u64, max: usize) -> Vec<Period> {
        let periods = plan(prev, ts, now, max, DAY);
        let mut next = 0;
        let mut last_end = prev.unwrap_or(0);
        for p in &periods {
            assert!(p.start_ms < p.end_ms, "{p:?}");
            assert!(p.end_ms - p.start_ms <= DAY, "{p:?}");
            assert!(p.start_ms >= last_end, "{p:?}");
            assert_eq!(p.records.start, next);
            assert!(
                p.records.len() <= max.max(1)
                    || ts[p.records.clone()]
                        .iter()
                        .all(|t| *t == ts[p.records.start])
            );
            for t in &ts[p.records.clone()] {
                assert!(p.start_ms <= *t && *t < p.end_ms, "{t} outside {p:?}");
            }
            next = p.records.end;
            last_end = p.end_ms;
        }
        assert_eq!(next, ts.len(), "every record is planned");
        periods
    }

    #[test]
    fn records_after_the_previous_report_go_into_one_period_ending_now() {
        let p = check(Some(1000), &[1000, 1500, 1999], 2000, 100);
        assert_eq!(
            p,
            vec![Period {
                start_ms: 1000,
                end_ms: 2000,
                records: 0..3
            }]
        );
    }

    #[test]
    fn first_report_starts_at_the_first_record_and_nothing_means_nothing() {
        let p = check(None, &[500, 600], 700, 100);
        assert_eq!(p[0].start_ms, 500);
        assert!(check(None, &[], 700, 100).is_empty());
    }

    #[test]
    fn no_records_after_a_report_give_an_empty_heartbeat() {
        let p = check(Some(1000), &[], 5000, 100);
        assert_eq!(
            p,
            vec![Period {
                start_ms: 1000,
                end_ms: 5000,
                records: 0..0
            }]
        );
        // The clock behind the last report: nothing.
        assert!(check(Some(5000), &[], 4000, 100).is_empty());
    }

    #[test]
    fn many_records_are_split_by_count_without_separating_equal_timestamps() {
        let ts = [10, 11, 12, 12, 12, 13, 14];
        let p = check(Some(0), &ts, 100, 3);
        assert_eq!(p[0].records, 0..2, "{p:?}");
        assert_eq!(p[0].end_ms, 12);
        assert_eq!(p.last().unwrap().end_ms, 100);
        let same = [5, 5, 5, 5];
        let p = check(Some(0), &same, 100, 2);
        assert_eq!(p[0].records, 0..4);
    }

    #[test]
    fn long_outages_are_split_into_days_and_empty_stretches_skipped() {
        let ts = [10, DAY + 20, 5 * DAY];
        let p = check(Some(0), &ts, 5 * DAY + 100, 100);
        assert!(p.len() >= 3, "{p:?}");
        assert_eq!(p.last().unwrap().end_ms, 5 * DAY + 100);
        let p = check(Some(0), &[], 10 * DAY, 100);
        assert_eq!(
            p,
            vec![Period {
                start_ms: 9 * DAY,
                end_ms: 10 * DAY,
                records: 0..0
            }]
        );
    }
}
