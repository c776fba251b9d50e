//! Fault injection on the real stack (catalogue items 17–21): anvil with the deployed contract,
//! the ingest API over HTTP on SQLite, sample reporters for a compliant and a failing provider,
//! and the oracle as a separate process (`sla-devstack-oracle`) that the tests crash, kill and
//! restart. Each test ends with the same checks (`support::Harness::assert_end_state`): every
//! (data unit, epoch) applied exactly once with the aggregator's values, reputation and
//! penalties equal to one application, and the oracle account's nonces accounted for.
//!
//! Needs anvil (`contracts/scripts/setup.sh`); epochs are 6 s, blocks 1 s.

mod crash;
mod dead_component;
mod fees;
mod lag;
mod nonce;
mod refusal;
mod reorg;
mod reporter;
mod support;
