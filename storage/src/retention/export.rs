//! The export of signed reports past the audit horizon to a JSON-lines file, and only then their
//! removal (`sla-oracle export-reports`, docs/storage.md).
//!
//! Per batch: the reports are verified against the database's deployment, appended to the file,
//! the file is synced (`fsync`), and only then are the reports and their records deleted, in one
//! transaction. A run that stops anywhere loses nothing: re-run with the same file, the reports
//! already in it (by hash) are not written again but are deleted; a last line cut short by a
//! crash is cut off first.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sla_protocol::aggregate::EpochConfig;
use sla_protocol::{Deployment, SignedReport};

use super::RetentionStore;
use crate::error::{Result, StorageError};
use crate::reports::StoredReport;

/// One line of an export file: a signed report exactly as received, with what the database knew
/// of it. `payload` and `signature` (hex) are the signed bytes; the rest is derived from them or
/// the time the server stored the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedReport {
    /// Arrival id in the database it was exported from.
    pub id: i64,
    /// SHA-256 of the payload, hex.
    pub hash: String,
    /// The data unit.
    pub data_unit: u64,
    /// The reporter's ed25519 key, hex.
    pub reporter_key: String,
    /// 1 consumer, 2 provider.
    pub role: u8,
    /// Place in its report chain.
    pub sequence: u64,
    /// Start of the period covered, Unix ms.
    pub period_start_ms: u64,
    /// End of the period covered, Unix ms (exclusive).
    pub period_end_ms: u64,
    /// When the server stored it, Unix ms.
    pub received_at_ms: u64,
    /// The signed bytes, hex.
    pub payload: String,
    /// The ed25519 signature, hex.
    pub signature: String,
}

impl ExportedReport {
    fn of(r: &StoredReport) -> Self {
        ExportedReport {
            id: r.id,
            hash: hex::encode(r.hash.0),
            data_unit: r.data_unit,
            reporter_key: hex::encode(r.reporter_key),
            role: r.role.tag(),
            sequence: r.sequence,
            period_start_ms: r.period_start_ms,
            period_end_ms: r.period_end_ms,
            received_at_ms: r.received_at_ms,
            payload: hex::encode(&r.payload),
            signature: hex::encode(&r.signature),
        }
    }

    /// The signed report of this line (undecodable hex gives empty bytes, which do not verify).
    pub fn signed(&self) -> SignedReport {
        SignedReport {
            payload: hex::decode(&self.payload).unwrap_or_default(),
            signature: hex::decode(&self.signature).unwrap_or_default(),
        }
    }
}

/// What [`RetentionStore::export_reports`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Reports appended to the file by this run.
    pub written: u64,
    /// Reports found in the file already (an interrupted run wrote them), not written again.
    pub already_in_file: u64,
    /// Reports removed from the database with their records: deleted (SQLite, and PostgreSQL's
    /// default and pre-upgrade partitions), or marked exported and left to their partition's
    /// drop (PostgreSQL).
    pub deleted: u64,
}

impl RetentionStore {
    /// Exports to `out` (JSON lines, appended; created if missing) every report that
    /// [`RetentionStore::exportable_reports`] allows before `before_ms`, `batch` at a time, and
    /// deletes each batch once the file holding it is synced. Every report is verified against
    /// the database's deployment first; one that does not verify stops the export before its
    /// batch is written or deleted.
    pub async fn export_reports(
        &self,
        epochs: &EpochConfig,
        before_ms: u64,
        out: &Path,
        batch: u32,
    ) -> Result<ExportSummary> {
        let deployment = self.db.deployment().await?;
        let io = |source| StorageError::ExportFile {
            path: out.display().to_string(),
            source,
        };
        let (mut file, mut seen) = open_export(out).map_err(io)?;
        let mut summary = ExportSummary::default();
        let mut after = 0;
        loop {
            let reports = self
                .exportable_reports(epochs, before_ms, after, batch.max(1))
                .await?;
            let Some(last) = reports.last() else { break };
            after = last.id;
            let mut lines = Vec::new();
            for r in &reports {
                if let Some(deployment) = &deployment {
                    verify(r, deployment)?;
                }
                if seen.insert(r.hash.0) {
                    serde_json::to_writer(&mut lines, &ExportedReport::of(r))
                        .map_err(|e| io(e.into()))?;
                    lines.push(b'\n');
                    summary.written += 1;
                } else {
                    summary.already_in_file += 1;
                }
            }
            file.write_all(&lines).map_err(io)?;
            file.sync_data().map_err(io)?;
            let ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
            summary.deleted += self.delete_reports(&ids, now_ms()).await?;
        }
        Ok(summary)
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn verify(r: &StoredReport, deployment: &Deployment) -> Result<()> {
    let signed = SignedReport {
        payload: r.payload.clone(),
        signature: r.signature.clone(),
    };
    match signed.verify(deployment) {
        Ok(v) if v.hash == r.hash => Ok(()),
        Ok(_) => Err(StorageError::Unverifiable {
            id: r.id,
            reason: "its payload's hash is not the stored hash".into(),
        }),
        Err(e) => Err(StorageError::Unverifiable {
            id: r.id,
            reason: e.to_string(),
        }),
    }
}

/// Opens (or creates, syncing its directory) the export file for appending, after cutting off a
/// last line left incomplete, and reads the hashes of the reports it holds.
fn open_export(path: &Path) -> std::io::Result<(std::fs::File, HashSet<[u8; 32]>)> {
    let existed = path.exists();
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    if !existed {
        file.sync_all()?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete < bytes.len() {
        file.set_len(complete as u64)?;
        file.sync_all()?;
    }
    let mut seen = HashSet::new();
    for (n, line) in bytes[..complete].split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let hash = serde_json::from_slice::<ExportedReport>(line)
            .ok()
            .and_then(|l| hex::decode(l.hash).ok())
            .and_then(|h| <[u8; 32]>::try_from(h).ok())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("line {} is not an exported report", n + 1),
                )
            })?;
        seen.insert(hash);
    }
    file.seek(SeekFrom::End(0))?;
    Ok((file, seen))
}
