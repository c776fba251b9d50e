//! The two databases behind one handle. Every statement both dialects accept is written once,
//! with `$n` placeholders (SQLite takes them too), and run on a [`Conn`] of either backend by
//! [`on_conn!`], which expands the same code for each. This module and its two files hold only
//! what really differs: how a database is opened, how a transaction that writes begins, how a
//! batch of reports gets its ids and its rows, and the few expressions an index is built on.

mod ingest_tx;
pub(crate) mod pg_copy;
pub(crate) mod postgres;
pub(crate) mod sqlite;

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, Transaction};

use crate::error::{Result, StorageError};

pub(crate) use ingest_tx::{IngestTx, NewReport};

/// An open database of either kind.
#[derive(Debug)]
pub(crate) enum Backend {
    Sqlite(sqlite::SqliteBackend),
    Postgres(postgres::PostgresBackend),
}

/// A connection of either backend, borrowed for some statements.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Runs `$body` with `$c` bound to the connection of `$conn` (a [`Conn`]): the body is written
/// once and compiled for each backend.
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::backend::Conn::Sqlite($c) => $body,
            $crate::backend::Conn::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_conn;

/// A connection taken from a pool for a few statements outside a transaction.
pub(crate) enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// A transaction of either backend; rolled back when dropped without [`Tx::commit`].
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

impl Backend {
    /// Opens the database named by `url` (`sqlite:path` or `postgres://…`), creating an SQLite
    /// file if missing, and runs the migrations.
    pub(crate) async fn connect(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite(sqlite::SqliteBackend::connect(url).await?))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres(
                postgres::PostgresBackend::connect(url).await?,
            ))
        } else {
            Err(StorageError::UnsupportedUrl(url.to_owned()))
        }
    }

    /// A connection for reads (SQLite: from the read-only pool).
    pub(crate) async fn read(&self) -> Result<Pooled> {
        Ok(match self {
            Backend::Sqlite(b) => Pooled::Sqlite(b.readers.acquire().await?),
            Backend::Postgres(b) => Pooled::Postgres(b.pool.acquire().await?),
        })
    }

    /// A connection for a statement that writes (SQLite: the one writer connection).
    pub(crate) async fn write(&self) -> Result<Pooled> {
        Ok(match self {
            Backend::Sqlite(b) => Pooled::Sqlite(b.writer.acquire().await?),
            Backend::Postgres(b) => Pooled::Postgres(b.pool.acquire().await?),
        })
    }

    /// A transaction that writes. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`,
    /// waiting up to the busy timeout), so that it cannot fail half-way because another process
    /// wrote meanwhile.
    pub(crate) async fn begin_write(&self) -> Result<Tx> {
        Ok(match self {
            Backend::Sqlite(b) => Tx::Sqlite(b.writer.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres(b) => Tx::Postgres(b.pool.begin().await?),
        })
    }

    /// The indexed expression reports are found by: the first 8 bytes of their hash (SQLite
    /// migration 0007, PostgreSQL 0008; each index is on its dialect's spelling).
    pub(crate) fn hash_prefix(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "substr(hash, 1, 8)",
            Backend::Postgres(_) => "substring(hash FROM 1 FOR 8)",
        }
    }

    /// The `FOR UPDATE` that locks a row read in a writing transaction (SQLite's writing
    /// transactions hold the whole database's write lock already).
    pub(crate) fn for_update(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "",
            Backend::Postgres(_) => " FOR UPDATE",
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Backend::Sqlite(b) => b.close().await,
            Backend::Postgres(b) => b.pool.close().await,
        }
    }
}

/// `$first, $first+1, …` for `n` values: a list of placeholders for `IN (…)`.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 5);
    for i in first..first + n {
        if i > first {
            out.push(',');
        }
        out.push('$');
        out.push_str(&i.to_string());
    }
    out
}

/// `($1,$2),($3,$4),…` for `rows` rows of `width` values: rows of placeholders for `VALUES`.
pub(crate) fn row_placeholders(rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for row in 0..rows {
        if row > 0 {
            out.push(',');
        }
        out.push('(');
        out.push_str(&placeholders(1 + row * width, width));
        out.push(')');
    }
    out
}

/// Most rows per statement when values are bound one by one: SQLite allows 32,766 bound
/// parameters per statement, PostgreSQL 65,535.
pub(crate) const MAX_CHUNK_ROWS: usize = 512;

/// Splits `n` rows into power-of-two chunks of at most [`MAX_CHUNK_ROWS`], so that only a
/// handful of distinct statements are ever prepared (and cached) per query.
pub(crate) fn chunk_sizes(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let size = MAX_CHUNK_ROWS.min(1 << n.ilog2());
        n -= size;
        Some(size)
    })
}

/// `rows` in statement-sized chunks (see [`chunk_sizes`]).
pub(crate) fn chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    chunk_sizes(rows.len()).map(move |size| {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        chunk
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_from_the_first() {
        assert_eq!(placeholders(3, 3), "$3,$4,$5");
        assert_eq!(row_placeholders(2, 2), "($1,$2),($3,$4)");
    }

    #[test]
    fn chunks_are_powers_of_two_up_to_the_maximum() {
        assert_eq!(chunk_sizes(7).collect::<Vec<_>>(), vec![4, 2, 1]);
        assert_eq!(
            chunk_sizes(1_100).collect::<Vec<_>>(),
            vec![512, 512, 64, 8, 4]
        );
        let rows: Vec<u32> = (0..7).collect();
        let lens: Vec<usize> = chunks(&rows).map(<[u32]>::len).collect();
        assert_eq!(lens, vec![4, 2, 1]);
    }
}
