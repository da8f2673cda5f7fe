"""``python -m bench.guardian_ab_pii_parts BASE [--rounds 6]``: where the PII scan's time
goes, part by part, at commit ``BASE`` and in the working tree (issue 20's speed target).

The PII detector is a chain of parts (e-mail from each "@", spelt e-mails, cards, Maestro
numbers, IBANs, dashed and named SSNs, international and North American phones, IPv4,
IPv6, numbered and labelled identity numbers) and the national phone scan. Each part is
timed on its own, thread CPU, over every text of the speed bench's three rows
(:mod:`bench.guardian_speed`: the labelled prompts, the negatives alone, prose), with the
text's skeleton and lower-cased copy made beforehand (as ``PIIDetector.find`` hands
them on), both sides in one process (the base's ``orchestration_kernel/`` extracted from
git under another package name, as :mod:`bench.guardian_ab_inproc` does), alternating
which side goes first. ``find`` is the whole detector (skeleton, lower-casing and the
unit gate included).

Printed per row: each part's µs per KB on each side, the median over ``--rounds`` of the
row's total time for that part (a part's time per text is too short to time alone), and
the ratio now / base. Memos (the phone validator's and shape rules') are warm, as in the
speed bench's main figure: every text is scanned once before the rounds.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.compare import _extract
from bench.guardian_ab_inproc import _BASE_PACKAGE

__all__ = ["main"]

#: The two sides: the label, and the package each is imported as.
_SIDES = {"base": _BASE_PACKAGE, "now": "orchestration_kernel"}


def _modules(package: str) -> tuple[Any, Any]:
    """``package``'s ``pii`` and ``_scan`` modules, its unit gate's database loaded."""
    pii = importlib.import_module(f"{package}.guardian.pii")
    pii.PIIDetector().find("warm-up: 0490 75 40 81")  # starts the unit gate's build
    importlib.import_module(f"{package}.guardian.injection_prefilter").wait_all()
    return pii, importlib.import_module(f"{package}.guardian._scan")


def _jobs(pii: Any, scan: Any, texts: list[str]) -> dict[str, Callable[[], object]]:
    """Per part, a call that runs it over every text (its inputs made beforehand)."""
    detector = pii.PIIDetector()
    prepared = [(t, scan.skeleton(t), t.lower()) for t in texts]
    jobs: dict[str, Callable[[], object]] = {
        "find": lambda: [detector.find(t) for t in texts],
    }
    for part, _ in detector._parts:
        jobs[part.__name__.lstrip("_")] = lambda part=part: [
            list(part(t, s, low)) for t, s, low in prepared
        ]
    jobs["national phones"] = lambda: [detector._add_national(t, s, []) for t, s, _ in prepared]
    return jobs


def _measure(sides: dict[str, Any], rows: dict[str, list[str]], rounds: int) -> None:
    print(f"`python -m bench.guardian_ab_pii_parts BASE --rounds {rounds}` (thread CPU, µs/KB)")
    for row, texts in rows.items():
        kb = sum(len(t.encode()) for t in texts) / 1024
        jobs = {label: _jobs(pii, scan, texts) for label, (pii, scan) in sides.items()}
        for per_side in jobs.values():  # warm-up: memos
            for job in per_side.values():
                job()
        print(f"\n{row}\n| part | base | now | ratio now / base |\n|---|---|---|---|")
        totals = {"base": 0.0, "now": 0.0}
        for name in jobs["now"]:
            if name not in jobs["base"]:
                continue
            spent: dict[str, list[float]] = {"base": [], "now": []}
            for r in range(rounds):
                for label in ("base", "now") if r % 2 == 0 else ("now", "base"):
                    t0 = time.thread_time_ns()
                    jobs[label][name]()
                    spent[label].append((time.thread_time_ns() - t0) / 1000 / kb)
            base, now = (statistics.median(spent[k]) for k in ("base", "now"))
            if name != "find":
                totals["base"] += base
                totals["now"] += now
            print(f"| {name} | {base:.1f} | {now:.1f} | {now / base if base else 0:.3f} |")
        print(f"| (sum of the parts) | {totals['base']:.1f} | {totals['now']:.1f} | |")


def main(argv: list[str] | None = None) -> int:
    """Time each PII part at BASE and in the working tree, in one process."""
    p = argparse.ArgumentParser(prog="python -m bench.guardian_ab_pii_parts", description=__doc__)
    p.add_argument("base", help="the git commit to compare against")
    p.add_argument("--rounds", type=int, default=6)
    args = p.parse_args(argv)
    os.environ["ORCHESTRATION_GUARDIAN_PREFILTER"] = "wait"
    from bench.guardian_speed import _ordinary_texts, _prose_texts

    rows = {"labelled": _ordinary_texts(), "negatives": _ordinary_texts(True)}
    rows["prose"] = _prose_texts()
    with tempfile.TemporaryDirectory(prefix="bench-pii-parts-") as tmp:
        _extract(args.base, Path(tmp))
        (Path(tmp) / "orchestration_kernel").rename(Path(tmp) / _BASE_PACKAGE)
        sys.path.insert(0, tmp)  # the base, imported as its own package
        _measure({label: _modules(package) for label, package in _SIDES.items()}, rows, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
