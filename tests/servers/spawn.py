"""Subprocess mode: run a wire server in its own process (benchmarks, other kernels).

``python -m tests.servers openai --port 0 --latency 0.2`` prints ``READY http://127.0.0.1:PORT``
and serves until killed. :func:`spawn_server` does that for you and returns a handle that
reaches the ``/_control`` routes over loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from .base import LoggedRequest
from .faults import Fault

__all__ = ["SpawnedServer", "spawn_server"]

_ROOT = Path(__file__).resolve().parents[2]  # the project root, so ``-m tests.servers`` imports
#: the path (after ``url``) each provider's SDK wants as ``base_url``
BASE_PATHS: dict[str, str] = {
    "openai": "/v1",
    "anthropic": "",
    "gemini": "",
    "perplexity": "",
    "token": "",
}


class SpawnedServer:
    """A wire server running in a child process; stop it with :meth:`stop` or ``with``."""

    def __init__(self, kind: str, process: subprocess.Popen[str], url: str) -> None:
        self.kind = kind
        self.process = process
        self.url = url
        self.base_url = url + BASE_PATHS.get(kind, "")

    @property
    def requests(self) -> list[LoggedRequest]:
        """The child's request log, via ``GET /_control/requests``."""
        return [LoggedRequest(**entry) for entry in self._control("GET", "requests")]

    def script(self, fault: Fault, model: str | None = None, times: int | None = 1) -> None:
        """Script a fault in the child, via ``POST /_control/script``."""
        self._control(
            "POST", "script", {"fault": fault.model_dump(), "model": model, "times": times}
        )

    def configure(self, **settings: Any) -> None:
        """Set ``latency``, ``chunk_count``, ``reply_text`` or ``replies`` in the child."""
        self._control("POST", "config", settings)

    def clear(self) -> None:
        """Clear the child's log and scripted faults."""
        self._control("POST", "clear", {})

    def stop(self) -> None:
        """Terminate the child and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> SpawnedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<SpawnedServer {self.kind} {self.url} pid={self.process.pid}>"

    def _control(self, method: str, name: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}/_control/{name}",
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:  # loopback only
            return json.loads(resp.read())


def spawn_server(
    kind: str,
    *,
    port: int = 0,
    latency: float = 0.0,
    timeout: float = 20.0,
    extra_args: list[str] | None = None,
) -> SpawnedServer:
    """Start ``python -m tests.servers KIND`` and wait for its ``READY`` line."""
    if kind not in BASE_PATHS:
        raise ValueError(f"unknown server kind {kind!r}; choose one of {sorted(BASE_PATHS)}")
    args = [
        sys.executable,
        "-m",
        "tests.servers",
        kind,
        "--port",
        str(port),
        "--latency",
        str(latency),
        *(extra_args or []),
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    process = subprocess.Popen(args, cwd=_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    url = _await_ready(process, timeout)
    return SpawnedServer(kind, process, url)


def _await_ready(process: subprocess.Popen[str], timeout: float) -> str:
    """Read the child's first line; kill it if it is not ``READY <url>`` in time."""
    import threading

    line: list[str] = []
    reader = threading.Thread(
        target=lambda: line.append(process.stdout.readline()),  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    reader.join(timeout)
    text = line[0].strip() if line else ""
    if not text.startswith("READY "):
        process.kill()
        process.wait(5)
        raise RuntimeError(f"wire server did not start (first line: {text!r})")
    return text.split(" ", 1)[1]
