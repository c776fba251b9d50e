//! The connection layer under the router: accepting, limiting and timing out TCP connections, so
//! that no client can starve the server by holding connections open.
//!
//! - **Caps.** At most `max_connections` open connections, and at most `max_connections_per_ip`
//!   from one client address (an IPv6 /64); a connection over a cap gets a short `503`
//!   (problem+json) and is closed, and the refusal is given to the server's counter (the ingest
//!   API's
//!   `sla_ingest_connections_refused_total{reason}`, the committee endpoint's
//!   `sla_committee_connections_refused_total{reason}`).
//! - **Timeouts.** A new connection must send its first byte within `header_read_timeout`, and a
//!   request's whole header within `header_read_timeout` of becoming idle: this closes
//!   connections that never finish their headers and kept-alive connections that sit idle,
//!   whichever comes first (hyper's header read timer restarts after each response). Until its
//!   first byte, a connection holds no HTTP buffers. Bodies and requests have their own limits,
//!   set by each server's router (the ingest API's `body.rs` and `app.rs`).
//! - **HTTP/1.1 only.** Agents and browsers speak it over plain TCP; a TLS-terminating proxy in
//!   front speaks it to us.
//! - **File descriptors.** [`raise_open_files_limit`] lifts the soft limit to the hard one at
//!   start, so that the caps, not the OS, decide when to refuse.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// Limits of the connection layer.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// Most connections open at once from one client address.
    pub max_connections_per_ip: usize,
    /// Longest wait for a request's headers once a connection is idle (new, or after a response).
    pub header_read_timeout: Duration,
}

/// Open connections, in all and per client address.
#[derive(Debug, Default)]
struct Open {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// One accepted connection's place in the counts, given back when it closes.
struct Slot {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = lock(&self.open);
        open.total -= 1;
        if let Some(n) = open.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.per_ip.remove(&self.ip);
            }
        }
    }
}

fn lock(open: &Mutex<Open>) -> std::sync::MutexGuard<'_, Open> {
    open.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Takes a slot for a connection from `ip`, or says which cap it would break.
fn admit(
    open: &Arc<Mutex<Open>>,
    limits: &ConnectionLimits,
    ip: IpAddr,
) -> Result<Slot, &'static str> {
    let mut counts = lock(open);
    if counts.total >= limits.max_connections {
        return Err("server");
    }
    let from_ip = counts.per_ip.get(&ip).copied().unwrap_or(0);
    if from_ip >= limits.max_connections_per_ip {
        return Err("address");
    }
    counts.total += 1;
    *counts.per_ip.entry(ip).or_default() += 1;
    Ok(Slot {
        open: open.clone(),
        ip,
    })
}

/// The answer to a connection over a cap: written once, without reading the request.
fn refusal(reason: &str) -> Vec<u8> {
    let body = format!(
        "{{\"type\":\"/problems/overloaded\",\"title\":\"Service Unavailable\",\"status\":503,\
         \"detail\":\"too many open connections ({reason}); retry later\",\"rule\":\"overloaded\"}}"
    );
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, lets every
/// connection finish its request in flight (waiting at most `drain`), and returns. Each
/// connection refused is given to `refused` with its reason: `server` or `address` (a cap),
/// `accept-error`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    refused: impl Fn(&'static str) + Send,
    drain: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let open = Arc::new(Mutex::new(Open::default()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors or memory for a moment: wait, never spin.
                    refused("accept-error");
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        match admit(&open, &limits, crate::client_address(peer.ip())) {
            Ok(slot) => {
                let router = router.clone();
                let stop = stop_rx.clone();
                connections.spawn(serve_connection(stream, peer, router, limits, stop, slot));
            }
            Err(reason) => {
                refused(reason);
                // Answered without waiting on the client: a short write or nothing.
                tokio::spawn(async move {
                    let mut stream = stream;
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        stream.write_all(&refusal(reason)),
                    )
                    .await;
                });
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(drain, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = connections.len(),
            "connections still open after the drain time; closing them"
        );
        connections.shutdown().await;
    }
    Ok(())
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
    _slot: Slot,
) {
    let _ = stream.set_nodelay(true);
    // The HTTP machinery (two 8 KiB buffers) only once the client has sent something: an idle
    // connection costs a socket and a small task, not 20 KB, until its header read timeout.
    tokio::select! {
        readable = tokio::time::timeout(limits.header_read_timeout, stream.readable()) => {
            if !matches!(readable, Ok(Ok(()))) {
                return;
            }
        }
        _ = stop.wait_for(|stopped| *stopped) => return,
    }
    let service = router.map_request(move |request: Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let connection =
        builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(error = %err, %peer, "connection ended with an error");
            }
            return;
        }
        _ = stop.wait_for(|stopped| *stopped) => {}
    }
    // Shutting down: finish the request in flight, then close.
    connection.as_mut().graceful_shutdown();
    if let Err(err) = connection.await {
        tracing::debug!(error = %err, %peer, "connection ended with an error while draining");
    }
}

/// Raises the soft limit on open files to the hard limit (on Unix), so that the connection caps
/// decide when to refuse rather than `Too many open files`. Returns the soft limit now in force.
pub fn raise_open_files_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(err) => {
            tracing::warn!(error = %err, "could not raise the open files limit");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_per_address_and_give_slots_back() {
        let limits = ConnectionLimits {
            max_connections: 3,
            max_connections_per_ip: 2,
            header_read_timeout: Duration::from_secs(1),
        };
        let open = Arc::new(Mutex::new(Open::default()));
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let first = admit(&open, &limits, a).unwrap();
        let _second = admit(&open, &limits, a).unwrap();
        assert_eq!(admit(&open, &limits, a).err(), Some("address"));
        let _third = admit(&open, &limits, b).unwrap();
        assert_eq!(admit(&open, &limits, b).err(), Some("server"));
        drop(first);
        assert!(admit(&open, &limits, a).is_ok(), "the slot came back");
        assert_eq!(lock(&open).per_ip.len(), 2);
    }

    #[test]
    fn a_refusal_is_a_complete_http_response() {
        let text = String::from_utf8(refusal("address")).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"], 503);
    }
}
