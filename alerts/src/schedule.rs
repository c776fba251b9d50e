//! When a scheduled report is due, in UTC: `daily` (the previous day), `weekly` (the previous
//! Monday to Sunday), `monthly` (the previous calendar month), or `cron:M H DOM MON DOW` (from
//! the previous fire time to the latest one). The cron subset: each field is `*`, a number, a
//! range `a-b`, a step `*/n` or `a-b/n`, or a comma list of those; day of week 0-7 (0 and 7 are
//! Sunday); when both day of month and day of week are restricted, either matching is enough,
//! as in Vixie cron. No names (`MON`, `JAN`), no `L`, `W`, `#` or `?`.

const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 86_400_000;
/// How far back a cron fire time is looked for: eight years covers a `29 2` (leap day) rule.
const CRON_LOOKBACK_DAYS: u64 = 8 * 366;

/// A report schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every UTC day.
    Daily,
    /// Every UTC week, Monday to Sunday.
    Weekly,
    /// Every UTC calendar month.
    Monthly,
    /// A cron expression, UTC.
    Cron(Cron),
}

/// A parsed `M H DOM MON DOW` expression: the values each field allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    days_restricted: bool,
    weekdays_restricted: bool,
}

impl Schedule {
    /// Parses `daily`, `weekly`, `monthly` or `cron:M H DOM MON DOW`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        match text {
            "daily" => Ok(Schedule::Daily),
            "weekly" => Ok(Schedule::Weekly),
            "monthly" => Ok(Schedule::Monthly),
            _ => match text.strip_prefix("cron:") {
                Some(expr) => Cron::parse(expr).map(Schedule::Cron),
                None => Err(format!(
                    "unknown schedule {text:?}; known: daily, weekly, monthly, cron:M H DOM MON DOW"
                )),
            },
        }
    }

    /// The latest period that has ended at `now_ms`, as `[start, end)` in Unix ms.
    pub fn last_period(&self, now_ms: u64) -> Option<(u64, u64)> {
        match self {
            Schedule::Daily => {
                let end = now_ms - now_ms % DAY_MS;
                Some((end.checked_sub(DAY_MS)?, end))
            }
            Schedule::Weekly => {
                let day = now_ms / DAY_MS;
                // 1970-01-01 was a Thursday: Monday is 3 days before a multiple of 7.
                let monday = day - (day + 3) % 7;
                let end = monday * DAY_MS;
                Some((end.checked_sub(7 * DAY_MS)?, end))
            }
            Schedule::Monthly => {
                let [y, m, ..] = sla_runtime::utc_parts(now_ms / 1_000);
                let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
                let end = u64::try_from(days_from_civil(y, m, 1)).ok()? * DAY_MS;
                let start = u64::try_from(days_from_civil(py, pm, 1)).ok()? * DAY_MS;
                Some((start, end))
            }
            Schedule::Cron(cron) => {
                let end = cron.fire_at_or_before(now_ms)?;
                let start = cron.fire_at_or_before(end.checked_sub(MINUTE_MS)?)?;
                Some((start, end))
            }
        }
    }
}

impl Cron {
    /// Parses the five fields.
    pub fn parse(expr: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let [m, h, dom, mon, dow] = fields[..] else {
            return Err(format!(
                "cron needs five fields (minute hour day-of-month month day-of-week), got {}",
                fields.len()
            ));
        };
        let mut weekdays = field(dow, 0, 7, "day of week")?;
        if weekdays[7] {
            weekdays[0] = true; // 7 is Sunday too
        }
        weekdays.truncate(7);
        Ok(Cron {
            minutes: field(m, 0, 59, "minute")?,
            hours: field(h, 0, 23, "hour")?,
            days: field(dom, 1, 31, "day of month")?,
            months: field(mon, 1, 12, "month")?,
            weekdays,
            days_restricted: dom != "*",
            weekdays_restricted: dow != "*",
        })
    }

    fn day_matches(&self, day: u64) -> bool {
        let [_, month, dom, ..] = sla_runtime::utc_parts(day * 86_400);
        if !self.months[month as usize] {
            return false;
        }
        let by_dom = self.days[dom as usize];
        let by_dow = self.weekdays[((day + 4) % 7) as usize]; // day 0 was a Thursday (4)
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => by_dom || by_dow,
            (true, false) => by_dom,
            (false, true) => by_dow,
            (false, false) => true,
        }
    }

    /// The latest fire time at or before `t_ms` (to the minute).
    pub fn fire_at_or_before(&self, t_ms: u64) -> Option<u64> {
        let today = t_ms / DAY_MS;
        let minute_of_today = (t_ms % DAY_MS) / MINUTE_MS;
        for back in 0..=CRON_LOOKBACK_DAYS.min(today) {
            let day = today - back;
            if !self.day_matches(day) {
                continue;
            }
            let last = if back == 0 { minute_of_today } else { 1_439 };
            let found = (0..=last)
                .rev()
                .find(|&mi| self.hours[(mi / 60) as usize] && self.minutes[(mi % 60) as usize]);
            if let Some(mi) = found {
                return Some(day * DAY_MS + mi * MINUTE_MS);
            }
        }
        None
    }
}

/// The values a cron field allows, as flags indexed by value (`0..=max`).
fn field(text: &str, min: u32, max: u32, name: &str) -> Result<Vec<bool>, String> {
    let bad = |why: &str| format!("cron {name} {text:?}: {why}");
    let number = |s: &str| -> Result<u32, String> {
        let n: u32 = s.parse().map_err(|_| bad("not a number, range or step"))?;
        if n < min || n > max {
            return Err(bad(&format!("{n} is outside {min}-{max}")));
        }
        Ok(n)
    };
    let mut allowed = vec![false; max as usize + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().map_err(|_| bad("the step is not a number"))?;
                if step == 0 {
                    return Err(bad("a step must be at least 1"));
                }
                (r, step)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (number(a)?, number(b)?)
        } else if step > 1 {
            (number(range)?, max) // `5/15`: from 5, every 15
        } else {
            let n = number(range)?;
            (n, n)
        };
        if lo > hi {
            return Err(bad("a range must go upwards"));
        }
        for v in (lo..=hi).step_by(step as usize) {
            allowed[v as usize] = true;
        }
    }
    Ok(allowed)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix ms of a UTC date and time.
    fn at(y: i64, mo: i64, d: i64, h: u64, mi: u64) -> u64 {
        days_from_civil(y, mo, d) as u64 * DAY_MS + h * 3_600_000 + mi * MINUTE_MS
    }

    #[test]
    fn daily_weekly_and_monthly_periods_are_the_ones_just_ended() {
        let now = at(2026, 12, 3, 16, 20); // a Thursday
        assert_eq!(
            Schedule::Daily.last_period(now),
            Some((at(2026, 12, 2, 0, 0), at(2026, 12, 3, 0, 0)))
        );
        assert_eq!(
            Schedule::Weekly.last_period(now),
            Some((at(2026, 11, 23, 0, 0), at(2026, 11, 30, 0, 0)))
        );
        // On Monday at midnight, the week just ended is the one before.
        assert_eq!(
            Schedule::Weekly.last_period(at(2026, 11, 30, 0, 0)),
            Some((at(2026, 11, 23, 0, 0), at(2026, 11, 30, 0, 0)))
        );
        assert_eq!(
            Schedule::Monthly.last_period(now),
            Some((at(2026, 11, 1, 0, 0), at(2026, 12, 1, 0, 0)))
        );
        assert_eq!(
            Schedule::Monthly.last_period(at(2027, 1, 15, 0, 0)),
            Some((at(2026, 12, 1, 0, 0), at(2027, 1, 1, 0, 0)))
        );
    }

    #[test]
    fn cron_periods_run_from_the_previous_fire_time_to_the_latest() {
        let every_six_hours = Schedule::parse("cron:30 */6 * * *").unwrap();
        assert_eq!(
            every_six_hours.last_period(at(2026, 12, 3, 16, 20)),
            Some((at(2026, 12, 3, 6, 30), at(2026, 12, 3, 12, 30)))
        );
        // Mondays and Fridays at 08:00 (`1,5`), seen on a Thursday.
        let twice_a_week = Schedule::parse("cron:0 8 * * 1,5").unwrap();
        assert_eq!(
            twice_a_week.last_period(at(2026, 12, 3, 16, 20)),
            Some((at(2026, 11, 27, 8, 0), at(2026, 11, 30, 8, 0)))
        );
        // The 1st and the 15th, ranges and lists; 7 is Sunday.
        let mid_month = Schedule::parse("cron:0 0 1,15 * *").unwrap();
        assert_eq!(
            mid_month.last_period(at(2026, 12, 3, 0, 0)),
            Some((at(2026, 11, 15, 0, 0), at(2026, 12, 1, 0, 0)))
        );
        let sundays = Schedule::parse("cron:0 0 * * 7").unwrap();
        assert_eq!(
            sundays.last_period(at(2026, 12, 3, 0, 0)),
            Some((at(2026, 11, 22, 0, 0), at(2026, 11, 29, 0, 0)))
        );
        // Exactly at a fire time, that fire time ends the period.
        let hourly = Schedule::parse("cron:0 * * * *").unwrap();
        assert_eq!(
            hourly.last_period(at(2026, 12, 3, 16, 0)),
            Some((at(2026, 12, 3, 15, 0), at(2026, 12, 3, 16, 0)))
        );
    }

    #[test]
    fn malformed_schedules_are_refused_saying_why() {
        for (text, says) in [
            ("hourly", "unknown schedule"),
            ("cron:0 0 * *", "five fields"),
            ("cron:60 0 * * *", "outside 0-59"),
            ("cron:0 24 * * *", "outside 0-23"),
            ("cron:0 0 0 * *", "outside 1-31"),
            ("cron:0 0 * 13 *", "outside 1-12"),
            ("cron:0 0 * * 8", "outside 0-7"),
            ("cron:*/0 * * * *", "at least 1"),
            ("cron:0 5-2 * * *", "upwards"),
            ("cron:0 0 * JAN *", "not a number"),
            ("cron:0 0 ? * *", "not a number"),
        ] {
            let err = Schedule::parse(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}
