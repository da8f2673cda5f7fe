"""Run notebooks headless in a real kernel: ``make demo``, and refreshing saved outputs.

``make demo`` (through ``scripts/demo.py``) calls :func:`run_notebook_demo`: it executes
``notebooks/quickstart.ipynb`` in a real ipykernel (nbclient), offline unless provider keys
are set — models without a key answered by the local model, or the simulator with
``ORCHESTRATION_OFFLINE_MODEL=sim`` — with ``ORCHESTRATION_HOME=out/home`` so the run's
audit is findable; writes the executed notebook and the audit export to ``out/``; and
prints each run's steps (model, latency, the first line of the output), the models (stand-ins
labelled) and the Guardian's decisions, then where the files are and how to open the
notebooks. The kernel talks over IPC (Unix sockets), not TCP, so it has no unencrypted
port to warn about.

``python scripts/notebook_demo.py --refresh notebooks/*.ipynb`` re-executes notebooks in
place, each with a fresh ``ORCHESTRATION_HOME``, on the offline simulator — how the
outputs nbval compares against are made.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Seconds one cell may take before the run is abandoned.
CELL_TIMEOUT = 300
#: How much of a step's first output line the summary shows.
PREVIEW_CHARS = 100

__all__ = ["execute_notebook", "refresh_notebooks", "run_notebook_demo", "summarise_audit"]


#: Provider settings a refresh must not see: saved outputs come from the simulator only.
PROVIDER_ENV = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
    "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "PERPLEXITY_API_KEY",
    "PERPLEXITY_BASE_URL", "JPY_SESSION_NAME", "ORCHESTRATION_SESSION_ID",
)  # fmt: skip


@contextlib.contextmanager
def _environment(**values: str | None) -> Iterator[None]:
    """Set (or, for ``None``, remove) environment variables for the kernel we start (it
    inherits them), and restore them afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def execute_notebook(
    path: Path,
    home: Path,
    *,
    offline: str | None = None,
    hermetic: bool = False,
    offline_model: str | None = None,
) -> Any:
    """Execute ``path`` in a fresh kernel with ``ORCHESTRATION_HOME=home``; the executed
    notebook (outputs replaced, as a frontend shows them at the end). ``hermetic``: hide
    every provider key and base URL from the kernel. ``offline_model``: the offline
    stand-in (``local`` or ``sim``; default ``ORCHESTRATION_OFFLINE_MODEL`` or local)."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    env: dict[str, str | None] = dict.fromkeys(PROVIDER_ENV) if hermetic else {}
    env |= {
        "ORCHESTRATION_HOME": str(home),
        "ORCHESTRATION_OFFLINE": offline or os.environ.get("ORCHESTRATION_OFFLINE") or "auto",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    if offline_model:
        env["ORCHESTRATION_OFFLINE_MODEL"] = offline_model
    # The audit and bus hold prompts and answers: the home is private (0700), as the
    # library asks of any ORCHESTRATION_HOME.
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    home.chmod(0o700)
    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets, _environment(**env):
        client = NotebookClient(
            notebook,
            config=_ipc_config(Path(sockets)),
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            store_widget_state=False,
        )
        client.execute()
    return notebook


def _ipc_config(sockets: Path) -> Any:
    """Kernel-manager settings for IPC transport: the kernel's channels are Unix sockets
    under ``sockets`` (only this user can reach them), so ipykernel has no plain-TCP port
    to warn about. nbclient still makes, owns and shuts down the kernel."""
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(sockets / "ipc")
    return config


def summarise_audit(frame: Any) -> list[str]:
    """The lines ``make demo`` prints: each run's steps (model, latency and the first line
    of the output), the models (offline stand-ins labelled) and the Guardian's findings."""
    sys.path.insert(0, str(ROOT))
    from orchestration_kernel.widgets.audit_view import AuditView

    lines = []
    runs = frame[frame["event"] == "run_end"]
    for run in runs.itertuples():
        view = AuditView(frame, run=run.run_id)
        latency = f"{run.latency_ms:.0f} ms" if run.latency_ms == run.latency_ms else "?"
        name = run.pipeline if isinstance(run.pipeline, str) else "unnamed pipeline"
        lines.append(f"run {run.run_id} ({name}): {run.status} in {latency}")
        outputs = step_outputs(frame, run.run_id)
        for step in view._step_rows():
            lines.append("    " + "  ".join(c for c in step if c))
            if step[2] == "done":
                lines.append(f"        > {first_line(outputs.get(step[0], ''))}")
        models = ", ".join(row[0] for row in view._model_rows())
        lines.append(f"    models: {models}")
        findings = view._finding_rows()
        lines.append(f"    Guardian: {len(findings)} finding(s)")
        lines.extend(f"      {r[3]} by {r[1]} on {r[0]} ({r[2]}): {r[4]}" for r in findings)
    return lines or ["no pipeline run was recorded"]


def step_outputs(frame: Any, run_id: str) -> dict[str, str]:
    """Each step's answer in run ``run_id``: the text of its last successful call (a
    fan-out step's models joined by `` | ``)."""
    calls = frame[(frame["event"] == "call") & (frame["run_id"] == run_id)]
    calls = calls[calls["status"] == "ok"]
    out: dict[str, str] = {}
    for step, rows in calls.groupby("step", sort=False):
        texts = [t for t in rows["response"] if isinstance(t, str)]
        out[str(step)] = " | ".join(texts)
    return out


def first_line(text: str) -> str:
    """The first non-blank line of ``text``, cut to :data:`PREVIEW_CHARS`; ``(empty)``
    when there is none."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if not line:
        return "(empty)"
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"


def _export_audit(home: Path, out: Path, since: datetime) -> tuple[Path, Any]:
    """Export what the demo recorded ``since`` it started to ``out/audit.parquet``
    (``.csv`` without pyarrow); earlier demos' rows stay in ``out/home``."""
    sys.path.insert(0, str(ROOT))
    from orchestration_kernel.audit import AuditTrail

    trail = AuditTrail(home / "audit.sqlite", session_id="make-demo")
    try:
        frame = trail.to_dataframe(since=since)
        try:
            import pyarrow  # noqa: F401  (only to choose the format)

            target = out / "audit.parquet"
        except ImportError:
            target = out / "audit.csv"
        return trail.export(target, since=since), frame
    finally:
        trail.close()


def run_notebook_demo(notebook: Path, out: Path) -> int:
    """``make demo``: execute ``notebook`` headless, export its audit, print a summary."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    home = out / "home"
    offline = os.environ.get("ORCHESTRATION_OFFLINE") or "auto"
    print(f"Executing {_shown(notebook)} in a real kernel (ORCHESTRATION_OFFLINE={offline}).")
    print(f"Models without a key are answered by the {_stand_in()}.")
    started = datetime.now(UTC)
    executed = execute_notebook(notebook, home, offline=offline)
    target = out / f"{notebook.stem}.executed.ipynb"
    nbformat.write(executed, target)
    export, frame = _export_audit(home, out, started)
    print()
    print("\n".join(summarise_audit(frame)))
    print()
    print(f"executed notebook: {_shown(target)}")
    print(f"audit export:      {_shown(export)} ({len(frame)} rows)")
    print("open the notebooks: make lab")
    return 0


def _stand_in() -> str:
    """Which offline stand-in the kernel will use, in words."""
    sys.path.insert(0, str(ROOT))
    from orchestration_kernel.offline import offline_model_from_env

    if offline_model_from_env() == "local":
        return "local model (SmolLM2-135M on this machine: real answers, fluent, often wrong)"
    return "simulator (it echoes the prompt; ORCHESTRATION_OFFLINE_MODEL=local for a real model)"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def refresh_notebooks(paths: Sequence[Path]) -> int:
    """Re-execute each notebook in place (fresh home, offline simulator) for nbval."""
    import nbformat

    for path in paths:
        with tempfile.TemporaryDirectory() as home:
            executed = execute_notebook(
                path, Path(home), offline="auto", hermetic=True, offline_model="sim"
            )
        nbformat.write(executed, path)
        print(f"refreshed {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``--refresh NOTEBOOK…`` re-executes notebooks in place; otherwise run the demo."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", nargs="+", type=Path, metavar="NOTEBOOK")
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="where the demo writes")
    args = parser.parse_args(argv)
    if args.refresh:
        return refresh_notebooks(args.refresh)
    return run_notebook_demo(ROOT / "notebooks" / "quickstart.ipynb", args.out)


if __name__ == "__main__":
    raise SystemExit(main())
