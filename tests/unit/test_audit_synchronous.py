"""The audit trail's durability setting: FULL by default, NORMAL as an opt-in."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.errors import ConfigurationError


def _setting(trail: AuditTrail) -> int:
    return int(trail._store.conn.execute("PRAGMA synchronous").fetchone()[0])


def test_full_is_the_default(tmp_path: Path) -> None:
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        assert _setting(trail) == 2  # FULL
        assert trail.synchronous == "FULL"


@pytest.mark.parametrize("given", ["NORMAL", "normal"])
def test_normal_is_an_opt_in_that_still_commits_and_verifies(tmp_path: Path, given: str) -> None:
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s", synchronous=given) as trail:
        assert _setting(trail) == 1  # NORMAL
        assert trail.synchronous == "NORMAL"
        for i in range(5):
            trail.record("call", run_id=f"r{i}", prompt="p", response="r")
        trail.flush()
    # Committed rows are in the file for another connection, and the chain holds.
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM audit_events").fetchone()[0] == 5
    with AuditTrail(path, session_id="s") as again:
        assert again.verify().status == "intact"


def test_an_unknown_setting_is_a_clear_error_and_creates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "not-yet"
    with pytest.raises(ConfigurationError, match=r"synchronous='OFF'.*'FULL'.*'NORMAL'"):
        AuditTrail(folder / "a.sqlite", session_id="s", synchronous="OFF")
    assert not folder.exists()
