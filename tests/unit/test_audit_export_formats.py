"""Export formats are one table per audit trail: built-ins, added ones, unknown suffixes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.export import ExportFormat
from orchestration_kernel.errors import ConfigurationError


class TSV(ExportFormat):
    """Tab-separated values (JSON columns as text)."""

    name, suffixes = "tsv", (".tsv",)

    def write(self, frame: pd.DataFrame, path: Path) -> None:
        frame.to_csv(path, sep="\t", index=False)

    def read(self, path: Path) -> pd.DataFrame:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_values=[""])


@pytest.fixture
def trail(tmp_path: Path) -> AuditTrail:
    engine = OrchestrationEngine(offline="on", audit=tmp_path / "audit.db")
    engine.complete_sync("gpt-4o-mini", "export me", run_id="r1")
    engine.audit.flush()
    return engine.audit


def test_an_added_format_is_written_for_its_suffix(trail: AuditTrail, tmp_path: Path) -> None:
    trail.add_export_format(TSV())
    out = trail.export(tmp_path / "rows.tsv", run="r1")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert "\t" in lines[0] and "event" in lines[0].split("\t")
    assert any("export me" in line for line in lines[1:])
    assert "tsv" in trail.export_formats.names()


def test_an_unknown_suffix_lists_the_known_ones(trail: AuditTrail, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        trail.export(tmp_path / "rows.xlsx")
    assert all(s in str(caught.value) for s in (".parquet", ".csv", ".jsonl"))
    assert not (tmp_path / "rows.xlsx").exists()


def test_the_table_belongs_to_one_trail(tmp_path: Path) -> None:
    first = AuditTrail(tmp_path / "a.db")
    second = AuditTrail(tmp_path / "b.db")
    first.add_export_format(TSV())
    with pytest.raises(ConfigurationError, match="Cannot tell the export format"):
        second.export(tmp_path / "x.tsv")
    first.close()
    second.close()
