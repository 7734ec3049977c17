"""Content keys: how the cache and the feed documents name what they were made from.

One hash (BLAKE2b of 20 bytes) and one way of joining parts: each behind its length, so no two
lists of parts share a key. `blake2b` comes from `_blake2`, the very function `hashlib.blake2b`
is: importing `hashlib` sets up OpenSSL, 2–3 ms of every build before it can fork.
"""

from __future__ import annotations

from _blake2 import blake2b
from collections.abc import Iterable


def new_key() -> blake2b:
    """A key being made: `hashed` adds to it; `copy()` shares a common beginning."""
    return blake2b(digest_size=20)


def hashed(h: blake2b, parts: Iterable[bytes]) -> blake2b:
    """`h` with each of `parts` added behind its length."""
    for data in parts:
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h
