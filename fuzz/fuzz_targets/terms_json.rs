//! SLA terms as JSON (the CLI's and the API's form; `penalty_per_epoch` a decimal string or a
//! number): whatever parses serializes and parses back to itself, validates without a panic, and
//! terms that validate keep the contract's invariants. Structured: terms of any values
//! round-trip through JSON with the same verdict.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use sla_protocol::aggregate::{Metric, SlaTerms, MAX_PENALTY};

fn check(terms: &SlaTerms, u: &mut Unstructured<'_>) {
    let json = serde_json::to_vec(terms).expect("serializes");
    let back: SlaTerms = serde_json::from_slice(&json).expect("own JSON parses");
    assert_eq!(&back, terms);
    assert_eq!(serde_json::to_vec(&back).expect("serializes"), json);
    let verdict = terms.validate();
    assert_eq!(back.validate(), verdict);
    if verdict.is_ok() {
        assert_eq!(
            terms.weights.iter().map(|&w| u32::from(w)).sum::<u32>(),
            10_000
        );
        assert!(terms.min_uptime_bps <= 10_000 && terms.max_error_rate_bps <= 10_000);
        assert!((1..=86_400).contains(&terms.reporting_interval));
        assert!(terms.penalty_per_epoch <= MAX_PENALTY);
        assert!(terms.min_uptime_bps == 0 || terms.uptime_window > 0);
    }
    for metric in Metric::ALL {
        let value = u64::arbitrary(u).unwrap_or(0);
        if terms.breaches(metric, value) {
            assert!(terms.enforces(metric));
        }
    }
    let epoch_len = u32::arbitrary(u).unwrap_or(0);
    assert!(terms.window_epochs(epoch_len) >= 1);
}

fn structured(u: &mut Unstructured<'_>) -> arbitrary::Result<SlaTerms> {
    Ok(SlaTerms {
        max_read_latency_us: u32::arbitrary(u)?,
        max_write_latency_us: u32::arbitrary(u)?,
        min_upload_bps: u64::arbitrary(u)?,
        min_download_bps: u64::arbitrary(u)?,
        speed_size_bound: u64::arbitrary(u)?,
        min_uptime_bps: u16::arbitrary(u)?,
        uptime_window: u32::arbitrary(u)?,
        max_error_rate_bps: u16::arbitrary(u)?,
        reporting_interval: u32::arbitrary(u)?,
        penalty_per_epoch: u128::arbitrary(u)?,
        weights: <[u16; 6]>::arbitrary(u)?,
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(terms) = serde_json::from_slice::<SlaTerms>(data) {
        check(&terms, &mut Unstructured::new(data));
    }
    let mut u = Unstructured::new(data);
    if let Ok(terms) = structured(&mut u) {
        check(&terms, &mut u);
    }
});
