"""A cancelled awaited call renders as one short line where IPython asks for it
(``_render_traceback_``), and the audit holds the cancelled attempt (session 10, fixes;
the notebook itself: tests/integration/test_kernel_interrupt_await.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from tests.waiting import until

pytestmark = pytest.mark.timeout(60)


def test_a_cancelled_call_renders_short_and_is_audited(tmp_path: Path) -> None:
    engine = OrchestrationEngine(
        offline="on", audit=tmp_path / "audit.db", simulator={"latency": 30.0}
    )

    async def cancel_in_flight() -> BaseException:
        call = asyncio.ensure_future(engine.complete("gpt-4o-mini", "wait"))
        # Cancelled only once its attempt is under way: a fixed 0.3 s was not always enough
        # on a busy machine (a first call checks its input with a fresh Guardian).
        await until(lambda: engine.simulator.calls > 0, "the call reached the provider")
        call.cancel()
        try:
            await call
        except asyncio.CancelledError as exc:
            return exc
        raise AssertionError("the call was not cancelled")

    error = asyncio.run(cancel_in_flight())
    [line] = error._render_traceback_()  # type: ignore[attr-defined]
    assert line.endswith(
        "CancelledError\x1b[0m: Interrupted: the call was cancelled and has stopped. The "
        "audit trail records what it did, the interrupted attempt with status 'cancelled' "
        "(engine.audit.to_dataframe()); no reply was returned. %tb shows the full traceback."
    )
    engine.audit.flush()
    calls = engine.audit.to_dataframe(event="call")
    assert calls["status"].tolist() == ["cancelled"]
