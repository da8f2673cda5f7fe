"""A real ``redis-server`` for tests: a random loopback port, no persistence, a temp dir.

``redis_server`` (a pytest fixture, registered in ``tests/conftest.py``) starts one per
test and kills it at the end. Tests that use it are marked ``redis``: where the binary is
missing they skip with the reason, and under CI (``CI`` set) such a skip fails the run
(the hook in ``tests/conftest.py``); ``make test`` installs the server there.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["MISSING_REASON", "RedisServer", "redis_server", "running_redis"]

MISSING_REASON = (
    "redis-server is not installed (apt-get install redis-server); make test installs it under CI"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process; :meth:`stop` and :meth:`start` keep its port."""

    def __init__(
        self, directory: Path, port: int | None = None, extra: tuple[str, ...] = ()
    ) -> None:
        self.directory = directory
        self.port = port or _free_port()
        #: More ``redis-server`` arguments (``("--requirepass", pw)``).
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start the server and wait until it answers PING."""
        binary = shutil.which("redis-server")
        assert binary, MISSING_REASON
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory), "--protected-mode", "no",
             *self.extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def ping(self) -> bool:
        """True when the server answers PING."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith((b"+PONG", b"-NOAUTH"))  # up, wants a password
        except OSError:
            return False

    def stop(self) -> None:
        """Kill the server (its data goes with it: no persistence)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


@contextlib.contextmanager
def running_redis(*extra: str) -> Iterator[RedisServer]:
    """A redis-server in a temp dir for the ``with`` body (``extra``: more arguments);
    skips where it is missing."""
    if shutil.which("redis-server") is None:
        pytest.skip(MISSING_REASON)
    with tempfile.TemporaryDirectory(prefix="redis-test-") as directory:
        server = RedisServer(Path(directory), extra=extra).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server on a random loopback port, killed after the test."""
    with running_redis() as server:
        yield server
