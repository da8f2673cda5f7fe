"""``notebooks/batch_jobs.ipynb`` in a real kernel, with a real kernel restart where the
notebook says to restart: the job submitted before it is resumed by name after it.

(nbval runs the same notebook without the restart, in ``test_notebooks.py``.)
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.kernel, pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "batch_jobs.ipynb"


def _text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        data = output.get("data", {})
        parts.append(data.get("text/markdown", "") or data.get("text/plain", ""))
        if output.get("output_type") == "error":
            parts.append(f"ERROR {output.get('ename')}: {output.get('evalue')}")
    return "".join(parts)


def test_the_batch_notebook_survives_a_kernel_restart(tmp_path: Path) -> None:
    from nbclient import NotebookClient
    from nbclient.util import run_sync

    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(ORCHESTRATION_HOME=str(tmp_path), ORCHESTRATION_OFFLINE="auto",
               ORCHESTRATION_NO_DOTENV="1", ORCHESTRATION_NO_KEYRING="1")  # fmt: skip
    env.pop("JPY_SESSION_NAME", None)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    restarted = False
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown" and "Restart the kernel" in cell.source:
                run_sync(client.km.restart_kernel)(now=True)
                client.kc.stop_channels()
                client.kc = client.km.client()
                client.kc.start_channels()
                run_sync(client.kc.wait_for_ready)(timeout=60)
                probe = nbformat.v4.new_code_cell("print('reviews' in dir(), 'job' in dir())")
                client.execute_cell(probe, index, store_history=False)
                assert _text(probe).strip() == "False False"  # nothing survived in memory
                restarted = True
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
                assert "ERROR" not in _text(cell), (cell.source, _text(cell))
    assert restarted
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "| reviews-demo | 4 | gpt-4o-mini, claude-haiku | 2 | running |" in _text(code[4])
    assert "8 done, 0 failed" in _text(code[5])
    table = _text(code[6])
    assert all(label in table for label in ("r-101", "r-102", "r-103", "r-104"))
    assert _text(code[7]).strip() == "8 ['interactive'] 0.0"
    assert (tmp_path / "batches" / "reviews-demo" / "manifest.json").exists()
