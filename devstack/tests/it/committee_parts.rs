//! A committee of four nodes (quorum three) proposing an epoch in parts: `sla-oracle-bench
//! --nodes 4` with proposals of at most 16 results, so 60 data units go in four parts (three of
//! 16, one of 12), each its own round of proposal, checks and signatures, on a real anvil, the
//! nodes' committee endpoints over HTTP. Every result must be applied exactly once: no part
//! lost, none sent twice (the bench reads the chain back and fails otherwise).

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

/// Longer than a run takes on a loaded machine (~35 s), far shorter than the bench's own limit.
const LIMIT: Duration = Duration::from_secs(180);

#[test]
fn an_epoch_proposed_in_parts_lands_every_result_once() {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sla-oracle-bench"))
        .args([
            "--nodes",
            "4",
            "--data-units",
            "60",
            "--providers",
            "3",
            "--batch",
            "10",
            "--proposal-results",
            "16",
            "--epoch-length",
            "30",
            "--poll-ms",
            "250",
            // Long attempts: a later leader proposing again what is already on its way (a
            // repeat the contract skips, at a cost in gas) would fail the count below.
            "--round-timeout-ms",
            "20000",
        ])
        // Its own process group, so that a bench stopped at the limit takes its anvil along.
        .process_group(0)
        .stdout(File::create(&out).unwrap())
        .stderr(File::create(&err).unwrap())
        .spawn()
        .expect("run sla-oracle-bench");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > LIMIT {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()),
        "the bench failed or did not end within {LIMIT:?} ({status:?}; is anvil installed? run \
         contracts/scripts/setup.sh):\n{stderr}"
    );
    let figures: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not the bench's JSON ({e}): {stdout}\n{stderr}"));
    assert_eq!(figures["proposal_results"], 16, "{figures}");
    assert_eq!(figures["results_skipped_as_repeats"], 0, "{figures}");
    // Each part's batches go alone: parts of 16 in batches of 10 are two transactions each.
    assert_eq!(figures["transactions"], 8, "{figures}");
}
