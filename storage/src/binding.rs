//! Which deployment a database belongs to (`deployment` table): recorded once, checked by every
//! process that opens the database for a deployment afterwards.

use sla_protocol::Deployment;

use crate::error::{Result, StorageError};

/// Records the deployment unless one is recorded already (`?` placeholders: numbered for
/// PostgreSQL with `rollups::numbered`).
pub(crate) const INSERT: &str =
    "INSERT INTO deployment (id, chain_id, contract) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING";
pub(crate) const SELECT: &str = "SELECT chain_id, contract FROM deployment WHERE id = 1";

/// Compares the recorded deployment with the one the process was configured for.
pub(crate) fn check(recorded: (i64, Vec<u8>), wanted: &Deployment) -> Result<()> {
    let (chain_id, contract) = recorded;
    if chain_id as u64 == wanted.chain_id && contract.as_slice() == wanted.contract.as_slice() {
        return Ok(());
    }
    Err(StorageError::OtherDeployment {
        recorded_chain_id: chain_id as u64,
        recorded_contract: hex::encode(&contract),
        chain_id: wanted.chain_id,
        contract: hex::encode(wanted.contract),
    })
}
