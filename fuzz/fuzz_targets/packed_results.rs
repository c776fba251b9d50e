//! Packed results (the `packedResults` bytes `submitResults` takes): any whole number of 74-byte
//! records unpacks, and packs back to the same bytes; any other length is refused; results pack
//! and unpack to themselves, and their JSON round-trips.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use sla_protocol::aggregate::{pack_results, unpack_results, PACKED_RESULT_LEN};
use sla_protocol::EpochResult;

fn result(u: &mut Unstructured<'_>) -> arbitrary::Result<EpochResult> {
    Ok(EpochResult {
        data_unit_id: u64::arbitrary(u)?,
        read_latency_us: u32::arbitrary(u)?,
        write_latency_us: u32::arbitrary(u)?,
        upload_bps: u64::arbitrary(u)?,
        download_bps: u64::arbitrary(u)?,
        uptime_bps: u16::arbitrary(u)?,
        error_rate_bps: u16::arbitrary(u)?,
        operations: u32::arbitrary(u)?,
        violations: u8::arbitrary(u)?,
        flags: u8::arbitrary(u)?,
        reports_root: <[u8; 32]>::arbitrary(u)?,
    })
}

fuzz_target!(|data: &[u8]| {
    // Raw bytes.
    match unpack_results(data) {
        Ok(results) => {
            assert_eq!(data.len() % PACKED_RESULT_LEN, 0);
            assert_eq!(results.len(), data.len() / PACKED_RESULT_LEN);
            assert_eq!(
                pack_results(&results),
                data,
                "unpack accepted a non-canonical batch"
            );
            for (r, record) in results.iter().zip(data.chunks_exact(PACKED_RESULT_LEN)) {
                assert_eq!(r.pack().as_slice(), record);
            }
        }
        Err(_) => assert_ne!(data.len() % PACKED_RESULT_LEN, 0),
    }
    // The same bytes read as results.
    let _ = structured(&mut Unstructured::new(data));
});

fn structured(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let count = u.int_in_range(0..=8usize)?;
    let results = (0..count)
        .map(|_| result(u))
        .collect::<arbitrary::Result<Vec<_>>>()?;
    let packed = pack_results(&results);
    assert_eq!(packed.len(), results.len() * PACKED_RESULT_LEN);
    assert_eq!(unpack_results(&packed).expect("whole records"), results);
    for r in &results {
        assert_eq!(&EpochResult::unpack(&r.pack()), r);
        let json = serde_json::to_vec(r).expect("serializes");
        let back: EpochResult = serde_json::from_slice(&json).expect("own JSON parses");
        assert_eq!(&back, r);
    }
    Ok(())
}
