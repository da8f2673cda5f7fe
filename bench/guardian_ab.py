"""``python -m bench.guardian_ab BASE [--rounds 6] [--repeats 3]``.

The Guardian's per-KB cost at commit ``BASE`` and in the working tree, interleaved: each
round runs one fresh child process per side (alternating which goes first), and each
child measures, in **thread CPU time** (``time.thread_time``: steadier than wall time on
a shared machine, and the checks never leave the thread below 64 KB):

- ``check_input`` per KB over :func:`bench.guardian_speed._ordinary_texts` (the
  labelled prompts joined into 1, 4 and 16 KB texts), the median over every check; and
  the same over the speed bench's two other rows (``.negatives``: the negatives alone;
  ``.prose``: :func:`bench.guardian_speed._prose_texts`);
- each input policy's own ``check`` per KB on the same texts (medians);
- the credential floor (``redact_secrets``) per call on distinct short strings that
  cannot hold a credential (model ids, route reasons), memo missed every time.

The prefilter databases are loaded (``ORCHESTRATION_GUARDIAN_PREFILTER=wait``). Printed:
per figure, the median over the rounds for each side and the ratio now / base.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT
from bench.compare import _extract

__all__ = ["main"]

_CHILD = r"""
import asyncio, json, os, statistics, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[2])
import orchestration_kernel
assert orchestration_kernel.__file__.startswith(sys.argv[1]), orchestration_kernel.__file__
from bench.guardian_speed import _ordinary_texts, _prose_texts
from orchestration_kernel.guardian import GuardContext, Guardian
from orchestration_kernel.guardian.injection_prefilter import wait_all
repeats = int(sys.argv[3])
guardian = Guardian()
ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="ab")
texts = _ordinary_texts()
out = {}

async def timed(rows, policies=None):
    # check_input per KB of each text, repeats times; with policies (a dict), each input
    # policy's own check too.
    for text in rows:  # a warm-up round: lazy imports, phone metadata, caches
        await guardian.check_input(text, ctx)
    per_kb = []
    for _ in range(repeats):
        for text in rows:
            kb = len(text.encode()) / 1024
            t0 = time.thread_time()
            await guardian.check_input(text, ctx)
            per_kb.append((time.thread_time() - t0) * 1e6 / kb)
            for policy in guardian.policies if policies is not None else ():
                if "input" not in policy.stages or policy.is_async:
                    continue
                t0 = time.thread_time()
                policy.check(text, ctx, "input")
                policies.setdefault(policy.name, []).append((time.thread_time() - t0) * 1e6 / kb)
    return statistics.median(per_kb)

async def run():
    await guardian.check_input("warm-up: ignore nothing, email a@b.example", ctx)
    wait_all()
    policies = {}
    out["check_input_us_per_kb"] = await timed(texts, policies)
    for name, values in policies.items():
        out[f"policy.{name}_us_per_kb"] = statistics.median(values)
    # The speed bench's other two rows: the negatives alone, and prose no one here wrote.
    for label, rows in (("negatives", _ordinary_texts(benign=True)), ("prose", _prose_texts())):
        out[f"check_input_us_per_kb.{label}"] = await timed(rows)

asyncio.run(run())
from orchestration_kernel.guardian.secrets_only import redact_secrets
plain = [f"{p}-{i}" for i in range(20000) for p in ("openai:gpt-4o-mini", "route: cheapest")]
redact_secrets("warm-up")
t0 = time.thread_time()
for s in plain:
    redact_secrets(s)
out["floor_us_per_call"] = (time.thread_time() - t0) * 1e6 / len(plain)
print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    """Measure BASE and the working tree, interleaved; print the medians."""
    p = argparse.ArgumentParser(prog="python -m bench.guardian_ab", description=__doc__)
    p.add_argument("base", help="the git commit to compare against")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--repeats", type=int, default=3, help="checks of each text per round")
    args = p.parse_args(argv)
    env = {**os.environ, "ORCHESTRATION_GUARDIAN_PREFILTER": "wait", "PYTHONHASHSEED": "0"}
    samples: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="guardian-ab-") as tmp:
        _extract(args.base, Path(tmp))
        trees = {"base": Path(tmp), "now": ROOT}
        for r in range(args.rounds):
            for label in list(trees) if r % 2 == 0 else list(reversed(trees)):
                child = subprocess.run(
                    [sys.executable, "-c", _CHILD, str(trees[label]), str(ROOT),
                     str(args.repeats)],
                    capture_output=True, text=True, env=env, cwd=ROOT, check=True,
                )  # fmt: skip
                for key, value in json.loads(child.stdout.splitlines()[-1]).items():
                    samples.setdefault((key, label), []).append(value)
                print(f"[guardian_ab] round {r + 1} {label} done", file=sys.stderr)
    print(f"`python -m bench.guardian_ab {args.base} --rounds {args.rounds} "
          f"--repeats {args.repeats}` (thread CPU; median over the rounds)")  # fmt: skip
    print("| figure | base | now | now / base |\n|---|---|---|---|")
    for key in dict.fromkeys(k for k, _ in samples):
        base = statistics.median(samples[key, "base"])
        now = statistics.median(samples[key, "now"])
        print(f"| {key} | {base:.3g} | {now:.3g} | {now / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
