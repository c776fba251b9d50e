//! Epoch summaries. Structured: reports rolled up in any order, or in two halves merged, give the
//! same accumulator bytes and the same summary; the summary's JSON (what the API serves and the
//! auditor reads) parses back to the same summary with the same canonical encoding. Raw: any
//! JSON the summary type parses serializes and parses back to itself, and every derived value
//! is computed without a panic.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use sla_fuzz::accumulator;
use sla_protocol::aggregate::{
    Efficiency, EpochAccumulator, ServiceScore, ServiceType, SlaTerms, WindowGauges, WindowSummary,
};
use sla_protocol::codec::encode;
use sla_protocol::{report_hash, EpochSummary, Role};

fn json_round_trip(summary: &EpochSummary) {
    let json = serde_json::to_vec(summary).expect("serializes");
    let back: EpochSummary = serde_json::from_slice(&json).expect("own JSON parses");
    assert_eq!(&back, summary);
    assert_eq!(back.encode(), summary.encode());
    assert_eq!(serde_json::to_vec(&back).expect("serializes"), json);
}

/// Everything derived from a summary alone.
fn derive(summary: &EpochSummary) {
    let _ = summary.encode();
    let _ = summary.discrepancies();
    let _ = summary.service_operations();
    for role in [Role::Consumer, Role::Provider] {
        let _ = Efficiency::of(summary.view(role));
    }
    let _ = WindowGauges::compute([&summary.consumer, &summary.consumer, &summary.provider]);
    let terms = SlaTerms::reporting_only(60);
    for service in ServiceType::ALL {
        let _ = ServiceScore::of(summary, &terms, service);
    }
}

fn structured(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let (acc, reports, config) = accumulator(u)?;
    let summary = acc.summary();
    json_round_trip(&summary);
    derive(&summary);
    // The persisted state gives the same summary.
    let bytes = acc.encode();
    let restored = EpochAccumulator::decode(&bytes).expect("own encoding decodes");
    assert_eq!(restored.encode(), bytes);
    assert_eq!(restored.summary(), summary);
    // Order independence: reversed, and as two merged halves.
    let ctx = *acc.context();
    let hashed: Vec<_> = reports
        .iter()
        .map(|r| (r, report_hash(&encode(r).expect("valid"))))
        .collect();
    let mut reversed = EpochAccumulator::new(ctx);
    for (r, h) in hashed.iter().rev() {
        reversed.add_report(r, *h).expect("same data unit");
    }
    reversed.compact();
    assert_eq!(reversed.encode(), bytes);
    assert_eq!(reversed.summary(), summary);
    let cut = u.int_in_range(0..=hashed.len())?;
    let (mut a, mut b) = (EpochAccumulator::new(ctx), EpochAccumulator::new(ctx));
    for (i, (r, h)) in hashed.iter().enumerate() {
        let half = if i < cut { &mut a } else { &mut b };
        half.add_report(r, *h).expect("same data unit");
    }
    // The same report twice in one half is counted once; across halves the merge refuses it.
    if a.merge(&b).is_ok() {
        assert_eq!(a.summary(), summary);
        assert_eq!(a.encode(), bytes);
    }
    // A window of this one epoch.
    let window = WindowSummary::compute(&config, ctx.data_unit(), ctx.epoch(), 1, &[summary])
        .expect("a window of the summary's own epoch");
    let _ = serde_json::to_vec(&window).expect("serializes");
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let _ = structured(&mut Unstructured::new(rest));
    } else if let Ok(summary) = serde_json::from_slice::<EpochSummary>(rest) {
        json_round_trip(&summary);
        derive(&summary);
    }
});
