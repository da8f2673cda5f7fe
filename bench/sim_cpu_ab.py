"""Process CPU per simulated pipeline step, before/after: ``python -m bench.sim_cpu_ab``.

``python -m bench.sim_cpu_ab --base 57fe733 [--rounds 8] [--batches 5] [--config neither]``

The three-step simulated pipeline of ``bench.throughput`` (Guardian and audit on, or
with ``--config`` one of ``bench.overhead``'s other configurations: ``guardian``,
``audit``, ``neither``), one run at a time and 300 at once. Each round starts one child
per side (the ``--base`` commit unpacked with ``git archive``, and this checkout),
alternating which goes first.
A child warms up, then alternates ``--batches`` batches of each mode (60 runs one at a
time; 300 runs at once) and reports each mode's median process CPU µs per step (every
thread; what a busy machine distorts least). The summary gives each side's median and
the median of the per-round after/before ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import asyncio, json, statistics, sys, time
from orchestration_kernel import OrchestrationEngine
async def main(batches, guardian, audit):
    eng = OrchestrationEngine(offline="on", guardian=guardian, audit=audit)
    pipe = eng.create_pipeline([
        {"model": "gpt-4", "task": "analysis"},
        {"model": "claude-3", "task": "synthesis"},
        {"model": "gemini-pro", "task": "validation"},
    ])
    for i in range(30):
        await pipe.execute(f"warm {i}")
    seq, con = [], []
    for b in range(batches):
        c = time.process_time()
        for i in range(60):
            await pipe.execute(f"seq {b} {i}")
        seq.append((time.process_time() - c) / 180 * 1e6)
        c = time.process_time()
        await asyncio.gather(*(pipe.execute(f"con {b} {i}") for i in range(300)))
        con.append((time.process_time() - c) / 900 * 1e6)
    eng.close()
    print("@@SIM " + json.dumps({"seq": statistics.median(seq), "con": statistics.median(con)}))
asyncio.run(main(int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3] == "1"))
"""


#: --config → (Guardian on, audit on)
CONFIGS = {
    "guardian+audit": (True, True),
    "guardian": (True, False),
    "audit": (False, True),
    "neither": (False, False),
}


def _side(root: Path, home: Path, batches: int, config: str) -> dict[str, float]:
    from bench.runner import child_env

    env = child_env(home)
    env["PYTHONPATH"] = str(root)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(batches), *(str(int(on)) for on in CONFIGS[config])],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    for line in out.stdout.splitlines():
        if line.startswith("@@SIM "):
            return dict(json.loads(line[6:]))
    raise RuntimeError(f"child at {root} failed:\\n{out.stderr[-3000:]}")


def main(argv: list[str] | None = None) -> int:
    """Run the interleaved rounds and print the summary."""
    p = argparse.ArgumentParser(prog="python -m bench.sim_cpu_ab")
    p.add_argument("--base", required=True, help="the 'before' commit")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--batches", type=int, default=5)
    p.add_argument("--config", choices=list(CONFIGS), default="guardian+audit")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    got: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="sim-cpu-") as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.base], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        sides = {"before": base, "after": ROOT}
        for r in range(args.rounds):
            for side in list(sides) if r % 2 == 0 else list(reversed(sides)):
                home = Path(tmp) / f"home-{side}-{r}"
                home.mkdir()
                got[side].append(_side(sides[side], home, args.batches, args.config))
                print(f"[sim] round {r} {side}: {json.dumps(got[side][-1])}", file=sys.stderr)
    for mode in ("seq", "con"):
        for side in ("before", "after"):
            vals = [g[mode] for g in got[side]]
            shown = ", ".join(f"{v:.0f}" for v in vals)
            print(f"{mode} {side:6s} CPU µs/step: median {statistics.median(vals):7.1f}  ({shown})")
        ratios = [a[mode] / b[mode] for a, b in zip(got["after"], got["before"], strict=True)]
        shown = ", ".join(f"{x:.3f}" for x in ratios)
        print(f"{mode} after/before ×{statistics.median(ratios):.3f}  ({shown})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
