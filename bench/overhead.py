"""2. Orchestration overhead on the simulator at zero latency.

The simulator answers at once, so every microsecond a pipeline step takes is ours:
scheduling, prompt rendering, routing, the Guardian's checks, the audit, the bus.
We run the seed's three-step pipeline one run at a time (per-step time, steps/s) and
many runs at once (steps/s), and ``engine.complete`` alone, with the Guardian and the
audit on and off, and with the audit's opt-in ``synchronous="NORMAL"`` (its commit does
not wait for an fsync; issue 24 asks for both); the configurations are interleaved
repeat by repeat so drift hits them alike. The floor is the simulator called directly,
without the engine.
Runs are awaited from the caller's own event loop, as a notebook cell would.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import THREE_STEPS, Unavailable, component, create_pipeline, engine
from bench.sizes import Sizes
from bench.stats import summarize

__all__ = ["CONFIGS", "measure"]

#: label → (guardian, audit, the audit's durability setting)
CONFIGS: dict[str, tuple[bool, bool, str]] = {
    "guardian+audit": (True, True, "FULL"),
    # The opt-in durability (a commit survives a killed process, not a power cut): the
    # same runs without the fsync a FULL commit waits for; issue 24 asks for both.
    "guardian+audit, synchronous=NORMAL": (True, True, "NORMAL"),
    "guardian only": (True, False, "FULL"),
    "audit only": (False, True, "FULL"),
    "neither": (False, False, "FULL"),
}
_STEPS = len(THREE_STEPS)


async def _sequential(pipeline: Any, n: int, tag: str) -> tuple[float, list[float]]:
    """Steps/s over ``n`` runs one at a time, and each run's µs per step."""
    per_step: list[float] = []
    t0 = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        await pipeline.execute(f"{tag} {i}")
        per_step.append((time.perf_counter() - t) * 1e6 / _STEPS)
    return n * _STEPS / (time.perf_counter() - t0), per_step


async def _concurrent(pipeline: Any, n: int, tag: str) -> float:
    """Steps/s with ``n`` runs at once."""
    t0 = time.perf_counter()
    await asyncio.gather(*(pipeline.execute(f"{tag} {i}") for i in range(n)))
    return n * _STEPS / (time.perf_counter() - t0)


async def _complete(eng: Any, n: int, tag: str) -> list[float]:
    """µs per ``engine.complete`` call, one at a time."""
    out: list[float] = []
    for i in range(n):
        t = time.perf_counter()
        await eng.complete("gpt-4", f"{tag} {i}")
        out.append((time.perf_counter() - t) * 1e6)
    return out


async def _floor(n: int) -> list[float]:
    """µs per call of the simulator itself, without the engine."""
    provider_cls = component("orchestration_kernel.providers.sim", "SimProvider")
    models = component("orchestration_kernel.models", "ChatRequest")
    timeouts = component("orchestration_kernel.providers.base", "Timeouts")()
    provider = provider_cls()
    out: list[float] = []
    for i in range(n):
        request = models(model="gpt-4o", messages=[{"role": "user", "content": f"floor {i}"}])
        t = time.perf_counter()
        await provider.complete(request, timeouts)
        out.append((time.perf_counter() - t) * 1e6)
    return out


async def _run(setups: dict[str, tuple[Any, Any]], sizes: Sizes) -> dict[str, Any]:
    raw: dict[str, dict[str, list[float]]] = {
        k: {"seq_sps": [], "seq_us": [], "con_sps": [], "complete_us": []} for k in setups
    }
    for label, (eng, pipeline) in setups.items():  # warm-up: caches, clients, audit files
        await _sequential(pipeline, sizes.warmup, f"warm {label}")
        await _complete(eng, sizes.warmup, f"warm {label}")
    for rep in range(sizes.overhead_repeats):
        for label, (eng, pipeline) in setups.items():
            sps, per_step = await _sequential(pipeline, sizes.overhead_runs, f"s{rep} {label}")
            raw[label]["seq_sps"].append(sps)
            raw[label]["seq_us"] += per_step
            con = await _concurrent(pipeline, sizes.overhead_concurrent, f"c{rep} {label}")
            raw[label]["con_sps"].append(con)
            raw[label]["complete_us"] += await _complete(eng, sizes.complete_calls, f"{rep}")
    floor = await _floor(max(sizes.complete_calls, 50))
    return {
        "configs": {
            label: {
                "sequential_steps_per_s": summarize(r["seq_sps"]),
                "sequential_us_per_step": summarize(r["seq_us"]),
                "concurrent_steps_per_s": summarize(r["con_sps"]),
                "complete_us": summarize(r["complete_us"]),
            }
            for label, r in raw.items()
        },
        "simulator_floor_us": summarize(floor),
        "concurrent_runs": sizes.overhead_concurrent,
        "sequential_runs_per_repeat": sizes.overhead_runs,
        "repeats": sizes.overhead_repeats,
    }


def _trail(folder: Path, label: str, synchronous: str, audit: bool) -> Any:
    """The engine's ``audit=``: a file of its own under ``folder`` (an ``AuditTrail`` for
    the opt-in setting, a library without it measured at its default), or ``False``."""
    if not audit:
        return False
    path = folder / f"audit-{label.replace(' ', '-').replace(',', '').replace('=', '-')}.sqlite"
    if synchronous == "FULL":
        return str(path)
    trail_cls = component("orchestration_kernel.audit", "AuditTrail")
    try:
        return trail_cls(path, synchronous=synchronous)
    except TypeError as exc:  # an older library without the setting
        raise Unavailable(f"AuditTrail(synchronous=) is not available ({exc})") from exc


def measure(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """Steps/s and µs per step for each Guardian/audit configuration."""
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        setups: dict[str, tuple[Any, Any]] = {}
        trails: list[Any] = []  # the ones we made: an engine leaves a given trail open
        for label, (guardian, audit, synchronous) in CONFIGS.items():
            trail = _trail(Path(tmp), label, synchronous, audit)
            if not isinstance(trail, str | bool):
                trails.append(trail)
            eng = engine(guardian=guardian, audit=trail)
            setups[label] = (eng, create_pipeline(eng, THREE_STEPS))
        try:
            return asyncio.run(_run(setups, sizes))
        finally:
            for eng, _ in setups.values():
                eng.close()
            for trail in trails:
                trail.close()
