"""The IPython extension: ``%load_ext orchestration_kernel`` registers ``%%orchestrate``.

Loading is fast and light: it imports IPython's magic machinery and our small modules,
never a provider SDK, pandas or ipywidgets, nor the engine's pydantic models, the YAML
parser, the session and its runtime loop (asyncio): those load with the first cell that
uses them. One module-level import of the engine's side from here undoes it (it cost
~200 ms of CPU per kernel once); ``tests/unit/test_loadext_imports.py`` names the
modules that must stay out. The per-kernel
:class:`~orchestration_kernel.session.Session` owns the runtime loop, the engine, the bus
and the audit trail; every cell shares it, and ``%unload_ext`` closes it cleanly.

Modules: :mod:`.orchestrate` (the Magics class), :mod:`.args` (parsing and checks),
:mod:`.namespace` (``Err`` and what placeholders see), :mod:`.cells` and
:mod:`.commands` (the cell and line forms), :mod:`.runner` (blocking on the runtime),
:mod:`.display` (live progress; the widgets' seam), :mod:`.render` (``-f``),
:mod:`.errors` (clean messages for user mistakes).
"""

from __future__ import annotations

import contextlib
from typing import Any

from .errors import install_api_mistakes, remove_api_mistakes
from .orchestrate import OrchestrateMagics

__all__ = ["OrchestrateMagics", "load_ipython_extension", "unload_ipython_extension"]

_NAME = "OrchestrateMagics"


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics and the ``post_run_cell`` hook that records ``Err``."""
    if _NAME in ipython.magics_manager.registry:
        return  # already loaded: %load_ext twice is harmless
    magics = OrchestrateMagics(shell=ipython)
    ipython.register_magics(magics)
    ipython.events.register("post_run_cell", magics.errors.post_run_cell)
    install_api_mistakes(ipython)
    from .completion import register_completion
    from .shown_types import show_replies_masked
    from .status_view import show_status_in_cells
    from .unawaited import show_unawaited_calls

    # Tab after %orchestrate: commands, models, names.
    magics.completion = register_completion(ipython, magics)
    show_replies_masked(ipython)  # a Reply left as a cell's value: no credential shown
    show_unawaited_calls(ipython)  # engine.compare(...) without await: say what to write

    # Slow moments nobody asked for (the local model starting) say so in the cell.
    magics.stop_status = show_status_in_cells()
    # ``Err`` sits beside IPython's ``In`` and ``Out``, unless the user has their own.
    ipython.user_ns.setdefault("Err", magics.errors.records)


def unload_ipython_extension(ipython: Any) -> None:
    """Unregister everything and close the session (its loop, engine and clients)."""
    magics = ipython.magics_manager.registry.pop(_NAME, None)
    if magics is None:
        return
    stop_status = getattr(magics, "stop_status", None)
    if stop_status is not None:
        stop_status()
    for kind in ("line", "cell"):
        ipython.magics_manager.magics[kind].pop("orchestrate", None)
    with contextlib.suppress(ValueError):  # already gone
        ipython.events.unregister("post_run_cell", magics.errors.post_run_cell)
    waker = getattr(magics, "loop_waker", None)
    if waker is not None:
        waker.post_run_cell()
        for event, hook in (
            ("pre_run_cell", waker.pre_run_cell),
            ("post_run_cell", waker.post_run_cell),
        ):
            with contextlib.suppress(ValueError):
                ipython.events.unregister(event, hook)
    remove_api_mistakes(ipython)
    from .completion import unregister_completion

    unregister_completion(ipython, getattr(magics, "completion", None))
    if ipython.user_ns.get("Err") is magics.errors.records:
        del ipython.user_ns["Err"]
    magics.close()
