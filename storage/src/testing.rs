//! Helpers for test suites that run against both backends.

use sqlx::Connection;

use crate::error::Result;

/// Creates a new, uniquely named database on the PostgreSQL server of `admin_url` and returns
/// its URL, so that every test starts from an empty schema.
pub async fn create_postgres_database(admin_url: &str) -> Result<String> {
    let name = format!("sla_test_{:016x}", random_suffix());
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let (base, _) = admin_url.rsplit_once('/').unwrap_or((admin_url, ""));
    Ok(format!("{base}/{name}"))
}

fn random_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    RandomState::new().hash_one(nanos)
}
