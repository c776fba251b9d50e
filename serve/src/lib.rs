//! The connection layer every HTTP server of the SLA oracle sits on (the ingest API, the
//! committee endpoint): connections capped in all and per client address, header and idle
//! timeouts, a graceful drain ([`serve`]); and the client address those caps count by.

#![warn(missing_docs)]

use std::net::{IpAddr, Ipv6Addr};

mod connections;

pub use connections::{raise_open_files_limit, serve, ConnectionLimits};

/// The address that limits count by: IPv4 addresses as they are (an IPv4-mapped IPv6 address as
/// its IPv4 address), IPv6 addresses by their /64 prefix, the block one host usually gets.
pub fn client_address(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_address(a), client_address(b));
        assert_ne!(client_address(a), client_address(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_address(mapped), IpAddr::from([192, 0, 2, 7]));
    }
}
