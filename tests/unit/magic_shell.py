"""An IPython shell with ``%load_ext orchestration_kernel``, as the magic tests use it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from IPython import get_ipython
from IPython.testing.globalipapp import start_ipython


def magic_shell(monkeypatch: pytest.MonkeyPatch, names: Iterable[str] = ()) -> Iterator[Any]:
    """Yield the process's shell with the extension loaded and every model on the offline
    simulator; afterwards unload it and drop ``names`` from the user namespace."""
    monkeypatch.setenv("ORCHESTRATION_OFFLINE", "on")
    shell = start_ipython() or get_ipython()  # a process-wide singleton
    shell.run_line_magic("load_ext", "orchestration_kernel")
    yield shell
    shell.run_line_magic("unload_ext", "orchestration_kernel")
    for name in (*names, "_orchestrate"):
        shell.user_ns.pop(name, None)
