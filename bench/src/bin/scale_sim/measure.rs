//! What the simulation reads besides its own clocks: a process's memory from `/proc`, and the
//! database's size, whole and per table (a partitioned table's size is its partitions' sum).

use serde_json::{json, Map, Value};
use sla_storage::Database;

/// A `kB` field of `/proc/<pid>/status` (`pid` may be `self`).
pub(crate) fn proc_status_kb(pid: &str, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no {field} in /proc/{pid}/status"))
}

const TABLES: [&str; 7] = [
    "reports",
    "records",
    "report_chains",
    "epoch_rollups",
    "allocations",
    "reporter_keys",
    "uncounted_reports",
];

/// `pg_database_size` and `pg_total_relation_size` (with indexes and TOAST) of the tables that
/// grow, bytes (the caller knows how many reports and records it fed).
pub(crate) async fn database_size(db: &Database) -> anyhow::Result<Value> {
    let pool = sla_storage::testing::postgres_pool(db)
        .ok_or_else(|| anyhow::anyhow!("the simulation measures PostgreSQL only"))?;
    let (total,): (i64,) = sqlx::query_as("SELECT pg_database_size(current_database())")
        .fetch_one(pool)
        .await?;
    let mut tables = Map::new();
    for table in TABLES {
        let (bytes,): (Option<i64>,) = sqlx::query_as(
            "SELECT CASE WHEN c.relkind = 'p' THEN (SELECT SUM(pg_total_relation_size(relid)) \
             FROM pg_partition_tree(c.oid))::BIGINT ELSE pg_total_relation_size(c.oid) END \
             FROM pg_class c WHERE c.oid = $1::regclass",
        )
        .bind(table)
        .fetch_one(pool)
        .await?;
        tables.insert(table.into(), json!(bytes.unwrap_or(0)));
    }
    Ok(json!({
        "database_bytes": total,
        "table_bytes": tables,
    }))
}
