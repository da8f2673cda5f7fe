"""Hostile values at run time (issue 15, items 3 and 8): text that is not text, a search
as long as a document, and a subscriber nobody reads. Each fails as an error from our
hierarchy naming the input, or degrades as documented, without holding the kernel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.bus import ContextBus, subscription
from orchestration_kernel.errors import ConfigurationError, InvalidInputError, PipelineError
from orchestration_kernel.runtime import Runtime
from tests.hostile import LONE_SURROGATE, search_words

WAIT = 30.0  # a hang guard only


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    rt = Runtime("test-hostile")
    yield rt
    rt.close()


@pytest.fixture(params=["memory", "sqlite"])
async def bus(request, runtime: Runtime, tmp_path: Path) -> AsyncIterator[ContextBus]:
    store = "memory" if request.param == "memory" else tmp_path / "bus.sqlite"
    bus = ContextBus(store, runtime=runtime, session_id="s-test")
    bus.declare_durable("d.#")
    yield bus
    await bus.close()


# -- lone surrogates ---------------------------------------------------------------------
@pytest.mark.timeout(60)
async def test_a_lone_surrogate_in_a_prompt_names_the_message() -> None:
    engine = OrchestrationEngine(offline="on", audit=False)
    with pytest.raises(InvalidInputError, match=r"message 1 of the prompt holds '\\ud800'"):
        await engine.complete("gpt-4", [{"role": "user", "content": "ok"},
                                        {"role": "user", "content": LONE_SURROGATE}])  # fmt: skip
    with pytest.raises(InvalidInputError, match="the system prompt"):
        await engine.complete("gpt-4", "hi", system=LONE_SURROGATE)
    pipeline = engine.create_pipeline([{"prompt": "say {input}", "model": "gpt-4"}])
    with pytest.raises(PipelineError, match="InvalidInputError: message 0 of the prompt"):
        await pipeline.execute(LONE_SURROGATE)
    engine.close()


WRITES = {
    "durable data": (lambda b: b.publish("d.x", {"k": [1, LONE_SURROGATE]}), "['k'][1]"),
    "topic": (lambda b: b.publish("d." + LONE_SURROGATE, 1), "the topic"),
    "session id": (lambda b: b.publish("d.x", 1, session_id=LONE_SURROGATE), "the session id"),
    "context value": (lambda b: b.set_context({"a": LONE_SURROGATE}), "context data['a']"),
    "context key": (lambda b: b.update_context({LONE_SURROGATE: 1}), "a key of context data"),
    "context event": (
        lambda b: b.publish("context.updated", {"a": LONE_SURROGATE}),
        "context data['a']",
    ),
    "turn": (lambda b: b.append_turn(None, "user", LONE_SURROGATE), "the user turn's content"),
    "consumer": (
        lambda b: b.ack(LONE_SURROGATE, b.subscribe("d.#", consumer=LONE_SURROGATE)),
        "the consumer name",
    ),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("write", list(WRITES))
async def test_a_lone_surrogate_in_any_bus_write_names_the_input(
    bus: ContextBus, write: str
) -> None:
    do, names = WRITES[write]
    with pytest.raises(InvalidInputError) as info:
        await do(bus)
    assert names in str(info.value) and "surrogate" in str(info.value)
    assert await bus.get_context() == {} and await bus.conversation() == []


@pytest.mark.timeout(60)
async def test_deeply_nested_durable_data_is_refused_not_a_recursion_error(
    bus: ContextBus,
) -> None:
    data: list = []
    for _ in range(100_000):
        data = [data]
    with pytest.raises(ConfigurationError, match="nests too deeply"):
        await bus.publish("d.x", data)


# -- search -------------------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_a_search_as_long_as_a_document_is_refused_at_once(tmp_path: Path) -> None:
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        with pytest.raises(InvalidInputError, match="100,000 different words"):
            trail.search(search_words(100_000))
        with pytest.raises(InvalidInputError, match="characters long"):
            trail.search(" OR ".join(search_words(10_000).split()), syntax=True)
        assert trail.search("refund refund Refund policy").empty  # repeats count once


# -- slow and abandoned subscribers ---------------------------------------------------------
@pytest.mark.timeout(60)
async def test_an_abandoned_block_timeout_iterator_costs_one_timeout_not_one_per_message(
    bus: ContextBus,
) -> None:
    # The block timeout is long enough that the wait asserted below cannot end by itself
    # on a busy machine, and short enough that one per message would blow the timeout.
    sub = bus.subscribe("q", max_queue=1, slow_policy="block_timeout", block_timeout=2.0)
    await bus.publish("q", 0)
    for i in range(1, 201):  # before: 2 s each, 400 s in all
        await bus.publish("q", i)
    assert sub.dropped == 200 and sub.stalled
    assert bus.metrics()["dropped"] == 200
    # The reader reads again: the policy waits for room again.
    assert (await sub.get(timeout=WAIT)).data == 0  # type: ignore[union-attr]
    assert not sub.stalled
    await bus.publish("q", "fits")
    blocked = asyncio.create_task(bus.publish("q", "waits"))
    await asyncio.sleep(0.05)
    assert not blocked.done()
    assert (await sub.get(timeout=WAIT)).data == "fits"  # type: ignore[union-attr]
    await asyncio.wait_for(blocked, WAIT)
    assert (await sub.get(timeout=WAIT)).data == "waits"  # type: ignore[union-attr]
    sub.close()


@pytest.mark.timeout(60)
async def test_drops_are_logged_rate_limited_and_counted_in_the_bus_metrics(
    bus: ContextBus, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = bus.subscribe("q.#", max_queue=2, slow_policy="drop_new")
    oldest = bus.subscribe("q.#", max_queue=5, slow_policy="drop_oldest")
    with caplog.at_level(logging.WARNING, logger="orchestration_kernel.bus"):
        for i in range(1000):
            await bus.publish("q.x", i)
    warnings = [r for r in caplog.records if r.name == "orchestration_kernel.bus"]
    assert len(warnings) == 2  # one per subscription in the interval, not one per drop
    assert {r.getMessage().split(" dropped ")[0] for r in warnings} == {"bus subscription 'q.#'"}
    monkeypatch.setattr(subscription, "DROP_LOG_INTERVAL_S", 0.0)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="orchestration_kernel.bus"):
        await bus.publish("q.x", "one more")
    latest = next(r.getMessage() for r in caplog.records if "drop_new" in r.getMessage())
    assert latest.startswith("bus subscription 'q.#' dropped 998 message(s) in the last")
    metrics = bus.metrics()
    assert metrics["dropped"] == slow.dropped + oldest.dropped == 999 + 996
    per = {s["policy"]: s for s in metrics["subscriptions"]}
    assert per["drop_new"]["dropped"] == 999 and per["drop_oldest"]["pending"] == 5
    slow.close()
    assert bus.metrics()["dropped"] == 999 + 996  # a closed subscription's drops still count
    assert "handoffs" in metrics
