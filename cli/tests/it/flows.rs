//! Keys on chain and the provider and consumer flows, run through the `sla` binary against a real
//! anvil with `SlaOracle` deployed; `--json` output parsed, errors as one line naming the contract
//! error.

use std::path::Path;
use std::process::Output;

use alloy::node_bindings::AnvilInstance;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use serde_json::Value;
use sla_contracts::{deploy, DeployConfig};

use crate::helpers::{sla, stderr, stdout};

/// The provider's (id 1) first and second allocations: ids are `providerId << 32 | n`.
const DU1_ID: u64 = (1 << 32) | 1;
const DU2_ID: u64 = (1 << 32) | 2;
const DU1: &str = "4294967297";
const DU2: &str = "4294967298";
const ETHER: u128 = 1_000_000_000_000_000_000;

pub(crate) struct Chain {
    pub(crate) anvil: AnvilInstance,
    deployment: tempfile::TempDir,
}

impl Chain {
    pub(crate) async fn start() -> Chain {
        let anvil = sla_contracts::anvil::spawn().expect("anvil (run contracts/scripts/setup.sh)");
        let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
        let deployment = deploy(anvil.endpoint_url(), signer, &DeployConfig::default())
            .await
            .expect("deploy");
        let dir = tempfile::tempdir().unwrap();
        deployment
            .write(dir.path().join("deployment.json"))
            .unwrap();
        Chain {
            anvil,
            deployment: dir,
        }
    }

    pub(crate) fn deployment_file(&self) -> String {
        self.deployment
            .path()
            .join("deployment.json")
            .display()
            .to_string()
    }

    pub(crate) fn key(&self, account: usize) -> String {
        format!("0x{}", hex::encode(self.anvil.keys()[account].to_bytes()))
    }

    pub(crate) fn address(&self, account: usize) -> String {
        self.anvil.addresses()[account].to_checksum(None)
    }

    /// `sla --json --rpc-url … --deployment … args…` as `account` (key from the environment).
    pub(crate) fn run(&self, account: usize, args: &[&str]) -> Output {
        sla()
            .arg("--json")
            .args(["--rpc-url", &self.anvil.endpoint()])
            .args(["--deployment", &self.deployment_file()])
            .env("SLA_PRIVATE_KEY", self.key(account))
            .args(args)
            .output()
            .expect("run sla")
    }

    /// Runs and expects success; returns the JSON output.
    pub(crate) fn ok(&self, account: usize, args: &[&str]) -> Value {
        let out = self.run(account, args);
        assert!(
            out.status.success(),
            "sla {args:?} failed: {}{}",
            stdout(&out),
            stderr(&out)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("sla {args:?}: not JSON ({e}): {}", stdout(&out)))
    }

    /// Runs and expects a failure with one line on stderr; returns that line and the JSON error.
    pub(crate) fn fails(&self, account: usize, args: &[&str]) -> (String, Value) {
        let out = self.run(account, args);
        assert!(!out.status.success(), "sla {args:?} should fail");
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
        let json = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("error JSON ({e}): {}", stdout(&out)));
        (err.trim_end().to_owned(), json)
    }

    pub(crate) async fn advance(&self, seconds: u64) {
        let provider = ProviderBuilder::new().connect_http(self.anvil.endpoint_url());
        let _: Value = provider
            .raw_request("evm_increaseTime".into(), (seconds,))
            .await
            .unwrap();
        let _: Value = provider.raw_request("evm_mine".into(), ()).await.unwrap();
    }
}

pub(crate) const PROVIDER: usize = 1;
pub(crate) const CONSUMER: usize = 2;

#[tokio::test]
async fn provider_and_consumer_flows_run_end_to_end_with_json_output() {
    let chain = Chain::start().await;

    let registered = chain.ok(PROVIDER, &["provider", "register"]);
    assert_eq!(registered["provider_id"], 1);
    assert_eq!(registered["reputation"], 5000);
    assert!(registered["tx"].as_str().unwrap().starts_with("0x"));

    let bonded = chain.ok(PROVIDER, &["provider", "bond", "2ether"]);
    assert_eq!(bonded["bonded_wei"], (2 * ETHER).to_string());

    let profile = chain.ok(
        PROVIDER,
        &[
            "provider",
            "profile",
            "publish",
            "--max-read-latency-us",
            "50000",
            "--min-uptime-bps",
            "9900",
            "--uptime-window",
            "86400",
            "--penalty-per-epoch",
            "0.01ether",
        ],
    );
    assert_eq!(profile["profile_id"], 1);
    assert_eq!(profile["terms"]["max_read_latency_us"], 50000);
    assert_eq!(
        profile["terms"]["penalty_per_epoch"],
        (ETHER / 100).to_string()
    );

    let allocated = chain.ok(CONSUMER, &["consumer", "allocate", "--profile", "1"]);
    assert_eq!(allocated["data_unit_id"], DU1_ID);
    assert_eq!(allocated["profile_id"], 1);
    assert_eq!(allocated["provider"], chain.address(PROVIDER));
    assert_eq!(allocated["terms"]["min_uptime_bps"], 9900);

    let accepted = chain.ok(PROVIDER, &["provider", "allocation", "accept", DU1]);
    assert_eq!(accepted["data_unit_id"], DU1_ID);
    assert!(accepted["active_from_epoch"].is_u64());

    let shown = chain.ok(CONSUMER, &["show", "allocation", DU1]);
    assert_eq!(shown["status"], "Active");
    assert_eq!(shown["consumer"], chain.address(CONSUMER));
    // What a person reads: parties, timing, epochs and terms.
    let human = sla()
        .args(["--rpc-url", &chain.anvil.endpoint()])
        .args(["--deployment", &chain.deployment_file()])
        .args(["show", "allocation", DU1])
        .output()
        .unwrap();
    let human = stdout(&human);
    for needle in [
        "consumer",
        "requested",
        "accepted",
        "active from",
        "max_read_latency_us",
    ] {
        assert!(human.contains(needle), "{needle:?} missing from:\n{human}");
    }
    // Pinned to a block before the allocation was requested, the same read sees the chain then.
    let requested_block = allocated["block"].as_u64().unwrap();
    let before = (requested_block - 1).to_string();
    let earlier = chain.ok(CONSUMER, &["show", "allocation", DU1, "--block", &before]);
    assert_eq!(earlier["status"], "None", "{earlier}");
    let at = requested_block.to_string();
    let then = chain.ok(CONSUMER, &["show", "allocation", DU1, "--block", &at]);
    assert_eq!(then["status"], "Requested", "{then}");

    // Custom terms from a JSON file, then declined.
    let dir = tempfile::tempdir().unwrap();
    let terms_file = dir.path().join("terms.json");
    std::fs::write(
        &terms_file,
        serde_json::json!({
            "max_read_latency_us": 0, "max_write_latency_us": 20000,
            "min_upload_bps": 0, "min_download_bps": 0, "speed_size_bound": 0,
            "min_uptime_bps": 0, "uptime_window": 0, "max_error_rate_bps": 500,
            "reporting_interval": 600, "penalty_per_epoch": "1000",
            "weights": [0, 5000, 0, 0, 0, 5000]
        })
        .to_string(),
    )
    .unwrap();
    let custom = chain.ok(
        CONSUMER,
        &[
            "consumer",
            "allocate",
            "--provider",
            &chain.address(PROVIDER),
            "--terms",
            terms_file.to_str().unwrap(),
            "--reporting-interval",
            "900",
        ],
    );
    assert_eq!(custom["data_unit_id"], DU2_ID);
    assert_eq!(custom["profile_id"], 0);
    assert_eq!(custom["terms"]["max_write_latency_us"], 20000);
    assert_eq!(
        custom["terms"]["reporting_interval"], 900,
        "flags override the file"
    );
    let declined = chain.ok(PROVIDER, &["provider", "allocation", "decline", DU2]);
    assert_eq!(declined["data_unit_id"], DU2_ID);

    let closed = chain.ok(CONSUMER, &["consumer", "allocation", "close", DU1]);
    assert_eq!(closed["data_unit_id"], DU1_ID);
    assert!(closed["closed_epoch"].is_u64());

    // Unbond, wait out the delay on chain, withdraw.
    let unbonding = chain.ok(PROVIDER, &["provider", "unbond", "0.5ether"]);
    assert_eq!(unbonding["unbonding_wei"], (ETHER / 2).to_string());
    assert_eq!(unbonding["bonded_wei"], (3 * ETHER / 2).to_string());
    let (line, json) = chain.fails(PROVIDER, &["provider", "withdraw-unbonded"]);
    assert!(line.contains("UnbondingLocked(releaseAt="), "{line}");
    assert_eq!(json["contract_error"]["name"], "UnbondingLocked");
    chain.advance(4 * 3600).await;
    let withdrawn = chain.ok(PROVIDER, &["provider", "withdraw-unbonded"]);
    assert_eq!(withdrawn["amount_wei"], (ETHER / 2).to_string());

    // No result was ever submitted, so the consumer is owed nothing: nothing to claim, nothing
    // to withdraw.
    assert_eq!((DU1, DU2), (&*DU1_ID.to_string(), &*DU2_ID.to_string()));
    let (line, _) = chain.fails(CONSUMER, &["consumer", "claim", "--data-unit", DU1]);
    assert_eq!(
        line,
        format!("error: data unit {DU1} has no penalty in escrow")
    );
    let (line, json) = chain.fails(CONSUMER, &["consumer", "withdraw"]);
    assert_eq!(
        line,
        format!(
            "error: withdraw reverted: NothingToWithdraw(account={})",
            chain.address(CONSUMER)
        )
    );
    assert_eq!(json["contract_error"]["name"], "NothingToWithdraw");
    let balance = chain.ok(CONSUMER, &["show", "balance"]);
    assert_eq!(balance["withdrawable_wei"], "0");
}

#[tokio::test]
async fn refused_transaction_prints_one_line_naming_the_contract_error() {
    let chain = Chain::start().await;
    chain.ok(PROVIDER, &["provider", "register"]);
    chain.ok(
        CONSUMER,
        &[
            "consumer",
            "allocate",
            "--provider",
            &chain.address(PROVIDER),
        ],
    );
    chain.ok(PROVIDER, &["provider", "allocation", "accept", DU1]);

    // Accepting again: the allocation is no longer Requested.
    let out = sla()
        .args(["--rpc-url", &chain.anvil.endpoint()])
        .args(["--deployment", &chain.deployment_file()])
        .env("SLA_PRIVATE_KEY", chain.key(PROVIDER))
        .args(["provider", "allocation", "accept", DU1])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout without --json");
    assert_eq!(
        stderr(&out),
        "error: acceptAllocation reverted: InvalidAllocationStatus(dataUnitId=4294967297, status=Active)\n"
    );

    // Only the provider may accept: the consumer gets the contract's reason, with its address.
    chain.ok(
        CONSUMER,
        &[
            "consumer",
            "allocate",
            "--provider",
            &chain.address(PROVIDER),
        ],
    );
    let (line, json) = chain.fails(CONSUMER, &["provider", "allocation", "accept", DU2]);
    assert_eq!(
        line,
        format!(
            "error: acceptAllocation reverted: NotAllocationProvider(dataUnitId=4294967298, caller={})",
            chain.address(CONSUMER)
        )
    );
    assert_eq!(json["contract_error"]["args"]["dataUnitId"], DU2);

    // Terms the contract would refuse are refused before sending.
    let (line, _) = chain.fails(
        CONSUMER,
        &[
            "consumer",
            "allocate",
            "--provider",
            &chain.address(PROVIDER),
            "--weights",
            "1,1,1,1,1,1",
        ],
    );
    assert_eq!(
        line,
        "error: invalid terms: weights sum to 6, must sum to 10000"
    );
}

#[tokio::test]
async fn reporter_keys_are_registered_rotated_and_revoked_on_chain() {
    let chain = Chain::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (old, old_pub) = generate(dir.path(), "old.key");
    let (new, new_pub) = generate(dir.path(), "new.key");

    let registered = chain.ok(CONSUMER, &["key", "register", &old]);
    assert_eq!(registered["public_key"], old_pub);
    assert_eq!(registered["account"], chain.address(CONSUMER));
    let valid_from = registered["valid_from"].as_u64().unwrap();

    let info = chain.ok(CONSUMER, &["show", "key", &old_pub]);
    assert_eq!(info["owner"], chain.address(CONSUMER));
    assert_eq!(info["valid_from"], valid_from);
    assert_eq!(info["valid_until"], 0);

    let rotated = chain.ok(CONSUMER, &["key", "rotate", &old, &new]);
    assert_eq!(rotated["old_key"], old_pub);
    assert_eq!(rotated["new_key"], new_pub);
    assert_eq!(rotated["old_valid_until"], rotated["new_valid_from"]);

    // The public key in hex works as well as the file.
    let revoked = chain.ok(CONSUMER, &["key", "revoke", &format!("0x{new_pub}")]);
    assert_eq!(revoked["public_key"], new_pub);

    // A revoked key can never come back.
    let (line, json) = chain.fails(CONSUMER, &["key", "register", &old]);
    assert!(
        line.starts_with("error: registerKey reverted: KeyAlreadyRegistered(key=0x"),
        "{line}"
    );
    assert_eq!(json["contract_error"]["name"], "KeyAlreadyRegistered");

    // Without an account nothing is sent.
    let out = sla()
        .args(["--rpc-url", &chain.anvil.endpoint()])
        .args(["--deployment", &chain.deployment_file()])
        .args(["key", "register", &new])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("SLA_PRIVATE_KEY"), "{}", stderr(&out));
}

fn generate(dir: &Path, name: &str) -> (String, String) {
    let path = dir.join(name);
    let out = crate::helpers::sla_json(&["key", "generate", "--out", path.to_str().unwrap()]);
    (
        path.display().to_string(),
        out["public_key"].as_str().unwrap().to_owned(),
    )
}
