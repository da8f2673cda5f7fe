"""nbval settings for the notebooks: the sanitize file by default, and ``update_display``.

``pytest --nbval notebooks/`` (strict: outputs are compared) works with no other option.

Why the patch: a live view is shown once and then *replaced* by its final state with
``update_display_data``. JupyterLab, nbclient (``make demo``) and nbconvert all apply that
update, so a saved notebook holds the finished run. nbval 0.11 ignores the message
("unhandled iopub msg") and would compare the state at display time ("pending") with the
saved one. This applies the update to the output it names, as every frontend does, before
nbval compares.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")


def pytest_configure(config: pytest.Config) -> None:
    """Default the sanitize file, run the kernels on the simulator, and teach nbval
    ``update_display_data``."""
    option = config.option
    if getattr(option, "nbval", False) or getattr(option, "nbval_lax", False):
        # The saved outputs come from the simulator: the kernels nbval starts inherit this.
        os.environ["ORCHESTRATION_OFFLINE_MODEL"] = "sim"
        if getattr(option, "nbval_sanitize_with", None) is None:
            option.nbval_sanitize_with = str(SANITIZE)
        _patch_nbval()


def _patch_nbval() -> None:
    from nbformat import NotebookNode
    from nbval.plugin import IPyNbFile

    if getattr(IPyNbFile, "_applies_display_updates", False):
        return
    original = IPyNbFile.get_kernel_message

    def get_kernel_message(self: Any, timeout: float | None = None, stream: str = "iopub") -> Any:
        shown: dict[str, NotebookNode] = self.__dict__.setdefault("_displays", {})
        while True:
            msg = original(self, timeout=timeout, stream=stream)
            content = msg.get("content", {})
            display_id = (content.get("transient") or {}).get("display_id")
            if msg.get("msg_type") == "update_display_data":
                data = shown.get(display_id) if display_id else None
                if data is not None:  # nbval stores this very node as the output's data
                    data.clear()
                    data.update(content.get("data", {}))
                continue
            if msg.get("msg_type") in ("display_data", "execute_result") and display_id:
                content["data"] = shown[display_id] = NotebookNode(content.get("data", {}))
            return msg

    IPyNbFile.get_kernel_message = get_kernel_message
    IPyNbFile._applies_display_updates = True
