"""A user's own ``df.to_parquet()`` / ``to_csv()`` of ``to_dataframe()`` works on a real
trail, whose ``detail`` differs in shape from row to row (pyarrow raised ArrowInvalid on
such a column of dicts), and writes ``detail`` as the JSON text the trail's export writes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from orchestration_kernel.audit import AuditTrail

#: Shapes pyarrow cannot put in one struct column: a list beside a string, an empty object.
DETAILS = [{"why": ["a", "b"]}, {"why": "cheapest"}, {"fold": {}}, None, {"n": 1}]


@pytest.fixture
def frame(tmp_path: Path) -> pd.DataFrame:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="sess", identity="me")
    try:
        for k, detail in enumerate(DETAILS):
            trail.record("route", run_id="run-1", step=f"s{k}", model="gpt-4o", detail=detail)
        return trail.to_dataframe()
    finally:
        trail.close()


def test_the_frame_keeps_detail_as_dicts(frame: pd.DataFrame) -> None:
    assert list(frame["detail"]) == DETAILS


@pytest.mark.parametrize("subset", [False, True])
def test_to_parquet_writes_detail_as_json_text(
    frame: pd.DataFrame, tmp_path: Path, subset: bool
) -> None:
    if subset:  # a filtered frame writes the same way
        frame = frame[frame["event"] == "route"]
    frame.to_parquet(tmp_path / "rows.parquet")
    back = pd.read_parquet(tmp_path / "rows.parquet")
    decoded = [json.loads(text) if isinstance(text, str) else None for text in back["detail"]]
    assert decoded == DETAILS
    assert list(frame["detail"]) == DETAILS  # the user's frame is unchanged


def test_to_csv_writes_json_not_python_reprs(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_csv(tmp_path / "rows.csv", index=False)
    back = pd.read_csv(tmp_path / "rows.csv", keep_default_na=False, na_values=[""])
    texts = back["detail"].tolist()
    assert json.loads(texts[0]) == DETAILS[0] and json.loads(texts[2]) == {"fold": {}}


def test_to_feather_works_too(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_feather(tmp_path / "rows.feather")
    back = pd.read_feather(tmp_path / "rows.feather")
    assert json.loads(back["detail"][1]) == {"why": "cheapest"}
