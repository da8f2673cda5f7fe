"""A run's conversation writes (issue 24): a fast run commits its whole conversation once,
at its end; a long run's finished steps reach the conversation while later steps run; a
``context: session`` step sees the steps of its own run before it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.errors import PipelineError, RunCancelled
from orchestration_kernel.pipeline import PipelineEvent
from orchestration_kernel.pipeline.memory import DELAY_S

pytestmark = pytest.mark.timeout(60)

THREE = [
    {"name": "a", "model": "gpt-4", "prompt": "first {input}"},
    {"name": "b", "model": "claude-3", "prompt": "second {a}"},
    {"name": "c", "model": "gemini-pro", "prompt": "third {b}"},
]


def make_engine(latency: float = 0.0) -> OrchestrationEngine:
    return OrchestrationEngine(
        offline="on", audit=False, retry=RetryPolicy(max_attempts=1),
        simulator={"latency": latency},
    )  # fmt: skip


def count_commits(engine: OrchestrationEngine) -> list[int]:
    """Wrap the bus's ``append_turns``: the list grows by the number of turns per commit."""
    bus = engine.bus
    commits: list[int] = []
    original = bus.append_turns

    async def append_turns(session_id: str | None, turns: Sequence[Any]) -> None:
        commits.append(len(turns))
        await original(session_id, turns)

    bus.append_turns = append_turns  # type: ignore[method-assign]
    return commits


async def test_a_fast_run_commits_its_whole_conversation_once_in_step_order() -> None:
    engine = make_engine()
    commits = count_commits(engine)
    pipeline = engine.create_pipeline(THREE)
    for i in range(3):
        result = await pipeline.execute(f"x{i}", session_id=f"s{i}")
        turns = await engine.bus.conversation(f"s{i}")
        assert [t["content"] for t in turns[1::2]] == [s.output for s in result.steps]
        assert [t["content"] for t in turns[0::2]] == [s.prompt for s in result.steps]
    assert commits == [6, 6, 6]  # one commit per run, both turns of every step


async def test_a_long_runs_finished_step_is_in_the_conversation_while_the_next_runs() -> None:
    engine = make_engine()
    pipeline = engine.create_pipeline(THREE[:2])
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def observer(ev: PipelineEvent) -> None:
        if ev.kind == "step_start" and ev.step == "b":
            # b holds until cancelled (before its call: the observer runs first). A few
            # seconds were not always enough on a busy machine for the check below.
            engine.simulator.config.latency = 60.0
            loop.call_soon_threadsafe(started.set)

    task = asyncio.ensure_future(pipeline.execute("x", session_id="long", observer=observer))
    await asyncio.wait_for(started.wait(), 30)
    turns: list[Any] = []
    deadline = time.monotonic() + 30  # a hang guard: a's turns come within DELAY_S of a's end
    while not turns and time.monotonic() < deadline:
        turns = await engine.bus.conversation("long")
        if not turns:
            await asyncio.sleep(DELAY_S / 10)
    assert pipeline.running  # b is still in flight
    assert [t["role"] for t in turns] == ["user", "assistant"]
    assert turns[0]["content"] == "first x"
    pipeline.cancel()
    with pytest.raises(RunCancelled):
        await task
    assert len(await engine.bus.conversation("long")) == 2  # b never finished


async def test_a_session_step_reads_the_earlier_steps_of_its_own_run() -> None:
    engine = make_engine()
    commits = count_commits(engine)
    bus, read = engine.bus, []
    original = bus.conversation

    async def conversation(session_id: str | None = None) -> Any:
        turns = await original(session_id)
        read.append([t["content"] for t in turns])
        return turns

    bus.conversation = conversation  # type: ignore[method-assign]
    pipeline = engine.create_pipeline([
        {"name": "a", "model": "gpt-4", "prompt": "Remember 42"},
        {"name": "b", "model": "claude-3", "prompt": "What number?", "context": "session"},
    ])  # fmt: skip
    result = await pipeline.execute(session_id="own")
    assert result["b"].status == "done"
    assert read[0] == ["Remember 42", result["a"].output]  # what b was sent before its prompt
    turns = await engine.bus.conversation("own")
    assert [t["content"] for t in turns[0::2]] == ["Remember 42", "What number?"]
    assert commits == [2, 2]  # a's turns before b read them, then b's at the end


# -- the stored prompt is redacted while the call waits, and in every outcome ----------------
EMAIL = "jane.doe" + "@example.org"


async def test_a_steps_stored_prompt_is_redacted_when_it_succeeds_or_fails() -> None:
    engine = OrchestrationEngine(offline="on", audit=False, retry=RetryPolicy(max_attempts=1))
    pipeline = engine.create_pipeline([{"name": "a", "model": "gpt-4", "prompt": "Mail {input}"}])
    result = await pipeline.execute(EMAIL, session_id="pii")
    assert result["a"].prompt is not None and result["a"].prompt.startswith("Mail ")
    assert EMAIL not in result["a"].prompt
    stored = " ".join(str(t["content"]) for t in await engine.bus.conversation("pii"))
    assert EMAIL not in stored
    engine.simulator.script("bad_request")
    with pytest.raises(PipelineError) as info:
        await pipeline.execute(EMAIL)
    failed = info.value.result["a"]
    assert failed.status == "failed" and failed.prompt is not None
    assert EMAIL not in failed.prompt and failed.prompt.startswith("Mail ")


async def test_a_cancelled_steps_stored_prompt_is_redacted() -> None:
    engine = make_engine(latency=60.0)  # the step holds until cancelled
    pipeline = engine.create_pipeline([{"name": "a", "model": "gpt-4", "prompt": "Mail {input}"}])
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def observer(ev: PipelineEvent) -> None:
        if ev.kind == "step_start":
            loop.call_soon_threadsafe(started.set)

    task = asyncio.ensure_future(pipeline.execute(EMAIL, observer=observer))
    await asyncio.wait_for(started.wait(), 30)  # the step is under way
    await asyncio.sleep(0.2)  # its call too, as a rule (the outcome is the same either way)
    pipeline.cancel()
    with pytest.raises(RunCancelled) as info:
        await task
    step = info.value.result["a"]
    assert step.status == "cancelled"
    assert step.prompt is not None and EMAIL not in step.prompt
