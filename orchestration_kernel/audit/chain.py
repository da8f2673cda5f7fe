"""The hash chain's arithmetic: every keyed hash the trail computes, in one place.

* A row's ``hash`` is ``HMAC(key, prev_hash | seq | the row's values)``. The sequence
  number is inside the hash, so swapping rows (or their ``seq``) breaks the chain, and
  the key is inside too, so a chain recomputed without the key fails at the first row
  it rewrote.
* The head anchor is ``HMAC(key, "anchor" | seq | head_hash)``: it pins the chain's
  length, so removing rows from the tail is caught.
* The high-water mark is ``HMAC(key, "mark" | seq | head_hash)``, kept in a file
  outside the database, so emptying or rolling back the database alone is caught.
* A prune checkpoint is ``HMAC(key, "checkpoint" | seq | hash)``: it vouches for the
  hash of the last pruned row, where the remaining chain starts.

The domain prefixes keep one kind of MAC from ever passing for another.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

__all__ = ["GENESIS", "ChainKey"]

#: ``prev_hash`` of the very first row.
GENESIS = "0" * 64


class ChainKey:
    """The audit key and the keyed hashes made with it. Never prints the key."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "ChainKey(<hidden>)"

    def mac(self, message: str) -> str:
        """Hex HMAC-SHA256 of ``message`` under the key."""
        return hmac.digest(self._key, message.encode("utf-8", "surrogatepass"), "sha256").hex()

    def row_hash(self, prev_hash: str, seq: int, values: Sequence[Any]) -> str:
        """The hash of one row, chained to ``prev_hash``."""
        body = json.dumps(_hashed(values), separators=(",", ":"))
        return self.mac(f"row|{prev_hash}|{seq}|{body}")

    def anchor_mac(self, seq: int, head_hash: str) -> str:
        """The MAC that anchors the head of the chain."""
        return self.mac(f"anchor|{seq}|{head_hash}")

    def mark_mac(self, seq: int, head_hash: str) -> str:
        """The MAC of the high-water mark kept outside the database (see ``mark``)."""
        return self.mac(f"mark|{seq}|{head_hash}")

    def checkpoint_mac(self, seq: int, last_hash: str, pruned: int) -> str:
        """The MAC of a prune checkpoint: the last pruned row and how many rows are gone."""
        return self.mac(f"checkpoint|{seq}|{last_hash}|{pruned}")

    def content_hash(self, text: str) -> str:
        """A keyed hash of stored content (prompt, response)."""
        return self.mac(f"content|{text}")

    def request_hash(self, material: str) -> str:
        """A keyed hash of a request's canonical form (for replay look-ups)."""
        return self.mac(f"request|{material}")

    def fingerprint(self) -> str:
        """Identifies the key without revealing it: lets a database refuse a wrong key."""
        return hashlib.sha256(self.mac("fingerprint").encode()).hexdigest()[:16]


def _hashed(values: Sequence[Any]) -> list[Any]:
    """The values a row's hash covers: every schema-1 column, then the later columns up
    to the last one set (unset trailing ones are left out, as before they existed)."""
    from .events import FIRST_LATER_COLUMN

    out = list(values)
    while len(out) > FIRST_LATER_COLUMN and out[-1] is None:
        out.pop()
    return out
