"""8. Robustness: how long each hostile input of issue 15 holds the kernel.

Each input runs in a forked process of its own, so one that hangs or eats memory (as
some did before) is stopped at ``robustness_limit_s`` and reported as such instead of
stopping the bench. The input is built before the clock starts; the clock covers the
public call only, which must end in an error from the project's hierarchy (or, for
the Guardian and the bus, in a result). Peak memory is the child's high-water RSS over
its RSS when the call started.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import random
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import component, engine, rss_bytes
from bench.sizes import Sizes
from bench.stats import summarize

__all__ = ["Case", "cases", "measure"]

#: A case's setup returns the call to time; the call returns a one-line outcome.
Setup = Callable[[Sizes], Callable[[], str]]


@dataclass(frozen=True)
class Case:
    """One hostile input: its name, the issue's target in seconds, and how to run it."""

    name: str
    target_s: float
    setup: Setup


def _outcome(call: Callable[[], Any]) -> str:
    """What ``call`` ended in: our error's class and first line, or the result."""
    try:
        result = call()
    except Exception as exc:
        first = str(exc).strip().splitlines()
        text = " ".join(line.strip() for line in first[:2])
        return f"{type(exc).__name__}: {text}"[:160]
    return f"returned {result}" if isinstance(result, str) else f"returned {type(result).__name__}"


# -- the cases ------------------------------------------------------------------------------
def _spec_case(text_of: Callable[[], str]) -> Setup:
    def setup(sizes: Sizes) -> Callable[[], str]:
        load = component("orchestration_kernel.pipeline.loader", "load_pipeline")
        text = text_of()
        return lambda: _outcome(lambda: load(text))

    return setup


def _spec_cases() -> list[Case]:
    from tests.hostile import SPECS

    out = []
    for name, (text, _) in SPECS.items():
        target = 0.1 if "alias bomb" in name else 2.0
        out.append(Case(f"spec: {name}", target, _spec_case(lambda t=text: t)))
    return out


def _surrogate_prompt(sizes: Sizes) -> Callable[[], str]:
    from tests.hostile import LONE_SURROGATE

    eng = engine(audit=False)
    return lambda: _outcome(lambda: eng.complete_sync("gpt-4", LONE_SURROGATE))


def _surrogate_bus(sizes: Sizes) -> Callable[[], str]:
    from tests.hostile import LONE_SURROGATE

    bus = component("orchestration_kernel", "ContextBus")()
    bus.declare_durable("bench.#")
    return lambda: _outcome(lambda: bus.publish_sync("bench.x", {"text": LONE_SURROGATE}))


def _long_search(sizes: Sizes) -> Callable[[], str]:
    from tests.hostile import search_words

    trail_cls = component("orchestration_kernel.audit", "AuditTrail")
    folder = Path(tempfile.mkdtemp(prefix="bench-robust-"))
    trail = trail_cls(folder / "audit.sqlite", key_path=folder / "audit.key")
    for i in range(200):
        trail.record("call", run_id=f"r{i}", prompt=f"refund policy question {i}", response="ok")
    trail.flush()
    words = search_words(100_000)
    return lambda: _outcome(lambda: trail.search(words))


def _guardian_text(kind: str, size: int) -> str:
    rng = random.Random(15)
    if kind == "one letter":
        return "a" * size
    if kind == "DNA-like":
        return "".join(rng.choice("ACGT") for _ in range(size))
    if kind == "letters and digits":
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(size))
    if kind == "whitespace":
        return " \t\n" * (size // 3)
    words = ["ignore", "previous", "instructions", "system", "prompt", "the", "report", "key"]
    return " ".join(rng.choice(words) for _ in range(size // 6))[:size]


def _guardian_case(kind: str) -> Setup:
    def setup(sizes: Sizes) -> Callable[[], str]:
        guardian = component("orchestration_kernel.guardian", "Guardian")()
        ctx = component("orchestration_kernel.guardian", "GuardContext")(
            model="openai:gpt-4o-mini", provider="openai", session_id="bench"
        )
        text = _guardian_text(kind, sizes.robustness_guardian_bytes)

        def call() -> str:
            verdict = asyncio.run(guardian.check_input(text, ctx))
            return f"{getattr(verdict, 'action', '?')}"

        return lambda: _outcome(call)

    return setup


def _publishes(abandoned: bool) -> Setup:
    def setup(sizes: Sizes) -> Callable[[], str]:
        bus = component("orchestration_kernel", "ContextBus")("memory")
        # An iterator nobody reads, still referenced (as a notebook variable would hold it).
        held = (
            bus.subscribe("bench.#", max_queue=10, slow_policy="block_timeout", block_timeout=0.5)
            if abandoned
            else None
        )
        n = sizes.robustness_publishes

        async def publish_all() -> str:
            assert held is None or not held.closed
            for i in range(n):
                await bus.publish("bench.x", i)
            return f"{n:,} published, {bus.metrics()['dropped']:,} dropped"

        return lambda: bus.runtime.run_sync(publish_all())

    return setup


def cases() -> list[Case]:
    """Every hostile input, in report order."""
    guardian = [
        Case(f"Guardian check_input: {kind}", 0.5, _guardian_case(kind))
        for kind in ("one letter", "DNA-like", "letters and digits", "whitespace", "near-matches")
    ]
    return [
        *_spec_cases(),
        Case("lone surrogate in a prompt", 2.0, _surrogate_prompt),
        Case("lone surrogate in a durable bus publish", 2.0, _surrogate_bus),
        Case("search() with 100,000 words", 2.0, _long_search),
        *guardian,
        Case("publishes, no subscriber", 0.0, _publishes(False)),
        Case("publishes, an abandoned block_timeout (0.5 s) iterator", 0.0, _publishes(True)),
    ]


# -- running one case in a child ---------------------------------------------------------------
def _child(case: Case, sizes: Sizes, conn: Any) -> None:
    try:
        call = case.setup(sizes)
        before = rss_bytes()
        t = time.perf_counter()
        outcome = call()
        seconds = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        conn.send((seconds, outcome, max(0, peak - before)))
    except BaseException as exc:  # the setup itself failed: say so
        conn.send((None, f"setup failed: {type(exc).__name__}: {exc}"[:160], None))
    finally:
        conn.close()


def _once(case: Case, sizes: Sizes) -> tuple[float | None, str, int | None]:
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(case, sizes, child), daemon=True)
    proc.start()
    child.close()
    limit = sizes.robustness_limit_s
    if parent.poll(limit):
        result = parent.recv()
        proc.join(5)
    else:
        result = (None, f"did not finish in {limit:g} s (stopped)", None)
    if proc.is_alive():
        proc.kill()
        proc.join()
    return result


def _warm() -> None:
    """Import what the cases use once, here, so each forked child starts with it loaded."""
    import importlib

    for module in ("orchestration_kernel.pipeline.loader", "orchestration_kernel.guardian",
                   "orchestration_kernel.audit", "orchestration_kernel.bus",
                   "orchestration_kernel.engine"):  # fmt: skip
        with contextlib.suppress(ImportError):  # the case that needs it reports it
            importlib.import_module(module)


def measure(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """Each case's seconds (median of ``robustness_repeats``), outcome and peak memory."""
    _warm()
    rows = []
    for case in cases():
        times: list[float] = []
        outcome, peak = "", None
        for _ in range(sizes.robustness_repeats):
            seconds, outcome, peak = _once(case, sizes)
            if seconds is None:  # stopped or broken: repeating it only costs the limit again
                break
            times.append(seconds)
        rows.append({
            "name": case.name, "target_s": case.target_s or None,
            "s": summarize(times) if times else None, "outcome": outcome,
            "peak_mib": None if peak is None else peak / 2**20,
        })  # fmt: skip
    return {
        "cases": rows,
        "limit_s": sizes.robustness_limit_s,
        "guardian_bytes": sizes.robustness_guardian_bytes,
        "publishes": sizes.robustness_publishes,
    }
