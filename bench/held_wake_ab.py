"""The caller's cost of many calls held at once: ``python -m bench.held_wake_ab --base C``.

``python -m bench.held_wake_ab --base 57fe733 [--rounds 5] [--calls 1000] [--hold 3]``

N calls awaited at once from a main-thread loop (``asyncio.gather`` of N
``runtime.run(asyncio.sleep(hold))``), as 1,000 held pipelines are: the main thread's
CPU seconds while they wait (its wakes to keep Ctrl-C landing, see
:mod:`orchestration_kernel.interrupt_wake`, and the hand-offs). Each round runs one child
per side (the ``--base`` commit unpacked with ``git archive``, and this checkout), in
alternating order; the summary is each side's median and the median after/before ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import asyncio, sys, time
from orchestration_kernel.runtime import Runtime
async def main(n, hold):
    rt = Runtime("held-wake")
    await rt.run(asyncio.sleep(0))
    c = time.thread_time()
    await asyncio.gather(*(rt.run(asyncio.sleep(hold)) for _ in range(n)))
    print("@@CPU", time.thread_time() - c)
    rt.close()
asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
"""


def _side(root: Path, calls: int, hold: float) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(calls), str(hold)],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return next(float(line.split()[1]) for line in out.splitlines() if line.startswith("@@CPU"))


def main(argv: list[str] | None = None) -> int:
    """Run the interleaved rounds and print the summary."""
    p = argparse.ArgumentParser(prog="python -m bench.held_wake_ab")
    p.add_argument("--base", required=True, help="the 'before' commit")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--calls", type=int, default=1000)
    p.add_argument("--hold", type=float, default=3.0)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="held-wake-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.base], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        sides = {"before": Path(tmp), "after": ROOT}
        cpu: dict[str, list[float]] = {"before": [], "after": []}
        for r in range(args.rounds):
            for side in list(sides) if r % 2 == 0 else list(reversed(sides)):
                cpu[side].append(_side(sides[side], args.calls, args.hold))
    for side, vals in cpu.items():
        shown = ", ".join(f"{v:.3f}" for v in vals)
        print(f"{side:6s} main-thread CPU s: median {statistics.median(vals):.3f}  ({shown})")
    ratios = [a / b for a, b in zip(cpu["after"], cpu["before"], strict=True) if b]
    print(f"after/before ×{statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
