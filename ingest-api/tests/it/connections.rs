//! Connections cannot starve the server (catalogue 12): headers that never finish and idle
//! kept-alive connections are closed, bodies must keep a minimum rate, one client address gets
//! only its share of connections and of requests in flight, and every refusal is fast, counted,
//! and problem+json. Attacker connections come from other loopback addresses (127.0.0.2 and up)
//! than the honest client (127.0.0.1), as distinct clients would.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::*;

/// A TCP connection to `app` from the loopback address `from` (e.g. `127.0.0.2`).
async fn connect_from(app: &TestApp, from: &str) -> TcpStream {
    let server: SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(format!("{from}:0").parse().unwrap())
        .expect("bind a loopback source address");
    socket.connect(server).await.expect("connect")
}

/// Reads until the server closes the connection (or `within` passes); returns what was read and
/// whether it closed.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

async fn metric(app: &TestApp, needle: &str) -> bool {
    app.metrics().await.contains(needle)
}

#[tokio::test]
async fn unfinished_headers_and_idle_connections_are_closed() {
    let backend = &backends()[0];
    let app = spawn_app_with(backend, &["--header-read-timeout-ms", "400"]).await;

    // Half a request line, then nothing.
    let mut stalled = connect_from(&app, "127.0.0.2").await;
    stalled
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x")
        .await
        .unwrap();
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut stalled, Duration::from_secs(5)).await;
    assert!(
        closed,
        "a connection that never finished its headers stayed open"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A kept-alive connection: one request answered, then idle.
    let mut idle = connect_from(&app, "127.0.0.2").await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let (answer, closed) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed, "an idle kept-alive connection stayed open");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_body_sent_slower_than_the_minimum_rate_is_cut_with_408() {
    let backend = &backends()[0];
    let app = spawn_app_with(
        backend,
        &["--body-grace-ms", "300", "--min-body-rate", "1000"],
    )
    .await;
    let mut slow = connect_from(&app, "127.0.0.2").await;
    slow.write_all(
        b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{",
    )
    .await
    .unwrap();
    let dripping = tokio::spawn(async move {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if slow.write_all(b" ").await.is_err() {
                break;
            }
        }
        slow
    });
    let mut slow = dripping.await.unwrap();
    let (answer, _) = read_until_closed(&mut slow, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("\"rule\":\"body-too-slow\""), "{answer}");
    assert!(
        metric(
            &app,
            "sla_ingest_requests_shed_total{reason=\"body-rate\"} 1"
        )
        .await
    );
    app.stop().await;
}

#[tokio::test]
async fn one_address_gets_only_its_share_of_connections_and_others_are_still_served() {
    let backend = &backends()[0];
    let app = spawn_app_with(
        backend,
        &[
            "--max-connections-per-ip",
            "3",
            "--header-read-timeout-ms",
            "60000",
        ],
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from(&app, "127.0.0.2").await);
    }
    // Let the server account for them before the next one knocks.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = connect_from(&app, "127.0.0.2").await;
    let started = Instant::now();
    let (answer, closed) = read_until_closed(&mut fourth, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"rule\":\"overloaded\""), "{answer}");
    assert!(closed && started.elapsed() < Duration::from_secs(1));
    // Another client is served as usual.
    assert_eq!(app.status_of("/healthz").await, 200);
    assert!(
        metric(
            &app,
            "sla_ingest_connections_refused_total{reason=\"address\"} 1"
        )
        .await
    );
    drop(held);
    app.stop().await;
}

/// Sends `count` requests from `from` whose bodies never come: each holds a slot in flight.
async fn stalled_posts(app: &TestApp, from: &str, count: usize) -> Vec<TcpStream> {
    let mut holders = Vec::new();
    for _ in 0..count {
        let mut s = connect_from(app, from).await;
        s.write_all(
            b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
        holders.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    holders
}

/// The status of one GET sent from `from` on a new connection.
async fn get_from(app: &TestApp, from: &str, path: &str) -> String {
    let mut s = connect_from(app, from).await;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = vec![0u8; 2048];
    let n = tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf))
        .await
        .expect("answered")
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn a_full_server_still_serves_a_light_address_from_the_reserve() {
    let backend = &backends()[0];
    let app = spawn_app_with(
        backend,
        &[
            "--max-in-flight",
            "4",
            "--body-grace-ms",
            "60000",
            "--request-timeout-ms",
            "60000",
        ],
    )
    .await;
    // One address fills every slot.
    let heavy = stalled_posts(&app, "127.0.0.4", 4).await;
    // It gets no more: it is over its share of the reserve (4 / 4 / 2 addresses -> 1 slot).
    let started = Instant::now();
    let answer = get_from(&app, "127.0.0.4", "/v1/data-units/7/reports").await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("too many requests in flight"), "{answer}");
    // The refusal waits half a second (a flood cannot keep the server busy refusing).
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    // Another address is served from the reserve.
    let answer = get_from(&app, "127.0.0.5", "/v1/data-units/7/reports").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        metric(
            &app,
            "sla_ingest_requests_shed_total{reason=\"in-flight\"} 1"
        )
        .await
    );
    drop(heavy);
    app.stop().await;
}

#[tokio::test]
async fn one_address_gets_only_its_share_of_requests_in_flight() {
    let backend = &backends()[0];
    let app = spawn_app_with(
        backend,
        &[
            "--max-in-flight-per-ip",
            "2",
            "--body-grace-ms",
            "60000",
            "--request-timeout-ms",
            "60000",
        ],
    )
    .await;
    // Two requests whose bodies never come hold the address's two slots.
    let holders = stalled_posts(&app, "127.0.0.3", 2).await;
    let answer = get_from(&app, "127.0.0.3", "/v1/data-units/7/reports").await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("from your address"), "{answer}");
    // The honest client from 127.0.0.1 is served.
    let response = app
        .http
        .get(app.url("/v1/data-units/7/reports"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(metric(&app, "sla_ingest_requests_shed_total{reason=\"address\"} 1").await);
    drop(holders);
    app.stop().await;
}
