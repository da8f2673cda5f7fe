"""Group commit of conversation appends (issue 24): appends that arrive while one commits
share the next transaction, in order; a failed transaction fails each of its appends and
commits none of their rows; the SQLite bus store keeps every turn under concurrency."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import threading
from pathlib import Path

import pytest

from orchestration_kernel.bus.group_commit import GroupCommit
from orchestration_kernel.bus.sqlite import SQLiteStore
from orchestration_kernel.bus.store import Turn
from orchestration_kernel.errors import StorageError

pytestmark = pytest.mark.timeout(60)


class Boom(Exception):
    pass


async def test_appends_arriving_during_a_commit_share_the_next_one_in_order() -> None:
    groups: list[list[int]] = []
    gate, writing = threading.Event(), threading.Event()

    def write(rows: list[int]) -> None:
        if not groups:
            writing.set()
            gate.wait(60)  # hold the first commit so the others queue behind it
        groups.append(rows)

    group: GroupCommit[int] = GroupCommit(write, lambda exc: exc)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = asyncio.ensure_future(group.append([0], pool))
        assert await asyncio.to_thread(writing.wait, 60)  # the first commit has begun
        rest = [asyncio.ensure_future(group.append([i, i], pool)) for i in range(1, 6)]
        await asyncio.sleep(0.05)
        assert not any(t.done() for t in [first, *rest])  # nothing returns before its commit
        gate.set()
        await asyncio.gather(first, *rest)
    assert groups == [[0], [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]]


async def test_a_failed_group_fails_each_append_with_an_error_of_its_own() -> None:
    calls: list[list[int]] = []
    gate, writing = threading.Event(), threading.Event()

    def write(rows: list[int]) -> None:
        if not calls:
            calls.append(rows)
            writing.set()
            gate.wait(60)
            return
        calls.append(rows)
        raise Boom("disk full")

    group: GroupCommit[int] = GroupCommit(write, lambda exc: RuntimeError(f"wrapped: {exc}"))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = asyncio.ensure_future(group.append([0], pool))
        assert await asyncio.to_thread(writing.wait, 60)  # the first commit has begun
        rest = [asyncio.ensure_future(group.append([i], pool)) for i in (1, 2)]
        await asyncio.sleep(0.05)
        gate.set()
        await first
        outcomes = await asyncio.gather(*rest, return_exceptions=True)
        assert all(isinstance(e, RuntimeError) and "disk full" in str(e) for e in outcomes)
        assert outcomes[0] is not outcomes[1]  # one exception per caller
    assert calls == [[0], [1, 2]]


async def test_the_sqlite_store_keeps_every_turn_of_many_appends_at_once(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "bus.sqlite")
    await store.open()
    try:

        async def converse(i: int) -> None:
            turns = [Turn("user", f"q{i}", None, 1.0), Turn("assistant", f"a{i}", "m", 2.0)]
            await store.append_turns(f"s{i % 7}", turns)

        await asyncio.gather(*(converse(i) for i in range(200)))
        for s in range(7):
            got = await store.conversation(f"s{s}")
            mine = [i for i in range(200) if i % 7 == s]
            assert [t.content for t in got] == [x for i in mine for x in (f"q{i}", f"a{i}")]
    finally:
        await store.close()


async def test_a_refused_write_raises_storage_error_and_commits_none_of_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bus.sqlite"
    store = SQLiteStore(path)
    await store.open()
    try:
        db = sqlite3.connect(path)
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON turns WHEN NEW.content = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
        )
        db.commit()
        db.close()

        async def converse(i: int) -> str | None:
            content = "boom" if i == 5 else f"q{i}"
            try:
                await store.append_turns(f"s{i}", [Turn("user", content, None, 1.0)])
            except StorageError as exc:
                assert str(path) in str(exc)
                return "failed"
            return None

        outcomes = await asyncio.gather(*(converse(i) for i in range(20)))
        assert outcomes[5] == "failed"
        for i, outcome in enumerate(outcomes):
            stored = [t.content for t in await store.conversation(f"s{i}")]
            assert stored == ([] if outcome == "failed" else [f"q{i}"])
        await store.append_turns("after", [Turn("user", "fine", None, 1.0)])  # still writes
        assert [t.content for t in await store.conversation("after")] == ["fine"]
    finally:
        await store.close()
