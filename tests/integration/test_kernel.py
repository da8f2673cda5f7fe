"""%%orchestrate in a real ipykernel, driven over the Jupyter protocol as a frontend drives it.

The kernel talks to an in-process OpenAI wire server on 127.0.0.1 (``OPENAI_BASE_URL``,
a fake key built at run time); other providers are simulated (``ORCHESTRATION_OFFLINE=auto``).
"""

from __future__ import annotations

import json
import os
import queue
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import Fault, OpenAIServer

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(180)]

MODEL = "gpt-4o-mini"


class Frontend:
    """A minimal Jupyter frontend: queues cells, sorts replies and outputs by cell."""

    def __init__(self, km: Any, kc: Any) -> None:
        self.km = km
        self.kc = kc
        self.outputs: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.replies: dict[str, dict[str, Any]] = {}
        self.idle: set[str] = set()

    def execute(self, code: str, *, stdin: bool = False) -> str:
        """Queue a cell; returns its message id."""
        return self.kc.execute(code, allow_stdin=stdin, stop_on_error=False)

    def wait(
        self,
        msg_id: str,
        timeout: float = 60,
        on_input: Callable[[dict[str, Any]], str] | None = None,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Wait until the cell is idle and replied; returns (reply content, iopub messages)."""
        deadline = time.monotonic() + timeout
        while msg_id not in self.idle or msg_id not in self.replies:
            if time.monotonic() > deadline:
                raise TimeoutError(f"cell {msg_id} did not finish in {timeout}s")
            if on_input is not None:
                self._answer_input(on_input)
            self._read_iopub()
            self._read_shell()
        return self.replies[msg_id], self.outputs[msg_id]

    def _answer_input(self, on_input: Callable[[dict[str, Any]], str]) -> None:
        try:
            msg = self.kc.get_stdin_msg(timeout=0.01)
        except queue.Empty:
            return
        if msg["msg_type"] == "input_request":
            self.kc.input(on_input(msg["content"]))

    def _read_iopub(self) -> None:
        try:
            msg = self.kc.get_iopub_msg(timeout=0.05)
        except queue.Empty:
            return
        parent = msg["parent_header"].get("msg_id", "")
        self.outputs[parent].append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            self.idle.add(parent)

    def _read_shell(self) -> None:
        try:
            msg = self.kc.get_shell_msg(timeout=0.01)
        except queue.Empty:
            return
        self.replies[msg["parent_header"]["msg_id"]] = msg["content"]

    def run(self, code: str, timeout: float = 60) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Execute a cell and wait for it."""
        return self.wait(self.execute(code), timeout)

    def value(self, code: str) -> str:
        """The ``text/plain`` result (or stdout) of a cell that must succeed."""
        reply, msgs = self.run(code)
        assert reply["status"] == "ok", reply
        return text_of(msgs)


def text_of(msgs: list[dict[str, Any]]) -> str:
    """Everything a cell showed as plain text (streams, displays, results, errors)."""
    parts = []
    for msg in msgs:
        content = msg["content"]
        if msg["msg_type"] == "stream":
            parts.append(content["text"])
        elif msg["msg_type"] in ("display_data", "update_display_data", "execute_result"):
            parts.append(content["data"].get("text/plain", ""))
        elif msg["msg_type"] == "error":
            parts.append("\n".join(content["traceback"]))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


def kernel_env(home: Path, server: OpenAIServer, **extra: str) -> dict[str, str]:
    """A kernel's environment: no provider key or URL of ours, its own home, the server."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_BASE_URL")) and k != "ORCHESTRATION_OFFLINE"
    }
    env.update(
        ORCHESTRATION_HOME=str(home),
        ORCHESTRATION_NO_DOTENV="1",
        ORCHESTRATION_NO_KEYRING="1",
        OPENAI_BASE_URL=server.base_url,
        OPENAI_API_KEY="sk-test-" + "x" * 20,
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def kernel(server: OpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frontend]:
    from jupyter_client.manager import start_new_kernel

    home: Path = tmp_path_factory.mktemp("kernel-home")
    env = kernel_env(home, server, ORCHESTRATION_OFFLINE="auto")
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(home), startup_timeout=60)
    frontend = Frontend(km, kc)
    try:
        assert frontend.run("%load_ext orchestration_kernel")[0]["status"] == "ok"
        yield frontend
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_run_all_queues_every_cell(kernel: Frontend, server: OpenAIServer) -> None:
    server.clear()
    cells = [
        f'%%orchestrate first --out r1\n- model: {MODEL}\n  prompt: "alpha"\n',
        "x = 41",
        (
            f'%%orchestrate --out r2\n- name: a\n  model: {MODEL}\n  prompt: "beta {{x}}"\n'
            '- name: b\n  model: claude-3\n  prompt: "gamma {a}"\n'
        ),
        f"%%orchestrate --compare {MODEL} claude-3 --out r3\ndelta",
        "%orchestrate run first --out r4",
        "print(r1.status, r2.status, sorted(r3.replies), r4.status, x + 1)",
    ]
    ids = [kernel.execute(code) for code in cells]  # Run All: everything queued at once
    replies = [kernel.wait(i)[0] for i in ids]
    assert [r["status"] for r in replies] == ["ok"] * len(cells)
    counts = [r["execution_count"] for r in replies]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)
    printed = text_of(kernel.outputs[ids[-1]])
    assert "done done ['claude-3', 'gpt-4o-mini'] done 42" in printed
    prompts = [json.dumps(r.json) for r in server.requests]
    for word in ("alpha", "beta 41", "delta"):
        assert any(word in p for p in prompts), word
    assert "Echo from gpt-4o-mini: alpha" in text_of(kernel.outputs[ids[0]])


def test_top_level_await(kernel: Frontend) -> None:
    out = kernel.value(
        "from orchestration_kernel import Session\n"
        f"reply = await Session.current().engine.complete({MODEL!r}, 'awaited hello')\n"
        "reply.text"
    )
    assert "awaited hello" in out


def test_an_api_mistake_in_a_real_kernel_fails_the_cell_without_our_frames(
    kernel: Frontend,
) -> None:
    reply, msgs = kernel.run(
        "from orchestration_kernel import Session\n"
        f"await Session.current().engine.complete({MODEL!r}, ['not a message'])\n"
    )
    assert reply["status"] == "error" and reply["ename"] == "ConfigurationError"
    shown = text_of(msgs)
    assert "not a message" in shown and "engine.complete" in shown  # the cell's own line
    assert "orchestration_kernel/" not in shown


@pytest.mark.parametrize("mode", ["widget", "html"])
def test_streaming_updates_the_display_before_idle(
    kernel: Frontend, server: OpenAIServer, mode: str
) -> None:
    assert kernel.run(f"%config OrchestrateMagics.display = {mode!r}")[0]["status"] == "ok"
    server.latency = 0.3
    try:
        body = "".join(f'- name: s{i}\n  model: {MODEL}\n  prompt: "part {i}"\n' for i in range(3))
        reply, msgs = kernel.run(f"%%orchestrate\n{body}")
    finally:
        server.latency = 0.0
        kernel.run("%config OrchestrateMagics.display = 'widget'")
    assert reply["status"] == "ok"
    # Widgets update over comm messages, the HTML fallback with update_display_data;
    # either way every update arrives before the cell's idle status (the last message).
    updates = [m for m in msgs if m["msg_type"] in ("update_display_data", "comm_msg")]
    assert len(updates) >= 3, [m["msg_type"] for m in msgs]
    assert msgs[-1]["msg_type"] == "status"
    replaced = [m for m in msgs if m["msg_type"] == "update_display_data"]
    final = replaced[-1]["content"]["data"]["text/plain"]
    assert "pending" not in final and "running" not in final and "done" in final


#: Where a cell given to :func:`interrupt_in_flight` puts its request's own marker.
MARK = "<MARK>"


def interrupt_in_flight(
    kernel: Frontend, server: OpenAIServer, code: str, slow: float = 60.0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run ``code`` against a gpt-4o request the server delays ``slow`` seconds, interrupt
    the kernel once the request arrived, and return the cell's reply and messages (the
    wait fails well before the delay ends).

    ``code`` writes :data:`MARK` in its prompt; it becomes a marker of this call alone.
    The delay is scripted for a request with that marker only, and the interrupt waits
    for that request: a gpt-4o request an earlier test left in flight can neither take
    the delay (the cell's own request then answered at once, and the cell replied ``ok``)
    nor be mistaken for the cell's request."""
    assert MARK in code, f"the cell must carry {MARK} in its prompt"
    # Letters only: nothing the Guardian could take for a key and redact on the way out.
    marker = "mark" + "".join(chr(97 + b % 26) for b in os.urandom(10))
    server.clear()
    server.script(Fault.delay(slow).for_prompt(marker), model="gpt-4o", times=1)
    msg_id = kernel.execute(code.replace(MARK, marker))
    deadline = time.monotonic() + 30
    while not any(marker in json.dumps(r.json) for r in server.requests):  # the call is in flight
        assert time.monotonic() < deadline, "the delayed request never arrived"
        kernel._read_iopub()
        time.sleep(0.05)
    kernel.km.interrupt_kernel()
    return kernel.wait(msg_id, timeout=slow / 2)


def test_an_interrupted_compare_cell_over_rows_records_cancelled(
    kernel: Frontend, server: OpenAIServer
) -> None:
    """A ``--compare --over`` cell interrupted mid-run: the cell fails RunCancelled and its
    run's ``run_end`` says cancelled (in-process, this raced other tests' threads)."""
    reply, _ = kernel.run('qs = ["first?", "second?", "third?"]')
    assert reply["status"] == "ok", reply
    code = f"%%orchestrate --compare gpt-4o --over qs\nAnswer {{item}} {MARK}"
    reply, msgs = interrupt_in_flight(kernel, server, code)
    assert reply["status"] == "error" and reply["ename"] == "RunCancelled"
    assert "Traceback" not in text_of(msgs)
    status = kernel.value(
        "from orchestration_kernel import Session\n"
        "ends = Session.current().engine.audit.to_dataframe(event='run_end')\n"
        "print(ends['status'].iloc[-1], ends['detail'].iloc[-1]['kind'])"
    )
    assert status.split() == ["cancelled", "matrix"]


def test_interrupt_cancels_a_delayed_run(kernel: Frontend, server: OpenAIServer) -> None:
    code = f'%%orchestrate slow\n- model: gpt-4o\n  prompt: "wait for me {MARK}"\n'
    reply, msgs = interrupt_in_flight(kernel, server, code)
    assert reply["status"] == "error"
    assert reply["ename"] == "RunCancelled"
    assert "Traceback" not in text_of(msgs)
    status = kernel.value(
        "from orchestration_kernel import Session\n"
        "rows = Session.current().engine.audit.to_dataframe(run=_orchestrate.run_id)\n"
        "print(_orchestrate.status, sorted(set(rows['status'].dropna())))"
    )
    assert status.startswith("cancelled")
    assert "cancelled" in status.split(" ", 1)[1]
    assert kernel.value("print(6 * 7)").strip() == "42"  # still usable


def test_key_is_asked_over_stdin_and_never_echoed(kernel: Frontend, server: OpenAIServer) -> None:
    key = "sk-test-" + os.urandom(10).hex()
    prompts: list[dict[str, Any]] = []

    def answer(request: dict[str, Any]) -> str:
        prompts.append(request)
        return key

    msg_id = kernel.execute("%orchestrate key openai", stdin=True)
    reply, msgs = kernel.wait(msg_id, on_input=answer)
    assert reply["status"] == "ok"
    assert prompts and prompts[0]["password"] is True
    server.clear()
    server.require_bearer = lambda token: token == key
    try:
        reply, more = kernel.run(f'%%orchestrate\n- model: {MODEL}\n  prompt: "keyed"\n')
    finally:
        server.require_bearer = None
    assert reply["status"] == "ok", text_of(more)
    assert server.requests[-1].credential == key
    everything = json.dumps([m["content"] for m in msgs + more])
    assert key not in everything
