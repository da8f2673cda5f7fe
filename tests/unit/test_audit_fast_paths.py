"""The audit's fast paths give exactly what the general code gives.

Row hashes are part of every stored database, so the encoder the chain reuses must
produce ``json.dumps``'s bytes; and the row encoder's shortcut for values already in
their stored form must store what the per-kind normalisers would.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchestration_kernel.audit.chain import ChainKey, row_body
from orchestration_kernel.audit.events import COLUMNS
from orchestration_kernel.audit.rows import _NORMALISERS, RowEncoder

_VALUES: list[tuple[Any, ...]] = [
    (),
    ("",),
    (1, "a\u00e9\U0001f600", None, 1.5, 2**62, -(2**63), 'q"\\\n\t\x00', 0.1 + 0.2, -0.0),
    (1e300, 5e-324, float("nan"), float("inf"), True, False),
    ("\u2028", "{}", "[1, 2]", "\ud800"),
]


@pytest.mark.parametrize("values", _VALUES)
def test_row_body_is_json_dumps_compact(values: tuple[Any, ...]) -> None:
    assert row_body(values) == json.dumps(values, separators=(",", ":"))


def test_row_hash_covers_the_same_text_as_before() -> None:
    key = ChainKey(b"k" * 32)
    values = ("2025-01-01T00:00:00.000000+00:00", "run", None, 3, 1.25, "é")
    body = json.dumps(values, separators=(",", ":"))
    assert key.row_hash("0" * 64, 7, values) == key.mac(f"row|{'0' * 64}|7|{body}")


def _general(encoder: RowEncoder, given: dict[str, Any]) -> tuple[Any, ...]:
    """What the row holds when every value goes through its kind's normaliser."""
    row = encoder.encode((0.0, "call", given, None, True))
    by_name = dict(zip([c.name for c in COLUMNS], row, strict=True))
    for column in COLUMNS:
        value = given.get(column.name)
        if value is not None and column.name not in ("prompt", "response", "detail"):
            by_name[column.name] = _NORMALISERS[column.kind](value)
    return tuple(by_name[c.name] for c in COLUMNS)


@pytest.mark.parametrize(
    "given",
    [
        {"run_id": "r1", "attempt": 2, "latency_ms": 1.5, "input_tokens": 10, "model": "m"},
        {"attempt": True, "latency_ms": 5, "input_tokens": 2**70, "output_tokens": "12"},
        {"cost_usd": float("nan"), "ttft_ms": float("inf"), "latency_ms": "2.5"},
        {"run_id": "é\ud800", "model": 3, "status": b"ok", "replayed": "yes"},
        {"step": "ünïcode", "pipeline": "plain", "attempt": -(2**63), "output_tokens": 2**63},
    ],
)
def test_values_in_stored_form_are_kept_and_the_rest_normalised(given: dict[str, Any]) -> None:
    encoder = RowEncoder(ChainKey(b"k" * 32), "session", "who")
    row = encoder.encode((0.0, "call", given, None, True))
    assert row == _general(encoder, given)
    for stored, expected in zip(row, _general(encoder, given), strict=True):
        assert type(stored) is type(expected)


@pytest.mark.parametrize(
    "moment",
    [0.0, 1e-7, 5e-7, 1.5e-6, 2.5e-6, 1_765_000_000.0, 1_765_000_000.9999995,
     1_765_000_000.99999949, 1_765_000_123.4567895, 4e9 + 0.25, 1e11 + 0.5],
)  # fmt: skip
def test_the_timestamp_shortcut_writes_what_datetime_writes(moment: float) -> None:
    from datetime import UTC, datetime

    from orchestration_kernel.audit.rows import format_timestamp

    expected = datetime.fromtimestamp(moment, UTC).isoformat(timespec="microseconds")
    assert format_timestamp(moment) == expected
    assert format_timestamp(moment) == expected  # and again, from the cached second
