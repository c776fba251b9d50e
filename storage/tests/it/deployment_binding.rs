//! A database belongs to one deployment: the first process records it, a process configured for
//! another chain or contract is refused with an error naming both, and the refusal changes
//! nothing. On SQLite always and on PostgreSQL whenever `SLA_TEST_POSTGRES_URL` is set
//! (mandatory with `CI=true`).

use sla_protocol::Deployment;
use sla_storage::testing::DEPLOYMENT;
use sla_storage::StorageError;

#[tokio::test]
async fn a_database_serves_one_deployment_and_refuses_another() {
    let dir = tempfile::tempdir().unwrap();
    for url in sla_storage::testing::database_urls(dir.path(), "bind.sqlite")
        .await
        .unwrap()
    {
        let storage = sla_storage::Database::connect(&url).await.unwrap();
        storage.bind_deployment(&DEPLOYMENT).await.unwrap();
        // Reopened for the same deployment: accepted, as often as needed.
        storage.bind_deployment(&DEPLOYMENT).await.unwrap();
        storage.close().await;

        let reopened = sla_storage::Database::connect(&url).await.unwrap();
        reopened.bind_deployment(&DEPLOYMENT).await.unwrap();
        let other_contract = Deployment {
            contract: [0xcd; 20],
            ..DEPLOYMENT
        };
        let other_chain = Deployment {
            chain_id: 1,
            ..DEPLOYMENT
        };
        for other in [other_contract, other_chain] {
            let err = reopened.bind_deployment(&other).await.unwrap_err();
            assert!(
                matches!(err, StorageError::OtherDeployment { .. }),
                "{url}: {err}"
            );
            let message = err.to_string();
            assert!(
                message.contains(&"ab".repeat(20)) && message.contains("31337"),
                "names what the database holds: {message}"
            );
            assert!(
                message.contains(&format!("chain {}", other.chain_id)),
                "names what was asked: {message}"
            );
        }
        // The refusals recorded nothing: the first deployment still binds.
        reopened.bind_deployment(&DEPLOYMENT).await.unwrap();
        reopened.close().await;
    }
}
