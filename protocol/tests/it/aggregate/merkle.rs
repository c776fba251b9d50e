//! The Merkle commitment over the reports a summary used.

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use sla_protocol::merkle::{
    self, leaf_hash, node_hash, Hash32, MerkleProof, MerkleTree, EMPTY_ROOT,
};
use sla_protocol::ReportHash;

fn hashes(n: usize, seed: u8) -> Vec<ReportHash> {
    (0..n)
        .map(|i| ReportHash(Sha256::digest([seed, i as u8, (i >> 8) as u8]).into()))
        .collect()
}

fn sorted(mut v: Vec<ReportHash>) -> Vec<ReportHash> {
    v.sort();
    v.dedup();
    v
}

#[test]
fn empty_tree_has_the_zero_root_and_no_proofs() {
    assert_eq!(merkle::root(&[]), EMPTY_ROOT);
    assert_eq!(merkle::proof(&[], ReportHash([1; 32])), None);
}

#[test]
fn small_trees_match_the_specification() {
    let h = sorted(hashes(3, 1));
    let (a, b, c) = (leaf_hash(&h[0]), leaf_hash(&h[1]), leaf_hash(&h[2]));
    let mut pre = vec![0u8];
    pre.extend_from_slice(&h[0].0);
    assert_eq!(a, <[u8; 32]>::from(Sha256::digest(&pre)));
    let mut node = vec![1u8];
    node.extend_from_slice(&a);
    node.extend_from_slice(&b);
    assert_eq!(node_hash(&a, &b), <[u8; 32]>::from(Sha256::digest(&node)));
    assert_eq!(merkle::root(&h[..1]), a);
    assert_eq!(merkle::root(&h[..2]), node_hash(&a, &b));
    // The odd last node is promoted, not paired with itself.
    assert_eq!(merkle::root(&h), node_hash(&node_hash(&a, &b), &c));
    assert_ne!(
        merkle::root(&h),
        node_hash(&node_hash(&a, &b), &node_hash(&c, &c))
    );
    // Five leaves: ((ab)(cd)) e.
    let h = sorted(hashes(5, 2));
    let l: Vec<_> = h.iter().map(leaf_hash).collect();
    let expect = node_hash(
        &node_hash(&node_hash(&l[0], &l[1]), &node_hash(&l[2], &l[3])),
        &l[4],
    );
    assert_eq!(merkle::root(&h), expect);
    let p = merkle::proof(&h, h[4]).unwrap();
    assert_eq!((p.index, p.leaf_count, p.siblings.len()), (4, 5, 1));
}

#[test]
fn proof_serializes_as_hex_json_and_back() {
    let h = hashes(7, 3);
    let tree = MerkleTree::new(&h);
    let p = tree.proof(&h[2]).unwrap();
    let json = serde_json::to_string(&p).unwrap();
    assert!(json.starts_with("{\"index\":"), "{json}");
    let back: MerkleProof = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
    assert!(back.verify(&tree.root(), &h[2]));
    assert!(serde_json::from_str::<MerkleProof>(
        r#"{"index":0,"leaf_count":1,"siblings":[],"x":1}"#
    )
    .is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_leaf_has_a_proof_and_tampering_breaks_it(n in 1usize..70, seed in any::<u8>(), flip in any::<prop::sample::Index>()) {
        let h = hashes(n, seed);
        let tree = MerkleTree::new(&h);
        let root = tree.root();
        for leaf in &h {
            let p = tree.proof(leaf).unwrap();
            prop_assert!(p.verify(&root, leaf));
            // Another leaf, a flipped root, a flipped sibling, a moved index, an extra or a
            // missing sibling: all refused.
            let mut other = *leaf;
            other.0[flip.index(32)] ^= 0x80;
            prop_assert!(!p.verify(&root, &other));
            let mut bad_root = root;
            bad_root[flip.index(32)] ^= 1;
            prop_assert!(!p.verify(&bad_root, leaf));
            if !p.siblings.is_empty() {
                let mut q = p.clone();
                let k = flip.index(q.siblings.len());
                q.siblings[k].0[0] ^= 1;
                prop_assert!(!q.verify(&root, leaf));
                let mut q = p.clone();
                q.siblings.pop();
                prop_assert!(!q.verify(&root, leaf));
            }
            let mut q = p.clone();
            q.siblings.push(Hash32([0; 32]));
            prop_assert!(!q.verify(&root, leaf));
            let mut q = p.clone();
            q.index = (q.index + 1) % q.leaf_count;
            if q.index != p.index {
                prop_assert!(!q.verify(&root, leaf));
            }
            let mut q = p.clone();
            q.index = q.leaf_count;
            prop_assert!(!q.verify(&root, leaf));
        }
        let mut outsider = h[0];
        outsider.0[31] ^= 0xff;
        if !h.contains(&outsider) {
            prop_assert!(tree.proof(&outsider).is_none());
        }
    }

    #[test]
    fn root_ignores_order_and_duplicates(n in 0usize..40, seed in any::<u8>()) {
        let h = hashes(n, seed);
        let mut shuffled: Vec<_> = h.iter().rev().copied().collect();
        shuffled.extend_from_slice(&h);
        prop_assert_eq!(merkle::root(&h), merkle::root(&shuffled));
        let tree = MerkleTree::new(&shuffled);
        prop_assert_eq!(tree.leaves(), &sorted(h)[..]);
    }

    #[test]
    fn different_leaf_sets_have_different_roots(n in 1usize..30, seed in any::<u8>()) {
        let h = hashes(n, seed);
        let fewer = &h[..n - 1];
        prop_assert_ne!(merkle::root(&h), merkle::root(fewer));
    }
}
