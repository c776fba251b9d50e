//! `sla maintenance …` through the binary against anvil: a policy with maintenance terms is
//! agreed, the provider announces a window, lists and cancels it; each rule the contract checks
//! (the epoch rule and notice, the provider only, overlap, the allowance) is refused in one line
//! naming its error, and bad arguments are refused before any transaction.

use alloy::providers::ProviderBuilder;
use serde_json::json;
use sla_contracts::SlaOracle;

use crate::flows::{Chain, CONSUMER, PROVIDER};

fn policy_file() -> tempfile::NamedTempFile {
    let none = json!({"bound": 0, "share_pct": 0});
    let flat = json!([none, none, none]);
    let policy = json!({
        "tiers": [flat, flat, flat, flat, flat, flat],
        "grace_epochs": 0,
        "grace_window_epochs": 0,
        "maintenance_notice_s": 600,
        "maintenance_allowance_s": 7_200,
    });
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), policy.to_string()).unwrap();
    file
}

#[tokio::test]
async fn windows_are_announced_listed_and_cancelled_and_every_rule_is_named() {
    let chain = Chain::start().await;
    chain.ok(PROVIDER, &["provider", "register"]);
    let allocated = chain.ok(
        CONSUMER,
        &[
            "consumer",
            "allocate",
            "--provider",
            &chain.address(PROVIDER),
            "--min-uptime-bps",
            "9900",
            "--uptime-window",
            "3600",
            "--penalty-per-epoch",
            "0.01ether",
        ],
    );
    let unit = allocated["data_unit_id"].as_u64().unwrap().to_string();
    chain.ok(PROVIDER, &["provider", "allocation", "accept", &unit]);
    let file = policy_file();
    let path = file.path().to_str().unwrap();
    let (line, _) = chain.fails(
        PROVIDER,
        &[
            "maintenance",
            "announce",
            "--data-unit",
            &unit,
            "--start",
            "4102444800",
            "--duration",
            "10m",
        ],
    );
    assert!(line.contains("NoMaintenanceTerms"), "no policy yet: {line}");
    let proposed = chain.ok(
        CONSUMER,
        &["policy", "propose", "--data-unit", &unit, "--policy", path],
    );
    let hash = proposed["policy_hash"].as_str().unwrap().to_owned();
    chain.ok(
        PROVIDER,
        &["policy", "agree", "--data-unit", &unit, "--hash", &hash],
    );

    let oracle = SlaOracle::new(
        chain_address(&chain),
        ProviderBuilder::new().connect_http(chain.anvil.endpoint_url()),
    );
    let genesis = oracle.genesisTime().call().await.unwrap();
    let length = u64::from(oracle.epochLength().call().await.unwrap());
    let current = oracle.currentEpoch().call().await.unwrap();
    let epoch_start = |e: u64| genesis + e * length;
    let next = epoch_start(current + 1);
    let later = epoch_start(current + 2);
    let at = |secs: u64| secs.to_string();
    let args = |start: &str, duration: &str| {
        [
            "maintenance",
            "announce",
            "--data-unit",
            &unit,
            "--start",
            start,
            "--duration",
            duration,
        ]
        .map(str::to_owned)
    };
    let announce = |account: usize, start: &str, duration: &str| {
        chain.run(
            account,
            &args(start, duration).each_ref().map(String::as_str),
        )
    };
    let announced = |start: &str, duration: &str| {
        chain.ok(
            PROVIDER,
            &args(start, duration).each_ref().map(String::as_str),
        )
    };
    let fails = |account: usize, start: String, duration: &str| {
        chain
            .fails(
                account,
                &args(&start, duration).each_ref().map(String::as_str),
            )
            .0
    };

    // Bad arguments: refused before anything is sent.
    let out = announce(PROVIDER, "tomorrow", "10m");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("UTC time like"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = announce(PROVIDER, &at(later), "0m");
    assert!(!out.status.success(), "a window of nothing");

    // A window inside the running epoch: too late. The error names the earliest start: the
    // next epoch's, or ten minutes' notice from now when that is later.
    let line = fails(PROVIDER, at(next - 1), "10m");
    assert!(line.contains("MaintenanceTooLate"), "{line}");
    let earliest: u64 = line
        .split("earliest=")
        .nth(1)
        .and_then(|rest| rest.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("names the earliest start: {line}"));
    assert!(
        earliest >= next && earliest <= next.max(current_time(&chain).await + 605),
        "earliest {earliest}, next epoch {next}: {line}"
    );
    // The consumer is not the provider.
    let line = fails(CONSUMER, at(later), "10m");
    assert!(line.contains("NotProvider"), "{line}");
    // Over the allowance of two hours.
    let line = fails(PROVIDER, at(later), "121m");
    assert!(line.contains("MaintenanceOverAllowance"), "{line}");

    // A good window, then one that overlaps it.
    let first = announced(&at(later), "90m");
    assert_eq!(first["start_s"], later);
    assert_eq!(first["end_s"], later + 5_400);
    let line = fails(PROVIDER, at(later + 5_399), "10m");
    assert!(line.contains("MaintenanceOverlap"), "{line}");
    // Within the allowance only 30 minutes remain.
    let line = fails(PROVIDER, at(later + 5_400), "31m");
    assert!(line.contains("MaintenanceOverAllowance"), "{line}");

    let listed = chain.ok(CONSUMER, &["maintenance", "list", "--data-unit", &unit]);
    assert_eq!(listed["notice_s"], 600);
    assert_eq!(listed["allowance_s"], 7_200);
    assert_eq!(
        listed["windows"],
        json!([{"index": 0, "start_s": later, "end_s": later + 5_400, "cancelled": false}])
    );

    // Only the provider cancels; once cancelled the time is free again.
    let (line, _) = chain.fails(
        CONSUMER,
        &[
            "maintenance",
            "cancel",
            "--data-unit",
            &unit,
            "--index",
            "0",
        ],
    );
    assert!(line.contains("NotProvider"), "{line}");
    chain.ok(
        PROVIDER,
        &[
            "maintenance",
            "cancel",
            "--data-unit",
            &unit,
            "--index",
            "0",
        ],
    );
    let listed = chain.ok(PROVIDER, &["maintenance", "list", "--data-unit", &unit]);
    assert_eq!(listed["windows"][0]["cancelled"], true);
    announced(&at(later), "2h");
    // Once its epoch has begun, a window is binding: it cannot be cancelled.
    chain.advance(later - genesis - current * length).await;
    let (line, _) = chain.fails(
        PROVIDER,
        &[
            "maintenance",
            "cancel",
            "--data-unit",
            &unit,
            "--index",
            "1",
        ],
    );
    assert!(line.contains("MaintenanceLocked"), "{line}");
}

/// About the time a transaction sent now is mined at: the latest block's or the wall clock, whichever is later.
async fn current_time(chain: &Chain) -> u64 {
    use alloy::providers::Provider;
    let provider = ProviderBuilder::new().connect_http(chain.anvil.endpoint_url());
    let block = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .expect("a latest block");
    // Anvil stamps a new block with the wall clock when that is later than the latest block.
    block.header.timestamp.max(sla_runtime::now_ms() / 1000)
}

fn chain_address(chain: &Chain) -> alloy::primitives::Address {
    let text = std::fs::read_to_string(chain.deployment_file()).unwrap();
    let file: sla_contracts::DeploymentFile = serde_json::from_str(&text).unwrap();
    file.contract
}
