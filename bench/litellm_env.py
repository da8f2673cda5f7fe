"""The bench-only LiteLLM environment: ``.venv-bench``, pinned with hashes.

LiteLLM is a comparison, never a dependency: it lives in its own virtual environment
(gitignored), installed with ``pip install --require-hashes -r
requirements/bench-litellm.txt`` so that nothing but the reviewed, pinned files can
land (releases 1.82.7, 1.82.8 and 1.107.0 were supply-chain compromises). If it cannot
be installed, the rows that need it say why and the rest of the bench goes on.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT

__all__ = ["COMPROMISED", "REQUIREMENTS", "LiteLLMEnv", "ensure", "litellm_env_vars"]

REQUIREMENTS = ROOT / "requirements" / "bench-litellm.txt"
VENV = ROOT / ".venv-bench"
#: Releases never to install.
COMPROMISED = frozenset({"1.82.7", "1.82.8", "1.107.0"})


@dataclass(frozen=True)
class LiteLLMEnv:
    """Where LiteLLM can be run from (``python``), or why it cannot (``reason``)."""

    python: str | None
    version: str | None
    reason: str | None = None


def litellm_env_vars() -> dict[str, str]:
    """The environment for any LiteLLM process: no cost-map download, no telemetry."""
    env = dict(os.environ)
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False", LITELLM_LOG="ERROR")
    return env


def pinned_version(requirements: Path = REQUIREMENTS) -> str | None:
    """The ``litellm==X`` version the requirements file pins."""
    match = re.search(r"^litellm==([\w.]+)", requirements.read_text(), re.MULTILINE)
    return match.group(1) if match else None


def _installed(python: Path) -> str | None:
    probe = "from importlib.metadata import version; print(version('litellm'))"
    try:
        done = subprocess.run(
            [str(python), "-c", probe], capture_output=True, text=True, timeout=60,
            env=litellm_env_vars(),
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _install(python: Path) -> str | None:
    """Create the venv and install; returns an error message, or None on success."""
    steps = []
    if not python.exists():
        steps.append([sys.executable, "-m", "venv", "--clear", str(VENV)])
    steps.append([str(python), "-m", "pip", "install", "--quiet", "--require-hashes",
                  "--no-deps", "-r", str(REQUIREMENTS)])  # fmt: skip
    for argv in steps:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"{' '.join(argv[:4])}: {exc}"
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if not ln.startswith("WARNING")]
            return f"{' '.join(argv[:4])} failed: {' '.join(lines)[-400:]}"
    return None


def ensure() -> LiteLLMEnv:
    """``.venv-bench`` with the pinned LiteLLM, creating or repairing it if needed."""
    version = pinned_version()
    if version is None:
        return LiteLLMEnv(None, None, f"{REQUIREMENTS.name} pins no litellm version")
    if version in COMPROMISED:
        return LiteLLMEnv(None, version, f"litellm {version} is a compromised release")
    python = VENV / "bin" / "python"
    if _installed(python) != version:
        error = _install(python)
        if error:
            return LiteLLMEnv(None, version, f"installing litellm {version} failed: {error}")
        if _installed(python) != version:
            return LiteLLMEnv(None, version, f"litellm {version} did not import after install")
    return LiteLLMEnv(str(python), version)
