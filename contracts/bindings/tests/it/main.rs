//! Integration tests of the `sla-contracts` bindings against a real anvil (the pinned npm binary).
//! They fail, never skip, when anvil is missing: run `contracts/scripts/setup.sh` or set `ANVIL_BIN`.

mod court;
mod deployment_file;
mod gas;
mod policies;
mod roundtrip;
mod signers;
mod support;
