"""What the sections share: the repository root, engines, the seed's pipeline, memory probes."""

from __future__ import annotations

import asyncio
import gc
import resource
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "FAKE_OPENAI_KEY",
    "ROOT",
    "THREE_STEPS",
    "Unavailable",
    "component",
    "create_pipeline",
    "engine",
    "gather_all",
    "peak_rss_bytes",
    "rss_bytes",
    "settle_memory",
    "timed",
]

ROOT = Path(__file__).resolve().parent.parent

#: The seed's three-step example: three models, each step reads the previous output.
THREE_STEPS: list[dict[str, str]] = [
    {"model": "gpt-4", "task": "analysis"},
    {"model": "claude-3", "task": "synthesis"},
    {"model": "gemini-pro", "task": "validation"},
]

#: A key-shaped string built at run time (never a real key; the servers accept anything).
FAKE_OPENAI_KEY = "sk-bench-" + "x" * 24


class Unavailable(Exception):
    """A component this row measures has not landed (the row says so, the bench goes on)."""


def component(module: str, name: str) -> Any:
    """``module.name``, or :class:`Unavailable` naming what is missing."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise Unavailable(f"{module}.{name} is not available yet ({exc})") from exc


def engine(**kwargs: Any) -> Any:
    """An :class:`OrchestrationEngine`, offline (the simulator) unless ``offline`` is given."""
    cls = component("orchestration_kernel", "OrchestrationEngine")
    kwargs.setdefault("offline", "on")
    return cls(**kwargs)


def create_pipeline(eng: Any, spec: Any) -> Any:
    """``engine.create_pipeline(spec)``, or :class:`Unavailable` if pipelines have not landed."""
    try:
        return eng.create_pipeline(spec)
    except (ImportError, AttributeError, NotImplementedError) as exc:
        raise Unavailable(f"engine.create_pipeline is not available yet ({exc})") from exc


def rss_bytes() -> int:
    """The resident set size of this process now (Linux ``/proc``; else the peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return peak_rss_bytes()


def peak_rss_bytes() -> int:
    """The peak resident set size of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def settle_memory() -> None:
    """Collect garbage so memory probes see live objects, not litter."""
    for _ in range(3):
        gc.collect()


async def timed(make: Callable[[], Awaitable[Any]]) -> float:
    """Seconds one awaited call takes (perf_counter)."""
    t0 = time.perf_counter()
    await make()
    return time.perf_counter() - t0


async def gather_all(aws: Iterable[Awaitable[Any]]) -> tuple[list[Any], list[BaseException]]:
    """Await all; return the results and, separately, the exceptions (none are raised)."""
    done = await asyncio.gather(*aws, return_exceptions=True)
    errors = [d for d in done if isinstance(d, BaseException)]
    return [d for d in done if not isinstance(d, BaseException)], errors
