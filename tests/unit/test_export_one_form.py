"""Exports as a data scientist writes and reads them (session 10, fixes).

Before: CSV wrote ``...+0000`` and JSONL ``...Z`` for the same timestamp, so the two
files of one trail did not compare equal as text (nor read plainly with ``csv``/``json``);
and ``export("runs.json")`` said which suffixes exist without saying that ``.jsonl`` was
the one meant. Real engine, real SQLite trail, on the simulator."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.export import read_back
from orchestration_kernel.errors import ConfigurationError

ISO = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$"


@pytest.fixture
def trail(tmp_path: Path) -> AuditTrail:
    engine = OrchestrationEngine(offline="on", audit=tmp_path / "audit.db")
    engine.create_pipeline([{"name": "a", "model": "gpt-4o-mini", "prompt": "{input}"}]).run("x")
    engine.complete_sync("gpt-4o-mini", "export me")
    engine.audit.flush()
    return engine.audit


def test_csv_and_jsonl_write_one_iso_form_and_round_trip_equal(
    trail: AuditTrail, tmp_path: Path
) -> None:
    paths = {fmt: trail.export(tmp_path / f"runs.{fmt}") for fmt in ("csv", "jsonl", "parquet")}
    with paths["csv"].open(newline="", encoding="utf-8") as f:
        from_csv = [row["timestamp"] for row in csv.DictReader(f)]
    lines = paths["jsonl"].read_text(encoding="utf-8").splitlines()
    from_jsonl = [json.loads(line)["timestamp"] for line in lines]
    assert len(from_csv) >= 8 and from_csv == from_jsonl  # the same text in both
    assert pd.Series(from_csv).str.match(ISO).all(), from_csv[:2]
    frame = trail.to_dataframe()
    # The text is the frame's timestamp, read back by the standard library as it is.
    assert [datetime.fromisoformat(t) for t in from_csv] == list(frame["timestamp"])
    back = {fmt: read_back(path) for fmt, path in paths.items()}
    for fmt in ("csv", "jsonl"):
        pd.testing.assert_series_equal(back[fmt]["timestamp"], back["parquet"]["timestamp"])
    # A plain pandas read of either text file gives equal timestamps too.
    plain_csv = pd.to_datetime(pd.read_csv(paths["csv"])["timestamp"], format="ISO8601")
    plain_jsonl = pd.to_datetime(pd.read_json(paths["jsonl"], lines=True)["timestamp"])
    pd.testing.assert_series_equal(plain_csv, plain_jsonl, check_dtype=False)


@pytest.mark.parametrize(
    "name, meant",
    [
        ("runs.json", "'runs.jsonl'"),
        ("runs.JSON", "'runs.jsonl'"),
        ("runs.jsnol", "'runs.jsonl'"),
        ("runs.parq", "'runs.parquet'"),
        ("runs.cvs", "'runs.csv'"),
        ("runs", "'runs.parquet' or 'runs.csv' or 'runs.jsonl'"),
        ("runs.xlsx", "to_excel("),
        ("runs.csv.gz", "export 'runs.csv' and compress it"),
    ],
)
def test_an_unknown_suffix_names_the_formats_and_the_one_meant(
    trail: AuditTrail, tmp_path: Path, name: str, meant: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        trail.export(tmp_path / name)
    message = str(caught.value)
    assert "Parquet (.parquet, .pq)" in message and "JSON Lines (.jsonl, .ndjson)" in message
    assert meant in message
    assert not (tmp_path / name).exists()


def test_a_folder_given_as_the_export_path_says_to_name_a_file(
    trail: AuditTrail, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        trail.export(tmp_path)
    assert f"{str(tmp_path)!r} is a folder: name a file in it, such as " in str(caught.value)
    assert repr(str(tmp_path / "runs.csv")) in str(caught.value)


def test_the_frames_own_to_csv_writes_the_exports_form(trail: AuditTrail, tmp_path: Path) -> None:
    """``engine.audit.to_dataframe().to_csv(path)`` is the file ``export`` writes (it wrote
    pandas' ``2026-12-07 08:09:57.199739+00:00``, with a space)."""
    exported = trail.export(tmp_path / "export.csv")
    trail.to_dataframe().to_csv(tmp_path / "frame.csv", index=False)
    assert (tmp_path / "frame.csv").read_text() == exported.read_text()
    own = trail.to_dataframe().to_csv(index=False, date_format="%Y")  # the user's own form
    assert "\n1," in own and ",20" in own and "T" not in own.splitlines()[1].split(",")[1]
