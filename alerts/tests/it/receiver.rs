//! A real webhook receiver on a random local port: it refuses the first requests with 500 (a
//! receiver that is down), checks every signature, and keeps what it acknowledged.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

/// What the receiver saw.
#[derive(Default)]
pub(crate) struct Seen {
    /// Requests refused while "down".
    pub(crate) refused: usize,
    /// `(idempotency key, body)` of every acknowledged delivery, in order.
    pub(crate) acknowledged: Vec<(String, String)>,
    /// Deliveries whose signature did not verify.
    pub(crate) bad_signatures: usize,
    /// `(path, JSON body)` of every chat message (Slack, Discord, Telegram paths).
    pub(crate) messages: Vec<(String, serde_json::Value)>,
}

struct Inner {
    secret: Vec<u8>,
    fail_first: AtomicUsize,
    seen: Mutex<Seen>,
}

/// The running receiver.
#[derive(Clone)]
pub(crate) struct Receiver {
    inner: Arc<Inner>,
    /// Its URL.
    pub(crate) url: String,
}

impl Receiver {
    /// Starts one that answers 500 to its first `fail_first` requests.
    pub(crate) async fn start(secret: &str, fail_first: usize) -> Receiver {
        let inner = Arc::new(Inner {
            secret: secret.as_bytes().to_vec(),
            fail_first: AtomicUsize::new(fail_first),
            seen: Mutex::default(),
        });
        let app = Router::new()
            .route("/hook", post(hook))
            .route("/slack/services/x", post(chat))
            .route("/discord/webhooks/x", post(chat))
            .route("/bot{token}/sendMessage", post(chat))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            inner,
            url: format!("http://{addr}/hook"),
        }
    }

    /// A look at what it saw.
    pub(crate) fn seen<T>(&self, f: impl FnOnce(&Seen) -> T) -> T {
        f(&self.inner.seen.lock().unwrap())
    }
}

async fn hook(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: String) -> StatusCode {
    let down = inner
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let mut seen = inner.seen.lock().unwrap();
    if down {
        seen.refused += 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let signature = header("x-sla-signature");
    let timestamp: u64 = signature
        .strip_prefix("t=")
        .and_then(|s| s.split(',').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    if sla_alerts::deliver::signature(&inner.secret, timestamp, &body) != signature {
        seen.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    seen.acknowledged
        .push((header("idempotency-key").to_owned(), body));
    StatusCode::OK
}

/// Slack, Discord and Telegram: a JSON message, kept with the path it came to.
async fn chat(
    State(inner): State<Arc<Inner>>,
    OriginalUri(uri): OriginalUri,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> StatusCode {
    let mut seen = inner.seen.lock().unwrap();
    seen.messages.push((uri.path().to_owned(), body));
    StatusCode::OK
}
