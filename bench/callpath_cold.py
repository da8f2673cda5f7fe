"""Why the Guardian costs ~3× more inside a call than in a hot loop:
``python -m bench.callpath_cold``.

``python -m bench.callpath_cold [--rounds 3] [--calls 400] [--sleep-ms 2]``

A diagnostic for issue 24, not a bench section. One OpenAI wire server (its own
process, a 500-character reply), one engine with the Guardian on and the audit off.
Each round measures the thread CPU (``time.thread_time``: no waiting, no other thread)
of the Guardian's input check (the 1 KB prompt) and output check (the reply), median
per check, three ways, on the same runtime thread:

- ``in a call``: inside ``engine.complete`` (the checks timed around
  ``Guardian._evaluate``);
- ``hot loop``: the same kind of request and reply checked back to back, nothing between;
- ``after a sleep``: the same loop with ``--sleep-ms`` of ``asyncio.sleep`` before each
  check: the thread gives up its core, as it does while a call waits on the network.

If ``after a sleep`` is close to ``in a call`` and both are well above ``hot loop``,
the gap is not work the call path adds around the checks but the checks running on a
cold core (caches and predictors refilled after the thread slept and other processes
ran): only touching less memory per check makes them cheaper there.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL = "gpt-4o-mini"
KEY = "sk-cold-" + "z" * 24
REPLY = ("The answer, in short: " + "x" * 500)[:500]


def _prompt(tag: str) -> str:
    head = f"{tag}: summarise the following. "
    return head + ("lorem ipsum dolor sit amet " * 60)[: 1024 - len(head)]


async def _round(base_url: str, calls: int, sleep_s: float) -> dict[str, tuple[float, float]]:
    from orchestration_kernel import OrchestrationEngine
    from orchestration_kernel.guardian import GuardContext, Guardian
    from orchestration_kernel.models import ChatRequest, Message

    times: dict[str, list[float]] = {"input": [], "output": []}
    original = Guardian._evaluate

    async def timed(self: Guardian, text: str, ctx: Any, stage: Any) -> Any:
        began = time.thread_time()
        try:
            return await original(self, text, ctx, stage)
        finally:
            times[stage].append((time.thread_time() - began) * 1e6)

    eng = OrchestrationEngine(
        offline="off", audit=False, keys={"openai": KEY}, base_urls={"openai": base_url}
    )
    guardian = eng.guardian
    assert guardian is not None
    out: dict[str, tuple[float, float]] = {}
    Guardian._evaluate = timed  # type: ignore[method-assign]
    try:
        for i in range(50):  # warm-up: clients, prefilters, memos
            await eng.complete(f"openai:{MODEL}", _prompt(f"warm {i}"))
        for mode in ("in a call", "hot loop", "after a sleep"):
            times["input"].clear()
            times["output"].clear()
            if mode == "in a call":
                for i in range(calls):
                    await eng.complete(f"openai:{MODEL}", _prompt(f"call {i}"))
            else:
                pause = sleep_s if mode == "after a sleep" else 0.0

                async def checks(pause: float = pause, mode: str = mode) -> None:
                    ctx = GuardContext(model=f"openai:{MODEL}", provider="openai")
                    for i in range(calls):
                        message = Message(role="user", content=_prompt(mode + str(i)))
                        request = ChatRequest(model=MODEL, messages=[message])
                        if pause:
                            await asyncio.sleep(pause)
                        await guardian.check_request(request, ctx)
                        if pause:
                            await asyncio.sleep(pause)
                        await guardian.check_output(REPLY, ctx)

                await eng.runtime.run(checks())
            out[mode] = (statistics.median(times["input"]), statistics.median(times["output"]))
    finally:
        Guardian._evaluate = original  # type: ignore[method-assign]
        eng.close()
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print each way's medians (µs of thread CPU per check)."""
    p = argparse.ArgumentParser(prog="python -m bench.callpath_cold")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--calls", type=int, default=400, help="checks of each kind per way")
    p.add_argument("--sleep-ms", type=float, default=2.0)
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.servers import spawn_server

    rounds: list[dict[str, tuple[float, float]]] = []
    with spawn_server("openai", latency=0.0) as server:
        server.configure(reply_text=REPLY)
        for r in range(args.rounds):
            got = asyncio.run(_round(server.base_url, args.calls, args.sleep_ms / 1000))
            rounds.append(got)
            print(f"[cold] round {r}: " + ", ".join(
                f"{k} {v[0]:.0f}/{v[1]:.0f}" for k, v in got.items()), file=sys.stderr)  # fmt: skip
    print("Guardian thread CPU per check, µs (median of rounds; input = 1 KB prompt, output =")
    print(f"a {len(REPLY)}-character reply), {args.rounds} rounds of {args.calls}:")
    for mode in rounds[0]:
        ins = statistics.median(r[mode][0] for r in rounds)
        outs = statistics.median(r[mode][1] for r in rounds)
        print(f"  {mode:14s} input {ins:7.1f}   output {outs:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
