"""The Merkle commitment over the reports an epoch summary used (docs/aggregation.md,
"Merkle tree of the reports used"; reference `protocol/src/merkle.rs`).

Leaves are the distinct report hashes sorted ascending, `leaf = SHA-256(0x00 ‖ hash)`,
`node = SHA-256(0x01 ‖ left ‖ right)`; an odd last node is promoted unchanged (never paired
with itself). One leaf: the root is its leaf hash; no leaves: 32 zero bytes.
"""

import hashlib
from typing import Iterable, List, Mapping, Sequence, Union

EMPTY_ROOT = bytes(32)


def leaf_hash(report_hash: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + bytes(report_hash)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(hashes: Iterable[bytes]) -> bytes:
    """The root over report hashes in any order (duplicates ignored)."""
    level: List[bytes] = [leaf_hash(h) for h in sorted({bytes(h) for h in hashes})]
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        level = [
            node_hash(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0]


def merkle_proof(hashes: Iterable[bytes], report_hash: bytes) -> dict:
    """The proof for `report_hash`, in the API's JSON shape `{index, leaf_count, siblings}`."""
    leaves = sorted({bytes(h) for h in hashes})
    index = leaves.index(bytes(report_hash))  # ValueError when it is not a leaf
    level = [leaf_hash(h) for h in leaves]
    siblings, i = [], index
    while len(level) > 1:
        if i ^ 1 < len(level):
            siblings.append(level[i ^ 1].hex())
        level = [
            node_hash(level[j], level[j + 1]) if j + 1 < len(level) else level[j]
            for j in range(0, len(level), 2)
        ]
        i //= 2
    return {"index": index, "leaf_count": len(leaves), "siblings": siblings}


def _bytes32(value: Union[bytes, str]) -> bytes:
    if isinstance(value, str):
        value = bytes.fromhex(value[2:] if value.startswith("0x") else value)
    if len(value) != 32:
        raise ValueError("a hash is 32 bytes")
    return bytes(value)


def verify_proof(
    root: Union[bytes, str], report_hash: Union[bytes, str], proof: Mapping
) -> bool:
    """Whether `proof` (`{"index", "leaf_count", "siblings": [hex, …]}`, as the API serves it)
    shows `report_hash` under `root`. The sides follow from index and leaf_count, and every
    sibling must be consumed, so a proof holds for exactly one position."""
    index, n = int(proof["index"]), int(proof["leaf_count"])
    siblings: Sequence = [_bytes32(s) for s in proof["siblings"]]
    if index >= n:
        return False
    h, i, used = leaf_hash(_bytes32(report_hash)), index, 0
    while n > 1:
        if i % 2 == 1 or i + 1 < n:
            if used == len(siblings):
                return False
            s = siblings[used]
            used += 1
            h = node_hash(s, h) if i % 2 == 1 else node_hash(h, s)
        i, n = i // 2, (n + 1) // 2
    return used == len(siblings) and h == _bytes32(root)
