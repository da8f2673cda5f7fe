"""A set in an audit row's ``detail`` is stored the same way whatever the hash seed: two
processes with different ``PYTHONHASHSEED`` record the same rows with the same bytes and
the same hashes (with the Guardian's redactor on the trail and without)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration_kernel.audit.set_order import stable_order

pytestmark = pytest.mark.timeout(120)

CHILD = r"""
import json, sqlite3, sys
from orchestration_kernel.audit import AuditTrail

db, key = sys.argv[1], sys.argv[2]
trail = AuditTrail(db, key_path=key, session_id="s", identity="me")
words = {"alpha", "beta", "gamma", "delta", "a b", "Zeta", "a!", "é"}
detail = {
    "tags": words,
    "nested": [frozenset({"x", "y", "z", "w"}), {("p", frozenset({"q", "r", "s"})), ("p", "o")}],
    "numbers": frozenset({3, 1, 2, "1"}),
}
trail.record("call", timestamp=1_700_000_000.0, run_id="r", detail=detail)
trail.record("call", timestamp=1_700_000_001.0, run_id="r", detail=words)
trail.redactor = lambda text: text.replace("a", "A")  # as the Guardian's, on every string
trail.record("call", timestamp=1_700_000_002.0, run_id="r", detail=detail)
trail.flush()
rows = sqlite3.connect(db).execute("SELECT detail, hash FROM audit_events ORDER BY seq").fetchall()
print(json.dumps(rows))
"""


def _rows(tmp_path: Path, seed: str) -> list[list[str]]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / f"audit-{seed}.sqlite"),
         str(tmp_path / "audit.key")],
        env=env, capture_output=True, text=True, check=True, timeout=100,
    )  # fmt: skip
    rows: list[list[str]] = json.loads(out.stdout)
    return rows


def test_a_set_in_detail_hashes_the_same_in_two_processes(tmp_path: Path) -> None:
    first, second = _rows(tmp_path, "1"), _rows(tmp_path, "2")
    assert len(first) == 3 and first == second  # same detail text, same row hashes
    plain, top, redacted = (json.loads(detail) for detail, _ in first)
    assert plain["tags"] == ["Zeta", "a b", "a!", "alpha", "beta", "delta", "gamma", "é"]
    assert plain["nested"][0] == ["w", "x", "y", "z"]  # a set in a list: a sorted list
    assert plain["nested"][1] == [["p", "o"], ["p", ["q", "r", "s"]]]
    assert plain["numbers"] == ["1", 1, 2, 3]
    assert top == plain["tags"]  # a set as the whole detail: sorted by text, as it was
    assert redacted["tags"] == ["ZetA", "A b", "A!", "AlphA", "betA", "deltA", "gAmmA", "é"]


def test_members_that_print_alike_are_ordered_by_their_encoding() -> None:
    assert stable_order({1, "1"}) == ["1", 1] and stable_order({"1", 1}) == ["1", 1]
    nested = [frozenset({"b", "a"}), frozenset({"a"})]  # by their JSON: ["a", "b"], ["a"]
    assert stable_order(set(nested)) == nested == stable_order(set(reversed(nested)))
