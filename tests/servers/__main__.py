"""``python -m tests.servers KIND [--port N] [--latency S] ...``: serve until killed.

Prints ``READY http://127.0.0.1:PORT`` once listening, so a parent can wait for it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from .registry import SERVERS


def _raise_fd_limit() -> None:
    """Benchmarks hold 1,000+ connections: lift the soft open-files limit to the hard one."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the server in the foreground and announce READY."""
    parser = argparse.ArgumentParser(prog="python -m tests.servers", description=__doc__)
    parser.add_argument("kind", choices=sorted(SERVERS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="added seconds per request")
    parser.add_argument("--chunks", type=int, default=5, help="stream chunks per reply")
    parser.add_argument("--reply", default=None, help="fixed reply text (default: an echo)")
    args = parser.parse_args(argv)
    _raise_fd_limit()
    server = SERVERS[args.kind](
        host=args.host,
        port=args.port,
        latency=args.latency,
        chunk_count=args.chunks,
        reply_text=args.reply,
    )

    def ready(srv: object) -> None:
        print(f"READY {server.url}", flush=True)

    server.serve_forever(on_ready=ready)
    return 0


if __name__ == "__main__":
    sys.exit(main())
