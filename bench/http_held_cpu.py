"""CPU of many held calls at once, before/after: ``python -m bench.http_held_cpu --base C``.

``python -m bench.http_held_cpu --base 0030c03 [--rounds 3] [--calls 800] [--hold 3]
[--client pipe|complete|raw] [--prompt short|1k]``

Issue 24's 1,000 held pipelines, measured by what a busy machine distorts least. Each
round starts one child per side (the ``--base`` commit unpacked with ``git archive``,
and this checkout), in alternating order. A child starts its own OpenAI wire server
(a 500-character reply), warms up with 20 calls one at a time, then has the server hold
every request ``--hold`` seconds and awaits ``--calls`` calls at once (a one-step
pipeline, Guardian and audit on; or ``engine.complete``; or the raw SDK), each with
``--prompt short`` (the default: what ``make bench``'s held section sends, ``held N``)
or the latency rows' 1 KB prompt (``1k``). It prints
the wall time, the errors, and the CPU seconds of the whole process and of each thread
(the caller's ``MainThread``, the runtime loop ``orchestration-kernel``, the
``audit-writer``) over those calls. The summary is each side's median per figure, and
the median after/before ratio of the runtime loop's CPU (the serial part: every call's
HTTP, Guardian and audit work runs on that one thread).

Under load the wall times say little, and the server (one Python process) may be too
slow to accept every connection in time (the raw SDK then reports connect timeouts; the
engine retries them).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import asyncio, json, os, sys, time
from bench.ab_callpath import KEY, MODEL, REPLY_CHARS, _prompt
from bench.callpath_threads import thread_cpu_ns
from tests.servers import spawn_server

async def main(url, server, n, hold, which, kind):
    import openai
    from orchestration_kernel import OrchestrationEngine
    wire = {"keys": {"openai": KEY}, "base_urls": {"openai": url}}
    sdk = openai.AsyncOpenAI(api_key=KEY, base_url=url, max_retries=0)
    eng = OrchestrationEngine(offline="off", **wire)
    step = [{"name": "answer", "model": f"openai:{MODEL}", "prompt": "{input}"}]
    async def raw(p):
        return await sdk.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": p}])
    call = {"pipe": eng.create_pipeline(step).execute, "raw": raw,
            "complete": lambda p: eng.complete(f"openai:{MODEL}", p)}[which]
    prompt = _prompt if kind == "1k" else str
    for i in range(20):
        await call(prompt(f"warm {i}"))
    server.configure(latency=hold)
    before, t, c = thread_cpu_ns(), time.perf_counter(), time.process_time()
    done = await asyncio.gather(*(call(prompt(f"held {i}")) for i in range(n)),
                                return_exceptions=True)
    wall, cpu, after = time.perf_counter() - t, time.process_time() - c, thread_cpu_ns()
    threads = {k: (v - before.get(k, 0)) / 1e9 for k, v in after.items()}
    out = {"wall_s": wall, "cpu_s": cpu,
           "errors": sum(isinstance(d, BaseException) for d in done),
           **{f"cpu_s {k}": v for k, v in threads.items() if v >= 0.01}}
    print("@@HELD " + json.dumps(out), flush=True)
    eng.close()

with spawn_server("openai", latency=0.0) as server:
    server.configure(reply_text=("The answer, in short: " + "x" * REPLY_CHARS)[:REPLY_CHARS])
    asyncio.run(main(server.base_url, server, int(sys.argv[1]), float(sys.argv[2]), sys.argv[3],
                     sys.argv[4]))
"""


def _side(root: Path, home: Path, args: argparse.Namespace) -> dict[str, float]:
    from bench.ab_callpath import run_child

    argv = [str(args.calls), str(args.hold), args.client, args.prompt]
    return run_child(root, home, _CHILD, argv, "@@HELD")


def main(argv: list[str] | None = None) -> int:
    """Run the interleaved rounds and print each round and the summary."""
    p = argparse.ArgumentParser(prog="python -m bench.http_held_cpu")
    p.add_argument("--base", required=True, help="the 'before' commit")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--calls", type=int, default=800)
    p.add_argument("--hold", type=float, default=3.0)
    p.add_argument("--client", choices=("pipe", "complete", "raw"), default="pipe")
    p.add_argument("--prompt", choices=("short", "1k"), default="short")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.ab_callpath import _unpack

    got: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="held-cpu-") as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        _unpack(args.base, base)
        roots = {"before": base, "after": ROOT}
        for r in range(args.rounds):
            for side in ("before", "after") if r % 2 == 0 else ("after", "before"):
                home = Path(tmp) / f"home-{side}-{r}"
                home.mkdir()
                got[side].append(_side(roots[side], home, args))
                shown = ", ".join(f"{k} {v:.2f}" for k, v in got[side][-1].items())
                print(f"[held] round {r} {side}: {shown}", flush=True)
    for side, rows in got.items():
        print(f"== {side}: {args.calls} {args.client} calls held {args.hold:g} s, "
              f"{args.prompt} prompts (medians)")  # fmt: skip
        for key in rows[0]:
            values = [row.get(key, 0.0) for row in rows]
            print(f"  {key:28s} {statistics.median(values):8.2f}")
    loop = "cpu_s orchestration-kernel"
    ratios = [
        a.get(loop, 0.0) / b[loop]
        for b, a in zip(got["before"], got["after"], strict=True)
        if b.get(loop)
    ]
    if ratios:
        shown = ", ".join(f"{x:.3f}" for x in ratios)
        print(f"runtime loop CPU after/before: ×{statistics.median(ratios):.3f} ({shown})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
