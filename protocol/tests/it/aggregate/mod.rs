//! Tests of the deterministic aggregation, SLA evaluation and Merkle rules
//! (`docs/aggregation.md`). Item numbers refer to ../shared/TEST-CATALOGUE.md: 14 (byte-identical
//! summaries: `order`), 15 (anti-griefing: `griefing`), 16 (extreme inputs: `extremes`).

pub(crate) mod common;
mod extremes;
mod gauges;
mod griefing;
mod merkle;
mod order;
mod reference;
mod reputation;
mod terms;
mod timeline;
mod window;
