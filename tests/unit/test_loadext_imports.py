"""``%load_ext orchestration_kernel`` registers the magics and imports nothing a cell
needs later: the engine, its pydantic models, the runtime loop (asyncio), the YAML
parser, the providers' SDKs. Those load with the first cell that uses them, and that
first cell still runs, or fails with its clean message, in a fresh kernel.

Checked in a fresh interpreter through ``sys.modules`` (never by timing: speed is
``python -m bench --only imports`` and ``python -m bench.loadext_ab``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: Neither ``%load_ext`` nor ``import orchestration_kernel`` may import these: each costs
#: from a few to a hundred milliseconds of CPU, more where bytecode is not cached.
NOT_AT_LOAD = (
    "pydantic",
    "pydantic_core",
    "asyncio",
    "yaml",
    "ssl",
    "httpx",
    "openai",
    "anthropic",
    "google.genai",
    "pandas",
    "pyarrow",
    "numpy",
    "ipywidgets",
    "orchestration_kernel.models",
    "orchestration_kernel.user_spec",
    "orchestration_kernel.providers.sim",
    "orchestration_kernel.providers.base",
    "orchestration_kernel.engine",
    "orchestration_kernel.session",
    "orchestration_kernel.runtime",
    "orchestration_kernel.pipeline",
    "orchestration_kernel.guardian",
    "orchestration_kernel.audit",
    "orchestration_kernel.bus",
)

_LOAD = f"""
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = [m for m in {NOT_AT_LOAD!r} if m in sys.modules]
shell.run_line_magic("load_ext", "orchestration_kernel")
print(json.dumps({{
    "before": before,
    "registered": shell.find_cell_magic("orchestrate") is not None,
    "line": shell.find_line_magic("orchestrate") is not None,
    "err": "Err" in shell.user_ns,
    "heavy": [m for m in {NOT_AT_LOAD!r} if m in sys.modules],
}}))
"""


def _child(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ORCHESTRATION_HOME", str(tmp_path))
    monkeypatch.setenv("ORCHESTRATION_OFFLINE", "on")
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_load_ext_registers_the_magics_and_imports_none_of_the_heavy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    got = json.loads(_child(_LOAD, tmp_path, monkeypatch).strip().splitlines()[-1])
    assert got == {"before": [], "registered": True, "line": True, "err": True, "heavy": []}


def test_import_orchestration_kernel_imports_none_of_the_heavy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = f"""
    import sys
    import orchestration_kernel
    print([m for m in {NOT_AT_LOAD!r} if m in sys.modules])
    """
    assert _child(code, tmp_path, monkeypatch).strip().splitlines()[-1] == "[]"


_FIRST_CELLS = """
import io, json, sys, contextlib
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "orchestration_kernel")
FIRST = sys.argv[1]
BAD = '%%orchestrate\\n- name: a\\n  model: [gpt-4\\n  prompt: "x"\\n'
GOOD = (
    "%%orchestrate review --input \\"'the quarterly numbers'\\" --out res\\n"
    "- name: analysis\\n  model: gpt-4\\n  prompt: \\"Analyze: {input}\\"\\n"
)
out = {}
for name in (FIRST, "good" if FIRST == "bad" else "bad"):
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        result = shell.run_cell(BAD if name == "bad" else GOOD)
    out[name] = {
        "success": result.success,
        "error": type(result.error_in_exec).__name__,
        "shown": shown.getvalue(),
    }
out["res"] = shell.user_ns["res"].step("analysis").output if "res" in shell.user_ns else None
print(json.dumps(out))
"""


@pytest.mark.parametrize("first", ["bad", "good"])
def test_the_first_cell_after_load_ext_runs_or_fails_cleanly(
    first: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The imports ``%load_ext`` no longer makes happen in the first cell: a bad spec
    there is still the one-block SpecError (no traceback), a good one still runs."""
    code = _FIRST_CELLS.replace("sys.argv[1]", repr(first))
    got = json.loads(_child(code, tmp_path, monkeypatch).strip().splitlines()[-1])
    bad, good = got["bad"], got["good"]
    assert not bad["success"] and bad["error"] == "SpecError"
    assert "line 3, column" in bad["shown"] and "Traceback" not in bad["shown"]
    assert good["success"], good
    assert "the quarterly numbers" in got["res"]
