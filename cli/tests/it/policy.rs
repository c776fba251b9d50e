//! `sla policy …` through the binary against anvil: the consumer proposes a tiered policy from a
//! JSON file, the provider agrees to its hash, `show` reads it back from the chain; a policy that
//! breaks a rule is refused in one line before any transaction, and the contract's refusals name
//! their errors.

use serde_json::json;

use crate::flows::{Chain, CONSUMER, PROVIDER};

fn write(value: &serde_json::Value) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), value.to_string()).unwrap();
    file
}

fn tier(bound: u64, share_pct: u8) -> serde_json::Value {
    json!({"bound": bound, "share_pct": share_pct})
}

fn policy(first_share: u8, second_share: u8) -> serde_json::Value {
    let none = tier(0, 0);
    let flat = json!([none, none, none]);
    json!({
        "tiers": [
            [tier(60_000, first_share), tier(100_000, second_share), none],
            flat, flat, flat, flat, flat,
        ],
        "grace_epochs": 1,
        "grace_window_epochs": 24,
    })
}

#[tokio::test]
async fn a_policy_is_proposed_agreed_and_shown() {
    let chain = Chain::start().await;
    chain.ok(PROVIDER, &["provider", "register"]);
    let allocated = chain.ok(
        CONSUMER,
        &[
            "consumer",
            "allocate",
            "--provider",
            &chain.address(PROVIDER),
            "--max-read-latency-us",
            "50000",
            "--penalty-per-epoch",
            "0.01ether",
        ],
    );
    let unit = allocated["data_unit_id"].as_u64().unwrap().to_string();

    // A policy whose second tier costs less than its first: refused here, by rule and tier.
    let bad = write(&policy(50, 10));
    let (line, _) = chain.fails(
        CONSUMER,
        &[
            "policy",
            "propose",
            "--data-unit",
            &unit,
            "--policy",
            bad.path().to_str().unwrap(),
        ],
    );
    assert!(line.contains("tier 1 of read_latency"), "{line}");
    let shown = chain.ok(CONSUMER, &["policy", "show", "--data-unit", &unit]);
    assert_eq!(shown["proposal"], serde_json::Value::Null, "nothing sent");

    let good = write(&policy(10, 50));
    let path = good.path().to_str().unwrap();
    // A stranger to the allocation is refused by the contract, by name.
    let (line, _) = chain.fails(
        0,
        &["policy", "propose", "--data-unit", &unit, "--policy", path],
    );
    assert!(line.contains("NotAllocationParty"), "{line}");
    let proposed = chain.ok(
        CONSUMER,
        &["policy", "propose", "--data-unit", &unit, "--policy", path],
    );
    let hash = proposed["policy_hash"].as_str().unwrap().to_owned();
    let shown = chain.ok(PROVIDER, &["policy", "show", "--data-unit", &unit]);
    assert_eq!(shown["proposal"]["policy_hash"], hash.as_str());
    assert_eq!(shown["agreed"], serde_json::Value::Null);

    // The proposer cannot agree to its own proposal; the provider can.
    let (line, _) = chain.fails(
        CONSUMER,
        &["policy", "agree", "--data-unit", &unit, "--hash", &hash],
    );
    assert!(line.contains("OwnProposal"), "{line}");
    let agreed = chain.ok(
        PROVIDER,
        &["policy", "agree", "--data-unit", &unit, "--hash", &hash],
    );
    let from_epoch = agreed["from_epoch"].as_u64().unwrap();
    assert!(from_epoch >= 1, "the epoch after the agreement's");

    let shown = chain.ok(CONSUMER, &["policy", "show", "--data-unit", &unit]);
    assert_eq!(shown["agreed"]["policy_hash"], hash.as_str());
    assert_eq!(shown["agreed"]["from_epoch"], from_epoch);
    // Read back from the event; the file said nothing of maintenance, which means none.
    let mut expected = policy(10, 50);
    expected["maintenance_notice_s"] = 0.into();
    expected["maintenance_allowance_s"] = 0.into();
    assert_eq!(
        shown["agreed"]["policy"], expected,
        "read back from the event"
    );
    assert_eq!(shown["proposal"], serde_json::Value::Null, "cleared");
    let (line, _) = chain.fails(
        PROVIDER,
        &["policy", "propose", "--data-unit", &unit, "--policy", path],
    );
    assert!(line.contains("PolicyAlreadyAgreed"), "{line}");
}

#[tokio::test]
async fn a_profiles_policy_is_offered_and_adopted_by_its_consumer() {
    let chain = Chain::start().await;
    chain.ok(PROVIDER, &["provider", "register"]);
    let profile = chain.ok(
        PROVIDER,
        &[
            "provider",
            "profile",
            "publish",
            "--max-read-latency-us",
            "50000",
            "--penalty-per-epoch",
            "0.01ether",
        ],
    );
    let profile_id = profile["profile_id"].as_u64().unwrap().to_string();
    let offered_policy = policy(10, 50);
    let file = write(&offered_policy);
    let path = file.path().to_str().unwrap();
    // Only the profile's provider offers on it.
    let (line, _) = chain.fails(
        CONSUMER,
        &[
            "policy",
            "offer",
            "--profile",
            &profile_id,
            "--policy",
            path,
        ],
    );
    assert!(line.contains("NotProfileProvider"), "{line}");
    let offered = chain.ok(
        PROVIDER,
        &[
            "policy",
            "offer",
            "--profile",
            &profile_id,
            "--policy",
            path,
        ],
    );
    let hash = offered["policy_hash"].as_str().unwrap().to_owned();

    let allocated = chain.ok(
        CONSUMER,
        &["consumer", "allocate", "--profile", &profile_id],
    );
    let unit = allocated["data_unit_id"].as_u64().unwrap().to_string();
    let shown = chain.ok(CONSUMER, &["policy", "show", "--data-unit", &unit]);
    assert_eq!(
        shown["profile_offer"]["policy_hash"],
        hash.as_str(),
        "{shown}"
    );
    assert_eq!(shown["agreed"], serde_json::Value::Null);

    // The provider cannot adopt for the consumer; a hash that is not the offer's is refused.
    let (line, _) = chain.fails(
        PROVIDER,
        &["policy", "adopt", "--data-unit", &unit, "--hash", &hash],
    );
    assert!(line.contains("NotConsumer"), "{line}");
    let other = format!("0x{}", "11".repeat(32));
    let (line, _) = chain.fails(
        CONSUMER,
        &["policy", "adopt", "--data-unit", &unit, "--hash", &other],
    );
    assert!(line.contains("NoSuchProfilePolicy"), "{line}");

    let adopted = chain.ok(
        CONSUMER,
        &["policy", "adopt", "--data-unit", &unit, "--hash", &hash],
    );
    assert!(adopted["from_epoch"].as_u64().unwrap() >= 1);
    let shown = chain.ok(PROVIDER, &["policy", "show", "--data-unit", &unit]);
    assert_eq!(shown["agreed"]["policy_hash"], hash.as_str());
    let mut expected = offered_policy;
    expected["maintenance_notice_s"] = 0.into();
    expected["maintenance_allowance_s"] = 0.into();
    assert_eq!(
        shown["agreed"]["policy"], expected,
        "read back from the profile's offer"
    );
    let (line, _) = chain.fails(
        CONSUMER,
        &["policy", "adopt", "--data-unit", &unit, "--hash", &hash],
    );
    assert!(line.contains("PolicyAlreadyAgreed"), "{line}");
}
