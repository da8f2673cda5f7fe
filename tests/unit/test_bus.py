"""ContextBus behaviour: pub/sub, slow subscribers, durable consumers, session state."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from orchestration_kernel.bus import (
    BusMessage,
    ContextBus,
    MemoryStore,
    SlowPolicy,
    Store,
    Subscription,
)
from orchestration_kernel.bus.durable import DurableCursor
from orchestration_kernel.errors import ConfigurationError, OrchestrationError
from orchestration_kernel.runtime import Runtime
from orchestration_kernel.session import Session
from tests.waiting import until

WAIT = 30.0  # a hang guard only; nothing asserts on time


@pytest.fixture
def session() -> Session:
    """The fresh session tests/conftest.py gives each test (its own ORCHESTRATION_HOME)."""
    return Session.current()


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    rt = Runtime("test-bus")
    yield rt
    rt.close()


@pytest.fixture
async def mem(runtime: Runtime) -> AsyncIterator[ContextBus]:
    """An in-memory bus on its own runtime: touches no session and no disk."""
    bus = ContextBus("memory", runtime=runtime, session_id="s-test")
    yield bus
    await bus.close()


async def drain(sub: Subscription, n: int) -> list[BusMessage]:
    return [m for m in [await sub.get(timeout=WAIT) for _ in range(n)] if m is not None]


# -- the seed and the default store -----------------------------------------------------
async def test_seed_snippet_context_updated_then_get_context(session: Session) -> None:
    context_data = {"customer": "acme", "stage": "analysis"}
    bus = ContextBus()
    session_id = session.id
    await bus.publish("context.updated", context_data)
    preserved = await bus.get_context(session_id)
    assert preserved == context_data
    await bus.publish("context.updated", {"stage": "synthesis"})
    assert await bus.get_context() == {"customer": "acme", "stage": "synthesis"}
    assert (session.home / "bus.sqlite").exists()


async def test_default_buses_share_store_subscribers_and_metrics(session: Session) -> None:
    a, b = ContextBus(), ContextBus.default()
    assert a.store is b.store and a.runtime is session.runtime
    sub = a.subscribe("news.*")
    await b.publish("news.today", "hello")
    got = await sub.get(timeout=WAIT)
    assert got is not None and got.data == "hello" and got.session_id == session.id
    b.record_handoff(0.2)
    assert a.handoff_stats()["count"] == 1
    await a.close()
    # Closing one view keeps the shared store open for the others.
    await b.publish("news.later", 1)
    assert sub.closed
    with pytest.raises(OrchestrationError, match="closed"):
        await a.publish("news.x", 1)


async def test_session_close_closes_the_default_store(session: Session) -> None:
    bus = ContextBus()
    sub = bus.subscribe("x")
    await bus.publish("x", 1)
    session.close()
    assert sub.closed
    with pytest.raises(OrchestrationError):
        bus.subscribe("y")


async def test_a_private_file_and_a_private_runtime(session: Session, runtime: Runtime) -> None:
    own = ContextBus(session.home / "own.sqlite", session_id="s1")
    await own.update_context({"k": 1})
    assert (session.home / "own.sqlite").exists()
    await own.close()
    other = ContextBus(runtime=runtime)  # default path, but not the session's runtime
    assert other.runtime is runtime and other.session_id == session.id
    await other.publish("t", 1)
    await other.close()


# -- pub/sub ---------------------------------------------------------------------------
async def test_wildcard_subscribers_get_only_matching_topics(mem: ContextBus) -> None:
    one, many, exact = mem.subscribe("run.*"), mem.subscribe("run.#"), mem.subscribe("run.a")
    for topic in ["run.a", "run.a.b", "other.a", "run.b"]:
        await mem.publish(topic, topic)
    assert [m.topic for m in await drain(one, 2)] == ["run.a", "run.b"]
    assert [m.topic for m in await drain(many, 3)] == ["run.a", "run.a.b", "run.b"]
    assert [m.topic for m in await drain(exact, 1)] == ["run.a"]
    assert one.pending == many.pending == exact.pending == 0


async def test_per_topic_order_is_kept_under_concurrent_publishers(mem: ContextBus) -> None:
    sub = mem.subscribe("t.*", max_queue=1000)

    async def produce(topic: str) -> None:
        for i in range(100):
            await mem.publish(topic, i)

    await asyncio.gather(produce("t.a"), produce("t.b"))
    got = await drain(sub, 200)
    for topic in ("t.a", "t.b"):
        assert [m.data for m in got if m.topic == topic] == list(range(100))
    seqs = [m.seq for m in got]
    assert seqs == sorted(seqs)


async def test_async_for_ends_when_the_subscription_closes(mem: ContextBus) -> None:
    sub = mem.subscribe("e.*")
    await mem.publish("e.1", 1)
    seen = []
    async for msg in sub:
        seen.append(msg.data)
        sub.close()
    assert seen == [1]
    assert await sub.get() is None
    assert "closed" in repr(sub)


async def test_iterator_consumed_from_asyncio_run_in_another_thread(mem: ContextBus) -> None:
    sub = mem.subscribe("x.*")
    result: list[object] = []

    def consume() -> None:
        async def main() -> None:
            async for msg in sub:
                result.append(msg.data)
                if len(result) == 3:
                    break

        asyncio.run(main())

    thread = threading.Thread(target=consume)
    thread.start()
    for i in range(3):
        await mem.publish(f"x.{i}", i)
    await asyncio.to_thread(thread.join, WAIT)
    assert result == [0, 1, 2]


async def test_plain_for_loop_in_a_thread(mem: ContextBus) -> None:
    sub = mem.subscribe("p")
    for i in range(3):
        await mem.publish("p", i)

    def consume() -> list[int]:
        out = []
        for msg in sub:
            out.append(msg.data)
            if len(out) == 3:
                break
        return out

    assert await asyncio.to_thread(consume) == [0, 1, 2]
    with pytest.raises(TimeoutError):
        await asyncio.to_thread(sub.get_sync, 0.01)


async def test_async_and_sync_callbacks_run_in_order(mem: ContextBus) -> None:
    seen_async: list[int] = []
    seen_sync: list[int] = []
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def on_msg(msg: BusMessage) -> None:
        await asyncio.sleep(0)
        seen_async.append(msg.data)
        if len(seen_async) == 5:
            loop.call_soon_threadsafe(done.set)

    sub_a = mem.subscribe("c.*", on_msg)
    sub_s = mem.subscribe("c.*", lambda m: seen_sync.append(m.data))
    for i in range(5):
        await mem.publish(f"c.{i}", i)
    await asyncio.wait_for(done.wait(), WAIT)
    await sub_a.aclose()
    await sub_s.aclose()
    assert seen_async == seen_sync == list(range(5))
    assert sub_a.delivered == 5 and "callback" in repr(sub_a)


async def test_callback_published_from_asyncio_run_in_a_thread(mem: ContextBus) -> None:
    got: list[str] = []
    arrived = threading.Event()
    mem.subscribe("th.#", lambda m: (got.append(m.topic), arrived.set()))
    await asyncio.to_thread(asyncio.run, mem.publish("th.1", None))
    assert await asyncio.to_thread(arrived.wait, WAIT)
    assert got == ["th.1"]


async def test_a_failing_callback_is_counted_and_does_not_stop(mem: ContextBus) -> None:
    calls: list[int] = []

    def flaky(msg: BusMessage) -> None:
        calls.append(msg.data)
        if msg.data == 0:
            raise ValueError("boom")

    sub = mem.subscribe("f", flaky)
    await mem.publish("f", 0)
    await mem.publish("f", 1)
    await until(lambda: len(calls) >= 2, "both callbacks ran")
    await sub.aclose()
    assert calls == [0, 1] and sub.errors == 1 and isinstance(sub.last_error, ValueError)
    with pytest.raises(TypeError, match="callback"):
        await sub.get()


async def test_abandoned_iterator_subscriptions_are_forgotten(mem: ContextBus) -> None:
    sub = mem.subscribe("gone")
    assert sub in mem.subscriptions
    del sub
    gc.collect()
    assert mem.subscriptions == []
    await mem.publish("gone", 1)


async def test_subscription_context_managers(mem: ContextBus) -> None:
    async with mem.subscribe("a") as sub:
        await mem.publish("a", 1)
        assert (await sub.get(timeout=WAIT)).data == 1  # type: ignore[union-attr]
    assert sub.closed
    with mem.subscribe("b") as sync_sub:
        pass
    assert sync_sub.closed


# -- slow subscribers --------------------------------------------------------------------
@pytest.mark.parametrize(("policy", "kept"), [("drop_oldest", [3, 4]), ("drop_new", [0, 1])])
async def test_drop_policies(mem: ContextBus, policy: SlowPolicy, kept: list[int]) -> None:
    sub = mem.subscribe("q", max_queue=2, slow_policy=policy)
    for i in range(5):
        await mem.publish("q", i)
    assert sub.dropped == 3
    assert [m.data for m in await drain(sub, 2)] == kept


async def test_block_timeout_gives_up_on_the_message_not_the_publisher(
    mem: ContextBus,
) -> None:
    sub = mem.subscribe("q", max_queue=1, slow_policy="block_timeout", block_timeout=0.01)
    fast = mem.subscribe("q", max_queue=10)
    for i in range(3):
        await asyncio.wait_for(mem.publish("q", i), WAIT)  # returns although sub is full
    assert sub.dropped == 2 and fast.dropped == 0
    assert [m.data for m in await drain(sub, 1)] == [0]
    assert [m.data for m in await drain(fast, 3)] == [0, 1, 2]


async def test_block_timeout_admits_a_waiting_publisher_in_order(mem: ContextBus) -> None:
    sub = mem.subscribe("q", max_queue=1, slow_policy="block_timeout", block_timeout=WAIT)
    await mem.publish("q", 0)
    blocked = asyncio.create_task(mem.publish("q", 1))
    await asyncio.sleep(0.01)
    assert not blocked.done()
    assert (await sub.get(timeout=WAIT)).data == 0  # type: ignore[union-attr]
    await asyncio.wait_for(blocked, WAIT)
    assert (await sub.get(timeout=WAIT)).data == 1  # type: ignore[union-attr]
    assert sub.dropped == 0


async def test_closing_releases_blocked_publishers(mem: ContextBus) -> None:
    sub = mem.subscribe("q", max_queue=1, slow_policy="block_timeout", block_timeout=WAIT)
    await mem.publish("q", 0)
    blocked = asyncio.create_task(mem.publish("q", 1))
    await asyncio.sleep(0.01)
    sub.close()
    await asyncio.wait_for(blocked, WAIT)


@pytest.mark.parametrize(
    "kwargs",
    [{"max_queue": 0}, {"slow_policy": "wait_forever"}, {"block_timeout": 0}],
)
def test_bad_queue_options_are_rejected(runtime: Runtime, kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        ContextBus("memory", runtime=runtime, session_id="s", **kwargs)  # type: ignore[arg-type]


# -- durable consumers --------------------------------------------------------------------
async def test_named_consumer_replays_after_its_last_ack(mem: ContextBus) -> None:
    mem.declare_durable("job.#")
    assert mem.durable_patterns == ["job.#"]
    for i in range(5):
        msg = await mem.publish(f"job.{i}", {"n": i})
        assert msg.durable
    first = mem.subscribe("job.#", consumer="indexer")
    got = await drain(first, 3)
    assert [m.data["n"] for m in got] == [0, 1, 2]
    await got[1].ack()  # acks 0 and 1
    first.close()
    again = mem.subscribe("job.#", consumer="indexer")
    got = await drain(again, 3)
    assert [m.data["n"] for m in got] == [2, 3, 4]
    await mem.ack("indexer", got[-1])
    await mem.publish("job.live", {"n": 5})
    live = await again.get(timeout=WAIT)
    assert live is not None and live.data == {"n": 5} and live.consumer == "indexer"


async def test_named_consumer_never_drops_durable_messages(mem: ContextBus) -> None:
    mem.declare_durable("d.*")
    sub = mem.subscribe("d.*", consumer="slow", max_queue=2, slow_policy="drop_new")
    await mem.publish("d.warm", -1)
    assert (await sub.get(timeout=WAIT)).data == -1  # type: ignore[union-attr]
    for i in range(10):
        await mem.publish("d.x", i)  # overflows the queue of 2
    await mem.publish("other", "not matched")
    assert [m.data for m in await drain(sub, 10)] == list(range(10))
    assert sub.dropped == 0
    await mem.publish("d.y", 10)
    assert (await sub.get(timeout=WAIT)).data == 10  # type: ignore[union-attr]


async def test_durable_is_per_message_overridable(mem: ContextBus) -> None:
    plain = mem.subscribe("t")
    assert (await mem.publish("t", 1, durable=True)).durable
    assert not (await mem.publish("t", 2)).durable
    got = await drain(plain, 2)
    assert [m.data for m in got] == [1, 2]
    await mem.ack("c", got[1])  # acking a non-durable message is a no-op
    mem.ack_sync("c", got[1])
    named = mem.subscribe("t", consumer="c")  # declares "t" durable
    await mem.publish("t", 3)
    await mem.publish("t", 4, durable=False)  # not in the log: named consumers skip it
    await mem.publish("t", 5)
    assert [m.data for m in await drain(named, 3)] == [1, 3, 5]
    mem.ack_sync("c", got[0])
    with pytest.raises(ConfigurationError, match="JSON"):
        await mem.publish("t", object(), durable=True)


async def test_ack_and_consumer_misuse_is_explained(mem: ContextBus) -> None:
    msg = await mem.publish("a", 1)
    with pytest.raises(ConfigurationError, match="named consumer"):
        await msg.ack()
    with pytest.raises(ConfigurationError, match="not durable"):
        mem.subscribe("a", print, consumer="c")
    with pytest.raises(ConfigurationError, match="consumer name"):
        mem.subscribe("a", consumer="  ")


# -- session context ---------------------------------------------------------------------
async def test_context_versions_and_history(mem: ContextBus) -> None:
    assert await mem.get_context() == {} and await mem.context_version() == 0
    v1 = await mem.update_context({"a": 1})
    v2 = await mem.update_context({"b": 2})
    v3 = await mem.set_context({"c": 3})
    assert [v.version for v in (v1, v2, v3)] == [1, 2, 3]
    assert await mem.get_context() == {"c": 3}
    assert await mem.context_version() == 3
    history = await mem.context_history()
    assert [(v, d) for v, _, d in history] == [(1, {"a": 1}), (2, {"a": 1, "b": 2}), (3, {"c": 3})]
    assert await mem.get_context("someone-else") == {}
    assert await mem.sessions() == ["s-test"]


async def test_context_changes_are_published(mem: ContextBus) -> None:
    sub = mem.subscribe("context.*")
    await mem.update_context({"a": 1}, session_id="s2")
    await mem.set_context({"b": 2}, session_id="s2")
    got = await drain(sub, 2)
    assert [(m.topic, m.data, m.session_id) for m in got] == [
        ("context.updated", {"a": 1}, "s2"),
        ("context.set", {"b": 2}, "s2"),
    ]


async def test_context_must_be_a_string_keyed_dict(mem: ContextBus) -> None:
    with pytest.raises(ConfigurationError, match="dict"):
        await mem.publish("context.updated", ["not", "a", "dict"])
    with pytest.raises(ConfigurationError, match="keys"):
        await mem.update_context({1: "x"})  # type: ignore[dict-item]
    assert await mem.context_version() == 0


async def test_returned_context_is_a_copy(mem: ContextBus) -> None:
    await mem.set_context({"items": [1]})
    ctx = await mem.get_context()
    ctx["items"].append(2)
    assert await mem.get_context() == {"items": [1]}


async def test_conversation_keeps_turns_of_any_model(mem: ContextBus) -> None:
    await mem.append_turn(None, "user", "Analyse Q3")
    await mem.append_turn("s-test", "assistant", "Revenue rose", model="gpt-4")
    await mem.append_turn(None, "assistant", "Agreed", model="claude-3")
    turns = await mem.conversation()
    assert [(t["role"], t["model"]) for t in turns] == [
        ("user", None),
        ("assistant", "gpt-4"),
        ("assistant", "claude-3"),
    ]
    assert set(turns[0]) == {"role", "content", "model", "ts"}
    with pytest.raises(ConfigurationError, match="role"):
        await mem.append_turn(None, "robot", "x")
    with pytest.raises(ConfigurationError, match="text"):
        await mem.append_turn(None, "user", 42)  # type: ignore[arg-type]


def test_sync_twins_from_plain_code(runtime: Runtime) -> None:
    with ContextBus("memory", runtime=runtime, session_id="s") as bus:
        sub = bus.subscribe("context.*")
        msg = bus.publish_sync("context.updated", {"a": 1})
        assert msg.topic == "context.updated"
        assert bus.get_context_sync() == {"a": 1}
        assert bus.update_context_sync({"b": 2}).version == 2
        assert bus.set_context_sync({"c": 3}).data == {"c": 3}
        assert bus.context_version_sync() == 3
        assert len(bus.context_history_sync()) == 3
        bus.append_turn_sync(None, "user", "hi")
        assert bus.conversation_sync()[0]["content"] == "hi"
        assert bus.sessions_sync() == ["s"]
        assert bus.publish_sync("plain", 1).data == 1
        assert sub.get_sync(timeout=WAIT) is not None
    with pytest.raises(OrchestrationError, match="closed"):
        bus.get_context_sync()
    bus.close_sync()  # idempotent


def test_blocking_twins_refuse_the_runtime_loop(runtime: Runtime) -> None:
    bus = ContextBus("memory", runtime=runtime, session_id="s")

    async def inside() -> None:
        bus.get_context_sync()

    with pytest.raises(RuntimeError, match="await"):
        runtime.run_sync(inside())
    bus.close_sync()


# -- stores, views, metrics ---------------------------------------------------------------
async def test_memory_mode_keeps_nothing_on_disk(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("ORCHESTRATION_HOME", str(workdir))
    bus = ContextBus(":memory:", runtime=runtime, session_id="s")
    assert bus.store.kind == "memory"
    await bus.update_context({"a": 1})
    assert list(workdir.iterdir()) == []
    await bus.close()


async def test_a_passed_store_is_left_open(runtime: Runtime) -> None:
    store = MemoryStore()
    bus = ContextBus(store, runtime=runtime, session_id="s")
    await bus.update_context({"a": 1})
    await bus.close()
    again = ContextBus(store, runtime=runtime, session_id="s")
    assert await again.get_context() == {"a": 1}
    await again.close()


async def test_for_session_shares_the_store(mem: ContextBus) -> None:
    other = mem.for_session("s-other")
    await other.update_context({"who": "other"})
    assert await mem.get_context("s-other") == {"who": "other"}
    assert await mem.get_context() == {}
    await other.close()
    await mem.publish("still.open", 1)


@pytest.mark.parametrize("store", ["mongodb://localhost:27017", 42])
def test_unknown_stores_are_explained(runtime: Runtime, store: object) -> None:
    with pytest.raises(ConfigurationError, match="Store"):
        ContextBus(store, runtime=runtime, session_id="s")  # type: ignore[arg-type]


def test_handoff_stats(mem: ContextBus) -> None:
    for ms in (0.1, 0.2, 0.3, 0.4):
        mem.record_handoff(ms)
    stats = mem.handoff_stats()
    assert stats["count"] == 4
    assert stats["p50"] is not None and stats["p99"] is not None
    assert 0.1 <= stats["p50"] <= stats["p95"] <= stats["p99"] <= 0.4  # type: ignore[operator]


def test_repr_shows_store_and_session(mem: ContextBus) -> None:
    text = repr(mem)
    assert "MemoryStore" in text and "s-test" in text


async def test_named_consumer_keeps_up_with_a_concurrent_producer(session: Session) -> None:
    """Live delivery, falling behind and catching up from SQLite interleave without loss."""
    bus = ContextBus(session.home / "race.sqlite", session_id="s")
    sub = bus.subscribe("r.*", consumer="racer", max_queue=3)

    async def produce() -> None:
        for i in range(150):
            await bus.publish(f"r.{i % 3}", i)
            if i % 7 == 0:
                await asyncio.sleep(0)

    producer = asyncio.create_task(produce())
    got = [m.data for m in await drain(sub, 150)]
    await asyncio.wait_for(producer, WAIT)
    assert got == list(range(150))
    assert sub.dropped == 0
    await bus.close()


def test_durable_cursor_skips_what_it_already_read() -> None:
    async def no_store() -> Store:
        raise AssertionError("not needed")

    cursor = DurableCursor("c", no_store, lambda topic: True)
    msg = BusMessage(3, "t", None, None, 0.0, durable=True)
    assert not cursor.take_live(msg, has_room=True)  # position unknown yet: read the store
    cursor.position, cursor.lagging = 5, False
    assert not cursor.take_live(msg, has_room=True)  # seq 3 <= position 5: already had it
    assert cursor.take_live(BusMessage(6, "t", None, None, 0.0, durable=True), has_room=True)
    assert cursor.position == 6


async def test_an_owned_bus_refuses_work_once_closed(runtime: Runtime) -> None:
    bus = ContextBus("memory", runtime=runtime, session_id="s")
    broker = bus._broker
    await bus.close()
    with pytest.raises(OrchestrationError, match="closed"):
        await broker.publish("t", 1, None, None)
    with pytest.raises(OrchestrationError, match="closed"):
        await broker.ensure_open()


def test_append_turns_commit_together_in_order() -> None:
    from orchestration_kernel.bus import ContextBus

    bus = ContextBus("memory", session_id="s-turns")
    bus.append_turns_sync(None, [("user", "q", None), ("assistant", "a", "gpt-4")])
    turns = bus.conversation_sync()
    assert [(t["role"], t["content"], t["model"]) for t in turns] == [
        ("user", "q", None),
        ("assistant", "a", "gpt-4"),
    ]
    with pytest.raises(Exception, match="role"):
        bus.append_turns_sync(None, [("robot", "x", None)])
    assert len(bus.conversation_sync()) == 2  # nothing of a bad batch is kept
