"""One rule for blocking twins: a coroutine method m has m_sync; older names are aliases."""

from __future__ import annotations

import inspect

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.pipeline import Pipeline, PipelineManager

SPEC = "steps:\n  - name: a\n    model: gpt-4o-mini\n    prompt: hello {input}\n"


def test_pipeline_names_follow_the_rule_and_keep_run() -> None:
    assert inspect.iscoroutinefunction(Pipeline.execute)
    assert Pipeline.execute_sync is Pipeline.run  # the contract's pipeline.run stays
    engine = OrchestrationEngine(offline="on", audit=False)
    result = Pipeline(SPEC, engine=engine).execute_sync("twins")
    assert result.status == "done" and "twins" in result["a"].output


def test_the_manager_reads_like_a_pipeline() -> None:
    assert inspect.iscoroutinefunction(PipelineManager.execute)
    assert PipelineManager.execute is PipelineManager.run
    assert PipelineManager.execute_sync is PipelineManager.run_sync
    manager = PipelineManager(OrchestrationEngine(offline="on", audit=False))
    manager.register("p", SPEC)
    assert manager.execute_sync("p", "x").status == "done"
    assert len(manager.history("p")) == 1


def test_every_engine_coroutine_method_has_a_twin() -> None:
    missing = [
        name
        for name, member in inspect.getmembers(OrchestrationEngine)
        if inspect.iscoroutinefunction(member)
        and not name.startswith("_")
        and not hasattr(OrchestrationEngine, f"{name}_sync")
    ]
    assert missing == []
