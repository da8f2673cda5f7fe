"""Drive LiteLLM's ``acompletion`` from inside ``.venv-bench`` (stdlib + litellm only).

``python bench/litellm_driver.py BASE_URL API_KEY`` reads one JSON command a line on
stdin and answers one line ``@@BENCH {json}`` on stdout (other output is LiteLLM's own):

- ``{"op": "seq", "n": N, "prefix": P}`` → ``{"us": [...]}``: N calls one at a time;
- ``{"op": "conc", "n": N, "concurrency": C, "prefix": P}`` → ``{"wall_s", "errors"}``;
- ``{"op": "quit"}``.

The first line it prints is ``{"version", "import_s"}``. The cost-map download and
telemetry are switched off before LiteLLM is imported; retries are off, as for the
raw SDK, so every client makes exactly one request per call.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

# This file runs as a script: its folder (bench/) must not shadow any module LiteLLM imports.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch
os.environ.setdefault("LITELLM_TELEMETRY", "False")
os.environ.setdefault("LITELLM_LOG", "ERROR")

_T0 = time.perf_counter()
import litellm  # noqa: E402

_IMPORT_S = time.perf_counter() - _T0
litellm.telemetry = False
litellm.suppress_debug_info = True
litellm.drop_params = True

MODEL = "openai/gpt-4o-mini"


def _say(payload: dict[str, Any]) -> None:
    sys.stdout.write("@@BENCH " + json.dumps(payload) + "\n")
    sys.stdout.flush()


async def _call(base_url: str, key: str, prompt: str) -> None:
    await litellm.acompletion(
        model=MODEL, messages=[{"role": "user", "content": prompt}],
        api_base=base_url, api_key=key, max_retries=0, num_retries=0,
    )  # fmt: skip


async def _seq(base_url: str, key: str, n: int, prefix: str) -> dict[str, Any]:
    out: list[float] = []
    for i in range(n):
        t = time.perf_counter()
        await _call(base_url, key, f"{prefix} {i:06d}")
        out.append((time.perf_counter() - t) * 1e6)
    return {"us": out}


async def _conc(base_url: str, key: str, n: int, concurrency: int, prefix: str) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await _call(base_url, key, f"{prefix} {i:06d}")

    t = time.perf_counter()
    done = await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)
    errors = [repr(d)[:200] for d in done if isinstance(d, BaseException)]
    return {"wall_s": time.perf_counter() - t, "errors": len(errors), "first_error": errors[:1]}


async def _serve(base_url: str, key: str) -> None:
    from importlib.metadata import version

    _say({"version": version("litellm"), "import_s": _IMPORT_S})
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        cmd = json.loads(line)
        if cmd["op"] == "quit":
            return
        if cmd["op"] == "seq":
            _say(await _seq(base_url, key, cmd["n"], cmd["prefix"]))
        else:
            _say(await _conc(base_url, key, cmd["n"], cmd["concurrency"], cmd["prefix"]))


if __name__ == "__main__":
    asyncio.run(_serve(sys.argv[1], sys.argv[2]))
