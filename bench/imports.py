"""6. Import time: ``import orchestration_kernel``, ``%load_ext`` and ``import litellm``.

Each measurement is a fresh interpreter that times one statement with ``perf_counter``
(interpreter start-up excluded, reported apart as the whole process's wall time), and
with the process's CPU time beside it (``cpu_s``: on a loaded machine the wall clock
mostly measures the wait for a core). For
``%load_ext orchestration_kernel`` an IPython ``InteractiveShell`` is created first, as a
kernel has one before any cell runs, and only the magic is timed. ``import litellm``
runs in ``.venv-bench`` on the same machine with its cost-map download switched off.
Kinds are interleaved round by round after one warm-up round (disk cache).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.sizes import Sizes
from bench.stats import summarize

__all__ = ["SCRIPTS", "measure"]

#: Heavy modules that ``import orchestration_kernel`` should not pull in (reported).
HEAVY = ("openai", "anthropic", "google.genai", "pandas", "pyarrow", "IPython", "ipywidgets",
         "httpx2", "httpx", "pydantic", "yaml")  # fmt: skip

_IMPORT = f"""
import json, sys, time
t, c = time.perf_counter(), time.process_time()
import orchestration_kernel
s, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({{"s": s, "cpu_s": cpu, "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""

_ENGINE = f"""
import json, sys, time
t, c = time.perf_counter(), time.process_time()
from orchestration_kernel import OrchestrationEngine
s, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({{"s": s, "cpu_s": cpu, "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""

# "heavy" here: the heavy modules the magic itself imported (the shell brought IPython).
_LOAD_EXT = f"""
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = set(sys.modules)
t, c = time.perf_counter(), time.process_time()
shell.run_line_magic("load_ext", "orchestration_kernel")
s, cpu = time.perf_counter() - t, time.process_time() - c
ok = any("orchestrate" in names for names in shell.magics_manager.magics.values())
heavy = [m for m in {HEAVY!r} if m in sys.modules and m not in before]
print(json.dumps({{"s": s, "cpu_s": cpu, "registered": ok, "heavy": heavy}}))
"""

_LITELLM = """
import json, time
t, c = time.perf_counter(), time.process_time()
import litellm
print(json.dumps({"s": time.perf_counter() - t, "cpu_s": time.process_time() - c}))
"""

SCRIPTS = {
    "import orchestration_kernel": _IMPORT,
    "from orchestration_kernel import OrchestrationEngine": _ENGINE,
    "%load_ext orchestration_kernel": _LOAD_EXT,
    "import litellm": _LITELLM,
}


def _once(python: str, script: str, env: dict[str, str] | None) -> dict[str, Any]:
    # From this process's folder: the library under measurement (``python -c`` puts the
    # working directory first on the path, and ``bench.compare`` starts a section in the
    # library it compares). Bytecode is written (the warm-up round does), as an installed
    # package has it: without it every run would time compiling our sources.
    if env is None:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    t = time.perf_counter()
    done = subprocess.run(
        [python, "-c", script], cwd=Path.cwd(), capture_output=True, text=True, timeout=120,
        env=env,
    )  # fmt: skip
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    line = done.stdout.strip().splitlines()[-1]
    return {**json.loads(line), "process_s": wall}


def measure(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """Median and p95 of each import over ``import_runs`` fresh processes."""
    from bench.litellm_env import litellm_env_vars

    kinds: dict[str, tuple[str, dict[str, str] | None]] = {
        "import orchestration_kernel": (sys.executable, None),
        "from orchestration_kernel import OrchestrationEngine": (sys.executable, None),
        "%load_ext orchestration_kernel": (sys.executable, None),
    }
    if options.get("litellm_python"):
        kinds["import litellm"] = (options["litellm_python"], litellm_env_vars())
    raw: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    failures: dict[str, str] = {}
    for r in range(-1, sizes.import_runs):  # round -1 warms the disk cache
        for name, (python, env) in kinds.items():
            if name in failures:
                continue
            try:
                got = _once(python, SCRIPTS[name], env)
            except (RuntimeError, subprocess.SubprocessError, ValueError) as exc:
                failures[name] = str(exc)[:300]
                continue
            if r >= 0:
                raw[name].append(got)
    out: dict[str, Any] = {"runs": sizes.import_runs, "failures": failures}
    for name, got in raw.items():
        last = got[-1] if got else {}
        out[name] = {
            "s": summarize([g["s"] for g in got]),
            "cpu_s": summarize([g["cpu_s"] for g in got]),
            "process_s": summarize([g["process_s"] for g in got]),
            **({"heavy_modules": last["heavy"]} if "heavy" in last else {}),
            **({"registered": last["registered"]} if "registered" in last else {}),
        }
    out["litellm_reason"] = options.get("litellm_reason")
    return out
