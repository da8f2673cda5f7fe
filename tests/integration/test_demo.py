"""``make demo``'s script, run as a user runs it: a real kernel, the local model answering
offline, nothing on stderr, no warning anywhere, every finished step with an answer, and
the paths and the next command at the end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from orchestration_kernel.providers.local_server import local_model_available

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _user_env() -> dict[str, str]:
    """A new user's environment: no provider key or URL, the stand-in left to its default."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_BASE_URL"))
        and k not in ("JPY_SESSION_NAME", "ORCHESTRATION_OFFLINE_MODEL", "ORCHESTRATION_HOME")
    }
    env["ORCHESTRATION_OFFLINE"] = "auto"  # as make demo sets it
    return env


@pytest.mark.timeout(400)
@pytest.mark.skipif(not local_model_available(), reason="the [local] extra is absent")
def test_the_demo_is_quiet_shows_real_answers_and_says_what_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "scripts/demo.py", "--out", str(out)],
        cwd=ROOT, env=_user_env(), capture_output=True, text=True, timeout=380,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stderr == ""  # no warning, no log line, no traceback
    lines = done.stdout.splitlines()
    ours = [ln for ln in lines if not ln.startswith("        > ")]  # answers are the model's
    # The Guardian's decisions on the model's own text are the demo showing its work: a
    # 135M model's wording varies run to run (see below) and may hold an e-mail address
    # or a zero-width character, which the next step's input check then reports. Each
    # such line names its action, policy, step and stage; nothing else may warn.
    guardian = re.compile(r"^\s+(?:warn|redact|block) by \w+ on \w+ \((?:input|output)\): \S")
    noisy = [ln for ln in ours if re.search(r"warn|deprecat|error|traceback", ln, re.I)]
    assert [ln for ln in noisy if not guardian.match(ln)] == []
    assert "answered by the local model" in done.stdout
    assert "local model (offline stand-in for openai:" in done.stdout
    assert "[simulated" not in done.stdout

    steps = [ln for ln in lines if re.match(r"^    \w+  \S+  done  ", ln)]
    answers = [ln.strip() for ln in lines if ln.startswith("        > ")]
    assert len(steps) >= 8 and len(answers) == len(steps)  # every finished step answered
    # A 135M model may end one reply at once when other requests share its batch
    # (llama.cpp's arithmetic then differs run to run); more than one such reply is ours.
    short = [a for a in answers if a == "> (empty)" or len(a) <= 3]
    assert len(short) <= 1, short

    assert lines[-3] == f"executed notebook: {out / 'quickstart.executed.ipynb'}"
    assert lines[-2].startswith(f"audit export:      {out / 'audit.parquet'}")
    assert lines[-1] == "open the notebooks: make lab"
    audit = pd.read_parquet(out / "audit.parquet")
    assert {"run_start", "step", "call", "guardian", "run_end"} <= set(audit["event"])
    assert set(audit[audit["event"] == "call"]["provider"]) == {"local"}
