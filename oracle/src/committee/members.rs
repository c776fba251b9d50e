//! The committee file (docs/committee.md, "Configuration"): where each member's public API
//! (reports, proofs) and committee endpoint (proposals) are, by its oracle signer address. Who
//! is a member and how many signatures a batch needs come from the contract, never from here:
//! the file only says how to reach them.

use std::path::Path;

use alloy::primitives::Address;
use serde::Deserialize;

use crate::exchange::Peer;

/// One member of the committee.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Its name, for logs, metrics and the report exchange's cursors (`[a-z0-9_-]`, at most 32).
    pub name: String,
    /// Its oracle signer address, as registered in the contract's signer set.
    pub address: Address,
    /// The base URL of its ingest API (the feed of reports, the roll-ups' proofs).
    pub api: reqwest::Url,
    /// The base URL of its committee endpoint (`sla-oracle --committee-listen`).
    pub committee: reqwest::Url,
}

/// The committee file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitteeFile {
    /// Every member, this node included.
    pub members: Vec<Member>,
    /// How long an attempt of a round lasts before the next signer leads, ms.
    #[serde(default = "default_round_timeout_ms")]
    pub round_timeout_ms: u64,
}

fn default_round_timeout_ms() -> u64 {
    5_000
}

impl CommitteeFile {
    /// Reads and checks the file at `path`.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("committee file {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow::anyhow!("committee file {}: {e}", path.display()))
    }

    /// Parses and checks a committee file's text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut file: CommitteeFile = serde_json::from_str(text)?;
        for member in &mut file.members {
            // Validates the name as a peer name, and makes both URLs bases (ending in `/`).
            let peer: Peer = format!("{}={}", member.name, member.api)
                .parse()
                .map_err(|e: String| anyhow::anyhow!(e))?;
            member.api = peer.url;
            if !member.committee.path().ends_with('/') {
                let path = format!("{}/", member.committee.path());
                member.committee.set_path(&path);
            }
        }
        for (i, m) in file.members.iter().enumerate() {
            if file.members[..i]
                .iter()
                .any(|o| o.name == m.name || o.address == m.address)
            {
                anyhow::bail!("member {} ({}) is listed twice", m.name, m.address);
            }
        }
        anyhow::ensure!(
            file.round_timeout_ms > 0,
            "round_timeout_ms must be above 0"
        );
        Ok(file)
    }

    /// The member with `address`.
    pub fn member(&self, address: Address) -> Option<&Member> {
        self.members.iter().find(|m| m.address == address)
    }

    /// The other members as peers of the report exchange.
    pub fn peers_of(&self, me: Address) -> Vec<Peer> {
        self.members
            .iter()
            .filter(|m| m.address != me)
            .map(|m| Peer {
                name: m.name.clone(),
                url: m.api.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
        "members": [
            {"name": "a", "address": "0x1111111111111111111111111111111111111111",
             "api": "http://127.0.0.1:8001", "committee": "http://127.0.0.1:9001"},
            {"name": "b", "address": "0x2222222222222222222222222222222222222222",
             "api": "http://127.0.0.1:8002/", "committee": "http://127.0.0.1:9002/x"}
        ],
        "round_timeout_ms": 3000
    }"#;

    #[test]
    fn a_committee_file_is_read_and_its_urls_made_bases() {
        let file = CommitteeFile::parse(FILE).unwrap();
        assert_eq!(file.round_timeout_ms, 3_000);
        assert_eq!(file.members[0].api.as_str(), "http://127.0.0.1:8001/");
        assert_eq!(
            file.members[1].committee.as_str(),
            "http://127.0.0.1:9002/x/"
        );
        let a = Address::repeat_byte(0x11);
        let peers = file.peers_of(a);
        assert_eq!(peers.len(), 1);
        assert_eq!(peers[0].name, "b");
        assert_eq!(file.member(a).unwrap().name, "a");
    }

    #[test]
    fn duplicates_and_unknown_fields_are_refused() {
        let twice = FILE.replace("\"b\"", "\"a\"");
        assert!(CommitteeFile::parse(&twice)
            .unwrap_err()
            .to_string()
            .contains("listed twice"));
        let unknown = FILE.replace("\"round_timeout_ms\"", "\"round_timeout\"");
        assert!(CommitteeFile::parse(&unknown).is_err());
        let bad_name = FILE.replace("\"name\": \"a\"", "\"name\": \"A\"");
        assert!(CommitteeFile::parse(&bad_name).is_err());
    }
}
