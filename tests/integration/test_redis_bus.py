"""The bus on a real redis-server: the Store contract, live delivery between buses that
share nothing but Redis (as kernels in different processes do), atomic context merges,
durable consumers as consumer groups, and an outage."""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest

from orchestration_kernel.bus import BusMessage, ContextBus, Store
from orchestration_kernel.bus.redis_store import RedisStore
from orchestration_kernel.errors import SharedStateError
from orchestration_kernel.redis_link import RedisSettings
from orchestration_kernel.runtime import Runtime
from tests.redis_server import RedisServer
from tests.unit import test_bus_stores as contract

pytestmark = [pytest.mark.timeout(60)]

WAIT = 30.0  # a hang guard only


@pytest.fixture
async def store(redis_server: RedisServer) -> AsyncIterator[Store]:
    """What the Store contract tests (imported below) run against."""
    s = RedisStore(redis_server.url)
    await s.open()
    yield s
    await s.close()


# The contract every bundled store passes, run here against Redis.
test_message_log_reads_in_order_after_a_position = (
    contract.test_message_log_reads_in_order_after_a_position
)
test_offsets_start_at_zero_and_never_move_back = (
    contract.test_offsets_start_at_zero_and_never_move_back
)
test_context_versions_merge_replace_and_keep_history = (
    contract.test_context_versions_merge_replace_and_keep_history
)
test_conversation_and_sessions = contract.test_conversation_and_sessions
test_values_must_be_json_compatible = contract.test_values_must_be_json_compatible
test_store_reprs_name_the_backend = contract.test_store_reprs_name_the_backend


@pytest.fixture
def runtimes() -> Iterator[list[Runtime]]:
    """Three runtimes: three buses with their own loops, like three kernels."""
    rts = [Runtime(f"kernel-{i}") for i in range(3)]
    yield rts
    for rt in rts:
        rt.close()


def _buses(url: str, runtimes: list[Runtime]) -> list[ContextBus]:
    return [ContextBus(url, runtime=rt, session_id="team") for rt in runtimes]


def _quick_buses(url: str, runtimes: list[Runtime]) -> tuple[ContextBus, ContextBus]:
    """Two buses that notice an outage (and its end) within a fraction of a second."""
    settings = RedisSettings(url, timeout=0.5, retry_after=0.1)
    a, b = (ContextBus(RedisStore(settings), runtime=rt, session_id="team") for rt in runtimes[:2])
    return a, b


async def test_the_redis_store_implements_the_protocol(store: Store) -> None:
    assert isinstance(store, Store) and store.kind == "redis"


async def test_context_keeps_key_order_unicode_and_big_numbers(store: Store) -> None:
    await store.write_context("s", {"b": 1, "a": {"x": [1, 2]}}, merge=True, ts=1.5)
    written = await store.write_context(
        "s", {"ключ/é": "значение", "b": 2**62 + 1, "f": 0.1}, merge=True, ts=2.5
    )
    assert list(written.data) == ["b", "a", "ключ/é", "f"]  # as {**old, **new} orders them
    assert written.data["b"] == 2**62 + 1 and written.data["f"] == 0.1
    latest = await store.read_context("s")
    assert latest == written and latest.ts == 2.5


async def test_consumer_offsets_are_consumer_groups(store: Store) -> None:
    assert isinstance(store, RedisStore)
    for i in range(3):
        await store.append_message("t", i, None, 0.0)
    await store.set_offset("auditor", 2)
    groups = await store._redis.xinfo_groups(store._log)
    assert [(g["name"], g["last-delivered-id"]) for g in groups] == [(b"auditor", b"2-0")]


async def test_a_publish_in_one_bus_reaches_a_subscriber_of_another(
    redis_server: RedisServer, runtimes: list[Runtime]
) -> None:
    a, b, _ = _buses(redis_server.url, runtimes)
    await b.get_context()  # opens b's store, which starts listening
    sub = b.subscribe("team.#")
    await a.publish("team.note", {"from": "a"})
    await a.publish("team.saved", {"n": 1}, durable=True)
    got = [await sub.get(timeout=WAIT) for _ in range(2)]
    assert [(m.topic, m.data, m.durable) for m in got if m] == [
        ("team.note", {"from": "a"}, False),
        ("team.saved", {"n": 1}, True),
    ]
    own = a.subscribe("team.#")
    await a.publish("team.once", 1)  # a's own subscriber gets it once, not echoed back:
    await b.publish("team.after", 2)  # an echo would come through the stream before this
    got = [await own.get(timeout=WAIT) for _ in range(2)]
    assert [m.topic for m in got if m] == ["team.once", "team.after"]
    for bus in (a, b):
        await bus.close()


async def test_a_named_consumer_in_another_bus_resumes_from_the_log(
    redis_server: RedisServer, runtimes: list[Runtime]
) -> None:
    a, b, _ = _buses(redis_server.url, runtimes)
    for i in range(3):
        await a.publish("jobs.new", {"i": i}, durable=True)
    sub = b.subscribe("jobs.#", consumer="worker")
    first = [await sub.get(timeout=WAIT) for _ in range(2)]
    assert [m.data["i"] for m in first if m] == [0, 1]
    await first[-1].ack()  # type: ignore[union-attr]
    sub.close()
    again = b.subscribe("jobs.#", consumer="worker")
    nxt = await again.get(timeout=WAIT)
    assert nxt is not None and nxt.data == {"i": 2}
    for bus in (a, b):
        await bus.close()


async def test_concurrent_merges_from_three_buses_give_contiguous_versions(
    redis_server: RedisServer, runtimes: list[Runtime]
) -> None:
    buses = _buses(redis_server.url, runtimes)
    writes = [
        bus.update_context({f"k{i}-{n}": n}) for i, bus in enumerate(buses) for n in range(50)
    ]
    versions = await asyncio.gather(*writes)
    assert sorted(v.version for v in versions) == list(range(1, 151))
    final = await buses[0].get_context()
    assert len(final) == 150 and final["k2-49"] == 49
    history = await buses[1].context_history()
    assert [h.version for h in history] == list(range(1, 151))
    assert all(len(h.data) == h.version for h in history)  # each merge saw all before it
    for bus in buses:
        await bus.close()


async def test_a_kernel_that_only_subscribes_hears_the_others(
    redis_server: RedisServer, runtimes: list[Runtime]
) -> None:
    """Subscribing is enough: before, the store opened (and listened) on first publish or
    context read only, so kernel B's ``subscribe`` + ``get`` never saw kernel A's messages."""
    a, b, _ = _buses(redis_server.url, runtimes)
    sub = b.subscribe("team.#")  # b's first and only use of its bus
    await a.publish("team.done", {"by": "a"})
    got = await sub.get(timeout=WAIT)
    assert got is not None and (got.topic, got.data) == ("team.done", {"by": "a"})
    for bus in (a, b):
        await bus.close()


async def test_a_subscriber_made_while_redis_is_away_hears_the_others_once_it_is_back(
    redis_server: RedisServer, runtimes: list[Runtime]
) -> None:
    a, b = _quick_buses(redis_server.url, runtimes)
    redis_server.stop()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sub = b.subscribe("team.#")  # no error: the subscription works locally meanwhile
    assert any("unreachable" in str(w.message) for w in caught)
    redis_server.start()
    got = None
    for attempt in range(int(WAIT / 0.25)):  # b keeps trying in the background
        await a.publish("team.back", attempt)
        with contextlib.suppress(TimeoutError):
            got = await sub.get(timeout=0.25)
            break
    assert got is not None and got.topic == "team.back"
    for bus in (a, b):
        await bus.close()


async def test_a_live_publish_while_redis_was_never_reached_is_kept_not_refused(
    redis_server: RedisServer, runtimes: list[Runtime]
) -> None:
    """Redis down from the start: a live publish raised SharedStateError, while the same
    publish during a later outage is delivered here and sent on when Redis is back."""
    a, b = _quick_buses(redis_server.url, runtimes)
    redis_server.stop()
    local = a.subscribe("live.#")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        await a.publish("live.early", {"n": 1})  # no error
    got = await local.get(timeout=WAIT)
    assert got is not None and got.data == {"n": 1}
    redis_server.start()
    remote = b.subscribe("live.#")  # b listens from now on
    await a.publish("live.later", {"n": 2})  # a reaches Redis: the kept one goes first
    seen = [await remote.get(timeout=WAIT) for _ in range(2)]
    assert [m.topic for m in seen if m] == ["live.early", "live.later"]
    for bus in (a, b):
        await bus.close()


async def test_an_outage_refuses_durable_writes_and_replays_live_messages(
    redis_server: RedisServer, runtimes: list[Runtime]
) -> None:
    a, b = _quick_buses(redis_server.url, runtimes)
    await a.get_context()
    await b.get_context()
    remote = b.subscribe("live.#")
    local = a.subscribe("live.#")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        redis_server.stop()
        with pytest.raises(SharedStateError, match="nothing was written") as refused:
            await a.publish("live.saved", 1, durable=True)
        with pytest.raises(SharedStateError):
            await a.update_context({"k": 1})
        sent = await a.publish("live.note", {"during": "outage"})
        await a.publish("live.note", {"during": "outage", "n": 2})
        assert "127.0.0.1" in str(refused.value)
        assert sent.data == {"during": "outage"}
        got = await local.get(timeout=WAIT)  # this kernel's subscribers get it at once
        assert got is not None and got.data == {"during": "outage"}
        redis_server.start()
        await a.publish("live.after", 3)  # sends what was kept, in order, then this one
        seen: list[BusMessage] = []
        while len(seen) < 3:
            m = await remote.get(timeout=WAIT)
            assert m is not None, seen
            seen.append(m)
    # One warning per kernel (each bus here stands for one), however many calls failed.
    assert a.store.outages == b.store.outages == 1  # type: ignore[attr-defined]
    assert sum("unreachable" in str(w.message) for w in caught) == 2
    assert [m.topic for m in seen] == ["live.note", "live.note", "live.after"]
    assert seen[1].data == {"during": "outage", "n": 2}
    for bus in (a, b):
        await bus.close()


async def test_a_live_message_that_is_not_json_stays_in_its_kernel(
    redis_server: RedisServer, runtimes: list[Runtime]
) -> None:
    a, b, _ = _buses(redis_server.url, runtimes)
    await b.get_context()
    remote, local = b.subscribe("obj.#"), a.subscribe("obj.#")
    thing = object()
    await a.publish("obj.raw", thing)  # delivered here, as before; cannot cross processes
    await a.publish("obj.json", {"ok": True})
    got_local = [await local.get(timeout=WAIT) for _ in range(2)]
    assert [m.data for m in got_local if m] == [thing, {"ok": True}]
    got_remote = await remote.get(timeout=WAIT)
    assert got_remote is not None and got_remote.topic == "obj.json"
    for bus in (a, b):
        await bus.close()


def test_the_store_never_shows_the_password() -> None:
    secret = "pw-" + "y" * 12
    store = RedisStore(f"redis://user:{secret}@127.0.0.1:1/0")
    assert secret not in repr(store) and "***" in repr(store)


async def test_contextbus_in_a_team_kernel_is_the_engines_bus_on_redis(
    redis_server: RedisServer, runtimes: list[Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ORCHESTRATION_REDIS_URL set, ``ContextBus()`` was SQLite while ``engine.bus``
    was Redis: what a cell published or merged through it never reached the team."""
    from orchestration_kernel import OrchestrationEngine

    monkeypatch.setenv("ORCHESTRATION_REDIS_URL", redis_server.url)
    engine = OrchestrationEngine(offline="on", audit=False)
    bus = ContextBus()
    assert bus.store.kind == "redis" and bus.store is engine.bus.store
    other = ContextBus(redis_server.url, runtime=runtimes[0], session_id="team")
    sub = other.subscribe("team.#")
    await bus.publish("team.note", {"from": "a cell"})
    await bus.update_context({"reviewed": 42}, session_id="project-x")
    got = await sub.get(timeout=WAIT)
    assert got is not None and got.data == {"from": "a cell"}
    assert await other.get_context("project-x") == {"reviewed": 42}
    assert OrchestrationEngine(offline="on", audit=False, redis=False).bus.store.kind == "sqlite"
    await other.close()
    await engine.runtime.run(bus.store.close())  # before the server goes away


async def test_a_black_hole_costs_one_timeout_per_outage_not_one_per_call() -> None:
    """A Redis address that accepts connections and never answers (a firewall that drops
    packets, a hung server). Before: every publish, context read and write waited out
    the timeout again (a live publish took 4 s, every time). Now the first failure starts
    a probe in the background, and until it answers, calls are refused (durable) or kept
    (live) at once, without connecting again."""
    import socket
    import threading

    accepted: list[socket.socket] = []
    with socket.socket() as black_hole:
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(64)

        def accept() -> None:
            with contextlib.suppress(OSError):
                while True:
                    accepted.append(black_hole.accept()[0])

        threading.Thread(target=accept, daemon=True).start()
        url = f"redis://127.0.0.1:{black_hole.getsockname()[1]}/0"
        settings = RedisSettings(url, timeout=0.3, retry_after=60.0)  # no probe during the test
        runtime = Runtime("black-hole")
        bus = ContextBus(RedisStore(settings), runtime=runtime, session_id="s")
        try:
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                with pytest.raises(SharedStateError, match="did not answer"):
                    await bus.update_context({"k": 1})  # finds out: one timeout
                tried = len(accepted)
                assert tried >= 1
                for n in range(5):
                    with pytest.raises(SharedStateError, match="did not answer"):
                        await bus.get_context()
                    with pytest.raises(SharedStateError, match="nothing was written"):
                        await bus.publish("team.saved", n, durable=True)
                    await bus.publish("team.live", n)  # kept for when Redis is back
            assert len(accepted) == tried  # nothing connected to the black hole again
            assert len(bus.store._buffer) == 5  # type: ignore[attr-defined]
        finally:
            await bus.close()
            runtime.close()
            for conn in accepted:
                conn.close()
