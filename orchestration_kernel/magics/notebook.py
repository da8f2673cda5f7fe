"""Which notebook is this kernel running? The session id derives from its path.

Session context (the conversation, ``context:`` values) is kept per session id, so a
notebook whose id is stable keeps its context across a kernel restart. The frontends
say where the notebook is in different ways:

- ``ORCHESTRATION_SESSION_ID`` (set by you): used as is;
- JupyterLab / Notebook (jupyter_server) set ``JPY_SESSION_NAME`` in the kernel's
  environment, and ipykernel copies it to ``__session__`` in the namespace;
- VS Code sets ``__vsc_ipynb_file__`` in the namespace;
- papermill injects parameters: ``-p PAPERMILL_INPUT_PATH nb.ipynb`` (or
  ``orchestration_session``), which papermill-run notebooks may take from its CLI.

Without any of these (plain nbclient, a console) the id is the process's own, and the
magics say once which one is used and how to pin it (``%orchestrate session NAME``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["notebook_session", "session_id_for_path"]

#: Namespace names that hold the notebook's path, by frontend.
_PATH_NAMES = (
    ("__vsc_ipynb_file__", "VS Code (__vsc_ipynb_file__)"),
    ("__session__", "the notebook server (__session__)"),
    ("PAPERMILL_INPUT_PATH", "papermill's parameters (PAPERMILL_INPUT_PATH)"),
)


def session_id_for_path(path: str) -> str:
    """``nb-<stem>-<hash of the absolute path>``: the same notebook, the same id
    (the form :func:`orchestration_kernel.session.default_session_id` uses)."""
    import hashlib  # here, not at load: OpenSSL's hashlib is a few ms to import

    digest = hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:12]
    return f"nb-{Path(path).stem}-{digest}"


def notebook_session(
    user_ns: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """``(session id, where it came from)`` for this kernel's notebook, or
    ``(None, "")`` when no frontend said which notebook this is."""
    env = os.environ if environ is None else environ
    explicit = env.get("ORCHESTRATION_SESSION_ID")
    if explicit:
        return explicit, "ORCHESTRATION_SESSION_ID"
    pinned = user_ns.get("orchestration_session")
    if isinstance(pinned, str) and pinned.strip():
        return pinned.strip(), "the orchestration_session parameter"
    if env.get("JPY_SESSION_NAME"):
        return session_id_for_path(
            env["JPY_SESSION_NAME"]
        ), "the notebook server (JPY_SESSION_NAME)"
    for name, source in _PATH_NAMES:
        value = user_ns.get(name)
        if isinstance(value, str) and value.strip():
            return session_id_for_path(value.strip()), source
    return None, ""
