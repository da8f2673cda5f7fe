"""Run a section in a fresh, hermetic child process and collect its figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT

__all__ = ["child_env", "run_section"]

#: Provider settings that must never leak into a benchmark (no real provider is called).
_SCRUB = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
    "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_GENAI_API_VERSION",
    "PERPLEXITY_API_KEY", "PERPLEXITY_BASE_URL", "ORCHESTRATION_OFFLINE", "AZURE_OPENAI_API_KEY",
    "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "ORCHESTRATION_HOME",
)  # fmt: skip


def child_env(home: Path, library: Path | None = None) -> dict[str, str]:
    """The environment of a child: no provider keys, no .env or keyring, its own home.
    ``library``: a folder whose ``orchestration_kernel`` is imported instead of ours
    (``bench.compare`` measures an older commit with today's benchmark code)."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    # Bytecode as an installed package has it (and as the Makefile gives the suite):
    # under PYTHONDONTWRITEBYTECODE each child compiled pandas and pyarrow from source
    # again, 2.4 s of CPU that landed inside whichever measurement imported them first.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(Path(sys.prefix) / "pycache"))
    env.update(
        ORCHESTRATION_HOME=str(home),
        ORCHESTRATION_NO_DOTENV="1",
        ORCHESTRATION_NO_KEYRING="1",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        ORCHESTRATION_OFFLINE_MODEL="sim",  # overhead is measured on the simulator
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(library or ""), str(ROOT), env.get("PYTHONPATH")])
        ),
    )
    return env


def run_section(
    section: str,
    size: str,
    options: dict[str, Any] | None = None,
    timeout: float = 600,
    library: Path | None = None,
) -> dict[str, Any]:
    """Run ``section`` in a child process; a crash or timeout becomes an ``error`` result.

    ``library``: see :func:`child_env`; the child also starts there, since ``python -m``
    puts its working directory first on the path."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{section}-") as tmp:
        home, out = Path(tmp) / "home", Path(tmp) / "out.json"
        home.mkdir()
        argv = [sys.executable, "-m", "bench.child", section, size, str(out)]
        argv.append(json.dumps(options or {}))
        try:
            done = subprocess.run(
                argv, cwd=library or ROOT, env=child_env(home, library), capture_output=True,
                text=True,
                timeout=timeout,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return {"status": "error", "reason": f"timed out after {timeout:.0f} s"}
        if out.exists():
            return dict(json.loads(out.read_text()))
        tail = (done.stderr or done.stdout or "").strip()[-1500:]
        return {"status": "error", "reason": f"child exited {done.returncode}: {tail}"}
