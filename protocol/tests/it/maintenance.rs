//! Maintenance windows in aggregation: the committed vectors, and that excluding windows is
//! exactly counting the records outside them.

use std::path::PathBuf;

use proptest::prelude::*;
use sla_protocol::aggregate::{EpochAccumulator, Exclusions, MaintenanceWindow};
use sla_protocol::{Operation, QosRecord, Role};

use crate::aggregate::common::{config, ctx, epoch_start_ms, hash_of, report, GENESIS_S};
use crate::gen_maintenance_vectors::maintenance_vectors_json;

/// The committed vectors are exactly what their generator writes (regenerate with `cargo run -p
/// sla-protocol --example gen_maintenance_vectors > protocol/test-vectors/maintenance-v1.json`);
/// the generator checks each case's hand-stated slot counts and violations.
#[test]
fn maintenance_vectors_file_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors/maintenance-v1.json");
    let committed = std::fs::read_to_string(path).expect("maintenance vector file");
    assert!(
        committed == maintenance_vectors_json(),
        "protocol/test-vectors/maintenance-v1.json is stale: regenerate it with \
         `cargo run -p sla-protocol --example gen_maintenance_vectors > protocol/test-vectors/maintenance-v1.json`"
    );
}

#[test]
fn windows_of_other_epochs_exclude_nothing() {
    let (start, end) = config().bounds_ms(3).unwrap();
    let before = MaintenanceWindow {
        start_s: GENESIS_S,
        end_s: start / 1000,
    };
    let after = MaintenanceWindow {
        start_s: end / 1000,
        end_s: end / 1000 + 60,
    };
    let excluded = Exclusions::for_epoch(&ctx(3), &[before, after]);
    assert!(excluded.is_empty());
    let inside = MaintenanceWindow {
        start_s: start / 1000 - 1,
        end_s: start / 1000 + 1,
    };
    let excluded = Exclusions::for_epoch(&ctx(3), &[before, inside]);
    assert!(excluded.excludes(start));
    assert!(excluded.excludes(start + 999));
    assert!(!excluded.excludes(start + 1_000));
}

proptest! {
    /// Adding a report except the windows gives the accumulator of the same report with the
    /// records inside them removed beforehand (same report hash, same coverage).
    #[test]
    fn excluding_is_filtering_records(
        records in prop::collection::vec((0u64..3_600_000, any::<bool>(), 0u32..1_000_000), 0..80),
        windows in prop::collection::vec((0u64..4_000, 1u64..1_200), 0..4),
    ) {
        let epoch = 2;
        let start = epoch_start_ms(epoch);
        let records: Vec<QosRecord> = records
            .into_iter()
            .map(|(offset, ok, latency)| if ok {
                QosRecord::success(start + offset, Operation::Read, latency, 10)
            } else {
                QosRecord::failure(start + offset, Operation::Write, latency, 500, "x")
            })
            .collect();
        let windows: Vec<MaintenanceWindow> = windows
            .into_iter()
            .map(|(from, len)| MaintenanceWindow {
                start_s: start / 1000 + from - 200,
                end_s: start / 1000 + from - 200 + len,
            })
            .collect();
        let excluded = Exclusions::for_epoch(&ctx(epoch), &windows);
        let mut with = EpochAccumulator::new(ctx(epoch));
        with.add_report_except(&report(Role::Consumer, epoch, records.clone()), hash_of(1), &excluded)
            .unwrap();
        let kept: Vec<QosRecord> = records
            .into_iter()
            .filter(|r| !windows.iter().any(|w| w.contains_ms(r.timestamp_ms)))
            .collect();
        let mut filtered = EpochAccumulator::new(ctx(epoch));
        filtered.add_report(&report(Role::Consumer, epoch, kept), hash_of(1)).unwrap();
        prop_assert_eq!(with.summary().encode(), filtered.summary().encode());
    }
}
