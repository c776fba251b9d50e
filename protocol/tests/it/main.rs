//! Integration tests of the protocol crate: the published test vectors (`vectors`), property
//! tests of the codec and of signature verification (`props`), the vectors of what follows a
//! report: Merkle trees and aggregation (`derived_vectors`), the ed25519 strictness the format
//! relies on (`strictness`), the aggregation, evaluation and Merkle rules (`aggregate`),
//! encode ∘ decode identities of every canonical encoding (`roundtrip`), and regressions of what
//! fuzzing found (`fuzz_found`). Item numbers refer to ../shared/TEST-CATALOGUE.md.

mod aggregate;
mod common;
mod derived_vectors;
mod fuzz_found;
mod maintenance;
mod policy;
mod props;
mod roundtrip;
mod rules;
mod strictness;
mod vectors;

/// The vector generator, compiled here too so that a test can check the committed vector file
/// is exactly what it generates.
#[allow(dead_code)]
#[path = "../../examples/gen_gauge_vectors.rs"]
mod gen_gauge_vectors;
#[allow(dead_code)]
#[path = "../../examples/gen_maintenance_vectors.rs"]
mod gen_maintenance_vectors;
#[allow(dead_code)]
#[path = "../../examples/gen_policy_vectors.rs"]
mod gen_policy_vectors;
#[allow(dead_code)]
#[path = "../../examples/gen_rules_vectors.rs"]
mod gen_rules_vectors;
#[allow(dead_code)]
#[path = "../../examples/gen_vectors.rs"]
mod gen_vectors;
