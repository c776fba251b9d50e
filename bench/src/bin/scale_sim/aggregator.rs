//! The oracle's aggregator in a process of its own, so that its memory is measured alone: it
//! keeps one `Aggregator` (as the service does, its open accumulators and terms cached between
//! runs) and, for each line `run <now_ms>` on stdin, runs it once at that (simulated) time and
//! answers one JSON line: the run's statistics, its wall time, and the process's peak RSS during
//! the run (`VmHWM`, reset before each run through `/proc/self/clear_refs`) and RSS after it.

use std::io::BufRead;
use std::process::Stdio;
use std::time::Instant;

use serde_json::{json, Value};
use sla_oracle::aggregator::{Aggregator, AggregatorConfig, AggregatorStores};
use sla_protocol::aggregate::EpochConfig;
use sla_storage::Database;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use super::measure::proc_status_kb;
use super::population::EPOCH_LEN_S;

/// The child's loop.
pub(crate) async fn serve(database_url: &str, grace_ms: u64) -> anyhow::Result<()> {
    let db = Database::connect(database_url).await?;
    let config = AggregatorConfig {
        epochs: EpochConfig::new(0, EPOCH_LEN_S)?,
        grace_ms,
        // The service's page size (oracle/src/service.rs).
        page_size: 1_000,
    };
    let mut aggregator = Aggregator::new(AggregatorStores::of(&db), config);
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let Some(now) = line.strip_prefix("run ") else {
            anyhow::bail!("unknown command {line:?}");
        };
        let now_ms: u64 = now.trim().parse()?;
        // Resets VmHWM to the current RSS, so the figure below is this run's peak.
        std::fs::write("/proc/self/clear_refs", "5")?;
        let started = Instant::now();
        let stats = aggregator.run_once(now_ms).await?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{}",
            json!({
                "seconds": seconds,
                "reports_read": stats.reports_read,
                "records_counted": stats.records_counted,
                "reports_not_counted": stats.reports_not_counted,
                "rollups_saved": stats.rollups_saved,
                "epochs_finalized": stats.epochs_finalized,
                "peak_rss_kb": proc_status_kb("self", "VmHWM")?,
                "rss_after_kb": proc_status_kb("self", "VmRSS")?,
            })
        );
    }
    Ok(())
}

/// The parent's handle on the child.
pub(crate) struct AggregatorProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl AggregatorProcess {
    pub(crate) fn spawn(database_url: &str, grace_ms: u64) -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .args(["aggregator", "--database-url", database_url])
            .args(["--grace-ms", &grace_ms.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        Ok(AggregatorProcess {
            child,
            stdin,
            stdout,
        })
    }

    /// One run at `now_ms`; its answer.
    pub(crate) async fn run(&mut self, now_ms: u64) -> anyhow::Result<Value> {
        self.stdin
            .write_all(format!("run {now_ms}\n").as_bytes())
            .await?;
        self.stdin.flush().await?;
        let line = self
            .stdout
            .next_line()
            .await?
            .ok_or_else(|| anyhow::anyhow!("the aggregator process ended"))?;
        Ok(serde_json::from_str(&line)?)
    }

    pub(crate) async fn stop(mut self) -> anyhow::Result<()> {
        drop(self.stdin);
        self.child.wait().await?;
        Ok(())
    }
}
