//! The chain mirror of the simulated deployment, written in bulk: every allocation and reporter
//! key as the indexer would leave them, 50,000 rows per `INSERT … SELECT FROM UNNEST` (one
//! statement per chunk, one transaction), not one upsert per row.

use sla_storage::Database;

use super::population::{consumer_address, provider_address, terms, Population};

const CHUNK: u64 = 50_000;

/// Inserts the allocations and keys of `population`; answers how many rows were written.
pub(crate) async fn seed_mirror(db: &Database, population: &Population) -> anyhow::Result<u64> {
    let pool = sla_storage::testing::postgres_pool(db)
        .ok_or_else(|| anyhow::anyhow!("the simulation seeds PostgreSQL only"))?;
    let terms_json = serde_json::to_string(&terms())?;
    let interval_ms = i64::from(terms().reporting_interval) * 1000;
    let mut tx = pool.begin().await?;
    let mut from = 1;
    while from <= population.data_units {
        let to = (from + CHUNK - 1).min(population.data_units);
        let units: Vec<i64> = (from as i64..=to as i64).collect();
        let consumers: Vec<String> = (from..=to)
            .map(|u| format!("{:#x}", consumer_address(population.consumer_of(u))))
            .collect();
        let providers: Vec<String> = (from..=to)
            .map(|u| format!("{:#x}", provider_address(population.provider_of(u))))
            .collect();
        sqlx::query(
            "INSERT INTO allocations (data_unit, consumer, provider, status, \
             reporting_interval_ms, terms_hash, terms_json, active_from_ms, closed_at_ms) \
             SELECT u, c, p, 'active', $4, $5, $6, 0, NULL \
             FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[]) AS t(u, c, p)",
        )
        .bind(&units)
        .bind(&consumers)
        .bind(&providers)
        .bind(interval_ms)
        .bind(vec![0u8; 32])
        .bind(&terms_json)
        .execute(&mut *tx)
        .await?;
        from = to + 1;
    }
    let keys: Vec<(Vec<u8>, String)> = population
        .provider_keys()
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let account = format!("{:#x}", provider_address(i as u64));
            (k.verifying_key().to_bytes().to_vec(), account)
        })
        .chain(population.consumer_keys().iter().enumerate().map(|(i, k)| {
            let account = format!("{:#x}", consumer_address(i as u64));
            (k.verifying_key().to_bytes().to_vec(), account)
        }))
        .collect();
    for chunk in keys.chunks(CHUNK as usize) {
        let (public_keys, accounts): (Vec<Vec<u8>>, Vec<String>) = chunk.iter().cloned().unzip();
        sqlx::query(
            "INSERT INTO reporter_keys (public_key, account, valid_from_ms, valid_until_ms) \
             SELECT k, a, 0, NULL FROM UNNEST($1::BYTEA[], $2::TEXT[]) AS t(k, a)",
        )
        .bind(&public_keys)
        .bind(&accounts)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(population.data_units + keys.len() as u64)
}
