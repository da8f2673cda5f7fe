"""``python -m bench.loadext_ab BASE [--rounds 8] [--modes cached,nopyc] [--host shell]``:
where the cost of ``%load_ext orchestration_kernel`` went, base against the working tree,
in CPU time.

Each sample is a fresh process: with ``--host shell`` an interpreter that builds an
IPython ``InteractiveShell`` (as ``bench.imports`` does), with ``--host kernel`` a real
ipykernel (the venv's ``python3`` kernel spec, driven by ``jupyter_client``). It runs three
cells (:data:`CELLS`) and times, each with the process's CPU time (every thread) and the
wall clock beside it:

* ``start``: the CPU the process spent before its first cell (interpreter, IPython, and
  for a kernel its whole start-up; CPU only);
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

__all__ = ["CELLS", "main"]

#: The three cells each sample runs, in a shell or a kernel: ``%load_ext`` (timed inside
#: its cell), the first ``%%orchestrate`` cell, then one that reports (it stops the clock
#: of the second: in a kernel that span also holds the kernel's own messaging, a little).
CELLS = (
    """import json, sys, time
_m = {"start": [time.process_time(), 0.0]}
_b = set(sys.modules); _c, _w = time.process_time(), time.perf_counter()
get_ipython().run_line_magic("load_ext", "orchestration_kernel")
_m["load_ext"] = [time.process_time() - _c, time.perf_counter() - _w]
_m["loaded"] = sorted(set(sys.modules) - _b)
_c, _w = time.process_time(), time.perf_counter()""",
    """%%orchestrate review --input "'the quarterly numbers'" --out res
- {name: analysis, model: gpt-4, prompt: "Analyze: {input}"}
- {name: synthesis, model: claude-3, prompt: "Synthesize: {analysis}"}""",
    """_m["first_cell"] = [time.process_time() - _c, time.perf_counter() - _w]
_m["both"] = [a + b for a, b in zip(_m["load_ext"], _m["first_cell"])]
_m["ok"] = res.status == "done"
_m["library"] = sys.modules["orchestration_kernel"].__file__
print("LOADEXT_AB " + json.dumps(_m))""",
)

#: The shell's driver: an ``InteractiveShell`` as a kernel has one, then the cells.
SHELL = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
for cell in json.loads(sys.argv[1]):
    shell.run_cell(cell, silent=True)
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


def _in_shell(library: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SHELL, json.dumps(CELLS)], cwd=library, capture_output=True,
        text=True, timeout=300, env=env,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-2000:])
    return done.stdout


def _in_kernel(library: Path, env: dict[str, str]) -> str:
    """The cells in a real ipykernel: the venv's ``python3`` kernel spec, ``env`` its own."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(library))
    shown: list[str] = []

    def keep(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            shown.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            shown.append(f"{msg['content']['ename']}: {msg['content']['evalue']}\n")

    try:
        for cell in CELLS:
            client.execute_interactive(cell, output_hook=keep, timeout=300)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return "".join(shown)


def _run(host: str, library: Path, mode: str, prefix: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="loadext-home-") as home:
        env = _env(library, mode, Path(home), prefix)
        out = (_in_kernel if host == "kernel" else _in_shell)(library, env)
    lines = [line for line in out.splitlines() if line.startswith("LOADEXT_AB ")]
    if not lines:
        raise RuntimeError(f"no figures from {host} at {library}: {out[-2000:]}")
    got: dict[str, Any] = json.loads(lines[-1].removeprefix("LOADEXT_AB "))
    if not got["ok"]:
        raise RuntimeError(f"the first cell failed at {library}")
    if not got["library"].startswith(str(library)):
        raise RuntimeError(f"measured {got['library']}, not {library}")
    return got


def _fill_prefix(host: str, prefix: Path, libraries: list[Path]) -> None:
    """The standard library's bytecode only, under ``prefix``: a run with the prefix
    writing fills it, then every entry outside the standard library is deleted."""
    for library in libraries:
        with tempfile.TemporaryDirectory(prefix="loadext-home-") as home:
            env = _env(library, "cached", Path(home), prefix)
            env["PYTHONPYCACHEPREFIX"] = str(prefix)
            (_in_kernel if host == "kernel" else _in_shell)(library, env)
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
    p.add_argument("--host", choices=("shell", "kernel"), default="shell",
                   help="an InteractiveShell in python -c (as bench.imports), or a real "
                   "ipykernel (its start-up CPU is the 'start' figure)")  # fmt: skip
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
            _fill_prefix(args.host, prefix, list(sides.values()))
        for mode in modes:
            for library in sides.values():  # warm-up: disk cache, and bytecode when cached
                _run(args.host, library, mode, prefix)
            for r in range(args.rounds):
                order = list(sides) if r % 2 == 0 else list(reversed(sides))
                for side in order:
                    got = _run(args.host, sides[side], mode, prefix)
                    loaded[(mode, side)] = got["loaded"]
                    for figure in ("start", "load_ext", "first_cell", "both"):
                        for i, kind in enumerate(("cpu", "wall")):
                            key = (mode, figure, kind, 0 if side == "base" else 1)
                            samples.setdefault(key, []).append(got[figure][i])
                print(f"[loadext_ab] {mode}: round {r + 1}/{args.rounds}", file=sys.stderr)
    load = os.getloadavg()[0]
    print(f"`python -m bench.loadext_ab {args.base} --rounds {args.rounds} --modes "
          f"{args.modes} --host {args.host}`; ms, median over the rounds (95% CI); "
          f"load {load:.1f}")  # fmt: skip
    print("\n| mode | figure | clock | base | now |\n|---|---|---|---|---|")
    for mode, figure, kind, _ in dict.fromkeys((m, f, k, 0) for m, f, k, _ in samples):
        if figure == "start" and kind == "wall":
            continue  # not measured: the CPU the process spent before its first cell
        base_s, now_s = samples[(mode, figure, kind, 0)], samples[(mode, figure, kind, 1)]
        print(f"| {mode} | {figure} | {kind} | {_ms(base_s)} | {_ms(now_s)} |")
    for (mode, side), names in loaded.items():
        ours = [n for n in names if n.startswith("orchestration_kernel")]
        print(f"\n{mode} {side}: %load_ext imported {len(names)} modules, {len(ours)} ours; "
              f"pydantic {'pydantic' in names}, asyncio {'asyncio' in names}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
