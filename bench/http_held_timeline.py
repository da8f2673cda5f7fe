"""When 1,000 held calls reach the server and finish: ``python -m bench.http_held_timeline``.

``python -m bench.http_held_timeline [--calls 1000] [--hold 3] [--repeats 2]
[--arms pipe,raw] [--prompt short|1k] [--freeze]``

A diagnostic for issue 24's "1,000 concurrent held pipelines ≤ 2× the hold", not a bench
section. One process (this checkout) starts the OpenAI wire server (its own process, a
500-character reply), warms each arm up with 20 calls one at a time, has the server hold
every request ``--hold`` s, then awaits ``--calls`` calls of one arm at once, the arms
taking turns repeat by repeat. Arms: ``pipe`` (a one-step pipeline, Guardian and audit
on), ``pipe-noaudit`` (the same on an engine without the audit trail), ``bare`` (a
one-step pipeline, Guardian and audit off), ``complete`` (``engine.complete``, defaults)
``raw`` (the official SDK, ``max_retries=0``) and ``pipe-anyio``: the ``pipe`` arm on an
engine whose connection pools have httpcore's own ``anyio`` backend back in place of
:mod:`orchestration_kernel.providers.netio`'s asyncio one, to show what it saves;
``pipe-unpaced``: the ``pipe`` arm with the runtime starting every handed-over call in
the pass it arrives (``runtime.ADMIT_PER_PASS`` unbounded for its repeats), as it did
before it paced them; ``pipe-gc``: the ``pipe`` arm with the collector's thresholds left
as they are during the burst (``burst_gc.BURST`` unbounded for its repeats).
``--prompt short`` (the default) sends what ``make bench``'s held
section sends (``held R I``, a dozen characters); ``1k`` the 1 KB prompt of the latency
rows (the Guardian's input check is then a larger share of each call).

For each repeat it prints, in seconds from the start of the ``gather``:

- ``body in``: when the server had each request's body (the hold starts there; the
  server's own clock, ``time.monotonic`` like ours), as 0/50/90/100th percentiles;
- ``answered``: when the server sent each response (hold plus the server's own delay);
- ``done``: when each caller's await returned;

then the wall time, the CPU seconds of this process's threads over the repeat (the
caller's ``MainThread``, the runtime loop ``orchestration-kernel``, the audit threads)
and of the server process, and the cyclic garbage collector's thread CPU by generation
(with the number of collections), and the tracked objects per call in flight.

How to read it: the calls' wall is about ``hold + (last body in) + (done tail after the
last answer)``. When the bodies arrive in a bunch near the end of the dispatch phase
(each call makes several trips through an event loop holding every other call's next
step), the dispatch CPU and the answer-processing CPU add up instead of overlapping.
``--freeze`` calls ``gc.freeze()`` after the warm-up (process-wide, so not something the
library does on its own): the difference it makes is what full collections of the
objects made before the run cost. Wall times mean little on a busy machine; read the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

Call = Callable[[str], Awaitable[Any]]

#: Per-thread CPU at the start of a collection, and the totals by generation.
_GC_START: dict[int, float] = {}
_GC: dict[str, list[float]] = {"s": [0.0, 0.0, 0.0], "n": [0.0, 0.0, 0.0]}


def _on_gc(phase: str, info: dict[str, int]) -> None:
    tid = threading.get_ident()
    if phase == "start":
        _GC_START[tid] = time.thread_time()
        return
    began = _GC_START.pop(tid, None)
    if began is not None:
        _GC["s"][info["generation"]] += time.thread_time() - began
        _GC["n"][info["generation"]] += 1


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(xs: list[float]) -> list[float]:
    xs = sorted(xs)
    if not xs:
        return []
    return [round(xs[min(len(xs) - 1, int(p * len(xs)))], 2) for p in (0, 0.5, 0.9, 1)]


def _swap_backend(engine: Any) -> int:
    """Give every connection pool of ``engine``'s adapters httpcore's own backend back."""
    import httpcore2
    from httpcore2._backends.auto import AutoBackend

    swapped = 0
    for adapter in engine.providers._adapters.values():
        client = getattr(getattr(adapter, "_client", None), "_client", None)
        for pool in getattr(getattr(client, "_transport", None), "_pools", []):
            if isinstance(pool._pool, httpcore2.AsyncConnectionPool):
                pool._pool._network_backend = AutoBackend()
                swapped += 1
    return swapped


def _clients(url: str) -> tuple[dict[str, Call], list[Any]]:
    import openai

    from bench.ab_callpath import KEY, MODEL
    from orchestration_kernel import OrchestrationEngine

    wire: dict[str, Any] = {"keys": {"openai": KEY}, "base_urls": {"openai": url}}
    sdk = openai.AsyncOpenAI(api_key=KEY, base_url=url, max_retries=0)
    full = OrchestrationEngine(offline="off", **wire)
    noaudit = OrchestrationEngine(offline="off", audit=False, **wire)
    swapped = OrchestrationEngine(offline="off", **wire)
    bare = OrchestrationEngine(offline="off", guardian=False, audit=False, **wire)
    step = [{"name": "answer", "model": f"openai:{MODEL}", "prompt": "{input}"}]

    async def raw(p: str) -> Any:
        messages = [{"role": "user", "content": p}]
        return await sdk.chat.completions.create(model=MODEL, messages=messages)

    clients: dict[str, Call] = {
        "pipe": full.create_pipeline(step).execute,
        "pipe-noaudit": noaudit.create_pipeline(step).execute,
        "bare": bare.create_pipeline(step).execute,
        "complete": lambda p: full.complete(f"openai:{MODEL}", p),
        "raw": raw,
        "pipe-anyio": swapped.create_pipeline(step).execute,
    }
    return clients, [full, noaudit, bare, swapped]


def _prompt_for(kind: str) -> Callable[[str], str]:
    from bench.ab_callpath import _prompt

    return _prompt if kind == "1k" else str


async def _repeat(
    call: Call, server: Any, n: int, hold: float, tag: str, kind: str
) -> dict[str, Any]:
    from bench.callpath_threads import thread_cpu_ns

    server.clear()
    ends: list[float] = []

    async def timed(p: str) -> Any:
        try:
            return await call(p)
        finally:
            ends.append(time.monotonic())

    _GC["s"], _GC["n"] = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
    tracked = len(gc.get_objects())
    server_cpu, before = _proc_cpu(server.process.pid), thread_cpu_ns()
    t0 = time.monotonic()
    prompt = _prompt_for(kind)
    done = await asyncio.gather(*(timed(prompt(f"{tag} {i}")) for i in range(n)),
                                return_exceptions=True)  # fmt: skip
    wall = time.monotonic() - t0
    after, server_cpu = thread_cpu_ns(), _proc_cpu(server.process.pid) - server_cpu
    log = [q for q in server.requests if q.path.endswith("/completions")]
    errors = [d for d in done if isinstance(d, BaseException)]
    threads = {k: (v - before.get(k, 0)) / 1e9 for k, v in after.items()}
    return {
        "wall_s": round(wall, 2),
        "errors": len(errors),
        "first_error": repr(errors[0])[:200] if errors else None,
        # The server logs the head's arrival; the hold starts at the body's, which is
        # its answer time minus the hold.
        "body in": _pct([q.t_end - t0 - hold for q in log if q.t_end]),
        "answered": _pct([q.t_end - t0 for q in log if q.t_end]),
        "done": _pct([e - t0 for e in ends]),
        "cpu_s": {k: round(v, 2) for k, v in threads.items() if v >= 0.01},
        "server_cpu_s": round(server_cpu, 2),
        "gc_s": [round(x, 3) for x in _GC["s"]],
        "gc_n": [int(x) for x in _GC["n"]],
        "tracked_before": tracked,
    }


async def _main(args: argparse.Namespace, url: str, server: Any) -> None:
    from orchestration_kernel import burst_gc, runtime

    clients, engines = _clients(url)
    clients["pipe-unpaced"] = clients["pipe-gc"] = clients["pipe"]
    arms = args.arms.split(",")
    prompt = _prompt_for(args.prompt)
    for arm in arms:
        for i in range(20):
            await clients[arm](prompt(f"warm {arm} {i}"))
    if "pipe-anyio" in arms:
        print(f"pools given the anyio backend back: {_swap_backend(engines[3])}", flush=True)
    if args.freeze:
        gc.freeze()
    server.configure(latency=args.hold)
    gc.callbacks.append(_on_gc)
    try:
        for r in range(args.repeats):
            for arm in arms if r % 2 == 0 else list(reversed(arms)):
                paced, burst = runtime.ADMIT_PER_PASS, burst_gc.BURST
                if arm == "pipe-unpaced":
                    runtime.ADMIT_PER_PASS = 1 << 30
                if arm == "pipe-gc":
                    burst_gc.BURST = 1 << 30
                try:
                    got = await _repeat(
                        clients[arm], server, args.calls, args.hold, f"held {r} {arm}", args.prompt
                    )
                finally:
                    runtime.ADMIT_PER_PASS, burst_gc.BURST = paced, burst
                print(f"[{arm}] repeat {r}: " + json.dumps(got), flush=True)
    finally:
        gc.callbacks.remove(_on_gc)
        for eng in engines:
            eng.close()


def main(argv: list[str] | None = None) -> int:
    """Run the repeats and print one line per arm and repeat."""
    p = argparse.ArgumentParser(prog="python -m bench.http_held_timeline")
    p.add_argument("--calls", type=int, default=1000)
    p.add_argument("--hold", type=float, default=3.0)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--arms", default="pipe,raw")
    p.add_argument(
        "--prompt",
        choices=("short", "1k"),
        default="short",
        help="short: make bench's held prompts; 1k: the latency rows' prompt",
    )
    p.add_argument("--freeze", action="store_true", help="gc.freeze() after the warm-up")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    print(f"load average: {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="held-timeline-") as home:
        os.environ.update(ORCHESTRATION_HOME=home, ORCHESTRATION_NO_DOTENV="1",
                          ORCHESTRATION_NO_KEYRING="1")  # fmt: skip
        _serve(args)
    print(f"load average: {os.getloadavg()[0]:.2f}", flush=True)
    return 0


def _serve(args: argparse.Namespace) -> None:
    from bench.ab_callpath import REPLY_CHARS
    from tests.servers import spawn_server

    with spawn_server("openai", latency=0.0) as server:
        server.configure(reply_text=("The answer, in short: " + "x" * REPLY_CHARS)[:REPLY_CHARS])
        asyncio.run(_main(args, server.base_url, server))


if __name__ == "__main__":
    raise SystemExit(main())
