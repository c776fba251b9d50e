//! `sla key …`: key files and their registration on chain.

use alloy::primitives::B256;
use anyhow::Context;
use serde_json::json;
use sla_contracts::SlaOracle;

use crate::args::{ChainArgs, KeyCommand, KeyRef};
use crate::chain::Chain;
use crate::keyfile;
use crate::output::Output;

/// The public key a [`KeyRef`] names.
pub(super) fn public_key(key: &KeyRef) -> anyhow::Result<[u8; 32]> {
    match key {
        KeyRef::Public(bytes) => Ok(*bytes),
        KeyRef::File(path) => Ok(keyfile::read(path)?.verifying_key().to_bytes()),
    }
}

pub(super) async fn run(cmd: KeyCommand, chain: &ChainArgs) -> anyhow::Result<Output> {
    match cmd {
        KeyCommand::Generate { out, force } => {
            let key = keyfile::generate();
            keyfile::write(&out, &key, force)?;
            let public = hex::encode(key.verifying_key().to_bytes());
            Ok(Output::new(
                format!("wrote {} (mode 0600)\npublic key {public}", out.display()),
                json!({ "file": out.display().to_string(), "public_key": public }),
            ))
        }
        KeyCommand::Show { file } => {
            let key = keyfile::read(&file)?;
            let public = hex::encode(key.verifying_key().to_bytes());
            Ok(Output::new(
                public.clone(),
                json!({ "file": file.display().to_string(), "public_key": public }),
            ))
        }
        KeyCommand::Register { key } => {
            let key = B256::from(public_key(&key)?);
            let chain = Chain::connect(chain).await?;
            let sent = chain
                .send("registerKey", chain.contract.registerKey(key))
                .await?;
            let event = sent.event::<SlaOracle::KeyRegistered>()?;
            let mut out = sent.json();
            out["public_key"] = json!(hex::encode(key));
            out["account"] = json!(event.account.to_checksum(None));
            out["valid_from"] = json!(event.validFrom);
            Ok(Output::new(
                format!(
                    "registered key {} for {}, valid from {}{}",
                    hex::encode(key),
                    event.account,
                    event.validFrom,
                    sent.human_suffix()
                ),
                out,
            ))
        }
        KeyCommand::Rotate { old, new } => {
            let old = B256::from(public_key(&old).context("old key")?);
            let new = B256::from(public_key(&new).context("new key")?);
            let chain = Chain::connect(chain).await?;
            let sent = chain
                .send("rotateKey", chain.contract.rotateKey(old, new))
                .await?;
            let revoked = sent.event::<SlaOracle::KeyRevoked>()?;
            let registered = sent.event::<SlaOracle::KeyRegistered>()?;
            let mut out = sent.json();
            out["old_key"] = json!(hex::encode(old));
            out["new_key"] = json!(hex::encode(new));
            out["account"] = json!(registered.account.to_checksum(None));
            out["old_valid_until"] = json!(revoked.validUntil);
            out["new_valid_from"] = json!(registered.validFrom);
            Ok(Output::new(
                format!(
                    "rotated key {} -> {} at {}{}",
                    hex::encode(old),
                    hex::encode(new),
                    registered.validFrom,
                    sent.human_suffix()
                ),
                out,
            ))
        }
        KeyCommand::Revoke { key } => {
            let key = B256::from(public_key(&key)?);
            let chain = Chain::connect(chain).await?;
            let sent = chain
                .send("revokeKey", chain.contract.revokeKey(key))
                .await?;
            let event = sent.event::<SlaOracle::KeyRevoked>()?;
            let mut out = sent.json();
            out["public_key"] = json!(hex::encode(key));
            out["account"] = json!(event.account.to_checksum(None));
            out["valid_until"] = json!(event.validUntil);
            Ok(Output::new(
                format!(
                    "revoked key {}, valid until {}{}",
                    hex::encode(key),
                    event.validUntil,
                    sent.human_suffix()
                ),
                out,
            ))
        }
    }
}
