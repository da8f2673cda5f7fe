"""8. Shared state on Redis: a reservation, and a message from one kernel to another.

A ``redis-server`` of our own on a loopback port (``--save '' --appendonly no``).

* Reservation: one booking of the shared limiter's Lua script (rpm and tpm of a
  deployment with room, so it answers "now"), measured around the awaited call; and a
  whole ``Limiter.acquire`` on a shared limiter (the queue, the booking, the permit):
  one round trip (EVALSHA) each. Interleaved with them, a PING on the same connection:
  the floor any round trip pays on this machine at that moment (on a loaded machine its
  p95 is the scheduler's, and so is the reservation's).
* Cross-kernel delivery: a second process (standing in for a kernel) subscribes on a
  ``ContextBus`` on the same Redis; this one publishes live messages on its own bus, one
  every few ms; the subscriber records, per message, its arrival time minus the message's
  publish time (``BusMessage.ts``; one machine, one clock).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, Unavailable
from bench.sizes import Sizes
from bench.stats import summarize

__all__ = ["measure"]

_SUBSCRIBER = """
import asyncio, json, sys, time
from orchestration_kernel.bus import ContextBus
from orchestration_kernel.runtime import Runtime

async def main(url, n, out):
    bus = ContextBus(url, runtime=Runtime("bench-subscriber"), session_id="bench")
    await bus.get_context()  # connects and starts listening
    sub = bus.subscribe("bench.#")
    print("ready", flush=True)
    lags = []
    while len(lags) < n:
        m = await sub.get(timeout=30)
        lags.append((time.time() - m.ts) * 1000)
    open(out, "w").write(json.dumps(lags))
    await bus.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
"""


def _counts(sizes: Sizes) -> tuple[int, int]:
    """(reservations, messages) for this size."""
    return (2000, 500) if sizes.name != "smoke" else (50, 20)


async def _reservations(url: str, n: int) -> dict[str, Any]:
    from orchestration_kernel.redis_link import RedisSettings
    from orchestration_kernel.routing import Deployment, Limiter
    from orchestration_kernel.routing.shared_limits import SharedLimits

    shared = SharedLimits(RedisSettings(url))
    limiter = Limiter()
    limiter.share(shared)
    dep = Deployment(id="bench", provider="openai", model="m", rpm=10**9, tpm=10**12)
    gate = limiter._gate(dep)
    keys = shared._keys(dep.id)
    script_us, acquire_us, ping_us = [], [], []
    for i in range(n // 10):  # warm-up: connection, script load
        await shared._reserve(gate, keys, f"warm-{i}", 10)
    for i in range(n):
        t0 = time.perf_counter()
        await shared._reserve(gate, keys, f"r-{i}", 10)
        script_us.append((time.perf_counter() - t0) * 1e6)
        t0 = time.perf_counter()
        async with limiter.acquire(dep, tokens=10):
            acquire_us.append((time.perf_counter() - t0) * 1e6)
        t0 = time.perf_counter()
        await shared._redis.ping()
        ping_us.append((time.perf_counter() - t0) * 1e6)
    # Redis's own count of the script's time: the server side alone, no client, no loop.
    stats = await shared._redis.info("commandstats")
    evalsha = stats.get("cmdstat_evalsha", {})
    await shared.aclose()
    return {
        "script_us": summarize(script_us),
        "acquire_us": summarize(acquire_us),
        "ping_us": summarize(ping_us),
        "server_us_per_call": evalsha.get("usec_per_call"),
    }


def _delivery(url: str, n: int) -> dict[str, Any]:
    from orchestration_kernel.bus import ContextBus
    from orchestration_kernel.runtime import Runtime

    with tempfile.TemporaryDirectory(prefix="bench-shared-") as tmp:
        out = Path(tmp) / "lags.json"
        child = subprocess.Popen(
            [sys.executable, "-c", _SUBSCRIBER, url, str(n), str(out)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            runtime = Runtime("bench-publisher")
            bus = ContextBus(url, runtime=runtime, session_id="bench")
            for i in range(n):
                bus.publish_sync("bench.tick", {"i": i})
                time.sleep(0.005)  # one at a time: latency, not queueing
            child.wait(60)
            bus.close_sync()
            runtime.close()
            lags = json.loads(out.read_text())
        finally:
            if child.poll() is None:
                child.kill()
    return {"delivery_ms": summarize(lags)}


def measure(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """Reservation and cross-process delivery percentiles on a private redis-server."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise Unavailable("redis-server is not installed (apt-get install redis-server)")
    from tests.redis_server import RedisServer

    reservations, messages = _counts(sizes)
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as directory:
        server = RedisServer(Path(directory)).start()
        try:
            figures = asyncio.run(_reservations(server.url, reservations))
            figures.update(_delivery(server.url, messages))
        finally:
            server.stop()
    return figures
