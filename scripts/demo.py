"""``make demo``: run the quickstart notebook headless in a real kernel and summarise it.

Offline unless provider keys are set (``ORCHESTRATION_OFFLINE=auto``). Until the
notebook exists, it makes one pipeline-free call on the simulator instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"
OUT = ROOT / "out"


def simulator_call() -> int:
    """One call on the offline simulator, printed."""
    from orchestration_kernel import OrchestrationEngine

    engine = OrchestrationEngine(offline=os.environ.get("ORCHESTRATION_OFFLINE", "auto"))
    reply = engine.complete_sync("gpt-4", "Say hello to a new orchestration-kernel user.")
    label = " (simulated)" if reply.simulated else ""
    print(f"{reply.model} -> {reply.resolved_model}{label} in {reply.latency_ms:.1f} ms")
    print(reply.text)
    return 0


def main() -> int:
    """Execute the quickstart notebook if present, else a single simulator call."""
    if not NOTEBOOK.exists():
        return simulator_call()
    from notebook_demo import run_notebook_demo  # type: ignore[import-not-found]

    return run_notebook_demo(NOTEBOOK, OUT)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
