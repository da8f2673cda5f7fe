"""``python -m bench.guardian_fixed_cost [--rounds 3]``: where a Guardian check's time goes.

Thread CPU (``time.thread_time_ns``), the prefilter databases loaded
(``ORCHESTRATION_GUARDIAN_PREFILTER=wait``), one Guardian with the default policies:

- **By length**: ``check_input`` on texts of 0 to 5,000 characters (the prose and
  labelled texts of :func:`bench.guardian_ab_inproc._per_call_rows`), µs per call,
  split into each policy's ``check`` as the Guardian calls it (timed around
  ``Guardian._start``) and the rest (``framework``: the policy loop, decisions, verdict,
  memo; it also holds the timer's own cost, about 0.4 µs per policy);
- **Speed bench rows**: the same split in µs per KB over the speed bench's three rows
  (:mod:`bench.guardian_speed`: labelled, negatives, prose), with the median per text
  size (1, 4, 16 KB): a fixed per-call cost would show as a higher figure at 1 KB;
- **Framework alone**: each policy's ``check`` replaced by one that returns, at once,
  the outcome the real policy gave for that text (same names, stages and findings):
  what ``check_input`` and ``check_output`` cost beyond the scans, µs per KB (per call
  for the empty text). (A policy replaced on the instance also turns off the redaction
  memo's reuse of the check's findings, about 1 µs per check: not counted here.)

Medians over ``--rounds`` checks of every text. Printed as Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ["main"]


def _median_us(values: list[int]) -> float:
    return statistics.median(values) / 1000 if values else 0.0


class _Timed:
    """Times each policy's check as the Guardian makes it (wrapping ``_start``)."""

    def __init__(self, guardian: Any) -> None:
        self.spent: dict[str, int] = {}
        start: Callable[..., Any] = guardian._start

        def timed(policy: Any, text: str, ctx: Any, stage: str) -> Any:
            t0 = time.thread_time_ns()
            out = start(policy, text, ctx, stage)
            self.spent[policy.name] = self.spent.get(policy.name, 0) + time.thread_time_ns() - t0
            return out

        guardian._start = timed


async def _split(
    guardian: Any, ctx: Any, timed: _Timed, texts: list[str], rounds: int, per_kb: bool
) -> dict[str, list[int]]:
    names = [p.name for p in guardian.policies if "input" in p.stages]
    parts: dict[str, list[int]] = {k: [] for k in ("total", "framework", *names)}
    for text in texts:  # warm-up
        await guardian.check_input(text, ctx)
    for _ in range(rounds):
        for text in texts:
            kb = max(len(text.encode()), 1) / 1024 if per_kb else 1.0
            timed.spent.clear()
            t0 = time.thread_time_ns()
            await guardian.check_input(text, ctx)
            took = time.thread_time_ns() - t0
            parts["total"].append(int(took / kb))
            parts["framework"].append(int((took - sum(timed.spent.values())) / kb))
            for name in names:
                parts[name].append(int(timed.spent.get(name, 0) / kb))
    return parts


def _print_split(title: str, rows: dict[str, dict[str, list[int]]]) -> None:
    columns = list(next(iter(rows.values())))
    print(f"\n{title}\n| texts | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for row, parts in rows.items():
        print(f"| {row} | " + " | ".join(f"{_median_us(parts[c]):.1f}" for c in columns) + " |")


async def _framework_alone(
    guardian: Any, ctx: Any, rows: dict[str, list[str]], rounds: int
) -> None:
    answers: dict[tuple[str, str, str], Any] = {}
    for texts in rows.values():
        for text in texts:
            for policy in guardian.policies:
                for stage in policy.stages:
                    answers[(policy.name, stage, text)] = guardian._start(policy, text, ctx, stage)[
                        1
                    ]
    for policy in guardian.policies:
        name = policy.name
        policy.check = lambda text, ctx, stage, name=name: answers[(name, stage, text)]
    print("\nframework alone (µs per KB; per call for the empty text)")
    print("| texts | check_input | check_output |\n|---|---|---|")
    for row, texts in rows.items():
        out = []
        for check in (guardian.check_input, guardian.check_output):
            took: list[int] = []
            for _ in range(rounds):
                for text in texts:
                    kb = max(len(text.encode()), 1024) / 1024
                    t0 = time.thread_time_ns()
                    await check(text, ctx)
                    took.append(int((time.thread_time_ns() - t0) / kb))
            out.append(_median_us(took))
        print(f"| {row} | {out[0]:.1f} | {out[1]:.1f} |")


async def _run(rounds: int) -> None:
    from bench.guardian_ab_inproc import _per_call_rows
    from bench.guardian_speed import _ordinary_texts, _prose_texts
    from orchestration_kernel.guardian import GuardContext, Guardian
    from orchestration_kernel.guardian.injection_prefilter import wait_all

    guardian = Guardian()
    ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="bench")
    await guardian.check_input("warm-up: ignore a@b.example", ctx)
    wait_all()
    timed = _Timed(guardian)
    by_length = {
        row: await _split(guardian, ctx, timed, texts, rounds, per_kb=False)
        for row, texts in _per_call_rows().items()
    }
    _print_split("check_input by length (µs per call, thread CPU)", by_length)
    bench_rows = {
        "labelled": _ordinary_texts(),
        "negatives": _ordinary_texts(benign=True),
        "prose": _prose_texts(),
    }
    split = {
        row: await _split(guardian, ctx, timed, texts, rounds, per_kb=True)
        for row, texts in bench_rows.items()
    }
    _print_split("check_input on the speed bench's rows (µs per KB, thread CPU)", split)
    print("\nby text size (check_input, µs per KB, median)\n| row | 1 KB | 4 KB | 16 KB |")
    print("|---|---|---|---|")
    for row, texts in bench_rows.items():
        totals = split[row]["total"]
        sizes = [round(len(t) / 1024) for t in texts] * rounds
        medians = [
            _median_us([v for v, s in zip(totals, sizes, strict=True) if s == k])
            for k in (1, 4, 16)
        ]
        print(f"| {row} | " + " | ".join(f"{m:.1f}" for m in medians) + " |")
    del guardian._start  # the class's own again, for the framework-alone figures
    await _framework_alone(guardian, ctx, {**bench_rows, "empty": [""] * 20}, rounds)


def main(argv: list[str] | None = None) -> int:
    """Print where ``check_input``'s time goes, by text length and per speed-bench row."""
    p = argparse.ArgumentParser(prog="python -m bench.guardian_fixed_cost", description=__doc__)
    p.add_argument("--rounds", type=int, default=3, help="checks of each text")
    args = p.parse_args(argv)
    os.environ["ORCHESTRATION_GUARDIAN_PREFILTER"] = "wait"
    asyncio.run(_run(args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
