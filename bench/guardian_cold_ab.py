"""``python -m bench.guardian_cold_ab BASE [--checks 300] [--sleep-ms 2]``: the Guardian
at commit ``BASE`` and in the working tree on a **cold core**, in one process, check by
check (issue 24: the Guardian's cost inside a call).

:mod:`bench.callpath_cold` showed that a check inside ``complete`` costs 2.5-4 times its
hot-loop figure, and that a check made after a short sleep costs about what it costs in a
call: the thread gave up its core, other processes ran, and the caches and predictors
are refilled. Comparing two commits that way in separate processes moves by ±30 % on a
shared machine; here both sides' Guardians (the base's ``orchestration_kernel/``
extracted under another package name, as :mod:`bench.guardian_ab_inproc` does; the
prefilter databases loaded) run in one process, and before **every** check the thread
sleeps ``--sleep-ms`` (``asyncio.sleep``: the core is given up, as while a call waits),
alternating which side goes first in each pair.

The checks are those of :mod:`bench.callpath_cold`: ``check_input`` on a 1 KB prompt
(a new one each time) and ``check_output`` on the 500-character reply; plus
``check_input`` on 1 KB of prose (the Python documentation's topic pages). Printed:
each side's median thread CPU per check (µs) and the median of the per-pair ratios
now / base, with ``--sleep-ms 0`` (hot) for comparison when asked.

``--speed-rows``: instead, ``check_input`` on the speed bench's rows
(:mod:`bench.guardian_speed`: the labelled prompts joined into 1, 4 and 16 KB texts, the
goal's row; their negatives only; prose), ``--checks`` per row taken in turn from its 36
texts, each figure in µs per KB of the text checked (issue 20's unit).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from bench.guardian_ab_inproc import prepared_sides

__all__ = ["main"]


def _texts(n: int) -> dict[str, list[tuple[str, str]]]:
    """Per row, ``n`` (stage, text) pairs: ``in`` for ``check_input``, ``out`` for
    ``check_output``."""
    from pydoc_data.topics import topics

    from bench.callpath_cold import REPLY, _prompt

    prose = "\n\n".join(topics[name] for name in sorted(topics))
    return {
        "input, 1 KB prompt": [("in", _prompt(f"request {i}")) for i in range(n)],
        "output, 500-char reply": [("out", f"{REPLY[:-6]}{i:06d}") for i in range(n)],
        "input, 1 KB prose": [("in", prose[i * 1024 : (i + 1) * 1024]) for i in range(n)],
    }


def _speed_texts(n: int) -> dict[str, list[tuple[str, str]]]:
    """Per speed-bench row, ``n`` (stage, text) pairs cycling through its texts."""
    from bench.guardian_speed import _ordinary_texts, _prose_texts

    rows = {
        "labelled (goal), µs/KB": _ordinary_texts(),
        "negatives, µs/KB": _ordinary_texts(benign=True),
        "prose, µs/KB": _prose_texts(),
    }
    return {row: [("in", texts[k % len(texts)]) for k in range(n)] for row, texts in rows.items()}


async def _check(side: dict[str, Any], stage: str, text: str, sleep_s: float) -> float:
    """µs of thread CPU of one check, after ``sleep_s`` with the core given up."""
    if sleep_s:
        await asyncio.sleep(sleep_s)  # the loop waits in the kernel: the core is given up
    guardian = side["check_input"]
    check = guardian.check_input if stage == "in" else guardian.check_output
    t0 = time.thread_time_ns()
    await check(text, side["ctx"])
    return (time.thread_time_ns() - t0) / 1000


async def _measure(
    sides: dict[str, Any], checks: int, sleeps: list[float], per_kb: bool = False
) -> None:
    rows = _speed_texts(checks) if per_kb else _texts(checks)
    for pairs in rows.values():  # warm-up: lazy imports, databases, memos
        for stage, text in pairs[:20]:
            for side in sides.values():
                await _check(side, stage, text, 0)
    print("| row | sleep before each check | base µs | now µs | median ratio now / base |")
    print("|---|---|---|---|---|")
    for row, pairs in rows.items():
        for sleep_s in sleeps:
            times: dict[str, list[float]] = {"base": [], "now": []}
            ratios = []
            for k, (stage, text) in enumerate(pairs):
                order = ("base", "now") if k % 2 == 0 else ("now", "base")
                took = {label: await _check(sides[label], stage, text, sleep_s) for label in order}
                if per_kb:
                    kb = len(text.encode()) / 1024
                    took = {label: spent / kb for label, spent in took.items()}
                for label in took:
                    times[label].append(took[label])
                ratios.append(took["now"] / took["base"])
            base, now = statistics.median(times["base"]), statistics.median(times["now"])
            ms = f"{sleep_s * 1000:g} ms"
            print(f"| {row} | {ms} | {base:.1f} | {now:.1f} | {statistics.median(ratios):.3f} |")


def main(argv: list[str] | None = None) -> int:
    """Print both sides' cold (and hot) per-check thread CPU."""
    p = argparse.ArgumentParser(prog="python -m bench.guardian_cold_ab", description=__doc__)
    p.add_argument("base", help="the git commit to compare against")
    p.add_argument("--checks", type=int, default=300, help="checks per row and side")
    p.add_argument("--sleep-ms", type=float, default=2.0)
    p.add_argument("--hot", action="store_true", help="also without the sleep")
    p.add_argument("--speed-rows", action="store_true", help="the speed bench's rows, in µs per KB")
    args = p.parse_args(argv)
    with prepared_sides(args.base, "guardian-cold-ab-") as sides:
        sleeps = [args.sleep_ms / 1000] + ([0.0] if args.hot else [])
        print(
            f"`python -m bench.guardian_cold_ab {args.base} --checks {args.checks} "
            f"--sleep-ms {args.sleep_ms:g}{' --hot' if args.hot else ''}"
            f"{' --speed-rows' if args.speed_rows else ''}` (thread CPU per check)"
        )
        asyncio.run(_measure(sides, args.checks, sleeps, args.speed_rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
