"""``python -m bench.compare BASE [--only audit] [--rounds 5] [--smoke] [--out FILE]``.

Before and after in one run: each round measures the sections once with the library
as it was at commit ``BASE`` (its ``orchestration_kernel/`` extracted from git into a
temporary folder) and once as it is in the working tree, in alternating order, each
in a fresh child process, with today's benchmark code for both. On a shared machine
the load then weighs on both alike. Every median the sections report (a summary with
``p50``) is collected round by round and shown as the median over the rounds with its
95% confidence interval (:func:`bench.stats.median_ci`), base beside now.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

from bench.common import ROOT
from bench.runner import run_section
from bench.stats import summarize

__all__ = ["figures", "main"]


def figures(result: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """``(path, median)`` for every summary (a dict with ``p50`` and ``n``) in a result."""
    if isinstance(result, dict):
        if "p50" in result and "n" in result:
            yield path, float(result["p50"])
            return
        for key, value in result.items():
            yield from figures(value, f"{path}.{key}" if path else str(key))


def _extract(commit: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "archive", commit, "orchestration_kernel"], cwd=ROOT, capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def main(argv: list[str] | None = None) -> int:
    """Measure BASE and the working tree, interleaved; print and write the comparison."""
    p = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    p.add_argument("base", help="the git commit to compare against")
    p.add_argument("--only", default="audit", help="comma-separated sections")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = p.parse_args(argv)
    size = "smoke" if args.smoke else "full"
    samples: dict[tuple[str, str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-base-") as tmp:
        _extract(args.base, Path(tmp))
        trees = {"base": Path(tmp), "now": None}
        for r in range(args.rounds):
            order = list(trees) if r % 2 == 0 else list(reversed(trees))
            for section in args.only.split(","):
                for label in order:
                    print(f"[compare] round {r + 1}: {section} at {label}", file=sys.stderr)
                    result = run_section(section, size, {}, args.timeout, library=trees[label])
                    why = "" if result.get("status") == "ok" else f" {result.get('reason')}"
                    print(f"[compare]   {result.get('status')}{why}: library "
                          f"{result.get('library')}", file=sys.stderr)  # fmt: skip
                    for path, value in figures(result):
                        samples.setdefault((section, path, label), []).append(value)
    lines = [
        f"`python -m bench.compare {' '.join(argv if argv is not None else sys.argv[1:])}`: "
        f"{args.rounds} rounds, base = {args.base}, now = the working tree; each cell is the "
        "median over the rounds of the section's own median (95% CI over the rounds).",
        "",
        "| section | figure | base | now | now / base |",
        "|---|---|---|---|---|",
    ]
    for section, path in dict.fromkeys((s, f) for s, f, _ in samples):
        base, now = samples.get((section, path, "base")), samples.get((section, path, "now"))
        cells = [_cell(x) for x in (base, now)]
        ratio = _ratio(base, now)
        lines.append(f"| {section} | {path} | {cells[0]} | {cells[1]} | {ratio} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


def _ratio(base: list[float] | None, now: list[float] | None) -> str:
    if not base or not now or not summarize(base)["p50"]:
        return "–"
    return f"{summarize(now)['p50'] / summarize(base)['p50']:.2f}"


def _cell(values: list[float] | None) -> str:
    if not values:
        return "–"
    s = summarize(values)
    return f"{s['p50']:.4g} ({s['ci_low']:.4g}–{s['ci_high']:.4g})"


if __name__ == "__main__":
    raise SystemExit(main())
