"""Strict ed25519 verification, exactly as docs/report-format.md section 9 prescribes.

Libraries disagree on ed25519 edge cases (small-order keys, non-canonical encodings, S >= L,
mixed-order points), and every verifier of a report must reach the same verdict. So the verdict
here does not depend on PyNaCl/libsodium: it is computed in pure Python with the rules of the
reference (`protocol/src/strict.rs`, ed25519-dalek's `verify_strict` plus refusing small-order
keys). Signing uses PyNaCl (deterministic RFC 8032 signatures are the same everywhere).

Speed is not a goal: one verification costs a few milliseconds, fine for a client or auditor.
"""

import hashlib
from typing import Optional, Tuple

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)  # a square root of -1 mod p

# Extended twisted Edwards coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z.
Point = Tuple[int, int, int, int]
IDENTITY: Point = (0, 1, 1, 0)

KEY_OK = "ok"
INVALID_KEY = "invalid-key"
WEAK_KEY = "weak-key"


def _add(p: Point, q: Point) -> Point:
    # add-2008-hwcd-3 for a = -1: complete, so it also doubles and handles the identity.
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _neg(p: Point) -> Point:
    x, y, z, t = p
    return (-x % P, y, z, -t % P)


def _mul(k: int, p: Point) -> Point:
    q = IDENTITY
    while k:
        if k & 1:
            q = _add(q, p)
        p = _add(p, p)
        k >>= 1
    return q


def _sqrt_ratio(u: int, v: int) -> Optional[int]:
    """The non-negative (even) x with x^2 = u/v mod p, or None when u/v is not a square."""
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    vx2 = v * x * x % P
    if vx2 == u % P:
        pass
    elif vx2 == -u % P:
        x = x * SQRT_M1 % P
    else:
        return None
    return P - x if x & 1 else x


def decompress(encoding: bytes) -> Optional[Point]:
    """Decodes 32 bytes the way ed25519-dalek (and the reference) does.

    y is the low 255 bits reduced mod p (so y >= p is taken, not refused), and a set sign bit
    with x = 0 gives x = 0 ("negative zero" is taken too). Refusing those is the caller's job:
    compare `compress(point)` with the bytes, as the spec's canonical-key rule says.
    """
    if len(encoding) != 32:
        return None
    n = int.from_bytes(encoding, "little")
    sign = n >> 255
    y = (n & ((1 << 255) - 1)) % P
    x = _sqrt_ratio(y * y - 1, D * y * y + 1)
    if x is None:
        return None
    if sign:
        x = -x % P
    return (x, y, 1, x * y % P)


def compress(p: Point) -> bytes:
    """The canonical encoding: y < p little-endian, the sign (low bit) of x in the top bit."""
    x, y, z, _ = p
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _is_small_order(p: Point) -> bool:
    x, y, z, _ = _mul(8, p)
    return x % P == 0 and (y - z) % P == 0


_B_Y = 4 * pow(5, P - 2, P) % P
BASE: Point = decompress(_B_Y.to_bytes(32, "little"))  # type: ignore[assignment]

# The 8 points of small order (the 8-torsion), from one point of order 8 and its multiples.
_T8 = decompress(bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"))
SMALL_ORDER_ENCODINGS = frozenset(compress(_mul(i, _T8)) for i in range(8))  # type: ignore[arg-type]


def check_key(key: bytes) -> str:
    """The spec's key checks, in the reference's order (section 6, steps 5, 6 and 6b).

    Returns KEY_OK, INVALID_KEY (not a point, or not the canonical encoding of its point) or
    WEAK_KEY (a small-order point in any encoding: it could "sign" any message).
    """
    point = decompress(key)
    if point is None:
        return INVALID_KEY
    if _is_small_order(point):
        return WEAK_KEY
    if compress(point) != bytes(key):
        return INVALID_KEY
    return KEY_OK


def verify_strict(key: bytes, message: bytes, signature: bytes) -> bool:
    """ed25519-dalek's `verify_strict` for a key that passed `check_key` (section 9, rules 1-4).

    S must be < L; R must not be one of the 8 small-order encodings; and the canonical encoding
    of [S]B - [k]A, k = SHA-512(R || A || M) mod L, must equal R's bytes (cofactorless, compared
    as bytes, so a non-canonical R never verifies). Decoding R is not needed: if R's bytes equal
    a canonical encoding, R decodes to that point (see protocol/src/strict.rs).
    """
    if len(signature) != 64 or check_key(key) != KEY_OK:
        return False
    r_bytes, s_bytes = bytes(signature[:32]), signature[32:]
    s = int.from_bytes(s_bytes, "little")
    if s >= L:
        return False
    if r_bytes in SMALL_ORDER_ENCODINGS:
        return False
    a = decompress(key)
    k = int.from_bytes(hashlib.sha512(r_bytes + bytes(key) + bytes(message)).digest(), "little") % L
    r_computed = _add(_mul(s, BASE), _mul(k, _neg(a)))  # type: ignore[arg-type]
    return compress(r_computed) == r_bytes
