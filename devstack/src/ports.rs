//! Ports for processes a test starts and tells where to listen.
//!
//! A port found by binding port 0 comes from the kernel's ephemeral range, the same range every
//! outgoing connection takes its local port from. Between the moment such a port is released and
//! the moment the child binds it, which on a loaded machine is seconds, a connection made by a
//! test running alongside can take it, and the child exits with "address in use". So ports are
//! drawn below that range, where no connection and no `bind(0)` ever goes, from a random start,
//! and this process never hands the same one out twice.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

/// The lowest port drawn from: above the registered services a test machine runs (PostgreSQL's
/// 5432, …) but well below the usual ephemeral range (32768–60999 on Linux).
const LOWEST: u16 = 15_000;

/// Ports handed out by this process (the tests of one binary run as threads of it).
static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// A free TCP port on loopback for a process to listen on: nobody listens on it now, no
/// connection can take it meanwhile, and it is not handed out again by this process.
pub fn free_port() -> anyhow::Result<u16> {
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let (low, high) = match ephemeral_range() {
        // No room below the ephemeral range: a kernel-chosen port, as good as it gets.
        Some((first, _)) if first <= LOWEST + 1_000 => return kernel_port(&mut handed_out),
        Some((first, _)) => (LOWEST, first),
        None => (LOWEST, 32_768),
    };
    let span = u32::from(high - low);
    let start = (RandomState::new().hash_one(std::process::id()) % u64::from(span)) as u32;
    for step in 0..span {
        let port = low + ((start + step) % span) as u16;
        if handed_out.contains(&port) {
            continue;
        }
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            handed_out.insert(port);
            return Ok(port);
        }
    }
    anyhow::bail!("no free port on loopback between {low} and {high}")
}

fn kernel_port(handed_out: &mut BTreeSet<u16>) -> anyhow::Result<u16> {
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        if handed_out.insert(port) {
            return Ok(port);
        }
    }
}

/// The kernel's ephemeral port range, where it says (Linux).
fn ephemeral_range() -> Option<(u16, u16)> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut parts = text.split_whitespace().map(|p| p.parse::<u16>().ok());
    Some((parts.next()??, parts.next()??))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_below_the_ephemeral_range_and_never_handed_out_twice() {
        let ports: Vec<u16> = (0..200).map(|_| free_port().unwrap()).collect();
        let distinct: BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len());
        if let Some((first, _)) = ephemeral_range().filter(|(first, _)| *first > LOWEST + 1_000) {
            assert!(
                ports.iter().all(|&p| (LOWEST..first).contains(&p)),
                "{ports:?}"
            );
        }
        // Each is free to listen on.
        for port in &ports[..10] {
            std::net::TcpListener::bind(("127.0.0.1", *port)).unwrap();
        }
    }
}
