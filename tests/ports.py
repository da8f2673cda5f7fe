"""Loopback ports for tests that need one where nothing listens.

Picking a free port, closing it and using its number later leaves a gap in which
another process (the suite's other xdist worker starts servers all the time) can take
it; a test that expected "connection refused" then talks to someone else's server.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections for the whole ``with`` body: bound by us,
    so no other process can take it meanwhile, and never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
