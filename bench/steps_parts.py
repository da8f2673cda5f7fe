"""Where a simulated pipeline step's CPU goes, taking parts away: ``python -m bench.steps_parts``.

``python -m bench.steps_parts [--config neither] [--rounds 8] [--runs 60]``

A diagnostic for issue 24, not a bench section. One engine (the simulator, Guardian and
audit as ``--config`` says: ``neither``, ``guardian``, ``audit``, ``guardian+audit``) and
the three-step pipeline of ``bench.throughput``, run one at a time from ``asyncio.run``.
Each round runs ``--runs`` runs of every variant, in alternating order, and the process
CPU µs per step of each variant is the median over the rounds:

- ``full``: the pipeline as it is;
- ``no remember``: the same spec with ``remember: false`` (no conversation write);
- ``no publish``: the step's bus publish replaced by its timestamp alone;
- ``stub call``: ``engine.complete`` replaced by a coroutine returning one reply made
  before (no routing, limits, Guardian, simulator or call rows); combined with the two
  above it leaves the run's own machinery and the hop to the runtime loop and back;
- ``complete alone``: the three steps' prompts sent with ``engine.complete`` from a
  coroutine on the runtime loop (no pipeline, no hop per run), per call.

Parts do not add up exactly: taking one away also changes how warm the caches are for
the rest. Run it on a quiet machine, or read the medians of several runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: --config → (Guardian on, audit on)
CONFIGS = {
    "guardian+audit": (True, True),
    "guardian": (True, False),
    "audit": (False, True),
    "neither": (False, False),
}
VARIANTS = [
    "full",
    "no remember",
    "no publish",
    "stub call",
    "stub call, no remember",
    "stub call, no remember, no publish",
    "complete alone",
]


async def _measure(config: str, rounds: int, runs: int) -> dict[str, list[float]]:
    from bench.common import THREE_STEPS
    from orchestration_kernel import OrchestrationEngine
    from orchestration_kernel.pipeline import runner

    guardian, audit = CONFIGS[config]
    eng = OrchestrationEngine(offline="on", guardian=guardian, audit=audit)
    pipes = {
        True: eng.create_pipeline(THREE_STEPS),
        False: eng.create_pipeline({"steps": THREE_STEPS, "remember": False}),
    }
    publish, complete = runner.Run._publish, type(eng).complete
    canned = await eng.complete("gpt-4", "a reply to hand back")

    async def no_publish(self: Any, name: str, sr: Any) -> None:
        self._published[name] = time.perf_counter()

    async def stub_complete(self: Any, model: str, prompt: Any, **kwargs: Any) -> Any:
        return canned

    prompts = [s.prompt for s in (await pipes[True].execute("warm")).steps]
    for i in range(30):
        for pipe in pipes.values():
            await pipe.execute(f"warm {i}")

    async def calls(tag: str) -> None:
        for i in range(runs):
            for step, prompt in zip(THREE_STEPS, prompts, strict=True):
                await eng.complete(step["model"], prompt.replace("warm", f"{tag} {i}"))

    got: dict[str, list[float]] = {v: [] for v in VARIANTS}
    try:
        for r in range(rounds):
            for variant in VARIANTS if r % 2 == 0 else VARIANTS[::-1]:
                runner.Run._publish = no_publish if "no publish" in variant else publish  # type: ignore[method-assign]
                type(eng).complete = stub_complete if "stub" in variant else complete  # type: ignore[method-assign]
                run: Callable[[str], Any] = pipes["no remember" not in variant].execute
                await asyncio.sleep(0.05)  # the previous variant's background work ends first
                cpu = time.process_time()
                if variant == "complete alone":
                    await eng.runtime.run(calls(f"r{r}"))
                else:
                    for i in range(runs):
                        await run(f"r{r} {i}")
                got[variant].append((time.process_time() - cpu) / (runs * 3) * 1e6)
    finally:
        runner.Run._publish = publish  # type: ignore[method-assign]
        type(eng).complete = complete  # type: ignore[method-assign]
        eng.close()
    return got


def main(argv: list[str] | None = None) -> int:
    """Measure each variant and print the medians."""
    p = argparse.ArgumentParser(prog="python -m bench.steps_parts")
    p.add_argument("--config", choices=list(CONFIGS), default="neither")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--runs", type=int, default=60)
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    got = asyncio.run(_measure(args.config, args.rounds, args.runs))
    print(f"process CPU µs per step ({args.config}; median of {args.rounds} rounds of {args.runs})")
    for variant, values in got.items():
        shown = ", ".join(f"{v:.0f}" for v in values)
        print(f"  {variant:36s} {statistics.median(values):7.0f}   ({shown})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
