//! `sla court …` through the binary against anvil: the default deployment's court (its one
//! validator is the deployer, the one oracle signer), a flag signed in the test as the oracle
//! would, then the provider's rebuttal and the validator's override, reveal and decision, each
//! refusal one line naming the contract's error.

use alloy::network::EthereumWallet;
use alloy::primitives::keccak256;
use alloy::providers::ProviderBuilder;
use alloy::signers::local::PrivateKeySigner;
use sla_contracts::{court, DeploymentFile, ISlaCourt::FaultFlag, SlaCourt, SlaOracle};

use crate::flows::{Chain, CONSUMER, PROVIDER};

const VALIDATOR: usize = 0;
const DAY: u64 = 86_400;

/// Registers and bonds the provider, gives the consumer an active allocation, closes two more
/// epochs and flags the provider at 30 % faults (above the 20 % threshold: the rule says slash).
async fn flagged(chain: &Chain) -> u64 {
    chain.ok(PROVIDER, &["provider", "register"]);
    chain.ok(PROVIDER, &["provider", "bond", "2ether"]);
    let allocated = chain.ok(
        CONSUMER,
        &[
            "consumer",
            "allocate",
            "--provider",
            &chain.address(PROVIDER),
            "--max-read-latency-us",
            "50000",
            "--penalty-per-epoch",
            "0.01ether",
        ],
    );
    let unit = allocated["data_unit_id"].as_u64().unwrap();
    chain.ok(
        PROVIDER,
        &["provider", "allocation", "accept", &unit.to_string()],
    );
    chain.advance(2 * 3600).await;

    let deployment = DeploymentFile::read(chain.deployment_file()).unwrap();
    let signer: PrivateKeySigner = chain.anvil.keys()[VALIDATOR].clone().into();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(chain.anvil.endpoint_url());
    let oracle = SlaOracle::new(deployment.contract, &provider);
    let current = oracle.currentEpoch().call().await.unwrap();
    let flag = FaultFlag {
        provider: chain.anvil.addresses()[PROVIDER],
        fromEpoch: current - 2,
        toEpoch: current - 1,
        faultRateBps: 3000,
        evidenceRoot: keccak256(b"evidence"),
        dataUnitIds: vec![unit],
        faults: vec![7],
    };
    let version = oracle.oracleConfig().call().await.unwrap().configVersion;
    let court_address = deployment
        .court
        .expect("the default deployment has a court");
    let digest = court::flag_digest(deployment.chain_id, court_address, version, &flag);
    let signatures = court::sign_flag(&[signer], digest).unwrap();
    let receipt = SlaCourt::new(court_address, &provider)
        .flagProvider(flag, signatures)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    1
}

#[tokio::test]
async fn a_case_runs_through_the_cli_with_an_override() {
    let chain = Chain::start().await;
    let case = flagged(&chain).await.to_string();

    let shown = chain.ok(VALIDATOR, &["court", "show", &case]);
    assert_eq!(shown["default_vote"], "slash");
    assert_eq!(shown["verdict"], "undecided");
    assert_eq!(shown["fault_rate_bps"], 3000);
    assert_eq!(shown["your_vote"]["stage"], "not committed");

    // The provider rebuts; anyone else is refused by name.
    let document = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(document.path(), b"our exporter was down, not the service").unwrap();
    let path = document.path().to_str().unwrap();
    let rebutted = chain.ok(PROVIDER, &["court", "rebut", &case, "--document", path]);
    let hash = keccak256(b"our exporter was down, not the service").to_string();
    assert_eq!(rebutted["document_hash"], hash.as_str());
    let (line, _) = chain.fails(CONSUMER, &["court", "rebut", &case, "--document", path]);
    assert!(line.contains("NotCaseProvider"), "{line}");
    assert_eq!(
        chain.ok(VALIDATOR, &["court", "show", &case])["rebuttal"],
        hash.as_str()
    );

    // The validator read the rebuttal and overrides the rule.
    let committed = chain.ok(
        VALIDATOR,
        &["court", "commit", &case, "--vote", "no-action"],
    );
    assert_eq!(committed["vote"], "no-action");
    assert_eq!(committed["default_vote"], "slash");
    // The gas target, on anvil's receipt (21,000 and calldata included).
    let commit_gas = committed["gas_used"].as_u64().unwrap();
    assert!(commit_gas <= 60_000, "commitVote used {commit_gas} gas");
    let (line, _) = chain.fails(VALIDATOR, &["court", "commit", &case]);
    assert!(line.contains("AlreadyCommitted"), "{line}");
    let (line, _) = chain.fails(VALIDATOR, &["court", "reveal", &case]);
    assert!(line.contains("WrongPhase"), "too early: {line}");
    let (line, _) = chain.fails(CONSUMER, &["court", "reveal", &case]);
    assert!(line.contains("has not committed"), "{line}");

    chain.advance(DAY).await;
    let revealed = chain.ok(VALIDATOR, &["court", "reveal", &case]);
    assert_eq!(
        revealed["vote"], "no-action",
        "the salt is derived again from the key"
    );
    let reveal_gas = revealed["gas_used"].as_u64().unwrap();
    assert!(reveal_gas <= 60_000, "revealVote used {reveal_gas} gas");
    eprintln!("commitVote {commit_gas} gas, revealVote {reveal_gas} gas (anvil receipts)");
    let (line, _) = chain.fails(PROVIDER, &["court", "decide", &case]);
    assert!(
        line.contains("WrongPhase"),
        "before the reveal phase ends: {line}"
    );

    chain.advance(DAY).await;
    let decided = chain.ok(PROVIDER, &["court", "decide", &case]);
    assert_eq!(decided["verdict"], "no-action");
    assert_eq!(decided["enforced"], true);
    let (line, _) = chain.fails(CONSUMER, &["court", "decide", &case]);
    assert!(line.contains("CaseAlreadyDecided"), "{line}");

    let shown = chain.ok(VALIDATOR, &["court", "show", &case]);
    assert_eq!(shown["verdict"], "no-action");
    assert_eq!(shown["tally"]["no-action"], 1);
    assert_eq!(shown["your_vote"]["stage"], "revealed");
    let (line, _) = chain.fails(VALIDATOR, &["court", "show", "99"]);
    assert!(line.contains("case 99 does not exist"), "{line}");
}
