"""Where one ``engine.complete`` spends its time, part by part: ``python -m bench.call_budget``.

Each part of the call path is timed alone (``timeit``, best of five repeats, µs per
call) with the objects a real call makes: a 1 KB prompt, an ``openai:gpt-4o-mini``
deployment, a 500-character reply. Parts run hot here (in a loop, caches warm), so the
sum is a floor: inside a real call, between the SDK's own work, each part runs colder.
The hop is a round trip of a no-op through :meth:`Runtime.run` from another loop, with
both threads otherwise idle. The last figures time the parts together: whole
``complete`` calls on the runtime loop with the network step replaced (CPU of the
process, the audit writer included), and one full pass of the cyclic GC over what the
engine keeps (a pause every call in its path pays when one happens). ``create's
transform`` is the SDK step that :mod:`orchestration_kernel.providers.openai_post` skips
(the raw SDK pays it).

``--guardian`` adds the parts that only run with the Guardian and the audit on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import timeit
from collections.abc import Callable, Coroutine
from typing import Any

KEY = "sk-bench-" + "x" * 24
MODEL = "openai:gpt-4o-mini"


#: system, fallbacks, json_output, then the rest unset: what ``complete()`` gives ``_spec``.
_REST = (None, None, False, *([None] * 9), (), {})


def _prompt() -> str:
    head = "budget: summarise the following. "
    return head + ("lorem ipsum dolor sit amet " * 60)[: 1024 - len(head)]


def _best(fn: Callable[[], object], number: int = 2000) -> float:
    fn()
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def _run_now(make: Callable[[], Coroutine[Any, Any, Any]]) -> Callable[[], None]:
    """A coroutine that never suspends, driven to its end without a loop round."""

    def go() -> None:
        coro = make()
        try:
            coro.send(None)
        except StopIteration:
            return
        raise RuntimeError("the part suspended: it cannot be timed alone")

    return go


async def _parts(guardian: bool) -> dict[str, float]:
    from orchestration_kernel import OrchestrationEngine
    from orchestration_kernel.calls import material_for
    from orchestration_kernel.models import Attempt, ProviderReply, Usage

    wire: dict[str, Any] = {
        "keys": {"openai": KEY},
        "base_urls": {"openai": "http://127.0.0.1:9/v1"},
    }
    eng = OrchestrationEngine(offline="off", guardian=guardian, audit=guardian, **wire)
    runner = eng._calls
    prompt = _prompt()
    args = (MODEL, prompt, *_REST)
    spec = eng._spec(*args)  # type: ignore[arg-type]
    spec.input_tokens = eng.estimate_tokens(spec.prompt_text())
    target = runner.picker.choose(MODEL, spec)
    request = runner._request(target, spec)
    raw = ProviderReply(
        text="x" * 500,
        finish_reason="stop",
        usage=Usage(input_tokens=300, output_tokens=120),
        response_model="gpt-4o-mini",
        extras={"id": "c1"},
    )
    reply = runner._make_reply(target, spec, request, raw, raw.text, 1.0, None, [])
    attempt = Attempt(number=1, model=MODEL, provider="openai", deployment="d", latency_ms=1.0)

    async def limited() -> None:
        async with asyncio.timeout(300), runner.picker.limit(target, spec) as permit:
            permit.settle(100)

    def choose_observe() -> None:
        chosen = runner.picker.choose(MODEL, spec)
        runner.picker.observe(chosen, attempt, reply, None)

    out = {
        "engine._spec (messages, checks, CallSpec)": _best(lambda: eng._spec(*args)),  # type: ignore[arg-type]
        "token estimate of the 1 KB prompt": _best(lambda: eng.estimate_tokens(spec.prompt_text())),
        "route: choose a deployment + give it back": _best(choose_observe),
        "limiter permit + attempt timeout": _best(_run_now(limited)),
        "request, attempt record": _best(
            lambda: (runner._request(target, spec), Attempt(number=1, model=MODEL, provider="o"))
        ),
        "reply: usage, cost, Reply": _best(
            lambda: runner._make_reply(target, spec, request, raw, raw.text, 1.0, None, [])
        ),
    }
    if guardian:
        guard = runner.guardian
        assert guard is not None
        ctx = runner._guard_context(target, spec, request)
        verdict, _ = await guard.check_request(request, ctx)
        out["Guardian context (cost estimate)"] = _best(
            lambda: runner._guard_context(target, spec, request)
        )
        out["Guardian check_request (gpii)"] = _best(
            _run_now(lambda: guard.check_request(request, ctx)), 300
        )
        out["Guardian check_output (gpii)"] = _best(
            _run_now(lambda: guard.check_output(raw.text, ctx)), 300
        )
        out["audit: request material (writer's thread)"] = _best(
            lambda: material_for(target.ref, request)
        )
        out["audit: route + 2 verdict + call rows queued"] = _best(
            lambda: (
                runner.recorder.route(spec, target),
                runner.recorder.verdict("input", verdict, spec, target),
                runner.recorder.verdict("output", verdict, spec, target),
                runner.recorder.attempt(attempt, spec, target, "", reply),
            ),
            500,
        )
    out["SDK: create's param transform (skipped)"] = await _transform_cost(prompt)
    out.update(await _whole_call(eng, target, raw))
    if guardian:
        out.update(await _in_path(eng, target, raw))
    eng.close()
    return out


#: The parts timed inside whole calls: (label, owner attribute path, method name).
_IN_PATH_PARTS = (
    ("token estimate", "runner", "estimate"),
    ("route: choose", "picker", "choose"),
    ("route: give back (observe)", "picker", "observe"),
    ("ChatRequest", "runner", "_request"),
    ("Guardian context", "runner", "_guard_context"),
    ("Guardian check_request", "guardian", "check_request"),
    ("Guardian check_output", "guardian", "check_output"),
    ("Reply", "runner", "_make_reply"),
    ("audit rows: route", "recorder", "route"),
    ("audit rows: 2 verdicts", "recorder", "verdict"),
    ("audit rows: call", "recorder", "attempt"),
    ("spend", "recorder", "spend"),
)


async def _in_path(eng: Any, target: Any, raw: Any) -> dict[str, float]:
    """Each part's thread CPU inside whole ``engine.complete`` calls made as a user makes
    them (from another loop: the hop included), Guardian and audit on, the adapter's HTTP
    step replaced by its reply; per call, the median of five batches of distinct prompts.

    The parts above run hot, one at a time; here they run between the others, as in a
    real call, where each finds less of its code and data in the CPU's caches. The same
    two Guardian checks are also timed alone, on the same kind of texts, for comparison.
    ``the rest of the runner`` is its CPU outside the named parts (attempt record,
    deadline, limiter, timeouts, the task); ``caller thread`` is ``complete``'s side of
    the hop (the spec, the hand-off, the wake-up) and the token estimate, which it makes
    while the runtime thread wakes up (also shown on its own line); ``audit writer
    thread`` encodes and commits the rows, and the flush after each batch (in the
    caller's thread, not counted as the caller's) commits what the writer had not reached
    yet. Each part's figure leaves out the cyclic-GC passes that started in it, which
    ``cyclic GC inside the runner`` shows (per call, averaged: a full pass over the heap
    is rare and long)."""
    import gc
    import statistics
    import threading

    runner = eng._calls
    owners = {
        "runner": runner,
        "picker": runner.picker,
        "recorder": runner.recorder,
        "guardian": runner.guardian,
    }
    spent: dict[str, int] = {}
    outside: dict[str, int] = {}  # of ``spent``: what ran outside the runtime thread
    # A cyclic-GC pass is paid by whichever part allocates when it starts: it is taken
    # out of that part (the innermost running) and shown on its own line.
    in_gc: dict[str, int] = {}
    running: list[str] = []
    gc_began = [0]
    clock = time.thread_time_ns

    def timed(label: str, fn: Any) -> Any:
        if asyncio.iscoroutinefunction(fn):

            async def part_async(*a: Any, **k: Any) -> Any:
                t = clock()
                running.append(label)
                try:
                    return await fn(*a, **k)
                finally:
                    running.pop()
                    spent[label] = spent.get(label, 0) + clock() - t

            return part_async

        def part(*a: Any, **k: Any) -> Any:
            t = clock()
            running.append(label)
            try:
                return fn(*a, **k)
            finally:
                running.pop()
                spent[label] = spent.get(label, 0) + clock() - t
                if threading.current_thread() is not runtime_thread:
                    outside[label] = outside.get(label, 0) + clock() - t

        return part

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if not running or threading.current_thread() is not runtime_thread:
            return
        if phase == "start":
            gc_began[0] = clock()
        else:
            in_gc[running[-1]] = in_gc.get(running[-1], 0) + clock() - gc_began[0]

    async def canned(client: object, request: object, timeouts: object) -> Any:
        return raw

    wrapped = [(owners[o], m) for _, o, m in _IN_PATH_PARTS] + [(runner, "run")]
    for label, owner, method in _IN_PATH_PARTS:
        setattr(owners[owner], method, timed(label, getattr(owners[owner], method)))
    runner.run = timed("runner", runner.run)  # instance attributes: classes left alone
    target.adapter._complete = canned
    threads = {t.name: t for t in threading.enumerate()}
    writer = threads.get("audit-writer")
    runtime_thread = eng.runtime._thread
    gc.callbacks.append(on_gc)

    def writer_ns() -> int:
        if writer is None or writer.ident is None:
            return 0
        return time.clock_gettime_ns(time.pthread_getcpuclockid(writer.ident))

    batches: list[dict[str, float]] = []
    try:
        for b in range(6):  # the first batch warms up
            n = 300
            spent.clear()
            outside.clear()
            in_gc.clear()
            main0, writer0 = clock(), writer_ns()
            for i in range(n):
                await eng.complete(MODEL, f"{b}-{i}: {_prompt()}"[:1024])
            caller = clock() - main0
            # What the writer thread has not committed yet is committed here, in this
            # thread: its own line, not the caller's (the calls never wait for it).
            eng.audit.flush()
            flushed, behind = clock() - main0 - caller, writer_ns() - writer0
            if b == 0:
                continue
            per = {k: (v - in_gc.get(k, 0)) / n / 1e3 for k, v in spent.items()}
            # The parts inside the runner: not those made in the caller's thread while
            # the runtime thread woke up (the token estimate: see Runtime.run meanwhile).
            named = sum(v - outside.get(k, 0) for k, v in spent.items() if k != "runner") / n / 1e3
            rest = spent["runner"] / n / 1e3 - named - in_gc.get("runner", 0) / n / 1e3
            del per["runner"]
            per["the rest of the runner"] = rest
            per["cyclic GC inside the runner"] = sum(in_gc.values()) / n / 1e3
            per["caller thread (spec, hop, what it does meanwhile)"] = caller / n / 1e3
            per["audit writer thread"] = behind / n / 1e3
            per["audit: the batch's last commit (flush)"] = flushed / n / 1e3
            batches.append(per)
        alone = await eng.runtime.run(_guardian_alone(runner.guardian, target, raw.text))
    finally:
        gc.callbacks.remove(on_gc)
        for owner, method in wrapped:
            vars(owner).pop(method, None)
        del target.adapter._complete
    out = {f"in the path: {k}": statistics.median(b[k] for b in batches) for k in batches[0]}
    out["Guardian check_request + check_output alone"] = alone
    return out


async def _guardian_alone(guard: Any, target: Any, reply: str) -> float:
    """µs of thread CPU for one check_request (a distinct 1 KB prompt) and one
    check_output (``reply``) back to back, nothing in between, on the runtime loop: the
    mean of 600 pairs after 100 to warm up (a mean, as the in-path figures are)."""
    import statistics

    from orchestration_kernel.guardian import GuardContext
    from orchestration_kernel.models import ChatRequest, Message

    ctx = GuardContext(model=target.ref, provider=target.provider, input_tokens=250)
    out = []
    for i in range(700):
        prompt = f"alone-{i}: {_prompt()}"[:1024]
        request = ChatRequest(model=target.model, messages=[Message(role="user", content=prompt)])
        t = time.thread_time_ns()
        await guard.check_request(request, ctx)
        await guard.check_output(reply, ctx)
        if i >= 100:
            out.append((time.thread_time_ns() - t) / 1e3)
    return statistics.fmean(out)


async def _whole_call(eng: Any, target: Any, raw: Any) -> dict[str, float]:
    """Every part at once: ``engine.complete`` run on the runtime loop (no hop), the
    adapter's HTTP step replaced by the reply it would have parsed. CPU time of the whole
    process (the audit writer's thread included), best of three batches of distinct
    prompts; and the cyclic GC's cost, which the parts above never trigger."""
    import gc

    adapter = target.adapter
    # Deployments share their adapter: this instance is the one every call below uses.
    assert eng._calls.picker.choose(MODEL, eng._spec(MODEL, "x", *_REST)).adapter is adapter

    async def canned(client: object, request: object, timeouts: object) -> Any:
        return raw

    prompts = [f"{i}: {_prompt()}"[:1024] for i in range(1300)]

    async def batch(ps: list[str]) -> float:
        c = time.process_time()
        for p in ps:
            await eng.complete(MODEL, p)
        return (time.process_time() - c) / len(ps) * 1e6

    full: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            full.append(time.process_time() if phase == "start" else -time.process_time())

    adapter._complete = canned  # an instance attribute: the class is left alone
    gc.callbacks.append(on_gc)
    try:
        await eng.runtime.run(batch(prompts[:100]))
        best = min(
            [await eng.runtime.run(batch(prompts[100 + i * 400 : 500 + i * 400])) for i in range(3)]
        )
    finally:
        gc.callbacks.remove(on_gc)
        del adapter._complete
    c = time.process_time()
    gc.collect()
    gen2 = (time.process_time() - c) * 1e6
    return {
        "whole call, no network, on the loop (CPU)": best,
        f"full GC pass ({len(gc.get_objects()):,} objects; {len(full) // 2} in 1,300 calls)": gen2,
    }


async def _transform_cost(prompt: str) -> float:
    from openai._utils import async_maybe_transform
    from openai.types.chat import completion_create_params

    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}
    kind = completion_create_params.CompletionCreateParamsNonStreaming
    n = 500
    await async_maybe_transform(body, kind)
    t = time.perf_counter()
    for _ in range(n):
        await async_maybe_transform(body, kind)
    return (time.perf_counter() - t) / n * 1e6


async def _hop() -> float:
    from orchestration_kernel.runtime import Runtime

    runtime = Runtime("budget-hop")

    async def noop() -> None:
        return None

    for _ in range(200):
        await runtime.run(noop())
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(2000):
            await runtime.run(noop())
        best = min(best, (time.perf_counter() - t) / 2000 * 1e6)
    runtime.close()
    return best


def main(argv: list[str] | None = None) -> int:
    """Print each part's µs per call."""
    p = argparse.ArgumentParser(prog="python -m bench.call_budget")
    p.add_argument("--guardian", action="store_true", help="add the Guardian and audit parts")
    args = p.parse_args(argv)
    os.environ.setdefault("ORCHESTRATION_HOME", tempfile.mkdtemp(prefix="call-budget-"))
    parts = {"hop: Runtime.run round trip (no-op)": asyncio.run(_hop())}
    parts.update(asyncio.run(_parts(args.guardian)))
    for name, us in parts.items():
        print(f"  {name:46s} {us:8.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
