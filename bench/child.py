"""One section in a fresh process: ``python -m bench.child SECTION SIZE OUT [OPTIONS_JSON]``.

It writes ``{"status": "ok"|"unavailable"|"error", ...}`` as JSON to ``OUT``. A section
whose component has not landed reports ``unavailable`` with the reason; any other
failure reports ``error`` with the traceback, so one broken row never stops the bench.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.common import Unavailable
from bench.sizes import FULL, SMOKE

__all__ = ["SECTIONS", "main", "run"]

#: Section name → module with ``measure(sizes, options) -> dict``.
SECTIONS = {
    "handoff": "bench.handoff",
    "overhead": "bench.overhead",
    "throughput": "bench.throughput",
    "http": "bench.wire",
    "memory": "bench.memory",
    "memory_probe": "bench.memory",
    "imports": "bench.imports",
    "audit": "bench.audit",
    "robustness": "bench.robustness",
    "guardian": "bench.guardian_speed",
    "shared": "bench.shared",
    "cluster": "bench.cluster",
    "local": "bench.local_model",
    "batch": "bench.batch",
}


#: Sections that measure a start from nothing (imports, memory): no warm imports there.
COLD_SECTIONS = frozenset({"imports", "memory", "memory_probe"})


def _warm_imports() -> None:
    """Import pandas and pyarrow before the clock starts, as a notebook has them: the
    audit's columnar copy imports them at its first append, a one-off that otherwise
    lands inside one repeat of whichever measurement reaches 4,096 rows first."""
    for name in ("pandas", "pyarrow", "pyarrow.ipc"):
        with contextlib.suppress(ImportError):  # a section without it says so itself
            importlib.import_module(name)


def run(section: str, size: str, options: dict[str, Any]) -> dict[str, Any]:
    """Measure ``section`` here and now; never raises."""
    sizes = SMOKE if size == "smoke" else FULL
    # Measure the Guardian as a kernel runs it once its prefilter database is built (and
    # leave no build writing into a section's temporary home after the section ends).
    os.environ.setdefault("ORCHESTRATION_GUARDIAN_PREFILTER", "wait")
    if section not in COLD_SECTIONS:
        _warm_imports()
    t0 = time.perf_counter()
    try:
        module = importlib.import_module(SECTIONS[section])
        fn = module.probe if section == "memory_probe" else module.measure
        figures = fn(sizes, options)
        out: dict[str, Any] = {"status": "ok", **figures}
    except Unavailable as exc:
        out = {"status": "unavailable", "reason": str(exc)}
    except Exception as exc:  # a broken row is reported, never fatal
        out = {
            "status": "error",
            "reason": f"{type(exc).__name__}: {exc}"[:500],
            "trace": traceback.format_exc()[-4000:],
        }
    out["seconds"] = round(time.perf_counter() - t0, 3)
    library = sys.modules.get("orchestration_kernel")
    out["library"] = str(Path(getattr(library, "__file__", "") or "").parent) if library else None
    return out


def main(argv: list[str]) -> int:
    """Entry point of the child process."""
    section, size, out = argv[:3]
    options = json.loads(argv[3]) if len(argv) > 3 else {}
    result = run(section, size, options)
    Path(out).write_text(json.dumps(result, default=str))
    _close_session()
    return 0


def _close_session() -> None:
    # Close the shared runtime (flushes audits, closes clients) so the process exits cleanly.
    try:
        from orchestration_kernel.session import Session

        Session.current().close()
    except Exception:  # nothing to close, or it was never started
        pass


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
