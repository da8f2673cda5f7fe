"""The embedded model's server process: ``python -m orchestration_kernel.providers.llama_child``.

It loads a GGUF file with xllamacpp (llama.cpp's own OpenAI-compatible HTTP server, in a
wheel), prints one JSON line on stdout — ``{"address": "http://127.0.0.1:PORT"}`` or
``{"error": ..., "kind": ...}`` — and serves until its stdin closes. The parent
(:mod:`.local_server`) holds that stdin, so the server ends with the kernel even when the
kernel is killed. The parent sends this process's stderr (llama.cpp's ~70 log lines per
start) to a log file, which is how they are kept out of notebooks and the demo.

It runs in a process of its own because llama.cpp cannot be stopped or restarted inside
one, writes to file descriptor 2 directly, and takes its thread settings from the
environment (``OMP_WAIT_POLICY``) at start.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

__all__ = ["GGUF_MAGIC", "TOKEN_ENV", "check_model_file", "main"]

#: The first four bytes of every GGUF file.
GGUF_MAGIC = b"GGUF"
#: The variable through which the parent hands the server its API key.
TOKEN_ENV = "ORCHESTRATION_LOCAL_TOKEN"


def check_model_file(path: str) -> tuple[str, str] | None:
    """``(kind, message)`` when ``path`` cannot be a loadable GGUF model, else None."""
    if not os.path.isfile(path):
        return "missing", f"the model file {path} does not exist"
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        return "missing", f"the model file {path} cannot be read: {exc.strerror}"
    if head != GGUF_MAGIC:
        return "corrupt", f"the model file {path} is not a GGUF model (it starts {head!r})"
    return None


def _answer(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def _params(args: argparse.Namespace) -> Any:
    import xllamacpp  # type: ignore[import-untyped]

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.n_parallel = args.parallel
    params.n_ctx = args.ctx * args.parallel  # the context is shared among the slots
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    # Room beyond the slots: queued requests hold a thread, and /health must still answer.
    params.n_threads_http = args.parallel + 4
    params.endpoint_slots = True
    params.endpoint_metrics = True
    params.ui = False
    params.verbosity = 1  # warnings and errors only: the log must not grow per request
    # A key from the parent (through the environment, not argv, which `ps` shows): other
    # local processes, and web pages a browser opens, cannot use the server.
    token = os.environ.get(TOKEN_ENV)
    if token:
        params.api_keys = [token]
    return params


def main(argv: list[str] | None = None) -> int:
    """Start the server, report its address (or why not), serve until stdin closes."""
    parser = argparse.ArgumentParser(prog="llama_child")
    parser.add_argument("--model", required=True)
    parser.add_argument("--alias", default="smollm2")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=2048)
    args = parser.parse_args(argv)
    problem = check_model_file(args.model)
    if problem is not None:
        _answer(kind=problem[0], error=problem[1])
        return 2
    try:
        import xllamacpp  # its absence is a missing extra, not a damaged file
    except ImportError:
        _answer(kind="no-runtime", error="xllamacpp (llama.cpp for Python) is not installed")
        return 2
    try:
        server = xllamacpp.Server(_params(args))
    except Exception as exc:  # llama.cpp says why only in its log; the parent reads it
        _answer(kind="start", error=str(exc))
        return 3
    _answer(address=server.listening_address, pid=os.getpid())
    sys.stdin.buffer.read()  # until the parent closes the pipe or dies
    # Skip interpreter teardown: llama.cpp's threads need not be joined one by one.
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
