//! Finding and starting the pinned anvil binary (from the npm package in `contracts/node_modules`).

use std::path::PathBuf;

use alloy::node_bindings::{Anvil, AnvilInstance};

use crate::{Error, Result};

/// Environment variable that overrides where anvil is looked for.
pub const ANVIL_BIN_ENV: &str = "ANVIL_BIN";

/// Where `contracts/scripts/setup.sh` installs anvil, relative to this crate.
const NPM_ANVIL: &str = "../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";

/// The anvil binary: `$ANVIL_BIN` if set, else the npm-installed one in `contracts/node_modules`.
/// Errors (never silently falls back to a `PATH` lookup) when the file does not exist.
pub fn anvil_path() -> Result<PathBuf> {
    let path = match std::env::var_os(ANVIL_BIN_ENV) {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(NPM_ANVIL),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::AnvilNotFound(path))
    }
}

/// Starts anvil on a free port with its default funded accounts.
pub fn spawn() -> Result<AnvilInstance> {
    Anvil::at(anvil_path()?)
        .try_spawn()
        .map_err(|e| Error::AnvilSpawn(e.to_string()))
}
