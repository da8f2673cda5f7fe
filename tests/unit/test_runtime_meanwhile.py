"""``Runtime.run(coro, meanwhile=...)``: work done in the caller's thread while the
runtime thread wakes up for ``coro`` (issue 24: ``engine.complete`` makes the prompt's
token estimate there). The work runs in the caller's thread, after the hand-off; an
error in it leaves the call to do the work itself; the call's outcome is the same."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.calls import CallSpec
from orchestration_kernel.models import Message
from orchestration_kernel.runtime import Runtime

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    made = Runtime("meanwhile-test")
    yield made
    made.close()


async def test_the_work_runs_in_the_callers_thread_after_the_hand_off(runtime: Runtime) -> None:
    seen: list[str] = []

    async def call() -> str:
        seen.append(f"call on {threading.current_thread().name}")
        return "done"

    def meanwhile() -> None:
        seen.append(f"meanwhile on {threading.current_thread().name}")

    assert await runtime.run(call(), meanwhile=meanwhile) == "done"
    assert f"meanwhile on {threading.current_thread().name}" in seen
    assert "call on meanwhile-test" in seen


async def test_an_error_in_the_work_leaves_the_call_to_finish(runtime: Runtime) -> None:
    state: dict[str, int] = {}

    async def call() -> int:
        if "n" not in state:  # the work was not done: the call does it
            state["n"] = 42
        return state["n"]

    def broken() -> None:
        raise ValueError("not now")

    assert await runtime.run(call(), meanwhile=broken) == 42


async def test_on_the_runtime_loop_the_work_runs_there_first(runtime: Runtime) -> None:
    async def outer() -> list[str]:
        order: list[str] = []

        async def inner() -> None:
            order.append("call")

        await runtime.run(inner(), meanwhile=lambda: order.append("meanwhile"))
        return order

    assert await runtime.run(outer()) == ["meanwhile", "call"]


def test_the_estimate_made_meanwhile_is_the_one_the_call_makes() -> None:
    eng = OrchestrationEngine(offline="on", audit=False)
    try:
        runner = eng._calls
        text = "summarise the following. " + "lorem ipsum dolor sit amet " * 40
        spec = CallSpec(model="gpt-4o-mini", messages=[Message(role="user", content=text)])
        runner.fill_estimate(spec)
        assert spec.input_tokens == eng.estimate_tokens(text) > 0
        # Set already (by whichever thread got there first): left as it is.
        spec.input_tokens = 7
        runner.fill_estimate(spec)
        assert spec.input_tokens == 7
    finally:
        eng.close()


async def test_complete_replies_the_same_with_the_estimate_made_meanwhile() -> None:
    eng = OrchestrationEngine(offline="on", audit=False)
    try:
        prompt = "one two three " * 50
        reply = await eng.complete("openai:gpt-4o-mini", prompt)
        # The route's cost estimate was made from the prompt's estimate.
        candidates = reply.route["candidates"]
        assert candidates[0]["est_cost_usd"] == pytest.approx(
            eng.estimate_cost("openai:gpt-4o-mini", eng.estimate_tokens(prompt), 1024), abs=1e-8
        )
    finally:
        eng.close()
