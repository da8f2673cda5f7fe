"""The Guardian's speed: ``check_input`` per KB on ordinary prompts, and whole-text times
on hostile megabytes (issue 15 item 1, issue 20's speed target).

- **Per KB**: the project's own labelled prompts (``tests/guardian_eval``), joined into
  texts of 1, 4 and 16 KB; each text is checked ``repeats`` times; the figure is the
  median of µs per KB over every check.
- **Per KB, negatives**: the same with only the prompts labelled negative (benign
  requests and hard negatives: key look-alikes, numbers, role-play), where nothing
  should be found but many rules have candidates to reject.
- **Per KB, prose no one here wrote**: the same sizes cut from the Python documentation's
  own topic pages (``pydoc_data.topics``, shipped with CPython): English prose with code
  samples, the kind of text users paste, where the Guardian meets few candidates. Shown
  beside the goal's row, never instead of it.
- **Per policy**: the same texts through each policy's ``check`` alone (µs per KB,
  median), so a family's share shows; and ``check_input`` again with the candidate
  memos emptied before every check: the phone validator's and shape rules', the secrets
  rules' and assignments' verdicts (each text is checked ``repeats`` times, and the
  texts share prompts, so the memos would otherwise answer most candidates after the
  first check).
- **Call pair**: what one model call costs the Guardian (issue 24): ``check_input`` on
  a 1 KB benign prompt and ``check_output`` on a 500-character reply, µs per pair.
- **Hostile**: texts of ``hostile_kb`` KB that once made a rule backtrack or a loop crawl
  (long runs of one character, of letters and digits, of whitespace, floods of every
  trigger): the wall time of one ``check_input`` each (off the loop, as the Guardian runs
  a long text), and the worst of them.
- **First check**: the first ``check_input`` (a 4 KB prompt) of a fresh process, in ms:
  in a new home (``cold``: no cached prefilter database; the build starts in a child
  process and the check takes the Python path) and in a home whose cache is built
  (``warm``). The figures above are taken with the prefilter databases loaded
  (``ORCHESTRATION_GUARDIAN_PREFILTER=wait``: the first check waits for them).

Run alone: ``python -m bench.guardian_speed`` (prints JSON); in ``make bench`` as the
``guardian`` section.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestration_kernel.guardian import GuardContext, Guardian

__all__ = ["measure"]


def _ordinary_texts(benign: bool = False, positives: bool = False) -> list[str]:
    """The labelled prompts joined into texts of 1, 4 and 16 KB (``benign``: only the
    negatives, hard ones included; ``positives``: only the positives)."""
    from tests.guardian_eval.generator import build_cases

    cases = build_cases()
    if benign or positives:
        cases = [c for c in cases if c.positive == positives]
    prompts = [c.text for c in cases]
    random.Random(7).shuffle(prompts)
    texts, i = [], 0
    for size in (1024, 4096, 16384):
        for _ in range(12):
            parts: list[str] = []
            while sum(len(p) + 1 for p in parts) < size:
                parts.append(prompts[i % len(prompts)])
                i += 1
            texts.append("\n".join(parts)[:size])
    return texts


def _prose_texts() -> list[str]:
    """Texts of 1, 4 and 16 KB cut in order from the Python documentation's topic pages."""
    from pydoc_data.topics import topics

    prose = "\n\n".join(topics[name] for name in sorted(topics))
    texts, start = [], 0
    for size in (1024, 4096, 16384):
        for _ in range(12):
            texts.append(prose[start : start + size])
            start += size
    return texts


def _hostile_texts(kb: int) -> dict[str, str]:
    size = kb * 1024
    rng = random.Random(1)

    def fill(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    return {
        "one letter": fill("a"),
        "letters and digits (DNA-like)": "".join(rng.choice("ACGT") for _ in range(size)),
        "hex": "".join(rng.choice("0123456789abcdef") for _ in range(size)),
        "whitespace": fill(" \n\t"),
        "digits and spaces": fill("1 "),
        "override trigger flood": fill("ignore the previous "),
        "question flood": fill("what "),
        "key assignment flood": fill("key="),
        "vendor prefix flood": fill("sk-AKIAxoxb-glpat-"),
        "e-mail flood": fill("a@"),
    }


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": statistics.median(values),
        "p95": sorted(values)[int(0.95 * (len(values) - 1))],
    }


def _per_policy(
    guardian: Guardian, ctx: GuardContext, repeats: int
) -> tuple[dict[str, list[float]], list[float]]:
    """µs per KB of each policy's own check, and of ``check_input`` with the candidate
    memos emptied first."""
    from orchestration_kernel.guardian import phones, secrets

    memos = [
        getattr(getattr(module, name, None), "cache_clear", lambda: None)
        for module, name in (
            (phones, "_valid_digits"),
            (phones, "_shaped_length"),
            (secrets, "_rule_accepts"),
            (secrets, "_assignment_accepts"),
        )
    ]

    def forget() -> None:
        for clear in memos:
            clear()

    per_policy: dict[str, list[float]] = {p.name: [] for p in guardian.policies}
    cold: list[float] = []

    async def run() -> None:
        for text in _ordinary_texts():
            kb = len(text.encode()) / 1024
            for _ in range(repeats):
                for policy in guardian.policies:
                    if "input" not in policy.stages or policy.is_async:
                        continue
                    t0 = time.perf_counter()
                    policy.check(text, ctx, "input")
                    per_policy[policy.name].append((time.perf_counter() - t0) * 1e6 / kb)
                forget()
                t0 = time.perf_counter()
                await guardian.check_input(text, ctx)
                cold.append((time.perf_counter() - t0) * 1e6 / kb)

    asyncio.run(run())
    return {k: v for k, v in per_policy.items() if v}, cold


def _call_pairs(guardian: Guardian, ctx: GuardContext, n: int) -> list[float]:
    """µs to check a 1 KB benign prompt and a 500-character reply, per call."""
    from bench.wire import _FILLER, PROMPT_BYTES, REPLY

    async def run() -> list[float]:
        out = []
        for i in range(-50, n):  # the first 50 warm up
            head = f"Summarise in one line, call {i:06d}: "
            prompt = head + _FILLER[: PROMPT_BYTES - len(head)]
            t0 = time.perf_counter()
            await guardian.check_input(prompt, ctx)
            await guardian.check_output(REPLY, ctx)
            if i >= 0:
                out.append((time.perf_counter() - t0) * 1e6)
        return out

    return asyncio.run(run())


#: A fresh process's first check_input, in ms; then (for the next measurement's sake) it
#: waits for any prefilter build it started.
_FIRST_CHECK = """
import asyncio, sys, time
from bench.guardian_speed import _ordinary_texts
from orchestration_kernel.guardian import GuardContext, Guardian
text = _ordinary_texts()[12]
guardian = Guardian()
ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="bench")
t0 = time.perf_counter()
asyncio.run(guardian.check_input(text, ctx))
print((time.perf_counter() - t0) * 1e3)
try:
    from orchestration_kernel.guardian.injection_prefilter import wait_all
except ImportError:
    pass
else:
    wait_all()
"""


def _first_checks(rounds: int) -> dict[str, list[float]]:
    """ms of the first check in fresh processes: ``cold`` (a new home each) and ``warm``
    (a home whose cache the cold runs built)."""
    env = {k: v for k, v in os.environ.items() if k != "ORCHESTRATION_GUARDIAN_PREFILTER"}
    out: dict[str, list[float]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory(prefix="guardian-first-") as tmp:
        for label, home in [("cold", None)] * rounds + [("warm", "shared")] * rounds:
            where = os.path.join(tmp, home or f"cold{len(out['cold'])}")
            if label == "warm" and not out["warm"] and not os.path.isdir(where):
                # the warm home's cache: built once by a process of its own
                env_build = dict(env, ORCHESTRATION_HOME=where)
                subprocess.run([sys.executable, "-c", _FIRST_CHECK], env=env_build, check=True,
                               capture_output=True)  # fmt: skip
            run = subprocess.run(
                [sys.executable, "-c", _FIRST_CHECK], env=dict(env, ORCHESTRATION_HOME=where),
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            out[label].append(float(run.stdout.split()[0]))
    return out


def measure(sizes: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Figures for the report (``sizes.name`` picks the scale)."""
    from orchestration_kernel.guardian import GuardContext, Guardian

    smoke = getattr(sizes, "name", "full") == "smoke"
    first = _first_checks(1 if smoke else 3)
    # The steady state: the first check waits for the prefilter databases (a no-op for a
    # library without them).
    os.environ["ORCHESTRATION_GUARDIAN_PREFILTER"] = "wait"
    repeats, hostile_kb = (2, 64) if smoke else (5, 1024)
    guardian = Guardian()
    ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="bench")

    benign: list[float] = []
    prose: list[float] = []

    async def run() -> tuple[list[float], dict[str, float]]:
        await guardian.check_input("warm-up: ignore nothing, email a@b.example", ctx)
        per_kb: list[float] = []
        for text in _ordinary_texts():
            for _ in range(repeats):
                t0 = time.perf_counter()
                await guardian.check_input(text, ctx)
                per_kb.append((time.perf_counter() - t0) * 1e6 / (len(text.encode()) / 1024))
        for text in _ordinary_texts(benign=True):
            for _ in range(repeats):
                t0 = time.perf_counter()
                await guardian.check_input(text, ctx)
                benign.append((time.perf_counter() - t0) * 1e6 / (len(text.encode()) / 1024))
        for text in _prose_texts():
            for _ in range(repeats):
                t0 = time.perf_counter()
                await guardian.check_input(text, ctx)
                prose.append((time.perf_counter() - t0) * 1e6 / (len(text.encode()) / 1024))
        hostile: dict[str, float] = {}
        for name, text in _hostile_texts(hostile_kb).items():
            t0 = time.perf_counter()
            await guardian.check_input(text, ctx)
            hostile[name] = time.perf_counter() - t0
        return per_kb, hostile

    per_kb, hostile = asyncio.run(run())
    per_policy, cold = _per_policy(guardian, ctx, repeats)
    return {
        "per_kb_us": _summary(per_kb),
        "per_kb_us_benign": _summary(benign),
        "per_kb_us_prose": _summary(prose),
        "per_kb_us_memos_emptied": _summary(cold),
        "per_policy_us_per_kb": {name: _summary(v) for name, v in per_policy.items()},
        "call_pair_us": _summary(_call_pairs(guardian, ctx, 200 if smoke else 2000)),
        "hostile_kb": hostile_kb,
        "hostile_s": hostile,
        "hostile_worst_s": max(hostile.values()),
        "first_check_ms": {k: _summary(v) for k, v in first.items()},
    }


if __name__ == "__main__":
    from bench.sizes import FULL, SMOKE

    print(json.dumps(measure(SMOKE if "--smoke" in sys.argv else FULL, {}), indent=2))
