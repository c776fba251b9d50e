//! A follower's committee endpoint over real HTTP on a real database (SQLite and PostgreSQL),
//! with roll-ups its own aggregator closed: it signs a proposal of exactly its results, and
//! refuses every other one with the reason the docs name (docs/committee.md, "What a follower
//! checks"), naming the report a leader left out. Its connection layer and admission: idle
//! connections closed, connections over the per-address cap and proposals over the in-flight
//! cap refused at once, a proposal whose body trickles cut off.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, Bytes, Signature};
use alloy::signers::local::PrivateKeySigner;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use serde_json::Value;
use sla_contracts::signing;
use sla_oracle::aggregator::Aggregator;
use sla_oracle::committee::proposal::{sign_body, DataUnits, Proposal, SIGNATURE_HEADER};
use sla_oracle::committee::{
    schedule, Committee, CommitteeConfig, CommitteeFile, CommitteeMetrics, CommitteeStores,
    EndpointLimits, Member, ReasonLabel,
};
use sla_protocol::aggregate::EpochVerdict;
use sla_serve::ConnectionLimits;
use sla_storage::mirror::{ChainOrigin, OracleConfig};
use sla_storage::rollup_close::UptimeTotals;
use sla_storage::RollupStatus;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::aggregator::fixture::*;

const CONTRACT: Address = Address::repeat_byte(0xab);

struct Setup {
    url: String,
    metrics: CommitteeMetrics,
    leader: PrivateKeySigner,
    other: PrivateKeySigner,
    keys: Vec<PrivateKeySigner>,
    follower: Address,
    epoch: u64,
    own: Vec<u8>,
    _fx: Fixture,
    _empty: Fixture,
}

/// A follower on `backend` whose aggregator closed `epoch` for the fixture's data unit, the
/// signer set of four (quorum three) mirrored at version 1, and a leader whose API serves a
/// database with no roll-ups (so no report of the follower has a proof there). Its endpoint
/// admits what `limits` say.
async fn setup(backend: &Backend, limits: EndpointLimits) -> Setup {
    let fx = Fixture::new(backend).await;
    let reports = scenario_reports(2);
    fx.ingest(&reports).await;
    // Counted now (a day of grace), closed as a day later.
    Aggregator::new(fx.stores(), fx.config())
        .run_once(now_ms() + 25 * 3_600_000)
        .await
        .unwrap();
    let epoch = fx
        .storage
        .rollups()
        .of_data_unit(DATA_UNIT, 0, u64::MAX)
        .await
        .unwrap()[0]
        .epoch;
    let keys: Vec<PrivateKeySigner> = (0..4).map(|_| PrivateKeySigner::random()).collect();
    let addresses: Vec<Address> = keys.iter().map(|k| k.address()).collect();
    let mut mirror = fx.storage.mirror().begin_write().await.unwrap();
    mirror
        .insert_oracle_config(&OracleConfig {
            config_version: 1,
            signers: addresses.clone(),
            quorum: 3,
            origin: ChainOrigin {
                block_number: 0,
                log_index: None,
                tx_hash: None,
            },
        })
        .await
        .unwrap();
    mirror.commit().await.unwrap();
    let leader_address = schedule::leader(&addresses, epoch, 0).unwrap();
    let leader = keys
        .iter()
        .find(|k| k.address() == leader_address)
        .unwrap()
        .clone();
    let all_keys = keys.clone();
    // The follower does not lead the next attempt (whose leader the test plays too).
    let next_leader = schedule::leader(&addresses, epoch, 1).unwrap();
    let mut rest = keys
        .into_iter()
        .filter(|k| k.address() != leader_address && k.address() != next_leader);
    let follower = rest.next().unwrap();
    let other = rest.next().unwrap();

    let empty = Fixture::new(backend).await;
    let leader_api = empty.serve_api().await;
    let members = CommitteeFile {
        members: vec![Member {
            name: "leader".into(),
            address: leader.address(),
            api: format!("{leader_api}/").parse().unwrap(),
            committee: "http://127.0.0.1:1/".parse().unwrap(),
        }],
        round_timeout_ms: 5_000,
    };
    let metrics = CommitteeMetrics::default();
    let follower_address = follower.address();
    let committee = committee_on(&fx, follower, members, metrics.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/committee/v1/proposals",
        listener.local_addr().unwrap()
    );
    let committee = std::sync::Arc::new(committee);
    tokio::spawn(sla_oracle::committee::serve(
        listener,
        committee,
        limits,
        std::future::pending(),
    ));
    let own = fx
        .storage
        .rollups()
        .get(DATA_UNIT, epoch)
        .await
        .unwrap()
        .unwrap()
        .verdict
        .unwrap()
        .epoch_result()
        .pack()
        .to_vec();
    Setup {
        url,
        metrics,
        leader,
        other,
        keys: all_keys,
        follower: follower_address,
        epoch,
        own,
        _fx: fx,
        _empty: empty,
    }
}

/// A member on `fx`'s database that signs with `key`, for epochs that ended hours ago.
fn committee_on(
    fx: &Fixture,
    key: PrivateKeySigner,
    members: CommitteeFile,
    metrics: CommitteeMetrics,
) -> Committee {
    let (to_submitter, _batches) = tokio::sync::mpsc::unbounded_channel();
    Committee::new(
        key,
        CommitteeConfig {
            chain_id: deployment().chain_id,
            contract: CONTRACT,
            epochs: Fixture::epoch_config(),
            // The round of an epoch that ended hours ago is under way.
            grace_ms: 0,
            settle_ms: 0,
            submission_window_s: 3_600,
            max_batch: 100,
            max_proposal_results: 100,
            byzantine_signatures: false,
        },
        members,
        CommitteeStores::of(&fx.storage),
        metrics,
        to_submitter,
    )
    .unwrap()
}

fn proposal(s: &Setup, version: u64, batches: &[Vec<u8>]) -> Proposal {
    Proposal {
        config_version: version,
        epoch: s.epoch,
        attempt: 0,
        data_units: DataUnits::default(),
        batches: batches
            .iter()
            .map(|b| format!("0x{}", hex::encode(b)))
            .collect(),
    }
}

async fn post(s: &Setup, by: &PrivateKeySigner, p: &Proposal) -> (u16, Value) {
    let body = serde_json::to_vec(p).unwrap();
    let header = sign_body(by, &body).unwrap();
    let answer = reqwest::Client::new()
        .post(&s.url)
        .header(SIGNATURE_HEADER, header)
        .body(body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

#[tokio::test]
async fn a_follower_signs_exactly_its_own_results_and_names_what_is_wrong_with_any_other() {
    for backend in backends() {
        let s = setup(&backend, EndpointLimits::default()).await;

        // Its own result: one signature, the follower's, over the batch's EIP-712 digest.
        let (status, body) = post(
            &s,
            &s.leader,
            &proposal(&s, 1, std::slice::from_ref(&s.own)),
        )
        .await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        let signature: Bytes = serde_json::from_value(body["signatures"][0].clone()).unwrap();
        let digest = signing::batch_digest(deployment().chain_id, CONTRACT, 1, s.epoch, &s.own);
        let signer = Signature::try_from(signature.as_ref())
            .unwrap()
            .recover_address_from_prehash(&digest)
            .unwrap();
        assert_eq!(signer, s.follower);

        let refusal = |body: &Value| body["reason"].as_str().unwrap_or_default().to_owned();
        // The next attempt's leader, right after: the signed results may be on their way.
        let addresses: Vec<Address> = s.keys.iter().map(|k| k.address()).collect();
        let next = schedule::leader(&addresses, s.epoch, 1).unwrap();
        let next = s.keys.iter().find(|k| k.address() == next).unwrap();
        let mut again = proposal(&s, 1, std::slice::from_ref(&s.own));
        again.attempt = 1;
        let (status, body) = post(&s, next, &again).await;
        assert_eq!(
            (status, refusal(&body)),
            (409, "in-flight".into()),
            "{body}"
        );
        // Sent by a signer that does not lead this attempt.
        let (status, body) =
            post(&s, &s.other, &proposal(&s, 1, std::slice::from_ref(&s.own))).await;
        assert_eq!(
            (status, refusal(&body)),
            (409, "not-leader".into()),
            "{body}"
        );
        // Under another configuration version.
        let (status, body) = post(
            &s,
            &s.leader,
            &proposal(&s, 2, std::slice::from_ref(&s.own)),
        )
        .await;
        assert_eq!(
            (status, refusal(&body)),
            (409, "config-version".into()),
            "{body}"
        );
        // A tampered result with the same reports.
        let mut tampered = s.own.clone();
        tampered[41] ^= 1;
        let (status, body) = post(&s, &s.leader, &proposal(&s, 1, &[tampered])).await;
        assert_eq!(
            (status, refusal(&body)),
            (409, "results-differ".into()),
            "{body}"
        );
        assert_eq!(body["data_unit"], DATA_UNIT);
        // A result from fewer reports: the leader's API has no proof of one this node counted,
        // which the refusal names.
        let mut fewer = s.own.clone();
        fewer[42..74].copy_from_slice(&[7; 32]);
        let (status, body) = post(&s, &s.leader, &proposal(&s, 1, &[fewer])).await;
        assert_eq!(
            (status, refusal(&body)),
            (409, "omits-report".into()),
            "{body}"
        );
        assert_eq!(body["report"].as_str().map(str::len), Some(64), "{body}");
        // The data unit left out (another one proposed instead).
        let mut other_unit = s.own.clone();
        other_unit[..8].copy_from_slice(&(DATA_UNIT + 1).to_be_bytes());
        let (status, body) = post(
            &s,
            &s.leader,
            &proposal(&s, 1, std::slice::from_ref(&other_unit)),
        )
        .await;
        assert_eq!(
            (status, refusal(&body)),
            (409, "omits-data-unit".into()),
            "{body}"
        );
        // A part for the data units after this one's: nothing of its own is left out, but it
        // holds no report of the other unit.
        let mut part = proposal(&s, 1, std::slice::from_ref(&other_unit));
        part.data_units = DataUnits {
            first: DATA_UNIT + 1,
            last: u64::MAX,
        };
        let (status, body) = post(&s, &s.leader, &part).await;
        assert_eq!(
            (status, refusal(&body)),
            (409, "unknown-report".into()),
            "{body}"
        );
        // A result outside the part's range.
        let mut outside = proposal(&s, 1, std::slice::from_ref(&s.own));
        outside.data_units = DataUnits {
            first: 0,
            last: DATA_UNIT - 1,
        };
        let (status, body) = post(&s, &s.leader, &outside).await;
        assert_eq!(
            (status, refusal(&body)),
            (400, "malformed".into()),
            "{body}"
        );
        // Not packed results.
        let (status, body) = post(&s, &s.leader, &proposal(&s, 1, &[vec![1, 2, 3]])).await;
        assert_eq!(
            (status, refusal(&body)),
            (400, "malformed".into()),
            "{body}"
        );

        // No signature, or not one: 401. A signature of other bytes recovers to another
        // address, which leads nothing: 409.
        let body = serde_json::to_vec(&proposal(&s, 1, std::slice::from_ref(&s.own))).unwrap();
        let other_bytes = sign_body(&s.leader, b"something else").unwrap();
        for (header, status) in [
            (None, 401),
            (Some("0xzz".to_owned()), 401),
            (Some(other_bytes), 409),
        ] {
            let mut request = reqwest::Client::new().post(&s.url).body(body.clone());
            if let Some(h) = header {
                request = request.header(SIGNATURE_HEADER, h);
            }
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status(), status);
            assert_eq!(answer.headers()["content-type"], "application/problem+json");
        }
    }
}

/// How many times `family` counted `reason`.
fn count(family: &Family<ReasonLabel, Counter>, reason: &str) -> u64 {
    family
        .get_or_create(&ReasonLabel {
            reason: reason.into(),
        })
        .get()
}

/// Reads until the peer closes the connection (or `within` passes): what it answered, if
/// anything, and how long it took.
async fn until_closed(stream: &mut tokio::net::TcpStream, within: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the connection is still open after {within:?}"
    );
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn the_endpoint_closes_idle_connections_and_refuses_past_its_caps_and_cuts_a_trickling_body()
{
    let limits = EndpointLimits {
        connections: ConnectionLimits {
            max_connections: 16,
            max_connections_per_ip: 3,
            header_read_timeout: Duration::from_millis(500),
        },
        max_in_flight: 1,
        request_timeout: Duration::from_millis(1_500),
    };
    let s = setup(&Backend::Sqlite, limits).await;
    let addr = s
        .url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    // A connection that never sends a byte is closed after the header read timeout.
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (answer, took) = until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(answer.is_empty(), "{answer}");
    assert!(took >= Duration::from_millis(400), "closed after {took:?}");

    // Three connections open from this address: a fourth is answered 503 and closed at once.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut fourth = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (answer, took) = until_closed(&mut fourth, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(took < Duration::from_millis(400), "answered after {took:?}");
    assert_eq!(count(&s.metrics.connections_refused, "address"), 1);
    drop(held);
    tokio::time::sleep(Duration::from_millis(50)).await;

    // A proposal whose body trickles holds the one slot: another proposal meanwhile is refused
    // 503 `overloaded` at once; the trickling one is cut with 408 `timeout`; then the slot is
    // free and an honest proposal is signed.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(
        b"POST /committee/v1/proposals HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let (status, body) = post(
        &s,
        &s.leader,
        &proposal(&s, 1, std::slice::from_ref(&s.own)),
    )
    .await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (503, Some("overloaded")),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_millis(500));
    let (answer, took) = until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains("\"timeout\""), "{answer}");
    assert!(took >= Duration::from_millis(1_000), "cut after {took:?}");
    assert_eq!(count(&s.metrics.proposals_refused, "overloaded"), 1);
    assert_eq!(count(&s.metrics.proposals_refused, "timeout"), 1);
    let (status, body) = post(
        &s,
        &s.leader,
        &proposal(&s, 1, std::slice::from_ref(&s.own)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// `fx`'s verdict of `epoch`, if closed.
async fn verdict(fx: &Fixture, epoch: u64) -> Option<EpochVerdict> {
    fx.storage
        .rollups()
        .get(DATA_UNIT, epoch)
        .await
        .unwrap()
        .and_then(|r| r.verdict)
}

/// Counts every report stored on `fx` and closes the epochs, as a day of grace later.
async fn close_all(fx: &Fixture) {
    Aggregator::new(fx.stores(), fx.config())
        .run_once(now_ms() + 25 * 3_600_000)
        .await
        .unwrap();
}

/// The running uptime totals of `fx`'s data unit through `epoch` (its last closed roll-up up to
/// it).
async fn totals_through(fx: &Fixture, epoch: u64) -> UptimeTotals {
    fx.storage
        .rollups()
        .prior_totals(epoch + 1, &[(DATA_UNIT, epoch + 1)])
        .await
        .unwrap()[&DATA_UNIT]
        .through_previous
}

#[tokio::test]
async fn catching_up_adopts_a_landed_result_from_late_reports_and_judges_what_follows_on_the_new_history(
) {
    // Two epochs; consumer reports C1..C4, provider reports P1..P4, two of each per epoch. The
    // terms' uptime window is three epochs: the second epoch's result depends on the first's.
    let reports = scenario_reports(2);
    for backend in backends() {
        // The second epoch on chain or not when the node catches up on the first.
        for second_landed in [false, true] {
            let case = format!("{backend:?}, second epoch landed: {second_landed}");
            // The node that was behind: P2 (first epoch) and P3, P4 (second) reached it after
            // its epochs closed, so they are on its uncounted list.
            let behind = Fixture::new(&backend).await;
            behind.ingest(&reports[..5]).await;
            close_all(&behind).await;
            behind.ingest(&reports[5..]).await;
            close_all(&behind).await;
            let rollups = behind.storage.rollups();
            let first = rollups.of_data_unit(DATA_UNIT, 0, u64::MAX).await.unwrap()[0].epoch;
            let second = first + 1;
            let uncounted = |rows: Vec<sla_storage::rollups::UncountedReport>, epoch| {
                rows.iter().filter(|u| u.epoch == epoch).count()
            };
            let rows = rollups.uncounted(DATA_UNIT).await.unwrap();
            assert_eq!(uncounted(rows.clone(), first), 1, "{case}");
            assert_eq!(uncounted(rows, second), 2, "{case}");
            if second_landed {
                rollups
                    .set_status(&[(DATA_UNIT, second)], RollupStatus::Submitted)
                    .await
                    .unwrap();
            }
            let second_before = verdict(&behind, second).await;

            // The others had every report of the first epoch in time; its result landed.
            let others = Fixture::new(&backend).await;
            others.ingest(&reports).await;
            close_all(&others).await;
            let landed = verdict(&others, first).await.unwrap().epoch_result();
            // What the node should hold after catching up: the first epoch with P2, the second
            // with the reports it had in time (C3, C4), judged on that history.
            let reference = Fixture::new(&backend).await;
            reference.ingest(&reports[..6]).await;
            close_all(&reference).await;
            let expected_second = verdict(&reference, second).await.unwrap();
            assert_ne!(
                verdict(&behind, first)
                    .await
                    .map(|v| v.epoch_result().pack()),
                Some(landed.pack()),
                "{case}"
            );
            assert_ne!(
                second_before,
                Some(expected_second.clone()),
                "{case}: the window matters"
            );

            sla_storage::testing::seed_result(&behind.storage, first, landed)
                .await
                .unwrap();

            // Caught up: its reports give the landed root, so the first epoch is adopted, P2
            // leaves its uncounted list (the second epoch keeps its own), and both epochs end
            // as they would have with P2 in time: the second judged again on the new history,
            // or, landed, keeping its verdict with its running totals moved.
            let members = CommitteeFile {
                members: vec![],
                round_timeout_ms: 5_000,
            };
            let key = PrivateKeySigner::random();
            let committee = committee_on(&behind, key, members, CommitteeMetrics::default());
            assert_eq!(committee.catch_up(now_ms()).await.unwrap(), 1, "{case}");
            let rows = rollups.uncounted(DATA_UNIT).await.unwrap();
            assert_eq!(uncounted(rows.clone(), first), 0, "{case}: {rows:?}");
            assert_eq!(uncounted(rows, second), 2, "{case}");
            close_all(&behind).await;
            assert_eq!(
                verdict(&behind, first)
                    .await
                    .map(|v| v.epoch_result().pack()),
                Some(landed.pack()),
                "{case}"
            );
            let second_now = verdict(&behind, second).await;
            if second_landed {
                assert_eq!(second_now, second_before, "{case}");
            } else {
                assert_eq!(second_now, Some(expected_second), "{case}");
            }
            assert_eq!(
                totals_through(&behind, second).await,
                totals_through(&reference, second).await,
                "{case}"
            );
            // Nothing left to adopt.
            assert_eq!(committee.catch_up(now_ms()).await.unwrap(), 0, "{case}");
        }
    }
}
