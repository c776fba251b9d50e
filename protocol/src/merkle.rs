//! SHA-256 Merkle commitments over the reports a summary used.
//!
//! Leaves are the distinct report hashes sorted ascending; `leaf = SHA-256(0x00 ‖ report_hash)`,
//! `node = SHA-256(0x01 ‖ left ‖ right)`. A level with an odd number of nodes promotes its last
//! node unchanged to the next level (it is never paired with itself, so no two different leaf
//! sets share a root — the CVE-2012-2459 ambiguity of duplicating the last node cannot arise).
//! The root of no reports is 32 zero bytes. Specified in `docs/aggregation.md`, "Merkle tree".

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::report::ReportHash;

/// Domain prefix of a leaf hash.
pub const LEAF_PREFIX: u8 = 0x00;
/// Domain prefix of an inner node hash.
pub const NODE_PREFIX: u8 = 0x01;
/// Root of the tree over no reports.
pub const EMPTY_ROOT: [u8; 32] = [0; 32];

/// `SHA-256(0x00 ‖ report_hash)`.
pub fn leaf_hash(report: &ReportHash) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(report.0);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// A 32-byte hash that travels as lowercase hex in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9a-f]{64}$"))]
#[serde(transparent)]
pub struct Hash32(#[serde(with = "hex::serde")] pub [u8; 32]);

/// The whole tree, built once to serve many proofs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    /// The sorted, distinct report hashes.
    leaves: Vec<ReportHash>,
    /// `levels[0]` are the leaf hashes, the last level is the root alone (none when empty).
    levels: Vec<Vec<[u8; 32]>>,
}

impl MerkleTree {
    /// The tree over `reports` (any order, duplicates ignored).
    pub fn new(reports: &[ReportHash]) -> Self {
        let mut leaves = reports.to_vec();
        leaves.sort_unstable();
        leaves.dedup();
        let mut levels = Vec::new();
        if !leaves.is_empty() {
            let mut level: Vec<[u8; 32]> = leaves.iter().map(leaf_hash).collect();
            while level.len() > 1 {
                let next = level
                    .chunks(2)
                    .map(|pair| match pair {
                        [l, r] => node_hash(l, r),
                        [odd] => *odd,
                        _ => unreachable!("chunks(2)"),
                    })
                    .collect();
                levels.push(std::mem::replace(&mut level, next));
            }
            levels.push(level);
        }
        MerkleTree { leaves, levels }
    }

    /// The root: the leaf hash when there is one leaf, [`EMPTY_ROOT`] when there is none. This
    /// is the `reportsRoot` of an `EpochResult`.
    pub fn root(&self) -> [u8; 32] {
        self.levels.last().map_or(EMPTY_ROOT, |top| top[0])
    }

    /// The sorted, distinct leaves.
    pub fn leaves(&self) -> &[ReportHash] {
        &self.leaves
    }

    /// The proof that `report` is a leaf; `None` if it is not.
    pub fn proof(&self, report: &ReportHash) -> Option<MerkleProof> {
        let index = self.leaves.binary_search(report).ok()?;
        let mut siblings = Vec::new();
        let mut i = index;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            if sibling < level.len() {
                siblings.push(Hash32(level[sibling]));
            }
            i /= 2;
        }
        Some(MerkleProof {
            index: index as u64,
            leaf_count: self.leaves.len() as u64,
            siblings,
        })
    }
}

/// The Merkle root over `reports` (any order, duplicates ignored).
pub fn root(reports: &[ReportHash]) -> [u8; 32] {
    MerkleTree::new(reports).root()
}

/// The proof that `report` is among `reports`; `None` if it is not.
pub fn proof(reports: &[ReportHash], report: ReportHash) -> Option<MerkleProof> {
    MerkleTree::new(reports).proof(&report)
}

/// A leaf's position among the sorted distinct leaves and its sibling hashes from the bottom up.
/// Levels where the node is the promoted odd one contribute no sibling; the sides follow from
/// `index` and `leaf_count`, so a proof is valid for exactly one position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MerkleProof {
    /// Position of the leaf among the sorted distinct leaves, from 0; less than `leaf_count`.
    pub index: u64,
    /// Number of leaves in the tree (distinct reports used).
    pub leaf_count: u64,
    /// Sibling hashes from the leaf level up, none for a level where the node is promoted.
    /// Every one must be consumed for the proof to hold.
    pub siblings: Vec<Hash32>,
}

impl MerkleProof {
    /// Whether this proof shows `leaf` (a report hash) under `root`.
    pub fn verify(&self, root: &[u8; 32], leaf: &ReportHash) -> bool {
        self.compute_root(leaf).is_some_and(|r| &r == root)
    }

    /// The root this proof leads to from `leaf`; `None` if the proof's shape is inconsistent.
    pub fn compute_root(&self, leaf: &ReportHash) -> Option<[u8; 32]> {
        if self.index >= self.leaf_count {
            return None;
        }
        let mut acc = leaf_hash(leaf);
        let (mut i, mut n) = (self.index, self.leaf_count);
        let mut siblings = self.siblings.iter();
        while n > 1 {
            let has_sibling = i % 2 == 1 || i + 1 < n;
            if has_sibling {
                let s = siblings.next()?;
                acc = if i % 2 == 0 {
                    node_hash(&acc, &s.0)
                } else {
                    node_hash(&s.0, &acc)
                };
            }
            i /= 2;
            n = n.div_ceil(2);
        }
        if siblings.next().is_some() {
            return None;
        }
        Some(acc)
    }
}
