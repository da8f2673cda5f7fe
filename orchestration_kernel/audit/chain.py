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
import json
from collections.abc import Sequence

from .events import FIRST_LATER_COLUMN

__all__ = ["GENESIS", "ChainKey", "hashed_body"]

#: ``prev_hash`` of the very first row.
GENESIS = "0" * 64

# ``json.dumps(values, separators=(",", ":"))`` builds a new encoder on every call; the
# chain hashes every row it writes and verifies, so we build the C encoder once. Same
# output byte for byte (ASCII-escaped, NaN allowed, no key sorting); no circular check,
# which a flat tuple of scalars does not need. Falls back to ``json.dumps`` without it.
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_encode_row = (
    _c_encoder(
        None,
        json.JSONEncoder().default,
        json.encoder.encode_basestring_ascii,
        None,
        ":",
        ",",
        False,
        False,
        True,
    )
    if _c_encoder is not None
    else None
)


def row_body(values: Sequence[object]) -> str:
    """The JSON text of a row's values that its hash covers (``json.dumps``, compact)."""
    if _encode_row is None:
        return json.dumps(values, separators=(",", ":"))
    return "".join(_encode_row(values, 0))


#: SHA-256's block size: HMAC pads (or first hashes) the key to this many bytes.
_BLOCK = 64


class ChainKey:
    """The audit key and the keyed hashes made with it. Never prints the key.

    HMAC-SHA256 is ``H((K ^ opad) || H((K ^ ipad) || message))`` (RFC 2104). The two
    key blocks are hashed once here; each MAC then copies those SHA-256 states, which
    is the same digest as ``hmac.digest`` at about half its cost (``hmac.digest`` sets
    the key up again for every message, and the chain makes four MACs per row written
    and one per row verified).
    """

    __slots__ = ("_content", "_inner", "_key", "_outer", "_request")

    def __init__(self, key: bytes) -> None:
        self._key = key
        block = hashlib.sha256(key).digest() if len(key) > _BLOCK else key
        block = block.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        # The inner states after the domain prefixes the encoder hashes for every row
        # (UTF-8 of the prefix then the text is UTF-8 of their concatenation).
        self._content = self._inner.copy()
        self._content.update(b"content|")
        self._request = self._inner.copy()
        self._request.update(b"request|")

    def __repr__(self) -> str:
        return "ChainKey(<hidden>)"

    def mac(self, message: str) -> str:
        """Hex HMAC-SHA256 of ``message`` under the key."""
        # (mac_bytes inlined: the trail makes several MACs per row it writes)
        inner = self._inner.copy()
        inner.update(message.encode("utf-8", "surrogatepass"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def mac_bytes(self, data: bytes) -> str:
        """Hex HMAC-SHA256 of ``data`` under the key (what ``hmac.digest`` gives)."""
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def mac_digests(self, data: memoryview | bytes, bounds: Sequence[int]) -> bytes:
        """The raw HMAC-SHA256 digests (32 bytes each, end to end) of the messages
        ``data[bounds[k]:bounds[k + 1]]``, one per consecutive pair of ``bounds``.

        The read side's bulk form of :meth:`mac_bytes`: ``verify()`` MACs every row, and a
        loop here slices each message out of one buffer and keeps 32 raw bytes of it,
        where a list of views, a call per row and a hex string per row cost about a third
        more (the caller turns the whole result into hex in one call to compare it)."""
        view = memoryview(data)
        inner_copy, outer_copy = self._inner.copy, self._outer.copy
        out: list[bytes] = []
        keep = out.append
        ends = iter(bounds)
        start = next(ends, None)
        for end in ends:
            inner = inner_copy()
            inner.update(view[start:end])
            outer = outer_copy()
            outer.update(inner.digest())
            keep(outer.digest())
            start = end
        return b"".join(out)

    def row_hash(self, prev_hash: str, seq: int, values: Sequence[object]) -> str:
        """The hash of one row, chained to ``prev_hash``."""
        return self.mac(row_message(prev_hash, seq, values))

    def row_mac(self, prev_hash: str, seq: int, body: bytes) -> str:
        """:meth:`row_hash` of the row whose :func:`hashed_body` is ``body`` (made
        beforehand, when the row was encoded: the chain link is all that is left)."""
        inner = self._inner.copy()
        inner.update(f"row|{prev_hash}|{seq}|".encode("utf-8", "surrogatepass"))
        inner.update(body)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

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
        """A keyed hash of stored content (prompt, response): ``mac(f"content|{text}")``,
        made without copying the text into a new string first (two rows in three have a
        prompt and a response to hash)."""
        inner = self._content.copy()
        inner.update(text.encode("utf-8", "surrogatepass"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def request_hash(self, material: str) -> str:
        """A keyed hash of a request's canonical form (for replay look-ups):
        ``mac(f"request|{material}")``, without copying the text into a new string."""
        inner = self._request.copy()
        inner.update(material.encode("utf-8", "surrogatepass"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def fingerprint(self) -> str:
        """Identifies the key without revealing it: lets a database refuse a wrong key."""
        return hashlib.sha256(self.mac("fingerprint").encode()).hexdigest()[:16]


def hashed_body(values: Sequence[object]) -> bytes:
    """The bytes of the part of a row's :func:`row_message` after its prefix: the row's
    body (ASCII: the encoder escapes every other character) without the unset later
    columns. ``row_mac(prev, seq, hashed_body(values)) == row_hash(prev, seq, values)``."""
    # (_hashed and row_body inlined: this runs once for every row written)
    end = len(values)
    if end > FIRST_LATER_COLUMN and values[end - 1] is None:
        end -= 1
        while end > FIRST_LATER_COLUMN and values[end - 1] is None:
            end -= 1
        values = values[:end]
    if _encode_row is None:
        return json.dumps(values, separators=(",", ":")).encode("ascii")
    return "".join(_encode_row(values, 0)).encode("ascii")


def row_message(prev_hash: str, seq: int, values: Sequence[object]) -> str:
    """The text a row's hash is the MAC of: ``row|prev_hash|seq|`` and the row's body."""
    return f"row|{prev_hash}|{seq}|{row_body(_hashed(values))}"


def _hashed(values: Sequence[object]) -> Sequence[object]:
    """The values a row's hash covers: every schema-1 column, then the later columns up
    to the last one set (unset trailing ones are left out, as before they existed)."""
    end = len(values)
    while end > FIRST_LATER_COLUMN and values[end - 1] is None:
        end -= 1
    return values if end == len(values) else values[:end]
