"""``python -m bench.loadext_ab BASE [--rounds 8] [--modes cached,nopyc]``: where the cost
of ``%load_ext orchestration_kernel`` went, base against the working tree, in CPU time.

Each sample is a fresh interpreter that builds an IPython ``InteractiveShell`` (as a kernel
has one before any cell runs), then times, each with the process's CPU time (every thread)
and the wall clock beside it:

* ``load_ext``: ``%load_ext orchestration_kernel``;
* ``first_cell``: the first ``%%orchestrate`` cell after it, a two-step pipeline on the
  offline simulator (``ORCHESTRATION_OFFLINE_MODEL=sim``: the embedded model would time
  its own start-up), a throwaway ``ORCHESTRATION_HOME``, no key, ``.env`` or keyring;
* ``both``: the two together, which is what a user waits for before the first answer.

BASE's ``orchestration_kernel/`` is extracted from git into a temporary folder and put
first on ``PYTHONPATH``; the working tree's is put there for "now". Base and now
alternate within each round (their order flips every round), so the machine's load
weighs on both alike. Modes:

* ``cached``: bytecode is read and written as usual (one unmeasured warm-up per side
  writes it), as in ``python -m bench --only imports``;
* ``nopyc``: what a user meets after ``make venv`` without compiled bytecode, in an
  environment that sets ``PYTHONDONTWRITEBYTECODE`` (this machine does): no ``.pyc`` for
  the venv's packages or ours, so every import compiles from source, in every kernel.
  Done with ``PYTHONPYCACHEPREFIX``: a cache folder that holds the standard library's
  bytecode only (a warm-up fills it, then the venv's and our entries are deleted).

Prints, per mode, side and figure, the median over the rounds and its 95% confidence
interval (:func:`bench.stats.median_ci`), in milliseconds, and the modules each side's
``%load_ext`` imported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT
from bench.compare import _extract
from bench.stats import summarize

__all__ = ["SCRIPT", "main"]

#: The measured child: ``%load_ext`` then one ``%%orchestrate`` cell, CPU and wall.
SCRIPT = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = set(sys.modules)
c0, w0 = time.process_time(), time.perf_counter()
shell.run_line_magic("load_ext", "orchestration_kernel")
c1, w1 = time.process_time(), time.perf_counter()
loaded = sorted(set(sys.modules) - before)
spec = '''%%orchestrate review --input "'the quarterly numbers'" --out res
- {name: analysis, model: gpt-4, prompt: "Analyze: {input}"}
- {name: synthesis, model: claude-3, prompt: "Synthesize: {analysis}"}
'''
result = shell.run_cell(spec, silent=True)
c2, w2 = time.process_time(), time.perf_counter()
ok = result.success and shell.user_ns["res"].status == "done"
import orchestration_kernel
print(json.dumps({
    "load_ext": [c1 - c0, w1 - w0], "first_cell": [c2 - c1, w2 - w1],
    "both": [c2 - c0, w2 - w0], "ok": ok, "loaded": loaded,
    "library": orchestration_kernel.__file__,
}))
"""


def _env(library: Path, mode: str, home: Path, prefix: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORCHESTRATION_", "PYTHON"))}
    env.update(
        PYTHONPATH=str(library), ORCHESTRATION_HOME=str(home), ORCHESTRATION_OFFLINE="on",
        ORCHESTRATION_OFFLINE_MODEL="sim", ORCHESTRATION_NO_DOTENV="1",
        ORCHESTRATION_NO_KEYRING="1",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )  # fmt: skip
    if mode == "nopyc":
        env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(prefix))
    return env


def _run(library: Path, mode: str, prefix: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="loadext-home-") as home:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT], cwd=library, capture_output=True, text=True,
            timeout=300, env=_env(library, mode, Path(home), prefix),
        )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-2000:])
    got: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not got["ok"]:
        raise RuntimeError(f"the first cell failed at {library}")
    if not got["library"].startswith(str(library)):
        raise RuntimeError(f"measured {got['library']}, not {library}")
    return got


def _fill_prefix(prefix: Path, libraries: list[Path]) -> None:
    """The standard library's bytecode only, under ``prefix``."""
    for library in libraries:
        env = _env(library, "cached", prefix, prefix)
        env["PYTHONPYCACHEPREFIX"] = str(prefix)
        with tempfile.TemporaryDirectory(prefix="loadext-home-") as home:
            env["ORCHESTRATION_HOME"] = home
            subprocess.run([sys.executable, "-c", SCRIPT], cwd=library, env=env, check=True,
                           capture_output=True, timeout=300)  # fmt: skip
    stdlib = str(Path(sys.base_prefix).resolve()).lstrip("/")
    for path in sorted(prefix.rglob("*.pyc")):
        if not str(path.relative_to(prefix)).startswith(stdlib):
            path.unlink()


def _ms(values: list[float]) -> str:
    s = summarize([v * 1000 for v in values])
    return f"{s['p50']:.1f} ({s['ci_low']:.1f}–{s['ci_high']:.1f})"


def main(argv: list[str] | None = None) -> int:
    """Alternate base and the working tree, round by round; print the medians."""
    p = argparse.ArgumentParser(prog="python -m bench.loadext_ab", description=__doc__)
    p.add_argument("base", help="the git commit to compare against")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--modes", default="cached,nopyc")
    args = p.parse_args(argv)
    samples: dict[tuple[str, str, str, int], list[float]] = {}
    loaded: dict[tuple[str, str], list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="loadext-ab-") as tmp:
        base = Path(tmp) / "base"
        _extract(args.base, base)
        sides = {"base": base, "now": ROOT}
        prefix = Path(tmp) / "pycache"
        prefix.mkdir()
        modes = args.modes.split(",")
        if "nopyc" in modes:
            _fill_prefix(prefix, list(sides.values()))
        for mode in modes:
            for library in sides.values():  # warm-up: disk cache, and bytecode when cached
                _run(library, mode, prefix)
            for r in range(args.rounds):
                order = list(sides) if r % 2 == 0 else list(reversed(sides))
                for side in order:
                    got = _run(sides[side], mode, prefix)
                    loaded[(mode, side)] = got["loaded"]
                    for figure in ("load_ext", "first_cell", "both"):
                        for i, kind in enumerate(("cpu", "wall")):
                            key = (mode, figure, kind, 0 if side == "base" else 1)
                            samples.setdefault(key, []).append(got[figure][i])
                print(f"[loadext_ab] {mode}: round {r + 1}/{args.rounds}", file=sys.stderr)
    load = os.getloadavg()[0]
    print(f"`python -m bench.loadext_ab {args.base} --rounds {args.rounds} --modes "
          f"{args.modes}`; ms, median over the rounds (95% CI); load {load:.1f}")  # fmt: skip
    print("\n| mode | figure | clock | base | now |\n|---|---|---|---|---|")
    for mode, figure, kind, _ in dict.fromkeys((m, f, k, 0) for m, f, k, _ in samples):
        base_s, now_s = samples[(mode, figure, kind, 0)], samples[(mode, figure, kind, 1)]
        print(f"| {mode} | {figure} | {kind} | {_ms(base_s)} | {_ms(now_s)} |")
    for (mode, side), names in loaded.items():
        ours = [n for n in names if n.startswith("orchestration_kernel")]
        print(f"\n{mode} {side}: %load_ext imported {len(names)} modules, {len(ours)} ours; "
              f"pydantic {'pydantic' in names}, asyncio {'asyncio' in names}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
