"""The loop waker behind a prompt Ctrl-C on awaiting cells (the kernel-level proof is
tests/integration/test_kernel_interrupt_await.py): it wakes a running loop while a cell
runs, does nothing outside a loop, and comes and goes with the extension."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from orchestration_kernel.magics.interrupts import TICK_S, LoopWaker
from tests.unit.magic_shell import magic_shell


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A shell with the extension loaded, every model on the offline simulator."""
    yield from magic_shell(monkeypatch)


def test_it_wakes_a_running_loop_until_the_cell_ends() -> None:
    waker = LoopWaker()
    waker.pre_run_cell()
    assert not waker.active  # no running loop here: nothing to wake

    async def cell() -> int:
        waker.pre_run_cell()
        assert waker.active
        loop = asyncio.get_running_loop()
        ticks = 0
        start = loop.time()
        while loop.time() - start < 3 * TICK_S:  # the timer keeps re-arming itself
            handle = waker._handle
            await asyncio.sleep(TICK_S / 2)
            ticks += waker._handle is not handle
        waker.post_run_cell()
        assert not waker.active
        return ticks

    assert asyncio.run(cell()) >= 1


def test_the_hooks_come_and_go_with_the_extension(ip: Any) -> None:
    magics = ip.magics_manager.registry["OrchestrateMagics"]
    waker = magics.loop_waker
    assert waker.pre_run_cell in ip.events.callbacks["pre_run_cell"]
    assert waker.post_run_cell in ip.events.callbacks["post_run_cell"]
    ip.run_line_magic("unload_ext", "orchestration_kernel")
    assert waker.pre_run_cell not in ip.events.callbacks["pre_run_cell"]
    assert waker.post_run_cell not in ip.events.callbacks["post_run_cell"]
    ip.run_line_magic("load_ext", "orchestration_kernel")  # as the fixture expects
