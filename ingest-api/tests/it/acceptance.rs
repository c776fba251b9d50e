//! Catalogue items 2 and 5–11: every acceptance rule, each checking that nothing was stored.

use ed25519_dalek::Signer;
use sla_protocol::parties::AllocationStatus;
use sla_protocol::{codec, report_hash, ReportHash, Role, SignedReport};
use sla_storage::testing::{seed_allocation, seed_key};

use crate::helpers::*;

/// Signs arbitrary payload bytes (to build reports the normal encoder refuses to make).
fn sign_raw(reporter: &Reporter, payload: Vec<u8>) -> SignedReport {
    let signature = reporter
        .key
        .sign(&report_hash(&payload).0)
        .to_bytes()
        .to_vec();
    SignedReport { payload, signature }
}

#[tokio::test]
async fn valid_report_is_acknowledged_after_commit_and_stored_once() {
    for_each_backend(|app, _| async move {
        let signed = &consumer().chain(1, past_hour(3))[0];
        let (status, ack) = app.post(signed).await;
        assert_eq!(status, 201, "{ack}");
        assert_eq!(ack["report_hash"], signed.hash().to_hex());
        assert_eq!(ack["sequence"], 1);
        assert_eq!(app.counts().await, (1, 2, 0));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn exact_resend_gets_the_same_acknowledgement_and_one_row() {
    for_each_backend(|app, _| async move {
        let signed = &consumer().chain(1, past_hour(3))[0];
        let (first_status, first) = app.post(signed).await;
        let (second_status, second) = app.post(signed).await;
        assert_eq!((first_status, second_status), (201, 200));
        assert_eq!(first, second);
        assert_eq!(app.counts().await, (1, 2, 0));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn any_flipped_byte_in_payload_or_signature_is_rejected_and_not_stored() {
    for_each_backend(|app, _| async move {
        let signed = &consumer().chain(1, past_hour(3))[0];
        let total = signed.payload.len() + signed.signature.len();
        for position in 0..total {
            let mut tampered = signed.clone();
            if position < signed.payload.len() {
                tampered.payload[position] ^= 0x01;
            } else {
                tampered.signature[position - signed.payload.len()] ^= 0x01;
            }
            let (status, body) = app.post(&tampered).await;
            assert!(
                (400..500).contains(&status),
                "flipping byte {position} was accepted: {body}"
            );
        }
        assert_eq!(app.counts().await, (0, 0, 0));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn small_order_reporter_key_is_rejected() {
    for_each_backend(|app, _| async move {
        // The identity point (y = 1) has order 1: any "signature" by it is meaningless.
        let mut weak = [0u8; 32];
        weak[0] = 1;
        let mut report = consumer().report(1, ReportHash::ZERO, past_hour(3));
        report.reporter_key = weak;
        let payload = codec::encode(&report).unwrap();
        let mut signature = vec![0u8; 64];
        signature[0] = 1; // R = identity, S = 0: verifies under a non-strict check
        let (status, body) = app.post(&SignedReport { payload, signature }).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(problem_rule(&body), "weak-key");
        assert_eq!(body["field"], "payload.reporter_key");
        assert_eq!(app.counts().await, (0, 0, 0));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn non_canonical_signature_scalar_is_rejected() {
    for_each_backend(|app, _| async move {
        let signed = &consumer().chain(1, past_hour(3))[0];
        // S + L is the same point multiplier but a non-canonical encoding (S >= L).
        let mut malleated = signed.clone();
        add_group_order(&mut malleated.signature[32..]);
        let (status, body) = app.post(&malleated).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(problem_rule(&body), "bad-signature");
        assert_eq!(app.counts().await, (0, 0, 0));
        app.stop().await;
    })
    .await;
}

/// Adds the ed25519 group order L to a little-endian scalar in place.
fn add_group_order(s: &mut [u8]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = s[i] as u16 + L[i] as u16 + carry;
        s[i] = sum as u8;
        carry = sum >> 8;
    }
}

#[tokio::test]
async fn report_bound_to_another_chain_contract_role_or_version_is_rejected() {
    for_each_backend(|app, _| async move {
        let c = consumer();
        let start = past_hour(3);

        let mut other_chain = c.report(1, ReportHash::ZERO, start);
        other_chain.deployment.chain_id = 1;
        let (status, body) = app.post(&c.sign(&other_chain)).await;
        assert_eq!((status, problem_rule(&body)), (400, "wrong-chain"));

        let mut other_contract = c.report(1, ReportHash::ZERO, start);
        other_contract.deployment.contract = [0xcd; 20];
        let (status, body) = app.post(&c.sign(&other_contract)).await;
        assert_eq!((status, problem_rule(&body)), (400, "wrong-contract"));

        // The consumer's key signing as the provider.
        let mut other_role = c.report(1, ReportHash::ZERO, start);
        other_role.role = Role::Provider;
        let (status, body) = app.post(&c.sign(&other_role)).await;
        assert_eq!((status, problem_rule(&body)), (403, "key-not-of-party"));

        let mut payload = codec::encode(&c.report(1, ReportHash::ZERO, start)).unwrap();
        payload[codec::DOMAIN_TAG.len()] = 2;
        let (status, body) = app.post(&sign_raw(&c, payload)).await;
        assert_eq!((status, problem_rule(&body)), (400, "unknown-version"));
        assert_eq!(body["field"], "payload.version");

        assert_eq!(app.counts().await, (0, 0, 0));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn trailing_bytes_and_unknown_fields_are_rejected() {
    for_each_backend(|app, _| async move {
        let c = consumer();
        let mut payload = codec::encode(&c.report(1, ReportHash::ZERO, past_hour(3))).unwrap();
        payload.push(0);
        let (status, body) = app.post(&sign_raw(&c, payload)).await;
        assert_eq!((status, problem_rule(&body)), (400, "trailing-bytes"));

        let signed = &c.chain(1, past_hour(3))[0];
        let json = serde_json::json!({
            "payload": hex::encode(&signed.payload),
            "signature": hex::encode(&signed.signature),
            "extra": 1,
        });
        let (status, ct, body) = app
            .post_raw("application/json", serde_json::to_vec(&json).unwrap())
            .await;
        assert_eq!((status, problem_rule(&body)), (400, "malformed"));
        assert_eq!(ct, "application/problem+json");
        assert!(body["detail"].as_str().unwrap().contains("extra"), "{body}");

        let (status, _, body) = app.post_raw("text/plain", b"hello".to_vec()).await;
        assert_eq!(
            (status, problem_rule(&body)),
            (415, "unsupported-media-type")
        );

        assert_eq!(app.counts().await, (0, 0, 0));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn binary_wire_form_is_accepted() {
    for_each_backend(|app, _| async move {
        let signed = &provider().chain(1, past_hour(3))[0];
        let (status, _, body) = app
            .post_raw("application/octet-stream", signed.to_wire())
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(app.counts().await, (1, 2, 0));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn same_sequence_with_other_bytes_is_409_and_kept_as_evidence() {
    for_each_backend(|app, _| async move {
        let c = consumer();
        let start = past_hour(5);
        let first = c.sign(&c.report(1, ReportHash::ZERO, start));
        assert_eq!(app.post(&first).await.0, 201);
        let mut other = c.report(1, ReportHash::ZERO, start);
        other.records.pop();
        let conflicting = c.sign(&other);
        let (status, body) = app.post(&conflicting).await;
        assert_eq!(
            (status, problem_rule(&body)),
            (409, "equivocation"),
            "{body}"
        );
        assert_eq!(body["accepted_hash"], first.hash().to_hex());
        assert_eq!(app.counts().await, (1, 2, 1));
        let evidence = app
            .db
            .reports()
            .equivocations(&c.public_key(), DATA_UNIT)
            .await
            .unwrap();
        assert_eq!(evidence.len(), 1);
        assert_eq!(evidence[0].conflicting, conflicting);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn sequence_gap_or_wrong_prev_hash_is_409_naming_what_is_expected() {
    for_each_backend(|app, _| async move {
        let c = consumer();
        let chain = c.chain(3, past_hour(6));
        assert_eq!(app.post(&chain[0]).await.0, 201);
        let (status, body) = app.post(&chain[2]).await;
        assert_eq!((status, problem_rule(&body)), (409, "sequence-gap"));
        assert_eq!(body["expected_sequence"], 2);
        assert_eq!(body["expected_prev_hash"], chain[0].hash().to_hex());

        let wrong_prev = c.sign(&c.report(2, ReportHash([9; 32]), past_hour(5)));
        let (status, body) = app.post(&wrong_prev).await;
        assert_eq!((status, problem_rule(&body)), (409, "prev-hash-mismatch"));
        assert_eq!(body["field"], "payload.prev_hash");
        assert_eq!(body["expected_prev_hash"], chain[0].hash().to_hex());
        assert_eq!(app.counts().await, (1, 2, 0));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn period_of_exactly_24_hours_is_accepted_and_one_second_more_is_not() {
    for_each_backend(|app, _| async move {
        let c = consumer();
        let start = past_hour(60);
        let mut too_long = c.report(1, ReportHash::ZERO, start);
        too_long.period_end_ms = start + 24 * HOUR_MS + 1_000;
        let payload = encode_unchecked(&too_long);
        let (status, body) = app.post(&sign_raw(&c, payload)).await;
        assert_eq!(
            (status, problem_rule(&body)),
            (400, "invalid-field"),
            "{body}"
        );
        assert_eq!(body["field"], "payload.period_end");
        assert_eq!(app.counts().await, (0, 0, 0));

        let mut day = c.report(1, ReportHash::ZERO, start);
        day.period_end_ms = start + 24 * HOUR_MS;
        let (status, body) = app.post(&c.sign(&day)).await;
        assert_eq!(status, 201, "{body}");
        app.stop().await;
    })
    .await;
}

/// Encodes a report without the encoder's checks (by patching a valid one's period end).
fn encode_unchecked(report: &sla_protocol::Report) -> Vec<u8> {
    let mut valid = report.clone();
    valid.period_end_ms = report.period_start_ms + HOUR_MS;
    let mut bytes = codec::encode(&valid).unwrap();
    let end_offset = codec::HEADER_LEN - 4 - 8;
    bytes[end_offset..end_offset + 8].copy_from_slice(&report.period_end_ms.to_be_bytes());
    bytes
}

#[tokio::test]
async fn period_ending_in_the_future_or_records_outside_the_period_are_rejected() {
    for_each_backend(|app, _| async move {
        let c = consumer();
        let future = c.sign(&c.report(1, ReportHash::ZERO, past_hour(0) + 2 * HOUR_MS));
        let (status, body) = app.post(&future).await;
        assert_eq!(
            (status, problem_rule(&body)),
            (422, "period-in-future"),
            "{body}"
        );

        let start = past_hour(4);
        let mut outside = c.report(1, ReportHash::ZERO, start);
        outside.records[0].timestamp_ms = start + HOUR_MS; // the end is exclusive
        let mut inside = outside.clone();
        inside.records[0].timestamp_ms = start;
        let mut bytes = codec::encode(&inside).unwrap();
        let ts = codec::HEADER_LEN;
        bytes[ts..ts + 8].copy_from_slice(&(start + HOUR_MS).to_be_bytes());
        let (status, body) = app.post(&sign_raw(&c, bytes)).await;
        assert_eq!((status, problem_rule(&body)), (400, "invalid-field"));
        assert_eq!(body["field"], "records[].timestamp");
        assert_eq!(app.counts().await, (0, 0, 0));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn unregistered_revoked_or_foreign_keys_are_rejected() {
    for_each_backend(|app, _| async move {
        let start = past_hour(4);
        let unknown = Reporter::new(9, Role::Consumer);
        let (status, body) = app.post(&unknown.chain(1, start)[0]).await;
        assert_eq!((status, problem_rule(&body)), (403, "key-not-registered"));

        let revoked = Reporter::new(10, Role::Consumer);
        seed_key(&app.db, &key(&revoked, CONSUMER, Some(start - 1)))
            .await
            .unwrap();
        let (status, body) = app.post(&revoked.chain(1, start)[0]).await;
        assert_eq!(
            (status, problem_rule(&body)),
            (403, "key-not-valid-for-period")
        );

        let stranger = Reporter::new(11, Role::Consumer);
        seed_key(&app.db, &key(&stranger, STRANGER, None))
            .await
            .unwrap();
        let (status, body) = app.post(&stranger.chain(1, start)[0]).await;
        assert_eq!((status, problem_rule(&body)), (403, "key-not-of-party"));
        assert_eq!(app.counts().await, (0, 0, 0));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn unknown_declined_or_closed_data_units_are_rejected() {
    for_each_backend(|app, _| async move {
        let c = consumer();
        let start = past_hour(4);
        let mut unknown = c.report(1, ReportHash::ZERO, start);
        unknown.data_unit = 999;
        let (status, body) = app.post(&c.sign(&unknown)).await;
        assert_eq!((status, problem_rule(&body)), (422, "data-unit-unknown"));

        for status in [AllocationStatus::Declined, AllocationStatus::Requested] {
            seed_allocation(&app.db, &allocation(DATA_UNIT, status))
                .await
                .unwrap();
            let (code, body) = app.post(&c.chain(1, start)[0]).await;
            assert_eq!((code, problem_rule(&body)), (422, "data-unit-not-active"));
        }
        // Closed before the period ended: refused. Closed after: the last period still counts.
        let mut closed = allocation(DATA_UNIT, AllocationStatus::Closed);
        closed.closed_at_ms = Some(start + HOUR_MS / 2);
        seed_allocation(&app.db, &closed).await.unwrap();
        let (code, body) = app.post(&c.chain(1, start)[0]).await;
        assert_eq!((code, problem_rule(&body)), (422, "data-unit-not-active"));
        assert_eq!(app.counts().await, (0, 0, 0));

        closed.closed_at_ms = Some(start + HOUR_MS);
        seed_allocation(&app.db, &closed).await.unwrap();
        assert_eq!(app.post(&c.chain(1, start)[0]).await.0, 201);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn batch_answers_each_report_in_order() {
    for_each_backend(|app, _| async move {
        let chain = consumer().chain(3, past_hour(8));
        let mut bad = chain[1].clone();
        bad.signature[0] ^= 1;
        let results = app
            .post_batch(&[&chain[0], &bad, &chain[1], &chain[2], &chain[0]])
            .await;
        let statuses: Vec<u64> = results
            .iter()
            .map(|r| r["status"].as_u64().unwrap())
            .collect();
        assert_eq!(statuses, vec![201, 400, 201, 201, 200]);
        assert_eq!(results[1]["problem"]["rule"], "bad-signature");
        assert_eq!(app.counts().await, (3, 6, 0));
        app.stop().await;
    })
    .await;
}
