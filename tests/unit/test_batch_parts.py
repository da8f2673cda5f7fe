"""The pieces of a batch job: the catalogue's batch discount, the plan and its confirm
threshold, chunking, custom ids, result parts and their assembly."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration_kernel.batch.backends.base import Backend
from orchestration_kernel.batch.job import plan_chunks
from orchestration_kernel.batch.manifest import Manifest, custom_id, jobs_home, parse_custom_id
from orchestration_kernel.batch.plan import BatchPlan, PlanLine, confirm_threshold
from orchestration_kernel.batch.results import (
    ResultWriter,
    assemble,
    read_index,
    read_parts,
    write_index,
)
from orchestration_kernel.errors import ConfigurationError, ConfirmationRequired
from orchestration_kernel.models import Usage
from orchestration_kernel.routing import Catalogue


def test_the_catalogue_knows_the_batch_discount() -> None:
    cat = Catalogue.load()
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    for ref in ("openai:gpt-4o-mini", "anthropic:claude-haiku-4-5", "gemini:gemini-2.5-flash"):
        info = cat.get(ref)
        assert info is not None and info.batch_discount == 0.5
        assert cat.batch_cost(ref, usage) == pytest.approx(cat.cost(ref, usage) / 2)
    sonar = cat.get("perplexity:sonar")
    assert sonar is not None and sonar.batch_discount is None  # no Batch API: full price
    assert cat.batch_cost("perplexity:sonar", usage) == cat.cost("perplexity:sonar", usage)
    custom = Catalogue.load({"openai:gpt-4o-mini": {"batch_discount": 0.25}})
    assert custom.batch_cost("openai:gpt-4o-mini", usage) == pytest.approx(
        cat.cost("openai:gpt-4o-mini", usage) * 0.75
    )
    with pytest.raises(ConfigurationError, match="batch_discount"):
        Catalogue.load({"openai:gpt-4o-mini": {"batch_discount": 1.5}})


def line(cost: float | None, simulated: bool = False) -> PlanLine:
    return PlanLine("m", "openai:m", "OpenAI Batch API", 10, 1, 100, 100, cost,
                    None if cost is None else cost * 2, simulated)  # fmt: skip


def test_the_plan_needs_confirmation_above_the_threshold_or_when_unknown(monkeypatch) -> None:
    cheap = BatchPlan("j", 10, [line(1.0)], threshold=5.0)
    cheap.require(confirm=False)  # under the threshold: no question
    dear = BatchPlan("j", 10, [line(6.0)], threshold=5.0)
    with pytest.raises(ConfirmationRequired, match=r"\$6.00, above the \$5.00") as info:
        dear.require(confirm=False)
    assert info.value.plan is dear and "interactive: $12.00" in str(info.value)
    dear.require(confirm=True)
    unknown = BatchPlan("j", 10, [line(None)])
    with pytest.raises(ConfirmationRequired, match="unknown"):
        unknown.require(confirm=False)
    assert BatchPlan("j", 10, [line(9.0, simulated=True)]).cost == 0  # the simulator is free
    monkeypatch.setenv("ORCHESTRATION_BATCH_CONFIRM_USD", "0.5")
    assert confirm_threshold() == 0.5 and confirm_threshold(2) == 2.0
    monkeypatch.setenv("ORCHESTRATION_BATCH_CONFIRM_USD", "lots")
    with pytest.raises(ConfigurationError, match="ORCHESTRATION_BATCH_CONFIRM_USD"):
        confirm_threshold()


def test_chunks_respect_request_and_byte_limits() -> None:
    class Small(Backend):
        max_requests, max_bytes = 4, 1000

    backend = Small(None, None, None)  # type: ignore[arg-type]
    chunks = plan_chunks([100] * 10, 0, backend, None)
    assert [(c.start, c.stop) for c in chunks] == [(0, 4), (4, 8), (8, 10)]
    chunks = plan_chunks([400] * 5, 1, backend, None)  # two 400-byte items fill 1000 bytes
    assert [(c.start, c.stop) for c in chunks] == [(0, 2), (2, 4), (4, 5)]
    assert [c.id for c in chunks] == ["m1c0000", "m1c0001", "m1c0002"]
    assert [(c.start, c.stop) for c in plan_chunks([1] * 5, 0, backend, 2)][-1] == (4, 5)
    assert [(c.start, c.stop) for c in plan_chunks([5000], 0, backend, None)] == [(0, 1)]


def test_custom_ids_round_trip_and_reject_foreign_ids() -> None:
    assert parse_custom_id(custom_id(2, 12345)) == (2, 12345)
    with pytest.raises(ValueError, match="not a batch custom_id"):
        parse_custom_id("request-1")


def test_parts_assemble_aligned_to_the_index_later_parts_winning(tmp_path) -> None:
    first = ResultWriter(tmp_path / "a.parquet", row_group=2)
    for row, status in [(0, "done"), (1, "failed"), (2, "done")]:
        first.add(row=row, model=0, custom_id=custom_id(0, row), status=status,
                  text=f"t{row}" if status == "done" else None, error="boom" * (status != "done"),
                  input_tokens=1, output_tokens=1, cost_usd=0.1, batch_id="b")  # fmt: skip
    first.close()
    retry = ResultWriter(tmp_path / "b.parquet")
    retry.add(row=1, model=0, custom_id="m0-r1", status="done", text="fixed", error=None,
              input_tokens=1, output_tokens=1, cost_usd=0.2, batch_id=None)  # fmt: skip
    retry.close()
    index = pd.Index(["x", "y", "z", "w"], name="key")
    frame = assemble([tmp_path / "a.parquet", tmp_path / "b.parquet"], index, ["m0", "m1"])
    assert frame.index.equals(index)
    assert frame["m0"].tolist()[:3] == ["t0", "fixed", "t2"]
    assert pd.isna(frame.loc["w", "m0"])  # nothing came for that row yet
    assert frame["m1"].isna().all()
    plain = assemble([tmp_path / "a.parquet"], index, ["m0"])
    assert plain.loc["y", "m0"] == "failed: boom"
    assert len(read_parts([tmp_path / "missing.parquet"])) == 0
    assert not (tmp_path / "a.parquet.tmp").exists()


def test_the_input_index_is_stored_unless_it_is_the_default(tmp_path) -> None:
    assert write_index(tmp_path / "i.parquet", None) == "range"
    assert write_index(tmp_path / "i.parquet", pd.RangeIndex(3)) == "range"
    assert not (tmp_path / "i.parquet").exists()
    dates = pd.date_range("2026-01-01", periods=3)
    assert write_index(tmp_path / "i.parquet", dates) == "stored"
    assert read_index(tmp_path / "i.parquet", "stored", 3).equals(dates)
    assert read_index(tmp_path / "i.parquet", "range", 3).equals(pd.RangeIndex(3))


def test_the_manifest_is_written_whole(tmp_path) -> None:
    m = Manifest.new("whole", run_id="r", rows=1, template="t", models=[])
    m.save()
    assert Manifest.load("whole").uid == m.uid
    assert not list((jobs_home() / "whole").glob("*.tmp"))


def test_rows_marked_fts_false_are_not_indexed_and_prune_cleanly(tmp_path) -> None:
    from datetime import timedelta

    from orchestration_kernel.audit import AuditTrail

    trail = AuditTrail(tmp_path / "a.sqlite")
    trail.record("call", run_id="batch", prompt="quokka batch", detail={"fts": False})
    trail.record("call", run_id="plain", prompt="quokka plain", detail={"fts": True})
    trail.record("call", run_id="bare", prompt="quokka bare")
    trail.flush()
    assert sorted(trail.search("quokka")["run_id"]) == ["bare", "plain"]
    assert trail.prune(timedelta(0)) == 3  # the delete trigger skips what was never indexed
    assert trail.search("quokka").empty and trail.verify().ok
    trail.close()
    reopened = AuditTrail(tmp_path / "a.sqlite")  # the triggers are re-created on open
    reopened.record("call", run_id="again", prompt="quokka again", detail={"fts": False})
    reopened.flush()
    assert reopened.search("quokka").empty
    reopened.close()
