"""The messages ``verify()``'s snapshot walk MACs, built in Arrow a batch at a time.

A row's hash is the MAC of ``row|prev_hash|seq|`` and its JSON body (``chain``). The
snapshot walk (``verify._walk_snapshot``) has SQLite render the body in cells, the float
values left out (SQLite's float text is not Python's). This module joins those cells into
the whole message in Arrow, on the reader's thread, so the walk's own thread only MACs:

* each float is written as Python writes it (``repr``): Arrow's shortest round-trip text,
  taken only for plain decimals in the range where ``repr`` writes plain decimals
  (``1e-4 <= |x| < 1e16``, and zero), with the ``.0`` ``repr`` adds to a whole number,
  and only where Arrow's own parse of that text gives the value back; every other value
  is written by ``repr`` itself;
* the message is ASCII where the text is: a row holding other characters is encoded by
  Python with the ``\\uXXXX`` escapes ``json.dumps`` writes (``verify._JSON_ESCAPES``).

Why a rendering that might differ from ``repr`` could never vouch for an edit: every float
text here is a JSON number that reads back as exactly its value, so the message is a JSON
text that reads back as exactly the row's values; if its MAC is the stored hash, it is the
message the writer MACed (the key is secret), whose values are the row's values. A text
that differs from ``repr`` only makes the MAC differ, and that row takes the exact walk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa

__all__ = ["Messages", "float_texts", "messages"]


class Messages(NamedTuple):
    """One batch of the walk: each row's message (bytes-like), and the rows' ``seq``,
    ``prev_hash`` and stored ``hash`` columns; ``hashes``: the stored hashes' bytes end
    to end when each is 64 bytes long (else ``None``: some row's MAC cannot match)."""

    bodies: list[memoryview | bytes]
    seqs: npt.NDArray[np.int64]
    prevs: pa.Array
    digests: pa.Array
    hashes: bytes | None


def float_texts(
    values: pa.Array, nulls: npt.NDArray[np.bool_], text_type: pa.DataType | None = None
) -> pa.Array:
    """``values`` (float64, no nulls) as ``repr`` writes each, ``"null"`` where ``nulls``;
    ``text_type``: ``large_string`` (the default) or ``string``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    large = text_type or pa.large_string()
    text = pc.cast(values, large)
    size = pc.abs(values)
    plain = pc.and_(
        pc.or_(pc.and_(pc.greater_equal(size, 1e-4), pc.less(size, 1e16)), pc.equal(values, 0.0)),
        pc.invert(pc.match_substring(text, "e")),
    )
    # Only plain decimals are parsed back (anything else could fail the parse).
    back = pc.cast(pc.if_else(plain, text, pa.scalar("0", large)), pa.float64())
    taken = pc.and_(plain, pc.equal(back, values))
    whole = pc.invert(pc.match_substring(text, "."))
    ended = pc.binary_join_element_wise(text, pa.scalar(".0", large), pa.scalar("", large))
    text = pc.if_else(whole, ended, text)
    left = np.flatnonzero(~taken.to_numpy(zero_copy_only=False))
    if len(left):
        reprs = [repr(v) for v in values.take(pa.array(left)).to_pylist()]
        mask = pa.array(np.isin(np.arange(len(values)), left))
        text = pc.replace_with_mask(text, mask, pa.array(reprs, large))
    if nulls.any():
        text = pc.if_else(pa.array(nulls), pa.scalar("null", large), text)
    return text


def messages(record: pa.RecordBatch, float_cells: Sequence[int], escapes: str) -> Messages | None:
    """The messages of one batch of ``verify._SNAPSHOT_MESSAGES`` rows: its cells (the
    float cells at ``float_cells``), then ``seq, prev_hash, hash`` and a column of bits.
    A float cell holds 0.0 where the value is NULL or not a float, and the bits say
    which: bit ``k``, the ``k``-th float is NULL (written ``null``); the bit after them,
    one is not a float or a hash is not text. ``None`` when a row has that last bit set,
    or a cell is missing: the exact walk decides. ``escapes``: the encoding error
    handler that writes non-ASCII characters as ``json.dumps`` does."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    *cells, seqs, prevs, digests, bits = record.columns
    flags = bits.to_numpy(zero_copy_only=False)
    if np.any(flags >> len(float_cells)):
        return None
    text = _text_type(record)
    parts: list[object] = ["row|", prevs.cast(text), "|", seqs.cast(text), "|"]
    for k, cell in enumerate(cells):
        if k:
            parts.append(",")
        if k in float_cells:
            nulls = (flags >> float_cells.index(k) & 1).astype(bool)
            parts.append(float_texts(cell, nulls, text))
        else:
            parts.append(cell.cast(text))
    parts.append(_END)  # each message ends in a NUL: the bodies are split there at once
    joined = pc.binary_join_element_wise(
        *(pa.scalar(p, text) if isinstance(p, str) else p for p in parts), pa.scalar("", text)
    )
    if joined.null_count:
        return None
    bodies = _bodies(joined)
    for at in _not_ascii(joined):
        bodies[at] = joined[at].as_py()[:-1].encode("ascii", escapes)  # without its NUL
    seq = seqs.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return Messages(bodies, seq, prevs, digests, _joined_hashes(digests))


#: What ends each joined message: NUL, which no message holds (SQLite's JSON escapes it),
#: unless a stored ``prev_hash`` does, which no real one does.
_END = "\x00"


def _text_type(record: pa.RecordBatch) -> pa.DataType:
    """``string`` for the joined messages (no 64-bit offsets to write, no cells to widen)
    while the batch's messages surely fit in its 32-bit offsets, else ``large_string``."""
    import pyarrow as pa

    # The cells' bytes, plus each row's floats and separators (well under 256 bytes).
    size = sum(column.nbytes for column in record.columns) + 256 * record.num_rows
    return pa.string() if size < 2**31 - 1 else pa.large_string()


def _bodies(joined: pa.Array) -> list[memoryview | bytes]:
    """Each value of a string array of NUL-terminated messages, without its NUL: split
    in one call (a view per value cost far more, holding the GIL); cut value by value
    only where a value holds a NUL of its own (then the split does not line up)."""
    data = joined.buffers()[2]
    if data is None or not len(joined):
        return []
    ends = _ends(joined).tolist()
    text = data.slice(ends[0], ends[-1] - ends[0]).to_pybytes()
    pieces: list[memoryview | bytes] = list(text.split(_END.encode()))
    if len(pieces) == len(joined) + 1:
        del pieces[-1]  # the empty text after the last NUL
        return pieces
    whole = memoryview(data)
    return [whole[a : b - 1] for a, b in zip(ends[:-1], ends[1:], strict=True)]


def _ends(joined: pa.Array) -> npt.NDArray[np.int64] | npt.NDArray[np.int32]:
    """Where each value of a ``string`` or ``large_string`` array starts, and the last ends."""
    import numpy as np
    import pyarrow as pa

    wide = pa.types.is_large_string(joined.type)
    bounds = np.frombuffer(joined.buffers()[1], np.int64 if wide else np.int32)
    return bounds[joined.offset : joined.offset + len(joined) + 1]


def _not_ascii(joined: pa.Array) -> list[int]:
    """The rows of ``joined`` holding a character beyond ASCII (none, nearly always:
    one look at the bytes says so before any row is looked at)."""
    import numpy as np
    import pyarrow.compute as pc

    data = joined.buffers()[2]
    if data is None or not len(joined):
        return []
    ends = _ends(joined)
    body = np.frombuffer(data, np.uint8)[ends[0] : ends[-1]]
    if not len(body) or body.max() < 0x80:
        return []
    ascii_rows = pc.string_is_ascii(joined).to_numpy(zero_copy_only=False)
    return [int(at) for at in np.flatnonzero(~ascii_rows)]


def _joined_hashes(digests: pa.Array) -> bytes | None:
    """The stored hashes' bytes end to end, when every one is 64 bytes (a MAC's hex)."""
    import numpy as np
    import pyarrow as pa

    if digests.null_count or not pa.types.is_string(digests.type):
        return None
    _, bounds, data = digests.buffers()
    ends = np.frombuffer(bounds, np.int32)[digests.offset : digests.offset + len(digests) + 1]
    if len(ends) > 1 and not np.array_equal(np.diff(ends), np.full(len(ends) - 1, 64)):
        return None
    text: bytes = data.to_pybytes()
    return text[ends[0] : ends[-1]]
