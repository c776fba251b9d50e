//! Load shedding at the request level: a cap on requests in flight, shared fairly between client
//! addresses, so that the addresses sending the most (e.g. thousands of requests back to back, or
//! bodies sent a byte a second) cannot take every slot from the others. Refusals are `503`s
//! answered after `SHED_DELAY`, counted by reason and logged at most once per ten seconds per
//! reason.
//!
//! The rule, for a request from address `a` holding `n` requests in flight, with `total` in flight
//! in all:
//! - `n >= max_per_address`: refused (`address`);
//! - `total < max`: admitted;
//! - otherwise the server is full, and a **reserve** of `max / 4` more slots is shared equally
//!   between the addresses holding slots: admitted if `n` is under its share of the reserve
//!   (`max / 4 / addresses`, at least 1) and `total < max + max / 4`; else refused (`in-flight`).
//!
//! So a client sending a request now and then is served while a few addresses flood the server
//! (their requests, all over their share, wait for slots to free), and memory stays bounded by
//! `max + max / 4` requests. IPv6 clients are counted per /64, the block one host usually gets.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use sla_serve::client_address;

use crate::metrics::Metrics;
use crate::problem::{ApiError, Shed};

/// Requests in flight, in all and per client address, and the rule that admits more.
#[derive(Debug)]
pub struct Admission {
    max: usize,
    max_per_address: usize,
    counts: Mutex<Counts>,
    metrics: Arc<Metrics>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

impl Admission {
    /// At most `max` requests in flight (plus the shared reserve of `max / 4` once full), at most
    /// `max_per_address` from one address (0: no per-address cap).
    pub fn new(max: usize, max_per_address: usize, metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(Admission {
            max: max.max(1),
            max_per_address: if max_per_address == 0 {
                usize::MAX
            } else {
                max_per_address
            },
            counts: Mutex::default(),
            metrics,
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes a slot for a request from `address`, or says why not.
    fn admit(self: &Arc<Self>, address: IpAddr) -> Result<Slot, Shed> {
        let mut counts = self.counts();
        let held = counts.per_address.get(&address).copied().unwrap_or(0);
        if held >= self.max_per_address {
            return Err(Shed::Address);
        }
        if counts.total >= self.max {
            let reserve = self.max / 4;
            let addresses = counts.per_address.len() + usize::from(held == 0);
            let share = (reserve / addresses.max(1)).max(1);
            if held >= share || counts.total >= self.max + reserve {
                return Err(Shed::InFlight);
            }
        }
        counts.total += 1;
        *counts.per_address.entry(address).or_default() += 1;
        Ok(Slot {
            admission: self.clone(),
            address,
        })
    }

    /// Requests in flight now (for tests and metrics).
    pub fn in_flight(&self) -> usize {
        self.counts().total
    }
}

/// A request's slot, given back when the request ends (or is dropped).
struct Slot {
    admission: Arc<Admission>,
    address: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.admission.counts();
        counts.total -= 1;
        if let Some(n) = counts.per_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                counts.per_address.remove(&self.address);
            }
        }
    }
}

/// How long a refused request waits for its `503`. The answer says to retry after a second, so
/// holding it a while costs an honest client nothing, while a client sending requests back to
/// back on many connections can no longer make the server spend its time refusing them: without
/// this, 5,000 such connections on 2 cores kept the admitted requests waiting ~10 s for the CPU.
const SHED_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

/// Routes answered outside the cap: health, readiness and metrics must answer while the API sheds.
const OUTSIDE: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Middleware, the outermost layer (so that a refused request holds no other layer's state):
/// admits a request under [`Admission`]'s rule, or answers `503` after `SHED_DELAY`. Requests
/// without a peer address (served without the connection layer, as in unit tests) count as one
/// address.
pub async fn admit(
    State(admission): State<Arc<Admission>>,
    request: Request,
    next: Next,
) -> Response {
    if OUTSIDE.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| client_address(addr.ip()))
        .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    let _slot = match admission.admit(address) {
        Ok(slot) => slot,
        Err(shed) => {
            admission.metrics.shed(shed.reason());
            // Hold nothing of the request while waiting: 5,000 of these must fit in memory.
            drop(request);
            tokio::time::sleep(SHED_DELAY).await;
            return ApiError::Overloaded(shed).into_response();
        }
    };
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn a_light_address_is_served_from_the_reserve_while_heavy_ones_fill_the_server() {
        let admission = Admission::new(8, 100, Arc::new(Metrics::default()));
        // Two heavy addresses fill all 8 slots.
        let mut held: Vec<Slot> = (0..8)
            .map(|i| admission.admit(ip(1 + i % 2)).unwrap())
            .collect();
        // Full: the heavy ones are over their share of the reserve (8 / 4 / 2 = 1).
        assert!(matches!(admission.admit(ip(1)), Err(Shed::InFlight)));
        // A new address gets a reserve slot (share 2 / 3 -> 1), but only one.
        held.push(admission.admit(ip(3)).unwrap());
        assert!(matches!(admission.admit(ip(3)), Err(Shed::InFlight)));
        // Another one fits too; then the reserve (8 + 2) is used up.
        held.push(admission.admit(ip(4)).unwrap());
        assert!(matches!(admission.admit(ip(5)), Err(Shed::InFlight)));
        assert_eq!(admission.in_flight(), 10);
        held.clear();
        assert_eq!(admission.in_flight(), 0);
        assert!(admission.counts().per_address.is_empty());
    }

    #[test]
    fn the_per_address_cap_holds_even_with_room() {
        let admission = Admission::new(100, 2, Arc::new(Metrics::default()));
        let _a = admission.admit(ip(1)).unwrap();
        let _b = admission.admit(ip(1)).unwrap();
        assert!(matches!(admission.admit(ip(1)), Err(Shed::Address)));
        assert!(admission.admit(ip(2)).is_ok());
    }
}
