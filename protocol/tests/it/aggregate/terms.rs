//! SLA terms: the contract's validation rules and the JSON the database stores.

use sla_protocol::aggregate::{Metric, TermsError, MAX_PENALTY};
use sla_protocol::SlaTerms;

use super::common::*;

#[test]
fn terms_json_uses_snake_case_and_a_decimal_string_for_wei() {
    let mut t = terms();
    t.penalty_per_epoch = MAX_PENALTY;
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(json["max_read_latency_us"], 0);
    assert_eq!(json["uptime_window"], 3_600);
    assert_eq!(json["penalty_per_epoch"], "19342813113834066795298815"); // 2^84 - 1
    assert_eq!(
        json["weights"],
        serde_json::json!([2000, 2000, 1500, 1500, 2000, 1000])
    );
    let back: SlaTerms = serde_json::from_value(json).unwrap();
    assert_eq!(back, t);
}

#[test]
fn terms_json_accepts_a_numeric_penalty_and_refuses_junk() {
    let mut json = serde_json::to_value(terms()).unwrap();
    json["penalty_per_epoch"] = serde_json::json!(12345);
    let t: SlaTerms = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(t.penalty_per_epoch, 12_345);
    for bad in [
        serde_json::json!("-1"),
        serde_json::json!("1e3"),
        serde_json::json!(""),
        serde_json::json!(-5),
    ] {
        json["penalty_per_epoch"] = bad;
        assert!(serde_json::from_value::<SlaTerms>(json.clone()).is_err());
    }
    let mut json = serde_json::to_value(terms()).unwrap();
    json["surprise"] = serde_json::json!(1);
    assert!(serde_json::from_value::<SlaTerms>(json).is_err());
}

#[test]
fn validation_mirrors_the_contract() {
    assert_eq!(terms().validate(), Ok(()));
    let mut t = terms();
    t.weights[0] += 1;
    assert_eq!(t.validate(), Err(TermsError::InvalidWeightSum(10_001)));
    let mut t = terms();
    t.min_uptime_bps = 10_001;
    assert_eq!(t.validate(), Err(TermsError::InvalidMinUptime(10_001)));
    let mut t = terms();
    t.max_error_rate_bps = 10_001;
    assert_eq!(t.validate(), Err(TermsError::InvalidMaxErrorRate(10_001)));
    for bad in [0, 86_401] {
        let mut t = terms();
        t.reporting_interval = bad;
        assert_eq!(t.validate(), Err(TermsError::InvalidReportingInterval(bad)));
    }
    let mut t = terms();
    t.min_uptime_bps = 1;
    t.uptime_window = 0;
    assert_eq!(t.validate(), Err(TermsError::InvalidUptimeWindow));
    let mut t = terms();
    t.min_download_bps = 1;
    t.speed_size_bound = 0;
    assert_eq!(t.validate(), Err(TermsError::InvalidSpeedSizeBound));
    let mut t = terms();
    t.penalty_per_epoch = MAX_PENALTY + 1;
    assert_eq!(
        t.validate(),
        Err(TermsError::InvalidPenalty(MAX_PENALTY + 1))
    );
}

#[test]
fn not_enforced_values_and_strict_comparisons() {
    let t = terms();
    for m in Metric::ALL {
        assert!(!t.enforces(m), "{m:?}");
        assert!(!t.breaches(m, 0) && !t.breaches(m, u64::MAX));
    }
    let mut t = terms();
    t.max_error_rate_bps = 0;
    t.min_uptime_bps = 10_000;
    t.min_upload_bps = 5;
    assert!(t.enforces(Metric::ErrorRate));
    assert!(!t.breaches(Metric::ErrorRate, 0) && t.breaches(Metric::ErrorRate, 1));
    assert!(!t.breaches(Metric::Uptime, 10_000) && t.breaches(Metric::Uptime, 9_999));
    assert!(!t.breaches(Metric::Upload, 5) && t.breaches(Metric::Upload, 4));
    assert_eq!(Metric::Uptime.bit(), 0b1_0000);
}

#[test]
fn window_length_in_epochs_rounds_up() {
    let mut t = terms();
    t.uptime_window = 30 * 86_400;
    assert_eq!(t.window_epochs(3_600), 720);
    t.uptime_window = 3_601;
    assert_eq!(t.window_epochs(3_600), 2);
    t.uptime_window = 0;
    assert_eq!(t.window_epochs(3_600), 1);
}
