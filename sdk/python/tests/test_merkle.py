"""Merkle roots and proofs, against the rules of docs/aggregation.md ("Merkle tree of the reports
used") and protocol/src/merkle.rs, with the expected roots written out by hand."""

import hashlib

import pytest

from sla_oracle_sdk import EMPTY_ROOT, merkle_proof, merkle_root, verify_proof


def h(i):
    return hashlib.sha256(bytes([i])).digest()


def leaf(x):
    return hashlib.sha256(b"\x00" + x).digest()


def node(a, b):
    return hashlib.sha256(b"\x01" + a + b).digest()


def test_empty_root_is_zero():
    assert merkle_root([]) == EMPTY_ROOT == bytes(32)


def test_single_leaf_root_is_its_leaf_hash():
    assert merkle_root([h(1)]) == leaf(h(1))
    assert merkle_proof([h(1)], h(1)) == {"index": 0, "leaf_count": 1, "siblings": []}
    assert verify_proof(leaf(h(1)), h(1), merkle_proof([h(1)], h(1)))


def test_leaves_are_sorted_and_distinct():
    a, b = sorted([h(1), h(2)])
    assert merkle_root([b, a, b, a]) == node(leaf(a), leaf(b)) == merkle_root([a, b])


def test_odd_node_is_promoted_not_duplicated():
    l = [leaf(x) for x in sorted(h(i) for i in range(3))]
    assert merkle_root([h(i) for i in range(3)]) == node(node(l[0], l[1]), l[2])
    # Not the Bitcoin-style duplication (CVE-2012-2459): [a, b, c] and [a, b, c, c] differ.
    assert merkle_root([h(i) for i in range(3)]) != node(node(l[0], l[1]), node(l[2], l[2]))
    l5 = [leaf(x) for x in sorted(h(i) for i in range(5))]
    five = node(node(node(l5[0], l5[1]), node(l5[2], l5[3])), l5[4])
    assert merkle_root([h(i) for i in range(5)]) == five


def test_promoted_leaf_has_fewer_siblings():
    hashes = sorted(h(i) for i in range(3))
    proof = merkle_proof(hashes, hashes[2])
    assert proof == {"index": 2, "leaf_count": 3, "siblings": [node(leaf(hashes[0]), leaf(hashes[1])).hex()]}


@pytest.mark.parametrize("n", range(1, 18))
def test_every_proof_verifies_and_tampering_fails(n):
    hashes = [h(i) for i in range(n)]
    root = merkle_root(hashes)
    for x in hashes:
        proof = merkle_proof(hashes, x)
        assert verify_proof(root, x, proof)
        assert verify_proof(root.hex(), x.hex(), proof)  # hex, as the API serves them
        assert not verify_proof(root, h(200), proof)
        assert not verify_proof(bytes(32), x, proof)
        assert not verify_proof(root, x, dict(proof, index=proof["leaf_count"]))
        assert not verify_proof(root, x, dict(proof, siblings=proof["siblings"] + [x.hex()]))
        if proof["siblings"]:
            assert not verify_proof(root, x, dict(proof, siblings=proof["siblings"][:-1]))
        if n > 1:  # a proof holds for exactly one position
            other = (proof["index"] + 1) % n
            assert not verify_proof(root, x, dict(proof, index=other))


# ---- protocol/test-vectors/merkle-v1.json and the roots of aggregation-v2.json ----------------

from conftest import load  # noqa: E402
from sla_oracle_sdk import Deployment, leaf_hash, report_hash, verify_report  # noqa: E402

MERKLE = load("merkle-v1.json")
VECTOR_DEPLOYMENT = Deployment(31337, bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3"))


def test_merkle_vector_reports_are_valid_reports():
    for r in MERKLE["reports"]:
        payload, signature = bytes.fromhex(r["payload"]), bytes.fromhex(r["signature"])
        assert report_hash(payload).hex() == r["report_hash"]
        assert verify_report(payload, signature, VECTOR_DEPLOYMENT).hash.hex() == r["report_hash"]


@pytest.mark.parametrize("tree", MERKLE["trees"], ids=lambda t: t["name"])
def test_merkle_vector_tree(tree):
    hashes = [bytes.fromhex(x) for x in tree["report_hashes"]]
    root = merkle_root(hashes)
    assert root.hex() == tree["root"]
    leaves = sorted(set(hashes))
    assert [l["report_hash"] for l in tree["leaves"]] == [x.hex() for x in leaves]
    assert [l["leaf_hash"] for l in tree["leaves"]] == [leaf_hash(x).hex() for x in leaves]
    if tree["levels"]:
        assert tree["levels"][0] == [leaf_hash(x).hex() for x in leaves]
        assert tree["levels"][-1] == [root.hex()]
    else:
        assert root == EMPTY_ROOT
    if len(leaves) == 1:  # the root of one leaf is its leaf hash, not the report hash
        assert root == leaf_hash(leaves[0]) != leaves[0]
    assert len(tree["proofs"]) == len(leaves)
    for p in tree["proofs"]:
        x = bytes.fromhex(p["report_hash"])
        assert merkle_proof(hashes, x) == p["proof"]
        assert verify_proof(tree["root"], p["report_hash"], p["proof"])


@pytest.mark.parametrize("case", MERKLE["invalid_proofs"], ids=lambda c: c["name"])
def test_merkle_vector_invalid_proof(case):
    assert case["valid"] is False
    assert not verify_proof(case["root"], case["report_hash"], case["proof"])


def test_aggregation_vector_roots():
    # Every judged epoch's reports root is the root over the reports it used.
    scenarios = load("aggregation-v2.json")["scenarios"]
    assert scenarios
    for s in scenarios:
        for r in s["reports"]:
            assert report_hash(bytes.fromhex(r["payload"])).hex() == r["report_hash"]
        for e in s["epochs"]:
            root = merkle_root(bytes.fromhex(h) for h in e["reports_used"]).hex()
            assert root == e["summary"]["reports_root"] == e["epoch_result"]["reports_root"]
            assert root == e["summary_encoding"][-64:]  # the encoding ends with the root
