"""Ctrl-C on a notebook cell that awaits a call (``await engine.complete(...)``) cancels
the call at once, in a real kernel, without the extension loaded (the runtime keeps the
waiting main-thread loop stirring: orchestration_kernel/interrupt_wake.py): ipykernel acted
on the interrupt only when the awaited call ended (here, after the server's 60 s delay).
The magic's own path (``%%orchestrate`` blocking on the runtime) is
tests/integration/test_kernel.py::test_interrupt_cancels_a_delayed_run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_kernel import Frontend, interrupt_in_flight, kernel_env, text_of
from tests.servers import OpenAIServer

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(180)]

SLOW = 60.0  # the server's delay: the interrupt must act long before it ends


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def kernel(server: OpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frontend]:
    from jupyter_client.manager import start_new_kernel

    home: Path = tmp_path_factory.mktemp("kernel-home")
    env = kernel_env(home, server)
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(home), startup_timeout=60)
    frontend = Frontend(km, kc)
    try:
        reply, _ = frontend.run(
            "from orchestration_kernel import OrchestrationEngine\nengine = OrchestrationEngine()"
        )
        assert reply["status"] == "ok", reply
        yield frontend
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_interrupt_cancels_an_awaited_complete(kernel: Frontend, server: OpenAIServer) -> None:
    code = 'r = await engine.complete("gpt-4o", "wait <MARK>")'
    reply, _ = interrupt_in_flight(kernel, server, code, SLOW)
    assert reply["status"] == "error" and reply["ename"] == "CancelledError"
    assert kernel.value("print('r' in dir())").strip() == "False"  # no reply was bound
    assert kernel.value("print(6 * 7)").strip() == "42"  # the kernel is still usable


def test_interrupt_cancels_an_awaited_compare_and_its_run_says_so(
    kernel: Frontend, server: OpenAIServer
) -> None:
    code = 't = await engine.compare(["gpt-4o"], "wait <MARK>")'
    reply, _ = interrupt_in_flight(kernel, server, code, SLOW)
    assert reply["status"] == "error" and reply["ename"] == "CancelledError"
    status = kernel.value(
        "engine.audit.flush()\n"
        "ends = engine.audit.to_dataframe(event='run_end')\n"
        "print(ends['status'].iloc[-1], ends['detail'].iloc[-1]['kind'])"
    )
    assert status.split() == ["cancelled", "compare"]


@pytest.mark.parametrize(
    "code, ename",
    [
        ('r = await engine.complete("gpt-4o", "wait <MARK>")', "CancelledError"),
        ('r = engine.complete_sync("gpt-4o", "wait <MARK>")', "KeyboardInterrupt"),
        ('async for d in engine.stream("gpt-4o", "wait <MARK>"):\n    pass', "CancelledError"),
        ('for d in engine.stream("gpt-4o", "wait <MARK>"):\n    pass', "KeyboardInterrupt"),
    ],
)
def test_an_interrupted_call_says_so_briefly_and_the_audit_keeps_the_attempt(
    kernel: Frontend, server: OpenAIServer, code: str, ename: str
) -> None:
    """Before: the cell showed a CancelledError (KeyboardInterrupt for the blocking twin)
    traceback through the runtime's frames. Now: one short block saying it was interrupted
    and what the audit recorded; the cell still fails (Run All stops) with that error."""
    reply, msgs = interrupt_in_flight(kernel, server, code, SLOW)
    assert reply["status"] == "error" and reply["ename"] == ename
    shown = text_of(msgs)
    assert f"{ename}\x1b[0m: Interrupted: the call was cancelled and has stopped" in shown
    assert "status 'cancelled'" in shown
    assert "Traceback" not in shown and "orchestration_kernel/" not in shown
    status = kernel.value(
        "engine.audit.flush()\n"
        "calls = engine.audit.to_dataframe(event='call')\n"
        "print(calls['status'].iloc[-1], calls['model'].iloc[-1])"
    )
    assert status.split() == ["cancelled", "openai:gpt-4o"]
