"""A real ``redis-server`` for tests: a random loopback port, no persistence, a temp dir.

``redis_server`` (a pytest fixture, registered in ``tests/conftest.py``) starts one per
test and kills it at the end. Tests that use it are marked ``redis``: where the binary is
missing they skip with the reason, and under CI (``CI`` set) such a skip fails the run
(the hook in ``tests/conftest.py``); ``make test`` installs the server there.
"""

from __future__ import annotations

import contextlib
import re
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


_PROCESS_ID = re.compile(rb"process_id:(\d+)\r\n")


def _command(*args: str) -> bytes:
    """One command in the Redis protocol (RESP), whatever its arguments hold."""
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RedisServer:
    """One ``redis-server`` process; :meth:`stop` and :meth:`start` keep its port.

    The port is picked free, then bound by the server: another process (the other xdist
    worker's servers) can take it in between. The first start then tries another port,
    and a start only counts once *this* server answers on the port, so a test never
    talks to a server another test started.
    """

    def __init__(
        self, directory: Path, port: int | None = None, extra: tuple[str, ...] = ()
    ) -> None:
        self.directory = directory
        self._port_fixed = port is not None  # given, or already handed out in a URL
        self.port = port or _free_port()
        #: More ``redis-server`` arguments (``("--requirepass", pw)``).
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start the server and wait until it answers (on a new port if the first was
        taken meanwhile, unless the port is fixed)."""
        for _ in range(5):
            if self._start_once():
                self._port_fixed = True  # the URL is out: a restart must keep it
                return self
            if self._port_fixed:
                break
            self.port = _free_port()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def _start_once(self) -> bool:
        """Start the server; True once it answers, False if it could not take the port."""
        binary = shutil.which("redis-server")
        assert binary, MISSING_REASON
        process = self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory), "--protected-mode", "no",
             *self.extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60  # a hang guard: a busy machine starts it slowly
        while self.answering_pid() != process.pid:
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                return False
            time.sleep(0.01)
        return True

    def answering_pid(self) -> int | None:
        """The process id of the server answering on the port (None: nobody answers, or
        an error such as a refused password)."""
        request = b""
        if "--requirepass" in self.extra:  # a server that wants a password gets it first
            request += _command("AUTH", self.extra[self.extra.index("--requirepass") + 1])
        request += _command("INFO", "server")
        reply = b""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                sock.sendall(request)
                while (found := _PROCESS_ID.search(reply)) is None:
                    if reply.startswith(b"-") or b"\r\n-" in reply:
                        return None
                    chunk = sock.recv(65536)
                    if not chunk:
                        return None
                    reply += chunk
        except OSError:
            return None
        return int(found.group(1))

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
