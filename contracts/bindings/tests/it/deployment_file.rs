use sla_contracts::DeploymentFile;

use crate::support::{Chain, EPOCH, WINDOW};

#[tokio::test]
async fn deployment_file_round_trips_and_matches_the_chain() {
    let chain = Chain::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deployment.json");
    chain.deployment.write(&path).unwrap();
    let read = DeploymentFile::read(&path).unwrap();
    assert_eq!(read, chain.deployment);
    assert!(read.court.is_some(), "the default deployment has a court");
    assert!(
        read.policies.is_some(),
        "the default deployment has SlaPolicies"
    );

    let oracle = chain.oracle_as(0);
    assert_eq!(oracle.epochLength().call().await.unwrap(), EPOCH);
    assert_eq!(oracle.submissionWindow().call().await.unwrap(), WINDOW);
    assert_eq!(
        oracle.unbondingDelay().call().await.unwrap(),
        EPOCH + WINDOW
    );
    assert_eq!(
        oracle.genesisTime().call().await.unwrap(),
        read.genesis_time
    );
    assert_eq!(
        read.genesis_time % u64::from(EPOCH),
        0,
        "default genesis is epoch-aligned"
    );
    assert_eq!(read.chain_id, chain.anvil.chain_id());
    let config = oracle.oracleConfig().call().await.unwrap();
    assert_eq!(config.signers, vec![chain.oracle_signers[0].address()]);
    assert_eq!(config.quorum, 1);
}

#[test]
fn reading_a_missing_file_names_it() {
    let err = DeploymentFile::read("/nonexistent/deployment.json").unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/deployment.json"),
        "{err}"
    );
}

#[test]
fn a_file_written_before_the_court_and_policies_reads_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deployment.json");
    // A file of the shape sla-deploy wrote before the court and SlaPolicies existed: no `court`
    // or `policies` key.
    std::fs::write(
        &path,
        r#"{
  "chain_id": 31337,
  "contract": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
  "deploy_block": 1,
  "deploy_tx": "0x0101010101010101010101010101010101010101010101010101010101010101",
  "deployer": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
  "admin": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
  "genesis_time": 1700000000,
  "epoch_length": 3600,
  "submission_window": 7200,
  "unbonding_delay": 10800,
  "allocation_request_ttl": 86400,
  "oracle_signers": ["0xa0ee7a142d267c1f36714e4a8f75612f20a79720"],
  "quorum": 1
}
"#,
    )
    .unwrap();
    let read = DeploymentFile::read(&path).unwrap();
    assert_eq!(read.court, None);
    assert_eq!(read.policies, None);
    // And one without them is written without the keys, as before.
    read.write(&path).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(!written.contains("court"), "{written}");
    assert!(!written.contains("policies"), "{written}");
}
