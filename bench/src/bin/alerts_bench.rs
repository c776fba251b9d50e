//! `sla-alerts-bench`: the alert rules over a database seeded by `sla-dashboard-bench seed`
//! (10,000 active data units, none with a report, so all 20,000 reporters are late and silent
//! for more than 23 h; 24,876 penalties on chain): a first look (a process that just started:
//! 40,000 late alerts and the first 10,000 penalties), the next look (the silences are known; the
//! next 10,000 penalties), then writing the first look's alerts to the outbox for one receiver,
//! twice (the second time every row is already there). Prints one JSON line with the median of
//! `--runs` runs of each step.

use std::time::Instant;

use clap::Parser;
use serde_json::json;
use sla_alerts::rules::Rules;
use sla_alerts::AlertsConfig;
use sla_storage::{Database, NewAlert};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = Database::connect(&args.database_url).await?;
    let config = AlertsConfig::parse(r#"{"receivers":[]}"#, |_| None)?;
    let http = reqwest::Client::new();
    let (mut first, mut steady, mut write, mut rewrite) = (vec![], vec![], vec![], vec![]);
    let (mut raised, mut raised_next) = (0, 0);
    for run in 0..args.runs {
        let mut rules = Rules::start(&db, &config).await?;
        let t = Instant::now();
        let look = rules
            .look(&db, &config, &http, sla_runtime::now_ms())
            .await?;
        first.push(t.elapsed().as_secs_f64() * 1_000.0);
        rules.commit(&look);
        let alerts = look.alerts;
        raised = alerts.len();
        let t = Instant::now();
        let next = rules
            .look(&db, &config, &http, sla_runtime::now_ms())
            .await?;
        steady.push(t.elapsed().as_secs_f64() * 1_000.0);
        raised_next = next.alerts.len();
        let rows: Vec<NewAlert> = alerts
            .iter()
            .map(|a| NewAlert {
                receiver: format!("bench-{run}"),
                alert_key: a.alert_key.clone(),
                rule: a.rule.clone(),
                severity: a.severity.clone(),
                body: serde_json::to_string(a).unwrap(),
                data_unit: (a.data_unit != 0).then_some(a.data_unit),
            })
            .collect();
        let t = Instant::now();
        db.alerts().enqueue(&rows, sla_runtime::now_ms()).await?;
        write.push(t.elapsed().as_secs_f64() * 1_000.0);
        let t = Instant::now();
        db.alerts().enqueue(&rows, sla_runtime::now_ms()).await?;
        rewrite.push(t.elapsed().as_secs_f64() * 1_000.0);
    }
    println!(
        "{}",
        json!({
            "alerts_raised_first_look": raised,
            "alerts_raised_next_look": raised_next,
            "first_look_ms": median(first),
            "next_look_ms": median(steady),
            "outbox_write_ms": median(write),
            "outbox_rewrite_ms": median(rewrite),
            "runs": args.runs,
        })
    );
    db.close().await;
    Ok(())
}
