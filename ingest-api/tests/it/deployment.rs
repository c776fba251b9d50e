//! The server refuses to start on a database that holds another deployment's reports and chain
//! mirror, and says which.

use clap::Parser;
use sla_ingest_api::Config;
use sla_protocol::Deployment;

use crate::helpers::{backends, database_url, deployment};

#[tokio::test]
async fn the_server_refuses_a_database_of_another_deployment() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let url = database_url(&backend, &dir).await;
        let other = Deployment {
            contract: [0xcd; 20],
            ..deployment()
        };
        let storage = sla_storage::Database::connect(&url).await.unwrap();
        storage.bind_deployment(&other).await.unwrap();
        storage.close().await;

        let contract = format!("0x{}", hex::encode(deployment().contract));
        let config = Config::parse_from([
            "sla-ingest-api",
            "--database-url",
            &url,
            "--chain-id",
            "31337",
            "--contract",
            &contract,
        ]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let serving = sla_ingest_api::serve(listener, config, std::future::pending());
        let err = tokio::time::timeout(std::time::Duration::from_secs(30), serving)
            .await
            .expect("the server must refuse to start, not serve")
            .expect_err("the server must not start");
        let message = err.to_string();
        assert!(
            message.contains(&"cd".repeat(20)) && message.contains(&"ab".repeat(20)),
            "names both deployments: {message}"
        );
    }
}
