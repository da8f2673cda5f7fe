"""``%orchestrate audit`` after an ``--over`` pipeline cell shows the job the user ran:
the job's run_start/run_end and every row's run (it showed the first row's run only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from tests.unit.magic_shell import magic_shell

PIPELINE = "- name: grade\n  model: gpt-4o\n  prompt: 'Grade {stars}: {review}'\n"


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A shell with the extension loaded, every model on the offline simulator."""
    yield from magic_shell(monkeypatch, ("df", "graded", "rows"))


def test_audit_after_an_over_pipeline_shows_the_job_and_its_rows(ip: Any) -> None:
    ip.user_ns["df"] = pd.DataFrame({"stars": [5, 2, 3], "review": ["good", "meh", "ok"]})
    result = ip.run_cell(f"%%orchestrate --over df --out graded\n{PIPELINE}")
    assert result.success, result.error_in_exec
    job = ip.user_ns["graded"].run_id
    result = ip.run_cell("%orchestrate audit --out rows")
    assert result.success, result.error_in_exec
    rows = ip.user_ns["rows"]
    assert set(rows["run_id"]) == {job, f"{job}-0", f"{job}-1", f"{job}-2"}
    ends = rows[rows["event"] == "run_end"]
    assert list(ends["run_id"])[-1] == job  # the job ends last, after its rows
    assert (ends["status"] == "done").all()
    assert rows["seq"].is_monotonic_increasing
    assert rows.loc[rows["run_id"] == job, "event"].tolist() == ["run_start", "run_end"]
    # The same for the job's id given by hand; a row's id shows that row alone.
    ip.run_cell(f"%orchestrate audit --run {job} --out rows")
    assert len(ip.user_ns["rows"]) == len(rows)
    ip.run_cell(f"%orchestrate audit --run {job}-1 --out rows")
    assert set(ip.user_ns["rows"]["run_id"]) == {f"{job}-1"}


def test_audit_of_a_compare_cell_is_unchanged(ip: Any) -> None:
    result = ip.run_cell("%%orchestrate --compare gpt-4o claude-3 --out graded\nhi")
    assert result.success, result.error_in_exec
    ip.run_cell("%orchestrate audit --out rows")
    assert set(ip.user_ns["rows"]["run_id"]) == {ip.user_ns["graded"].run_id}
