"""A chain of steps runs in one task (issue 24): the step a finished step hands on to is
run next by the same task. Stopping the run still reaches that step wherever it is: a
cancel, or a sibling failing under ``on_error: fail``, marks it cancelled, and the steps
after it never start."""

from __future__ import annotations

import asyncio
import threading

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.errors import PipelineError, RunCancelled
from orchestration_kernel.pipeline import PipelineEvent

pytestmark = pytest.mark.timeout(60)


#: Three steps, each reading the one before: one task runs them all.
CHAIN = [
    {"name": "a", "model": "gpt-4", "prompt": "first {input}"},
    {"name": "b", "model": "claude-3", "prompt": "second {a}"},
    {"name": "c", "model": "gpt-4", "prompt": "third {b}"},
]


def make_engine() -> OrchestrationEngine:
    return OrchestrationEngine(offline="on", audit=False, retry=RetryPolicy(max_attempts=1))


def hold_from(engine: OrchestrationEngine, step: str) -> tuple[threading.Event, object]:
    """An observer that makes every call from ``step``'s start on wait a minute."""
    started = threading.Event()

    def observer(ev: PipelineEvent) -> None:
        if ev.kind == "step_start" and ev.step == step:
            engine.simulator.config.latency = 60.0  # the observer runs before its call
            started.set()

    return started, observer


async def test_cancelling_a_run_cancels_the_second_step_of_a_chain() -> None:
    engine = make_engine()
    pipeline = engine.create_pipeline(CHAIN)
    started, observer = hold_from(engine, "b")
    task = asyncio.ensure_future(pipeline.execute("x", observer=observer))
    assert await asyncio.to_thread(started.wait, 30)
    pipeline.cancel()
    with pytest.raises(RunCancelled) as info:
        await task
    steps = {s.name: s for s in info.value.result.steps}
    assert {n: s.status for n, s in steps.items()} == {
        "a": "done",
        "b": "cancelled",
        "c": "cancelled",
    }
    assert steps["b"].reason == "cancelled while running"
    assert steps["c"].reason is not None and steps["c"].reason.startswith("never started")
    assert not pipeline.running


async def test_a_failing_sibling_cancels_the_step_a_chain_runs_next() -> None:
    engine = make_engine()
    pipeline = engine.create_pipeline([
        {"name": "a", "model": "gpt-4", "prompt": "first {input}"},
        # b and d both wait for a: one runs on in a's task, the other in a task of its own
        {"name": "b", "model": "claude-3", "prompt": "second {a}", "depends_on": ["a"]},
        {"name": "d", "model": "gpt-4", "prompt": "other {a}", "timeout": 0.2,
         "depends_on": ["a"]},
        {"name": "c", "model": "gpt-4", "prompt": "third {b}", "depends_on": ["b"]},
    ])  # fmt: skip
    started, observer = hold_from(engine, "b")
    with pytest.raises(PipelineError) as info:
        await pipeline.execute("x", observer=observer)
    assert started.is_set()
    status = {s.name: s.status for s in info.value.result.steps}
    assert status == {"a": "done", "b": "cancelled", "d": "failed", "c": "cancelled"}
    assert not pipeline.running


async def test_a_chain_gives_each_step_its_inputs_and_records_each_handoff() -> None:
    engine = make_engine()
    pipeline = engine.create_pipeline(CHAIN)
    events: list[tuple[str, str | None]] = []
    result = await pipeline.execute(
        "x", observer=lambda ev: events.append((ev.kind, ev.step)) if ev.kind != "delta" else None
    )
    assert result.status == "done"
    assert result["b"].prompt == f"second {result['a'].output}"
    assert result["c"].prompt == f"third {result['b'].output}"
    assert len(result.handoffs_ms) == 2
    assert events == [
        ("run_start", None),
        ("step_start", "a"),
        ("step_end", "a"),
        ("step_start", "b"),
        ("step_end", "b"),
        ("step_start", "c"),
        ("step_end", "c"),
        ("run_end", None),
    ]
