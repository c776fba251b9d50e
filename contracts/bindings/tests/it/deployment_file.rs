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
    assert_eq!(config.signers, vec![chain.oracle_signer.address()]);
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
