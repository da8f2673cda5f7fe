"""``python -m bench.guardian_ab_inproc BASE [--rounds 6]``.

The Guardian at commit ``BASE`` and in the working tree, timed **in one process, text by
text**: the base's ``orchestration_kernel/`` is extracted from git under another package
name (``guardian_ab_base``: its modules import each other relatively), and for every text
of the speed bench's three rows (:mod:`bench.guardian_speed`: the labelled prompts, the
negatives alone, prose) each side's ``check_input`` and each family's detector (injection,
PII, secrets) run back to back, alternating which goes first. Each pair of checks sees
the same machine within milliseconds, so the ratio of the two is steady where separate
processes on a shared machine drift apart (:mod:`bench.guardian_ab` compares processes,
and moves by ±10 % on figures neither side changed when the machine is busy).

Printed per row and figure: each side's median µs per KB (thread CPU) and the median of
the per-check ratios now / base. Use an even ``--rounds``: the side that goes second in
a pair finds the text in the CPU's caches, and alternating cancels that. A family
neither side changed reads about 1.00 (the control). The prefilter databases are loaded
(``ORCHESTRATION_GUARDIAN_PREFILTER=wait``) and both sides use one home.

``--per-call``: instead, µs per call (thread CPU) of ``check_input`` and
``check_output`` on texts of 0, 40, 150, 500, 1,000 and 5,000 characters (prose cut from
the Python documentation's topic pages, and the labelled prompts joined, as the speed
bench joins them; 20 texts of each), and of the speed bench's call pair (a 1 KB benign
prompt in, the 500-character reply out): where a check's fixed cost shows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.compare import _extract

__all__ = ["main"]

_BASE_PACKAGE = "guardian_ab_base"


def _sides(base_root: Path) -> dict[str, Any]:
    """Each side's Guardian and detectors (``base`` imported as its own package)."""
    sys.path.insert(0, str(base_root))
    out = {}
    for label, package in (("base", _BASE_PACKAGE), ("now", "orchestration_kernel")):
        guardian_mod = importlib.import_module(f"{package}.guardian")
        injection = importlib.import_module(f"{package}.guardian.injection")
        pii = importlib.import_module(f"{package}.guardian.pii")
        secrets = importlib.import_module(f"{package}.guardian.secrets")
        guardian = guardian_mod.Guardian()
        out[label] = {
            "ctx": guardian_mod.GuardContext(model="openai:gpt-4o-mini", session_id="ab"),
            "check_input": guardian,
            "injection": injection.InjectionDetector().find,
            "pii": pii.PIIDetector().find,
            "secrets": secrets.SecretsPolicy().find,
        }
    return out


@contextlib.contextmanager
def prepared_sides(base: str, prefix: str) -> Iterator[dict[str, Any]]:
    """:func:`_sides` for commit ``base`` (extracted to a temporary folder, imported as
    its own package) and the working tree, each warmed up on both stages and with its
    prefilter databases built, for as long as the block runs."""
    os.environ["ORCHESTRATION_GUARDIAN_PREFILTER"] = "wait"
    from orchestration_kernel.guardian.injection_prefilter import wait_all

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        _extract(base, Path(tmp) / "tree")
        shutil.move(str(Path(tmp) / "tree" / "orchestration_kernel"), Path(tmp) / _BASE_PACKAGE)
        sides = _sides(Path(tmp))
        for side in sides.values():  # the first checks start the database builds
            guardian, ctx = side["check_input"], side["ctx"]
            asyncio.run(guardian.check_input("warm-up: ignore a@b.example", ctx))
            asyncio.run(guardian.check_output("warm-up: ignore a@b.example", ctx))
        wait_all()
        importlib.import_module(f"{_BASE_PACKAGE}.guardian.injection_prefilter").wait_all()
        yield sides


async def _measure(sides: dict[str, Any], rows: dict[str, list[str]], rounds: int) -> None:
    figures = ("check_input", "injection", "pii", "secrets")

    async def once(side: dict[str, Any], figure: str, text: str) -> float:
        t0 = time.thread_time()
        if figure == "check_input":
            await side["check_input"].check_input(text, side["ctx"])
        else:
            side[figure](text)
        return time.thread_time() - t0

    print(f"`python -m bench.guardian_ab_inproc BASE --rounds {rounds}` (thread CPU, µs/KB)")
    print("| row | figure | base | now | median ratio now / base |\n|---|---|---|---|---|")
    for row, texts in rows.items():
        for text in texts:  # warm-up: lazy imports, databases, caches
            for side in sides.values():
                for figure in figures:
                    await once(side, figure, text)
        for figure in figures:
            times: dict[str, list[float]] = {"base": [], "now": []}
            ratios = []
            for r in range(rounds):
                for text in texts:
                    kb = len(text.encode()) / 1024
                    order = ("base", "now") if r % 2 == 0 else ("now", "base")
                    took = {}
                    for label in order:
                        took[label] = await once(sides[label], figure, text) * 1e6 / kb
                    times["base"].append(took["base"])
                    times["now"].append(took["now"])
                    ratios.append(took["now"] / took["base"])
            base, now = statistics.median(times["base"]), statistics.median(times["now"])
            ratio = statistics.median(ratios)
            print(f"| {row} | {figure} | {base:.1f} | {now:.1f} | {ratio:.3f} |")


#: The text lengths ``--per-call`` measures (characters).
PER_CALL_LENGTHS = (0, 40, 150, 500, 1000, 5000)


def _per_call_rows() -> dict[str, list[str]]:
    """20 texts of each length in :data:`PER_CALL_LENGTHS`, prose and labelled prompts."""
    import random
    from pydoc_data.topics import topics

    from tests.guardian_eval.generator import build_cases

    rng = random.Random(3)
    prose = "\n\n".join(topics[name] for name in sorted(topics))
    prompts = [c.text for c in build_cases()]
    rows: dict[str, list[str]] = {}
    for n in PER_CALL_LENGTHS:
        starts = [rng.randrange(len(prose) - n - 1) for _ in range(20)]
        rows[f"prose {n}"] = [prose[s : s + n] for s in starts]
        joined = []
        for _ in range(20):
            parts, i = [], rng.randrange(len(prompts))
            while sum(len(p) + 1 for p in parts) < n:
                parts.append(prompts[i % len(prompts)])
                i += 1
            joined.append("\n".join(parts)[:n])
        rows[f"labelled {n}"] = joined
    return rows


async def _per_call(side: dict[str, Any], stage: str, text: str) -> float:
    """Seconds of thread CPU one side's ``check_input`` (``stage`` "in") or
    ``check_output`` ("out") takes on ``text``."""
    guardian = side["check_input"]
    check = guardian.check_input if stage == "in" else guardian.check_output
    t0 = time.thread_time()
    await check(text, side["ctx"])
    return time.thread_time() - t0


async def _call_pair(side: dict[str, Any], i: int) -> float:
    """The speed bench's call pair (:func:`bench.guardian_speed._call_pairs`): seconds."""
    from bench.wire import _FILLER, PROMPT_BYTES, REPLY

    head = f"Summarise in one line, call {i:06d}: "
    prompt = head + _FILLER[: PROMPT_BYTES - len(head)]
    return await _per_call(side, "in", prompt) + await _per_call(side, "out", REPLY)


def _row(name: str, figure: str, times: dict[str, list[float]], ratios: list[float]) -> None:
    base, now = statistics.median(times["base"]), statistics.median(times["now"])
    print(f"| {name} | {figure} | {base:.1f} | {now:.1f} | {statistics.median(ratios):.3f} |")


async def _measure_per_call(sides: dict[str, Any], rounds: int) -> None:
    print(
        f"`python -m bench.guardian_ab_inproc BASE --per-call --rounds {rounds}` "
        "(thread CPU, µs per call)"
    )
    print("| texts | check | base | now | median ratio now / base |\n|---|---|---|---|---|")
    for row, texts in _per_call_rows().items():
        for stage in ("in", "out"):
            for text in texts:  # warm-up
                for side in sides.values():
                    await _per_call(side, stage, text)
            times: dict[str, list[float]] = {"base": [], "now": []}
            ratios = []
            for r in range(rounds):
                for text in texts:
                    order = ("base", "now") if r % 2 == 0 else ("now", "base")
                    took = {k: await _per_call(sides[k], stage, text) * 1e6 for k in order}
                    times["base"].append(took["base"])
                    times["now"].append(took["now"])
                    ratios.append(took["now"] / took["base"] if took["base"] else 1.0)
            _row(row, "check_input" if stage == "in" else "check_output", times, ratios)
    times, ratios = {"base": [], "now": []}, []
    for i in range(-20, 100 * rounds):  # the first 20 warm up
        order = ("base", "now") if i % 2 == 0 else ("now", "base")
        took = {k: await _call_pair(sides[k], i) * 1e6 for k in order}
        if i >= 0:
            times["base"].append(took["base"])
            times["now"].append(took["now"])
            ratios.append(took["now"] / took["base"])
    _row("call pair (1 KB in, 500 out)", "both", times, ratios)


def main(argv: list[str] | None = None) -> int:
    """Measure BASE and the working tree in one process; print the medians."""
    p = argparse.ArgumentParser(prog="python -m bench.guardian_ab_inproc", description=__doc__)
    p.add_argument("base", help="the git commit to compare against")
    p.add_argument("--rounds", type=int, default=6, help="checks of each text per side")
    p.add_argument("--per-call", action="store_true", help="µs per call by text length")
    args = p.parse_args(argv)
    from bench.guardian_speed import _ordinary_texts, _prose_texts

    with prepared_sides(args.base, "guardian-ab-inproc-") as sides:
        if args.per_call:
            asyncio.run(_measure_per_call(sides, args.rounds))
            return 0
        rows = {
            "labelled": _ordinary_texts(),
            "negatives": _ordinary_texts(benign=True),
            "prose": _prose_texts(),
        }
        asyncio.run(_measure(sides, rows, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
