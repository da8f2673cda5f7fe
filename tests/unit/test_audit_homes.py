"""Reading the audit of several homes together (kernels on other machines keep their own)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.errors import ConfigurationError


def _trail(home: Path, runs: list[str]) -> AuditTrail:
    home.mkdir(parents=True, exist_ok=True)
    trail = AuditTrail(home / "audit.sqlite")
    for run in runs:
        trail.record("call", run_id=run, status="ok", model="gpt-4o-mini")
        trail.flush()
        time.sleep(0.002)  # distinct timestamps, so the merged order is checkable
    return trail


def test_to_dataframe_reads_other_homes_in_time_order(tmp_path: Path) -> None:
    mine = _trail(tmp_path / "me", ["me-1"])
    theirs = _trail(tmp_path / "them", ["them-1", "them-2"])
    mine.record("call", run_id="me-2", status="ok", model="gpt-4o-mini")
    frame = mine.to_dataframe(event="call", homes=[tmp_path / "them"])
    assert list(frame["run_id"]) == ["me-1", "them-1", "them-2", "me-2"]
    assert list(frame["home"]) == [str(tmp_path / h) for h in ("me", "them", "them", "me")]
    assert frame["timestamp"].is_monotonic_increasing
    # Filters and limit apply to the whole: the two most recent rows of either home.
    assert list(mine.to_dataframe(limit=2, homes=[tmp_path / "them"])["run_id"]) == [
        "them-2",
        "me-2",
    ]
    # A file path works as well as a home; without homes nothing changes.
    both = mine.to_dataframe(homes=[tmp_path / "them" / "audit.sqlite"])
    assert len(both) == 4
    assert "home" not in mine.to_dataframe().columns
    theirs.close()
    mine.close()


def test_a_home_without_an_audit_is_named(tmp_path: Path) -> None:
    mine = _trail(tmp_path / "me", ["me-1"])
    with pytest.raises(ConfigurationError, match=r"No audit database at .*nowhere"):
        mine.to_dataframe(homes=[tmp_path / "nowhere"])
    mine.close()
