"""The notebooks under nbval, strict (outputs compared, after notebooks/nbval_sanitize.cfg),
each in its own kernel, home and pytest process (``make demo`` is tests/integration/test_demo.py).

``pytest tests`` runs these; ``pytest --nbval notebooks/`` runs nbval directly (the
settings and the ``update_display`` support live in ``notebooks/conftest.py``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = {"quickstart", "compare_models", "guardian", "audit_analysis"}
#: Shapes of real provider keys; none may be stored in a notebook (inputs or outputs).
KEY_SHAPES = re.compile(
    r"sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|AIza[0-9A-Za-z_-]{20,}|pplx-[A-Za-z0-9]{20,}"
)


def _hermetic_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_BASE_URL")) and k not in ("JPY_SESSION_NAME",)
    }
    env.update(ORCHESTRATION_HOME=str(home), ORCHESTRATION_OFFLINE="auto",
               ORCHESTRATION_OFFLINE_MODEL="sim",  # the saved outputs come from the simulator
               ORCHESTRATION_NO_DOTENV="1", ORCHESTRATION_NO_KEYRING="1")  # fmt: skip
    return env


def test_the_four_notebooks_exist() -> None:
    assert {p.stem for p in NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_saved_outputs_are_complete_and_hold_no_keys(notebook: Path) -> None:
    text = notebook.read_text()
    assert not KEY_SHAPES.search(text)
    cells = [c for c in json.loads(text)["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is not None for c in cells)  # every cell ran
    for cell in cells:
        for output in cell["outputs"]:
            assert output["output_type"] != "error", cell["source"]
            plain = "".join(output.get("data", {}).get("text/plain", ""))
            assert " · pending" not in plain and " · running" not in plain


@pytest.mark.timeout(600)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_passes_nbval_strict(notebook: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval",
         "--nbval-current-env", "--nbval-cell-timeout=120", str(notebook.relative_to(ROOT))],
        cwd=ROOT, env=_hermetic_env(tmp_path), capture_output=True, text=True, timeout=560,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "--nbval-lax" not in proc.args
