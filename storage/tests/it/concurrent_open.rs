//! The ingest API and the oracle open one new SQLite file at the same moment (the dev stack and
//! the end-to-end tests start them together): both must come up, whoever creates and migrates
//! the file.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_opening_a_new_sqlite_file_together_all_come_up() {
    for attempt in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("shared.sqlite").display());
        let opens: Vec<_> = (0..3)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { sla_storage::Database::connect(&url).await })
            })
            .collect();
        for open in opens {
            let storage = open
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("attempt {attempt}: {e}"));
            storage.close().await;
        }
    }
}
