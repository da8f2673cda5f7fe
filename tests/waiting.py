"""Waiting in tests for something another thread, loop or process does.

CI runs the suite on a busy 2-core machine, where a fixed short sleep followed by an
assertion fails now and then. A test that must wait waits for the *state* it needs,
polling a condition, with a generous bound that is a hang guard only: it never decides
whether a test passes on a healthy machine, only how long a broken one takes to fail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

#: Seconds before a wait gives up: a hang guard, far beyond any healthy wait.
BOUND = 60.0


async def until(
    condition: Callable[[], object], what: str, bound: float = BOUND, step: float = 0.01
) -> None:
    """Poll ``condition`` on this loop until it is true; fail the test naming ``what``
    if it is still false after ``bound`` seconds."""
    deadline = time.monotonic() + bound
    # The state lives elsewhere (another thread, loop or process): nothing to await but time.
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened within {bound:g} s: {what}")
        await asyncio.sleep(step)


def wait_until(
    condition: Callable[[], object], what: str, bound: float = BOUND, step: float = 0.01
) -> None:
    """The blocking twin of :func:`until`, for a test with no running loop."""
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened within {bound:g} s: {what}")
        time.sleep(step)
