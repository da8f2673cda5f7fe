"""The engine is wiring: its documented attributes live in the call path's collaborators,
and changing one after construction still takes effect, as it did when the engine read
them on every call."""

from __future__ import annotations

import inspect

import pytest

from orchestration_kernel import Guardian, OrchestrationEngine, RetryPolicy
from orchestration_kernel.calls import CallRunner
from orchestration_kernel.errors import AllAttemptsFailed, RateLimitError

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)


def test_the_runner_is_built_from_collaborators_not_the_engine() -> None:
    assert "engine" not in inspect.signature(CallRunner).parameters


async def test_setting_retry_after_construction_takes_effect() -> None:
    engine = OrchestrationEngine(offline="on", audit=False, retry=FAST)
    engine.simulator.script("rate_limit", times=2)
    assert (await engine.complete("gpt-4", "retried")).attempts[-1].number == 3
    engine.retry = RetryPolicy(max_attempts=1)
    engine.simulator.script("rate_limit", times=1)
    with pytest.raises((RateLimitError, AllAttemptsFailed)):
        await engine.complete("gpt-4", "not retried")


async def test_setting_replay_after_construction_takes_effect(tmp_path) -> None:
    engine = OrchestrationEngine(offline="on", audit=tmp_path / "audit.sqlite", retry=FAST)
    first = await engine.complete("gpt-4", "same question")
    await engine.audit.aflush()
    engine.replay = True
    again = await engine.complete("gpt-4", "same question")
    assert again.replayed and again.text == first.text


async def test_switching_the_guardian_off_and_on_reaches_every_collaborator() -> None:
    engine = OrchestrationEngine(offline="on", audit=False, retry=FAST)
    engine.guardian = None
    reply = await engine.complete("gpt-4", "my key is sk-proj-" + "a" * 40)
    assert reply.decisions == []
    engine.guardian = Guardian()
    assert engine.guardian is engine._picker.guardian is engine._recorder.guardian
