"""``python -m bench [--smoke] [--out DIR] [--only a,b] [--no-litellm]``.

Runs each section in a fresh child process, then writes ``benchmarks.md`` and
``benchmarks.json`` into ``--out`` (default ``docs/``), keeping the sections this run
skipped from the report already there. It always exits 0 once the
report is written: a benchmark asserts nothing, and a row that could not be measured
says why in the table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import ROOT
from bench.machine import describe
from bench.report import evaluate_goals, merge_previous, write_report
from bench.runner import run_section
from bench.sizes import FULL, SMOKE

__all__ = ["ORDER", "main"]

#: The sections in the order they run (and appear).
ORDER = (
    "handoff", "overhead", "throughput", "http", "memory", "imports", "audit", "robustness",
    "guardian",
    "shared",
    "cluster",
    "local",
    "batch",
)  # fmt: skip
_NEEDS_LITELLM = {"http", "imports"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    p.add_argument("--smoke", action="store_true", help="tiny sizes, no LiteLLM (seconds)")
    p.add_argument("--out", type=Path, default=ROOT / "docs", help="where to write the report")
    p.add_argument("--only", default="", help=f"comma-separated sections of: {', '.join(ORDER)}")
    p.add_argument("--no-litellm", action="store_true", help="skip the LiteLLM comparison")
    p.add_argument("--timeout", type=float, default=900, help="seconds per section")
    return p


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _litellm(args: argparse.Namespace, sections: list[str]) -> dict[str, Any]:
    """Ready ``.venv-bench`` if a section needs it; the options handed to those sections."""
    if not _NEEDS_LITELLM.intersection(sections):
        return {}
    if args.smoke or args.no_litellm:
        why = "smoke run" if args.smoke else "--no-litellm"
        return {"litellm_python": None, "litellm_reason": f"skipped ({why})"}
    from bench.litellm_env import ensure

    _say("preparing .venv-bench (LiteLLM, pinned with hashes)")
    env = ensure()
    _say(f"LiteLLM {env.version}: " + ("ready" if env.python else f"unavailable ({env.reason})"))
    return {"litellm_python": env.python, "litellm_reason": env.reason, "litellm": env.version}


def _loadavg() -> float | None:
    # Other work on the machine inflates every timing: the report shows how busy it was.
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _selected(only: str) -> list[str]:
    if not only:
        return list(ORDER)
    chosen = [s.strip() for s in only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in ORDER]
    if unknown:
        raise SystemExit(f"unknown section(s) {unknown}; choose from {', '.join(ORDER)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    """Run the selected sections and write the report."""
    args = _parser().parse_args(argv)
    sections = _selected(args.only)
    sizes = SMOKE if args.smoke else FULL
    t0 = time.perf_counter()
    load_before = _loadavg()
    options = _litellm(args, sections)
    results: dict[str, dict[str, Any]] = {}
    for name in sections:
        _say(f"{name} ...")
        results[name] = run_section(name, sizes.name, options, timeout=args.timeout)
        status = results[name].get("status")
        reason = "" if status == "ok" else f": {results[name].get('reason')}"
        _say(f"{name} {status} ({results[name].get('seconds', 0):.1f} s){reason}")
    machine = describe(ROOT)
    generated_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])])
    load_after = _loadavg()
    # Sections this run skipped keep their figures from the report already there.
    stamp = {"at": generated_at, "command": command, "loadavg": [load_before, load_after],
             "commit": str(machine["git_commit"]) + (" (with local changes)" if machine["git_dirty"]
                                                else "")}  # fmt: skip
    results = merge_previous(results, args.out, stamp, sizes.name)
    report = {
        "generated_at": generated_at,
        "command": command,
        "size": sizes.name,
        "elapsed_s": time.perf_counter() - t0,
        "machine": {
            **machine,
            "litellm": options.get("litellm"),
            "loadavg_1m_before": load_before,
            "loadavg_1m_after": load_after,
        },
        "sizes": sizes.as_dict(),
        "sections": results,
        "goals": evaluate_goals(results),
    }
    md, js = write_report(report, args.out)
    for goal in report["goals"]:
        _say(f"{goal['status']:>12}  {goal['measure']}: {goal['shown']}")
    _say(f"wrote {md} and {js}")
    return 0
