"""CPU per call by thread: ``python -m bench.callpath_threads [--calls 400]``.

A diagnostic for issue 24 (Linux only: it reads ``/proc/self/task/*/schedstat``). One
OpenAI wire server (its own process, no added latency, a 500-character reply) and, in
this process, the raw SDK, ``engine.complete`` and one-step pipelines (Guardian and
audit on; also with the audit at ``synchronous="NORMAL"``, with ``remember: false``,
and with the audit off), each called ``--calls`` times one at a time on a 1 KB prompt,
one client after the other. For each client it prints the process CPU µs per call over
the raw SDK's, and each thread's CPU µs per call (the caller's ``MainThread``, the
runtime loop ``orchestration-kernel``, ``audit-writer``, ``audit-checkpoint`` and the
bus's ``bus-sqlite_0``): which thread pays for which part of the call path. The clients
run in blocks, so a busy machine's drift shows between them: run it twice, or on a
quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def thread_cpu_ns() -> dict[str, int]:
    """CPU nanoseconds each live thread of this process has run, by thread name."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, int] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
        except OSError:  # the thread ended meanwhile
            continue
        name = names.get(int(tid), tid)
        out[name] = out.get(name, 0) + ns
    return out


async def _measure(clients: dict[str, Callable[[str], Awaitable[Any]]], calls: int) -> None:
    from bench.ab_callpath import _prompt

    for i in range(30):  # warm-up: imports, connections, the bus opening
        for call in clients.values():
            await call(_prompt(f"warm {i}"))
    rows: dict[str, tuple[float, dict[str, float]]] = {}
    for name, call in clients.items():
        await asyncio.sleep(0.3)  # the previous client's background commits end first
        before, cpu = thread_cpu_ns(), time.process_time()
        for i in range(calls):
            await call(_prompt(f"{name} {i}"))
        cpu = time.process_time() - cpu
        await asyncio.sleep(0.3)  # this client's background commits, counted
        after = thread_cpu_ns()
        per = {k: (v - before.get(k, 0)) / 1e3 / calls for k, v in after.items()}
        rows[name] = (cpu / calls * 1e6, {k: v for k, v in per.items() if v >= 1})
    raw = rows["raw SDK"][0]
    print(f"CPU µs per call, {calls} calls each (process CPU over the raw SDK's; by thread)")
    for name, (cpu, per) in rows.items():
        shown = ", ".join(f"{k} {v:.0f}" for k, v in sorted(per.items(), key=lambda x: -x[1]))
        print(f"  {name:28s} {cpu - raw:+7.0f}   {shown}")


async def _main(base_url: str, calls: int) -> None:
    import openai

    from bench.ab_callpath import KEY, MODEL, _normal_trail
    from orchestration_kernel import OrchestrationEngine

    sdk = openai.AsyncOpenAI(api_key=KEY, base_url=base_url, max_retries=0)
    wire: dict[str, Any] = {"keys": {"openai": KEY}, "base_urls": {"openai": base_url}}
    full = OrchestrationEngine(offline="off", **wire)
    normal = OrchestrationEngine(offline="off", audit=_normal_trail(), **wire)
    unaudited = OrchestrationEngine(offline="off", audit=False, **wire)
    step = [{"name": "answer", "model": f"openai:{MODEL}", "prompt": "{input}"}]

    async def raw(p: str) -> Any:
        return await sdk.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": p}]
        )

    clients: dict[str, Callable[[str], Awaitable[Any]]] = {
        "raw SDK": raw,
        "complete": lambda p: full.complete(f"openai:{MODEL}", p),
        "one-step pipeline": full.create_pipeline(step).execute,
        "pipeline, NORMAL": normal.create_pipeline(step).execute,
        "pipeline, remember: false": full.create_pipeline(
            {"remember": False, "steps": step}
        ).execute,
        "pipeline, audit off": unaudited.create_pipeline(step).execute,
    }
    try:
        await _measure(clients, calls)
    finally:
        for eng in (full, normal, unaudited):
            eng.close()


def main(argv: list[str] | None = None) -> int:
    """Print each client's CPU per call, by thread."""
    p = argparse.ArgumentParser(prog="python -m bench.callpath_threads")
    p.add_argument("--calls", type=int, default=400)
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("ORCHESTRATION_HOME", tempfile.mkdtemp(prefix="callpath-threads-"))
    from bench.ab_callpath import REPLY_CHARS
    from tests.servers import spawn_server

    with spawn_server("openai", latency=0.0) as server:
        server.configure(reply_text=("The answer, in short: " + "x" * REPLY_CHARS)[:REPLY_CHARS])
        asyncio.run(_main(server.base_url, args.calls))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
