"""The audit as a data scientist takes it away: Parquet, CSV and JSONL files opened with
pandas and pyarrow, each owner-only, none holding the key a provider quoted back, with
UTC timestamps, unicode intact and the Guardian's redactions in place."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import OrchestrationError
from tests.integration import test_key_leaks
from tests.integration.test_key_leaks import FAST, new_key, pieces

pytestmark = pytest.mark.timeout(120)

refusing = test_key_leaks.refusing  # a server that refuses every key and quotes it back
PROMPT = "Résumé for jane.doe@example.com — 日本語 ✓"


def test_exported_files_are_private_typed_and_hold_no_key(
    refusing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, srv = refusing
    key = new_key()
    monkeypatch.setenv(spec.key_env, key)
    monkeypatch.setenv(spec.url_env, srv.base_url)
    engine = OrchestrationEngine(offline="off", retry=FAST)
    try:
        with pytest.raises(OrchestrationError):  # refused, with the key quoted back
            engine.complete_sync(f"{spec.provider}:{spec.model}", "hi")
        engine.set_offline("on")  # one answered call too: prompts and replies in the rows
        engine.complete_sync("gpt-4o-mini", PROMPT)
        paths = [
            engine.audit.export(tmp_path / f"runs.{ext}") for ext in ("parquet", "csv", "jsonl")
        ]
    finally:
        engine.close()

    for path in paths:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        raw = Path(path).read_bytes().decode("utf-8", "replace")
        leaked = [p for p in pieces(key) if p in raw]
        assert not leaked, f"key material in {path.name}: {leaked[:3]}"
        assert "jane.doe@example.com" not in raw  # stored after the Guardian's redaction

    parquet = pd.read_parquet(paths[0])
    assert pq.read_schema(paths[0]).field("timestamp").type.tz == "UTC"
    csv = pd.read_csv(paths[1], parse_dates=["timestamp"])
    jsonl = pd.read_json(paths[2], lines=True)
    for frame in (parquet, csv, jsonl):
        assert str(frame["timestamp"].dt.tz) == "UTC", frame["timestamp"].dtype
        assert set(frame["event"]) >= {"call", "guardian"}
        prompts = " ".join(frame["prompt"].dropna().astype(str))
        assert "日本語 ✓" in prompts and "Résumé" in prompts  # unicode intact
    assert len(parquet) == len(csv) == len(jsonl)
    assert parquet["input_tokens"].dtype.kind == "i"  # whole numbers, not floats
