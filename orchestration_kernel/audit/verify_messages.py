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

__all__ = ["STRING_BYTES", "Messages", "float_texts", "messages"]

#: The bytes a batch's messages may hold in Arrow's ``string`` type (32-bit offsets).
STRING_BYTES = 2**31 - 1


class Messages(NamedTuple):
    """One batch of the walk: the rows' messages, one after another in ``data``
    (message ``k`` is ``data[bounds[k]:bounds[k + 1]]``, unless ``escaped`` holds it: a
    row with characters beyond ASCII, written as ``json.dumps`` writes them), and the
    rows' ``seq``, ``prev_hash`` and stored ``hash`` columns; ``hashes``: the stored
    hashes' bytes end to end when each is 64 bytes long (else ``None``: some row's MAC
    cannot match)."""

    data: memoryview
    bounds: list[int]
    escaped: dict[int, bytes]
    seqs: npt.NDArray[np.int64]
    prevs: pa.Array
    digests: pa.Array
    hashes: bytes | None

    @property
    def bodies(self) -> list[memoryview | bytes]:
        """Each row's message (bytes-like), in order."""
        data, bounds, escaped = self.data, self.bounds, self.escaped
        return [escaped.get(k, data[bounds[k] : bounds[k + 1]]) for k in range(len(bounds) - 1)]


def float_texts(values: pa.Array, nulls: npt.NDArray[np.bool_]) -> pa.Array:
    """``values`` (float64, no nulls) as ``repr`` writes each, ``"null"`` where ``nulls``.

    Arrow's text is taken where ``repr`` writes a plain decimal (``1e-4 <= |x| < 1e16``,
    or zero), Arrow wrote one too (no exponent) and Arrow's parse of it gives the value
    back; a whole number gets the ``.0`` ``repr`` adds. The range and the comparisons
    are numpy's, on the values themselves; what is left is written by ``repr``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    large = pa.large_string()
    text = pc.cast(values, large)
    numbers = values.to_numpy(zero_copy_only=False)
    size = np.abs(numbers)
    plain = ((size >= 1e-4) & (size < 1e16)) | (numbers == 0.0)
    plain &= ~pc.match_substring(text, "e").to_numpy(zero_copy_only=False)
    # Only plain decimals are parsed back (anything else could fail the parse).
    parsed = text if plain.all() else pc.if_else(pa.array(plain), text, pa.scalar("0", large))
    back = pc.cast(parsed, pa.float64()).to_numpy(zero_copy_only=False)
    taken = plain & (back == numbers)
    whole = taken & ~pc.match_substring(text, ".").to_numpy(zero_copy_only=False)  # "2": "2.0"
    if whole.any():
        ended = pc.binary_join_element_wise(text, pa.scalar(".0", large), pa.scalar("", large))
        text = pc.if_else(pa.array(whole), ended, text)
    left = np.flatnonzero(~taken)
    if len(left):
        reprs = [repr(v) for v in numbers[left].tolist()]
        text = pc.replace_with_mask(text, pa.array(~taken), pa.array(reprs, large))
    if nulls.any():
        text = pc.if_else(pa.array(nulls), pa.scalar("null", large), text)
    return text


def messages(record: pa.RecordBatch, float_cells: Sequence[int], escapes: str) -> Messages | None:
    """The messages of one batch of ``verify._SNAPSHOT_MESSAGES`` rows: its cells (the
    float cells at ``float_cells``, each a column of float64 with NULLs; every other cell
    a whole ``json_array``), then ``seq, prev_hash, hash`` and a column saying whether a
    hash is not text. ``None`` when there are no rows, a row says so, a float cell is of
    another type (a value that is not a float) or a cell is missing: the exact walk
    decides. ``escapes``: the encoding error handler that writes non-ASCII characters as
    ``json.dumps`` does.

    The cells are joined as they come, a comma between two floats; then, in the joined
    bytes, each bracket of a ``json_array`` that the message goes on past becomes the
    comma the message has there (:func:`_brackets_to_commas`)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    *cells, seqs, prevs, digests, odd = record.columns
    if not record.num_rows or np.any(odd.to_numpy(zero_copy_only=False)):
        return None  # (a part without rows: a gap, which the exact walk reports)
    floats = _raw_float_texts([cells[k] for k in float_cells])
    if floats is None:
        return None
    # Joined as the driver gives text (no cast), unless the messages could pass the 2 GiB
    # its offsets reach: each row's message is its cells and at most ~64 more bytes.
    small = record.nbytes + 64 * record.num_rows < STRING_BYTES
    text = pa.string() if small else pa.large_string()
    parts: list[pa.Array | pa.Scalar] = [
        pa.scalar("row|", text), prevs.cast(text), pa.scalar("|", text), seqs.cast(text),
        pa.scalar("|", text),
    ]  # fmt: skip
    brackets: list[tuple[int, bool]] = []  # (part, its last byte: else its first)
    for k, cell in enumerate(cells):
        if k in float_cells:
            if k - 1 in float_cells:
                parts.append(pa.scalar(",", text))
            parts.append(floats[float_cells.index(k)].cast(text))
            continue
        if k:
            brackets.append((len(parts), False))
        if k + 1 < len(cells):
            brackets.append((len(parts), True))
        parts.append(cell.cast(text))
    joined = pc.binary_join_element_wise(*parts, pa.scalar("", text))
    if joined.null_count or not _brackets_to_commas(joined, parts, brackets):
        return None
    data, bounds = _bounds(joined)
    escaped = {
        at: bytes(data[bounds[at] : bounds[at + 1]]).decode().encode("ascii", escapes)
        for at in _not_ascii(joined)
    }
    seq = seqs.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return Messages(data, bounds, escaped, seq, prevs, digests, _joined_hashes(digests))


def _raw_float_texts(columns: list[pa.Array]) -> list[pa.Array] | None:
    """:func:`float_texts` of each float column as the driver gave it (float64 with
    NULLs; a column of nothing but NULLs may come as another type), in one call over
    them all (fewer, longer Arrow calls); ``None`` when one holds something else."""
    import numpy as np
    import pyarrow as pa

    if not columns:
        return []
    n = len(columns[0])
    values, nulls = [], []
    for column in columns:
        if isinstance(column, pa.ChunkedArray):
            column = pa.concat_arrays(column.chunks)
        if column.null_count == len(column):
            column = pa.nulls(len(column), pa.float64())
        elif column.type != pa.float64():
            return None
        nulls.append(column.is_null().to_numpy(zero_copy_only=False))
        values.append(column.fill_null(0.0))
    texts = float_texts(pa.concat_arrays(values), np.concatenate(nulls))
    return [texts.slice(k * n, n) for k in range(len(columns))]


def _brackets_to_commas(
    joined: pa.Array, parts: list[pa.Array | pa.Scalar], brackets: list[tuple[int, bool]]
) -> bool:
    """Turn, in ``joined``'s bytes (its own: the join wrote them), the first or last
    byte of each part named in ``brackets`` into a comma; ``False`` (nothing changed)
    unless each of those bytes is the ``[`` or ``]`` of a ``json_array``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(joined)
    starts = _offsets(joined)[:n]  # a copy
    body = np.frombuffer(joined.buffers()[2], np.uint8)
    at: list[tuple[npt.NDArray[np.int64], int]] = []
    for k, part in enumerate(parts):
        if isinstance(part, pa.Scalar):
            size: npt.NDArray[np.int64] | int = len(part.as_py())
        else:
            size = pc.binary_length(part).to_numpy(zero_copy_only=False).astype(np.int64)
        for index, last in brackets:
            if index == k:
                at.append((starts + size - 1, ord("]")) if last else (starts.copy(), ord("[")))
        starts += size
    if not all(np.array_equal(body[where], np.full(n, bracket, np.uint8)) for where, bracket in at):
        return False
    for where, _ in at:
        body[where] = ord(",")
    return True


def _bounds(joined: pa.Array) -> tuple[memoryview, list[int]]:
    """A string array's bytes (no copy) and where each value starts, then where the
    last one ends."""
    return memoryview(joined.buffers()[2]), _offsets(joined).tolist()


def _offsets(array: pa.Array) -> npt.NDArray[np.int64]:
    """Where each value of a (large) string array starts in its data, then where the
    last one ends (a new array)."""
    import numpy as np
    import pyarrow as pa

    kind = np.int64 if pa.types.is_large_string(array.type) else np.int32
    ends = np.frombuffer(array.buffers()[1], kind)[array.offset : array.offset + len(array) + 1]
    return ends.astype(np.int64)


def _not_ascii(joined: pa.Array) -> list[int]:
    """The rows of ``joined`` holding a character beyond ASCII (none, nearly always:
    one look at the bytes says so before any row is looked at)."""
    import numpy as np
    import pyarrow.compute as pc

    ends = _offsets(joined)
    body = np.frombuffer(joined.buffers()[2], np.uint8)[ends[0] : ends[-1]]
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
