"""Before/after on the call path, interleaved in one run: ``python -m bench.ab_callpath``.

``python -m bench.ab_callpath --base 540279b [--rounds 5] [--calls 200] [--latency 0.005]
[--held 1000]``

One OpenAI wire server (its own process, no added latency unless ``--latency S`` adds S
seconds to each request, as the full bench's 5 ms; a 500-character reply) serves every
client. Each round starts one child process per side (``before``: the ``--base``
commit unpacked with ``git archive`` into a temporary directory; ``after``: this
checkout), alternating which side goes first, so the busy machine's drift hits both
alike. Inside a child the clients take turns call by call, the order rotating each turn:

- ``raw SDK``: ``openai.AsyncOpenAI.chat.completions.create``, 1 KB prompt;
- ``complete``: ``engine.complete`` with the Guardian and the audit on (the defaults);
- ``complete (off)``: the same with both off;
- ``one-step pipeline``: a one-step pipeline, Guardian and audit on (and again with the
  audit at ``synchronous="NORMAL"``, the opt-in setting).

A child reports each client's median µs and its overhead over the raw SDK's median in
that child; the summary is the median of the per-round overheads, with the median's
confidence interval (:func:`bench.stats.median_ci`: its true coverage shown; five rounds
give at most 93.8%, seven 98.4%) and every round's figure. ``--sim`` adds the simulated
three-step pipeline (steps/s and process CPU µs per step, one at a time and 300 at
once, Guardian and audit on);
``--held N`` adds N one-step pipelines (and N raw calls) at once, each held 3 s by the
server (wall minus the raw SDK's wall).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROMPT_BYTES = 1024
REPLY_CHARS = 500
MODEL = "gpt-4o-mini"
KEY = "sk-bench-" + "x" * 24


# -- the child: one side's measurements --------------------------------------------------
def _prompt(tag: str) -> str:
    head = f"{tag}: summarise the following. "
    return head + ("lorem ipsum dolor sit amet " * 60)[: PROMPT_BYTES - len(head)]


async def _child(
    base_url: str, calls: int, sim: bool, held: int, latency: float = 0.0
) -> dict[str, Any]:
    import openai

    from orchestration_kernel import OrchestrationEngine

    sdk = openai.AsyncOpenAI(api_key=KEY, base_url=base_url, max_retries=0)
    wire: dict[str, Any] = {"keys": {"openai": KEY}, "base_urls": {"openai": base_url}}
    full = OrchestrationEngine(offline="off", **wire)
    bare = OrchestrationEngine(offline="off", guardian=False, audit=False, **wire)
    # The opt-in durability setting (survives a killed process, not a power cut): the
    # run's commit then waits for no fsync.
    normal = OrchestrationEngine(offline="off", audit=_normal_trail(), **wire)
    step_normal = normal.create_pipeline(
        [{"name": "answer", "model": f"openai:{MODEL}", "prompt": "{input}"}]
    )
    step = full.create_pipeline(
        [{"name": "answer", "model": f"openai:{MODEL}", "prompt": "{input}"}]
    )

    async def raw(p: str) -> Any:
        return await sdk.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": p}]
        )

    clients = {
        "raw SDK": raw,
        "complete": lambda p: full.complete(f"openai:{MODEL}", p),
        "complete (off)": lambda p: bare.complete(f"openai:{MODEL}", p),
        "one-step pipeline": step.execute,
        "one-step pipeline (NORMAL)": step_normal.execute,
    }
    samples: dict[str, list[float]] = {k: [] for k in clients}
    cpu: dict[str, list[float]] = {k: [] for k in clients}
    names = list(clients)
    # The clients take turns call by call, the order rotating each turn, so a burst of
    # other work on the machine lands on all of them alike (batches of ten let a burst
    # fall on one client's batch); the first 20 turns are a warm-up.
    for i in range(-20, max(1, calls)):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            p = _prompt(f"{name} {i}")
            c, t = time.process_time(), time.perf_counter()
            await clients[name](p)
            if i >= 0:
                samples[name].append((time.perf_counter() - t) * 1e6)
                cpu[name].append((time.process_time() - c) * 1e6)
    med = {k: statistics.median(v) for k, v in samples.items()}
    # The mean, not the median: the audit writer and the bus work in bursts on their own
    # threads, and a median would leave those bursts out of the figure.
    cmed = {k: statistics.fmean(v) for k, v in cpu.items()}
    out: dict[str, Any] = {
        "median_us": med,
        "over_us": {k: v - med["raw SDK"] for k, v in med.items()},
        # CPU time of the whole process (every thread): what a busy machine distorts least.
        "cpu_over_us": {k: v - cmed["raw SDK"] for k, v in cmed.items()},
    }
    if sim:
        out["sim"] = await _sim()
    if held:
        out["held"] = await _held(base_url, clients, held, latency)
    for eng in (full, bare, normal):
        eng.close()
    return out


def _normal_trail() -> Any:
    import os

    from orchestration_kernel.audit import AuditTrail

    path = os.path.join(os.environ["ORCHESTRATION_HOME"], "audit-normal.sqlite")
    return AuditTrail(path, session_id="ab-normal", synchronous="NORMAL")


async def _sim() -> dict[str, float]:
    from orchestration_kernel import OrchestrationEngine

    eng = OrchestrationEngine(offline="on")
    steps = [
        {"model": "gpt-4", "task": "analysis"},
        {"model": "claude-3", "task": "synthesis"},
        {"model": "gemini-pro", "task": "validation"},
    ]
    pipe = eng.create_pipeline(steps)
    for i in range(20):
        await pipe.execute(f"warm {i}")
    n = 150
    t, c = time.perf_counter(), time.process_time()
    for i in range(n):
        await pipe.execute(f"seq {i}")
    seq = n * 3 / (time.perf_counter() - t)
    seq_cpu = (time.process_time() - c) / (n * 3) * 1e6
    m = 300
    t, c = time.perf_counter(), time.process_time()
    await asyncio.gather(*(pipe.execute(f"con {i}") for i in range(m)))
    con = m * 3 / (time.perf_counter() - t)
    con_cpu = (time.process_time() - c) / (m * 3) * 1e6
    eng.close()
    # Process CPU per step (every thread; the audit's commits after the last run are
    # outside it): what a busy machine distorts least.
    return {
        "seq_steps_per_s": seq, "con_steps_per_s": con,
        "seq_cpu_us_per_step": seq_cpu, "con_cpu_us_per_step": con_cpu,
    }  # fmt: skip


async def _held(base_url: str, clients: dict[str, Any], n: int, latency: float) -> dict[str, float]:
    import urllib.request

    def configure(latency: float) -> None:
        req = urllib.request.Request(
            base_url.rsplit("/v1", 1)[0] + "/_control/config",
            data=json.dumps({"latency": latency}).encode(),
            method="POST",
            headers={"content-type": "application/json"},
        )
        urllib.request.urlopen(req, timeout=10).read()

    configure(3.0)
    walls: dict[str, float] = {}
    try:
        for name in ("raw SDK", "one-step pipeline"):
            t = time.perf_counter()
            done = await asyncio.gather(
                *(clients[name](_prompt(f"held {i}")) for i in range(n)), return_exceptions=True
            )
            walls[name] = time.perf_counter() - t
            walls[name + " errors"] = sum(isinstance(d, BaseException) for d in done)
    finally:
        configure(latency)  # back to the run's own latency for the next rounds
    walls["over_s"] = walls["one-step pipeline"] - walls["raw SDK"]
    return walls


# -- the driver --------------------------------------------------------------------------
def _unpack(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_child(root: Path, home: Path, code: str, argv: list[str], tag: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter on ``root``'s engine (``home`` its
    ``ORCHESTRATION_HOME``) and return the JSON it printed after ``tag``."""
    from bench.runner import child_env

    env = child_env(home)
    env["PYTHONPATH"] = str(root)  # this side's engine, bench and tests
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=root, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    for line in proc.stdout.splitlines():
        if line.startswith(tag + " "):
            return dict(json.loads(line[len(tag) + 1 :]))
    raise RuntimeError(f"child at {root} failed:\n{proc.stderr[-3000:]}")


def _start_side(
    root: Path, base_url: str, args: argparse.Namespace, home: Path
) -> subprocess.Popen[str]:
    from bench.runner import child_env

    env = child_env(home)
    env["PYTHONPATH"] = str(root)  # this side's engine, not this checkout's
    # The child runs this file (run_path leaves sys.path alone) but imports the engine
    # from its own side's root.
    code = (
        f"import asyncio, json, runpy; m = runpy.run_path({__file__!r}); "
        f"print('@@AB ' + json.dumps(asyncio.run(m['_child']({base_url!r}, {args.calls}, "
        f"{args.sim}, {args.held}, {args.latency}))))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _collect(proc: subprocess.Popen[str], root: Path) -> dict[str, Any]:
    stdout, stderr = proc.communicate(timeout=900)
    for line in stdout.splitlines():
        if line.startswith("@@AB "):
            return dict(json.loads(line[5:]))
    raise RuntimeError(f"child at {root} failed:\n{stderr[-3000:]}")


def _run_side(root: Path, base_url: str, args: argparse.Namespace, home: Path) -> dict[str, Any]:
    return _collect(_start_side(root, base_url, args, home), root)


def _summary(rounds: list[dict[str, Any]], path: list[str]) -> str:
    vals = []
    for r in rounds:
        v: Any = r
        for k in path:
            v = v[k]
        vals.append(float(v))
    from bench.stats import median_ci

    low, high, level = median_ci(vals)
    return (
        f"median {statistics.median(vals):9.1f}  [{low:.0f}, {high:.0f}] at {level:.1%}"
        f"  (rounds: {', '.join(f'{x:.0f}' for x in vals)})"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the interleaved before/after rounds and print the summary."""
    p = argparse.ArgumentParser(prog="python -m bench.ab_callpath")
    p.add_argument("--base", default="06758f9", help="the 'before' commit")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--calls", type=int, default=200, help="calls per client per child")
    p.add_argument("--sim", action="store_true", help="add the simulated three-step pipeline")
    p.add_argument("--held", type=int, default=0, help="N held one-step pipelines at once")
    p.add_argument(
        "--latency", type=float, default=0.0, help="seconds the server adds to each request"
    )
    p.add_argument("--after-only", action="store_true")
    p.add_argument(
        "--paired",
        action="store_true",
        help="run each round's two children at the same time (a busy machine's drift then "
        "meets both; they share the cores, so only the CPU figures and ratios are meant)",
    )
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.servers import spawn_server

    results: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="ab-callpath-") as tmp:
        sides = {"after": ROOT}
        if not args.after_only:
            (Path(tmp) / "base").mkdir()
            sides["before"] = _unpack(args.base, Path(tmp) / "base")
        with spawn_server("openai", latency=args.latency) as server:
            server.configure(
                reply_text=("The answer, in short: " + "x" * REPLY_CHARS)[:REPLY_CHARS]
            )
            for r in range(args.rounds):
                order = list(sides) if r % 2 == 0 else list(reversed(sides))
                homes = {side: Path(tmp) / f"home-{side}-{r}" for side in order}
                for home in homes.values():
                    home.mkdir()
                if args.paired:  # both sides at once: each meets the same machine
                    procs = {
                        side: _start_side(sides[side], server.base_url, args, homes[side])
                        for side in order
                    }
                    got_all = {side: _collect(procs[side], sides[side]) for side in order}
                else:
                    got_all = {}
                    for side in order:
                        got_all[side] = _run_side(sides[side], server.base_url, args, homes[side])
                for side in order:
                    results[side].append(got_all[side])
                    print(
                        f"[ab] round {r} {side}: " + json.dumps(got_all[side]["over_us"]),
                        file=sys.stderr,
                        flush=True,
                    )
    for side, rounds in results.items():
        if not rounds:
            continue
        print(f"== {side} ({len(rounds)} rounds)")
        for name in rounds[0]["over_us"]:
            print(f"  {name:20s} over raw µs: {_summary(rounds, ['over_us', name])}")
            print(f"  {name:20s} CPU over µs: {_summary(rounds, ['cpu_over_us', name])}")
        print(f"  {'raw SDK':20s} µs:         {_summary(rounds, ['median_us', 'raw SDK'])}")
        if "sim" in rounds[0]:
            for k in rounds[0]["sim"]:
                print(f"  sim {k:16s}: {_summary(rounds, ['sim', k])}")
        if "held" in rounds[0]:
            for k in rounds[0]["held"]:
                print(f"  held {k:15s}: {_summary(rounds, ['held', k])}")
    if results["before"] and results["after"]:
        print(_ratios(results))
    return 0


def _ratios(results: dict[str, list[dict[str, Any]]]) -> str:
    """After/before of each CPU figure, round by round (the rounds are interleaved, so a
    round's two sides met the same machine), and the median of those ratios."""
    lines = ["== after/before, CPU (per round; below 1 is a gain)"]
    first = results["after"][0]
    paths = [["cpu_over_us", k] for k in first["cpu_over_us"] if k != "raw SDK"]
    paths += [["sim", k] for k in first.get("sim", {}) if k.endswith("cpu_us_per_step")]
    for path in paths:
        per_round = []
        for before, after in zip(results["before"], results["after"], strict=False):
            b, a = before[path[0]][path[1]], after[path[0]][path[1]]
            if b:
                per_round.append(a / b)
        if per_round:
            shown = ", ".join(f"{r:.3f}" for r in per_round)
            lines.append(f"  {path[1]:26s} ×{statistics.median(per_round):.3f}  (rounds: {shown})")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
