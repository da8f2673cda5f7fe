"""Interrupting a ``--compare --over`` matrix keeps the cells that answered.

Before, the run's task was cancelled and the magic raised a bare ``RunCancelled``: every
answer already paid for was lost (no ``_orchestrate``, no ``--out``). A pipeline kept its
finished steps; a matrix now keeps its finished items, the rest marked cancelled.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from orchestration_kernel.compare import CompareTable
from orchestration_kernel.engine import OrchestrationEngine
from orchestration_kernel.errors import RunCancelled
from orchestration_kernel.matrix import matrix_prompts, run_matrix
from orchestration_kernel.models import Reply
from orchestration_kernel.outcomes import cell_status


def _compare_answering(quick: set[str]) -> Any:
    """A compare that answers the prompts in ``quick`` at once and never the others."""

    async def compare(models: list[str], prompt: str, **kwargs: Any) -> CompareTable:
        if prompt not in quick:
            await asyncio.Event().wait()  # until cancelled
        return CompareTable(
            prompt=prompt, replies={m: Reply(text=f"{m}: {prompt}", model=m) for m in models}
        )

    return compare


async def _interrupted(prepared: Any, quick: set[str]) -> RunCancelled:
    task = asyncio.ensure_future(
        run_matrix(_compare_answering(quick), ["a", "b"], prepared, run_id="r1")
    )
    for _ in range(20):  # let the quick items finish
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(RunCancelled) as caught:
        await task
    return caught.value


def test_an_interrupted_matrix_keeps_the_items_that_answered() -> None:
    prepared = matrix_prompts("Q {item}", ["one", "two", "three"])
    error = asyncio.run(_interrupted(prepared, {"Q one", "Q three"}))
    partial = error.result
    assert partial is not None and partial.run_id == "r1"
    assert "2 of 3 items had answered" in str(error)
    assert sorted(partial.replies) == [(0, "a"), (0, "b"), (2, "a"), (2, "b")]
    assert partial.replies[(2, "b")].text == "b: Q three"
    assert sorted(partial.errors) == [(1, "a"), (1, "b")]
    assert partial.status == "cancelled"
    frame = partial.to_dataframe()
    assert list(frame["item"]) == ["one", "two", "three"]  # every item, in its place
    assert frame.loc[0, "a"] == "a: Q one"


def test_a_cancelled_cell_reads_cancelled_not_failed() -> None:
    assert cell_status(RunCancelled("cancelled before it answered")) == "cancelled"


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> Any:
    from tests.unit.magic_shell import magic_shell

    yield from magic_shell(monkeypatch, ["kept"])


def test_the_magic_binds_the_partial_matrix_of_an_interrupted_cell(
    shell: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orchestration_kernel.matrix_audit as matrix_audit

    async def interrupted(engine: Any, models: list[str], prepared: Any, **kw: Any) -> Any:
        task = asyncio.ensure_future(  # the first item answers, then the interrupt
            run_matrix(_compare_answering({prepared.prompts[0]}), models, prepared, run_id="r2")
        )
        for _ in range(20):
            await asyncio.sleep(0)
        task.cancel()
        return await task

    monkeypatch.setattr(matrix_audit, "run_audited_matrix", interrupted)
    shell.user_ns["words"] = ["first", "second"]
    outcome = shell.run_cell(
        "%%orchestrate --compare gpt-4o --over words --yes --out kept\nSay {item}"
    )
    assert isinstance(outcome.error_in_exec, RunCancelled)
    kept = shell.user_ns["kept"]
    assert kept is shell.user_ns["_orchestrate"]
    assert kept.replies[(0, "gpt-4o")].text == "gpt-4o: Say first"
    assert list(kept.errors) == [(1, "gpt-4o")]


def test_an_interrupted_pipeline_over_rows_keeps_the_rows_that_finished(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestration_kernel.pipeline import Pipeline
    from orchestration_kernel.pipeline_matrix import (
        PipelineMatrixResult,
        pipeline_rows,
        run_pipeline_matrix,
    )

    engine = OrchestrationEngine(offline="on", simulator={"latency": 0.0})
    engine.providers.set_offline_model("sim")
    pipeline = engine.create_pipeline([{"name": "a", "model": "gpt-4o", "prompt": "Q {input}"}])
    real_execute = Pipeline.execute
    answered = asyncio.Event()

    async def execute(self: Any, value: Any, **kwargs: Any) -> Any:
        if value != "quick":
            await asyncio.Event().wait()  # until cancelled
        result = await real_execute(self, value, **kwargs)
        answered.set()
        return result

    monkeypatch.setattr(Pipeline, "execute", execute)  # every copy of the pipeline
    rows = pipeline_rows(pipeline, ["slow", "quick", "slow"])

    async def interrupted() -> RunCancelled:
        task = asyncio.ensure_future(run_pipeline_matrix(pipeline, rows))
        await answered.wait()
        for _ in range(5):  # the quick row's result reaches the job
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(RunCancelled) as caught:
            await task
        return caught.value

    error = engine.runtime.run_sync(interrupted())
    partial = error.result
    assert isinstance(partial, PipelineMatrixResult)
    assert "1 of 3 rows had finished" in str(error)
    assert [run.status for run in partial.runs] == ["cancelled", "done", "cancelled"]
    assert partial.runs[1].output.endswith("Q quick")
    assert partial.status == "cancelled"
    assert len(partial.to_dataframe()) == 3
