//! `sla-connection-bench`: attacks the ingest API's connection layer from a separate process and
//! measures what an honest client gets meanwhile (issue 13, "Connections can starve the server").
//!
//! - `--mode slow`: `--idle` connections that never send a byte, `--slow-headers` connections that
//!   send a request's header a byte a second, and `--slow-body` connections that send a header and
//!   then a body a byte a second; each attacker reconnects as soon as the server closes it, so the
//!   pressure is renewed for the whole run. Attackers come from `--addresses` loopback addresses
//!   (127.0.0.2 and up), the honest client from 127.0.0.1: it sends a read request every 50 ms
//!   and records each answer's status and latency.
//! - `--mode concurrent`: `--concurrent` connections (over the same addresses) each sending
//!   requests back to back, half reads and half 4 KiB reports that fail verification: the
//!   server's memory with that many requests in flight.
//!
//! Prints one JSON line: the honest client's answers and latencies (p50, p99, max), the
//! attackers' connections, and the server's peak RSS (`VmHWM` of `--server-pid`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

#[derive(Debug, Parser)]
#[command(about = "Slow and idle connections against the ingest API; what an honest client gets")]
struct Args {
    /// The server, `host:port`.
    #[arg(long)]
    target: SocketAddr,
    /// The server's process id, for its peak RSS.
    #[arg(long)]
    server_pid: u32,
    /// `slow` or `concurrent`.
    #[arg(long, default_value = "slow")]
    mode: String,
    /// Attacker connections that never send a byte.
    #[arg(long, default_value_t = 2_000)]
    idle: usize,
    /// Attacker connections sending a header a byte a second.
    #[arg(long, default_value_t = 2_000)]
    slow_headers: usize,
    /// Attacker connections sending a body a byte a second.
    #[arg(long, default_value_t = 2_000)]
    slow_body: usize,
    /// Connections sending requests back to back (`--mode concurrent`).
    #[arg(long, default_value_t = 5_000)]
    concurrent: usize,
    /// Loopback source addresses the attackers are spread over (127.0.0.2 and up).
    #[arg(long, default_value_t = 16)]
    addresses: u8,
    /// Length of the run, seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
}

#[derive(Debug, Default)]
struct Counters {
    opened: AtomicU64,
    closed_by_server: AtomicU64,
    connect_failed: AtomicU64,
    requests: AtomicU64,
    answered: AtomicU64,
}

async fn connect_from(from: [u8; 4], target: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(target).await
}

fn attacker_address(i: usize, addresses: u8) -> [u8; 4] {
    [127, 0, 0, 2 + (i % usize::from(addresses.max(1))) as u8]
}

/// One attacker that keeps a connection of its kind open for the whole run.
async fn attacker(
    kind: &'static str,
    from: [u8; 4],
    target: SocketAddr,
    until: Instant,
    c: Arc<Counters>,
) {
    while Instant::now() < until {
        let Ok(mut stream) = connect_from(from, target).await else {
            c.connect_failed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        c.opened.fetch_add(1, Ordering::Relaxed);
        let header: &[u8] = match kind {
            "slow-body" => b"POST /v1/reports HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n",
            _ => b"",
        };
        let drip: &[u8] = match kind {
            "slow-headers" => b"POST /v1/reports HTTP/1.1\r\nhost: x\r\nx-padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "slow-body" => b"{                                                                                       ",
            _ => b"",
        };
        if !header.is_empty() && stream.write_all(header).await.is_err() {
            c.closed_by_server.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let mut next = 0;
        let mut buf = [0u8; 1024];
        loop {
            if Instant::now() >= until {
                return;
            }
            // A byte a second (idle connections send nothing); a read that returns 0 or an error
            // means the server closed the connection.
            let tick = tokio::time::sleep(Duration::from_secs(1));
            tokio::select! {
                read = stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) => continue, // an answer (408, 503): the close follows
                },
                _ = tick => {
                    if !drip.is_empty() {
                        let byte = [drip[next % drip.len()]];
                        next += 1;
                        if stream.write_all(&byte).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }
        c.closed_by_server.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sends `request` and reads the answer's status (a `Content-Length` body is read whole).
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> anyhow::Result<u16> {
    stream.write_all(request).await?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "closed");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let status: u16 = head.get(9..12).context("status")?.parse()?;
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse())
                .transpose()?
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await?;
                anyhow::ensure!(n > 0, "closed");
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(status);
        }
    }
}

/// A connection sending `requests` in turn, back to back, until `until`.
async fn busy(
    from: [u8; 4],
    target: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    until: Instant,
    c: Arc<Counters>,
) {
    let mut turn = 0;
    while Instant::now() < until {
        let Ok(mut stream) = connect_from(from, target).await else {
            c.connect_failed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        c.opened.fetch_add(1, Ordering::Relaxed);
        while Instant::now() < until {
            c.requests.fetch_add(1, Ordering::Relaxed);
            turn += 1;
            match exchange(&mut stream, &requests[turn % requests.len()]).await {
                Ok(_) => c.answered.fetch_add(1, Ordering::Relaxed),
                Err(_) => break,
            };
        }
        c.closed_by_server.fetch_add(1, Ordering::Relaxed);
    }
}

/// The honest client: a read every 50 ms on a kept-alive connection (reconnecting when closed).
async fn honest(target: SocketAddr, until: Instant) -> Vec<(u16, Duration)> {
    let request = b"GET /v1/data-units/1/reports?limit=1 HTTP/1.1\r\nhost: x\r\n\r\n";
    let mut answers = Vec::new();
    let mut stream: Option<TcpStream> = None;
    while Instant::now() < until {
        let started = Instant::now();
        let result = async {
            if stream.is_none() {
                stream = Some(connect_from([127, 0, 0, 1], target).await?);
            }
            let status = exchange(stream.as_mut().expect("connected"), request).await?;
            anyhow::Ok(status)
        };
        let status = match tokio::time::timeout(Duration::from_secs(10), result).await {
            Ok(Ok(status)) => status,
            _ => {
                stream = None;
                0
            }
        };
        answers.push((status, started.elapsed()));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    answers
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let until = Instant::now() + Duration::from_secs(args.seconds);
    let counters = Arc::new(Counters::default());
    let mut tasks = tokio::task::JoinSet::new();
    match args.mode.as_str() {
        "slow" => {
            let kinds = [
                ("idle", args.idle),
                ("slow-headers", args.slow_headers),
                ("slow-body", args.slow_body),
            ];
            let mut i = 0;
            for (kind, n) in kinds {
                for _ in 0..n {
                    let from = attacker_address(i, args.addresses);
                    tasks.spawn(attacker(kind, from, args.target, until, counters.clone()));
                    i += 1;
                }
            }
        }
        "concurrent" => {
            let body = format!(
                "{{\"payload\":\"{}\",\"signature\":\"{}\"}}",
                "00".repeat(2000),
                "00".repeat(64)
            );
            let post = format!(
                "POST /v1/reports HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            let requests = Arc::new(vec![
                b"GET /v1/data-units/1/reports?limit=10 HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
                post.into_bytes(),
            ]);
            for i in 0..args.concurrent {
                let from = attacker_address(i, args.addresses);
                tasks.spawn(busy(
                    from,
                    args.target,
                    requests.clone(),
                    until,
                    counters.clone(),
                ));
            }
        }
        other => anyhow::bail!("unknown --mode {other}"),
    }
    // Give the attack a second to build up before the honest client starts.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let answers = honest(args.target, until).await;
    while tasks.join_next().await.is_some() {}

    let served: Vec<Duration> = {
        let mut ok: Vec<Duration> = answers
            .iter()
            .filter(|(s, _)| *s == 200)
            .map(|(_, d)| *d)
            .collect();
        ok.sort();
        ok
    };
    let c = &counters;
    println!(
        "{}",
        json!({
            "mode": args.mode,
            "seconds": args.seconds,
            "attackers": { "idle": args.idle, "slow_headers": args.slow_headers, "slow_body": args.slow_body,
                           "concurrent": if args.mode == "concurrent" { args.concurrent } else { 0 },
                           "addresses": args.addresses },
            "attacker_connections_opened": c.opened.load(Ordering::Relaxed),
            "attacker_connections_closed_by_server": c.closed_by_server.load(Ordering::Relaxed),
            "attacker_connect_failures": c.connect_failed.load(Ordering::Relaxed),
            "busy_requests": c.requests.load(Ordering::Relaxed),
            "busy_answered": c.answered.load(Ordering::Relaxed),
            "honest_requests": answers.len(),
            "honest_served": served.len(),
            "honest_statuses": answers.iter().fold(std::collections::BTreeMap::new(), |mut m, (s, _)| { *m.entry(s.to_string()).or_insert(0u64) += 1; m }),
            "honest_latency_ms": {
                "p50": percentile(&served, 0.5),
                "p99": percentile(&served, 0.99),
                "max": served.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0),
            },
            "server_peak_rss_kb": peak_rss_kb(args.server_pid),
        })
    );
    Ok(())
}
