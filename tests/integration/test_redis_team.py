"""Three real ipykernels on one Redis and one wire server: a team sharing one quota.

Each kernel is a separate process started through jupyter_client, with its own
ORCHESTRATION_HOME, and an engine made with ``redis=RedisSettings(url, window=2.0)``. The
pool ``team`` has one deployment limited to 60 requests per 2-second window. What the
server saw is the judge: its request log (arrival times on its own clock) and the prompts,
which name the kernel that sent them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_kernel import Frontend, kernel_env, text_of
from tests.redis_server import RedisServer, running_redis
from tests.servers import LoggedRequest, OpenAIServer

pytestmark = [pytest.mark.kernel, pytest.mark.slow, pytest.mark.timeout(300)]

LIMIT, WINDOW = 60, 2.0
#: Concurrent callers in each kernel during a load.
WORKERS = 20
#: The limiter books start times on Redis's clock, and those are checked exactly. A request
#: reaches the server later by however long its kernel waits to be scheduled: on a loaded
#: 2-core machine we measured p99 40 ms but single calls up to 0.6 s. Windows on the
#: server's arrival times are checked this much shorter than the limiter's, so scheduling
#: alone cannot fail the test, while kernels not sharing (3x) or a limiter admitting a
#: second window's worth would still fail it.
JITTER = 0.5

SETUP = """
import asyncio, json, time
from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.redis_link import RedisSettings

NAME = {name!r}
engine = OrchestrationEngine(redis=RedisSettings({url!r}, window={window}, retry_after=0.3))
engine.add_pool("team", [{{"model": "openai:gpt-4o-mini", "rpm": {limit}}}])
shared = engine.router.limiter.shared

async def load(start, seconds, workers=20):
    await asyncio.sleep(max(0.0, start - time.time()))
    shared.booked.clear()
    until, done, errors, waits = start + seconds, 0, [], []
    async def worker(w):
        nonlocal done
        n = 0
        while time.time() < until:
            try:
                began = time.time()
                await engine.complete("team", f"{{NAME}} worker {{w}} call {{n}}")
                waits.append(time.time() - began)
                done += 1
            except Exception as exc:
                errors.append(repr(exc))
            n += 1
    await asyncio.gather(*(worker(w) for w in range(workers)))
    return {{"done": done, "errors": errors[:3], "n_errors": len(errors), **shared.status(),
            "warnings": list(shared.warnings), "booked": [at for _, at in shared.booked],
            "mean_call_s": round(sum(waits) / max(1, len(waits)), 3)}}

await engine.complete("team", "warm-up")  # imports and connections: not part of the runs
"""


@pytest.fixture(scope="module")
def team(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[Frontend], OpenAIServer, RedisServer, list[Path]]]:
    """Three kernels, one wire server, one redis-server."""
    from jupyter_client.manager import start_new_kernel

    with running_redis() as redis, OpenAIServer() as server:
        kernels: list[Frontend] = []
        homes: list[Path] = []
        try:
            for i in range(3):
                home = tmp_path_factory.mktemp(f"team-home-{i}")
                homes.append(home)
                km, kc = start_new_kernel(
                    kernel_name="python3",
                    env=kernel_env(home, server),
                    cwd=str(home),
                    startup_timeout=90,
                )
                kernel = Frontend(km, kc)
                kernels.append(kernel)
                code = SETUP.format(name=f"K{i}", url=redis.url, window=WINDOW, limit=LIMIT)
                reply, msgs = kernel.run(code)
                assert reply["status"] == "ok", text_of(msgs)
            yield kernels, server, redis, homes
        finally:
            for kernel in kernels:
                kernel.kc.stop_channels()
                kernel.km.shutdown_kernel(now=True)


def _run_everywhere(kernels: list[Frontend], code: str, timeout: float = 120) -> list[Any]:
    """Run ``code`` (its last line prints JSON) in every kernel at once; the parsed outputs."""
    ids = [k.execute(code) for k in kernels]
    out = []
    for kernel, msg_id in zip(kernels, ids, strict=True):
        reply, msgs = kernel.wait(msg_id, timeout)
        text = text_of(msgs)
        assert reply["status"] == "ok", text
        out.append(json.loads(text.strip().splitlines()[-1]))
    return out


def _load(
    kernels: list[Frontend], seconds: float, workers: int = 20
) -> tuple[float, list[dict[str, Any]]]:
    start = time.time() + 1.5  # every kernel waits for the same moment, then goes
    code = f"print(json.dumps(await load({start!r}, {seconds!r}, {workers!r})))"
    return start, _run_everywhere(kernels, code)


def _busiest_window(requests: list[LoggedRequest], window: float) -> int:
    return _busiest([r.t_start for r in requests], window)


def _busiest(starts: list[float], window: float) -> int:
    """The most starts any ``window`` seconds hold."""
    times = sorted(starts)
    most, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def _mean_per_window(starts: list[float], first: float, last: float) -> float:
    """Mean number of ``starts`` in the windows ``(t, t + WINDOW]`` for t in [first, last - WINDOW].

    A start at ``a`` is in the windows with t in [a - WINDOW, a): its weight is the length of
    that interval inside the span, and the mean is the weights' sum over the span's length.
    """
    span = last - WINDOW - first
    weights = (min(a, last - WINDOW) - max(a - WINDOW, first) for a in starts)
    return sum(max(0.0, w) for w in weights) / span


def _kernel_of(request: LoggedRequest) -> str:
    text = json.dumps(request.json)
    return next(name for name in ("K0", "K1", "K2") if f"{name} worker" in text)


def test_three_kernels_share_one_quota(team: Any) -> None:
    kernels, server, _, _ = team
    server.clear()
    _, results = _load(kernels, seconds=6.0, workers=WORKERS)
    assert [r["n_errors"] for r in results] == [0, 0, 0], results
    assert all(r["mode"] == "shared" and r["kernels"] == 3 for r in results), results
    calls = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert sum(r["done"] for r in results) == len(calls)
    # 60 workers at loopback speed would make thousands of calls in 6 s: the quota bound.
    assert len(calls) > LIMIT
    # Exactly, on the starts each kernel was given (the Redis server's clock)...
    booked = [at for r in results for at in r["booked"]]
    assert len(booked) == len(calls)
    assert _busiest(booked, WINDOW - 0.001) <= LIMIT
    # ...and as the server saw them arrive.
    assert _busiest_window(calls, WINDOW - JITTER) <= LIMIT
    assert {_kernel_of(r) for r in calls} == {"K0", "K1", "K2"}
    # Fair shares while all three compete. Each kernel first books one slot per worker at
    # once, and the kernels reach Redis one after another; from the last of these opening
    # bursts on, every finished call books the next slot, so the queue turns in blocks of
    # one kernel's calls, and a count over any one span depends on where its ends cut a
    # block. Each kernel's rate is its mean count over every window of the limiter in the
    # span, which is the same whatever the blocks.
    first = max(sorted(r["booked"])[WORKERS - 1] for r in results)
    last = min(max(r["booked"]) for r in results)
    assert last - first >= 1.5 * WINDOW, (first, last)  # whole windows to average over
    shares = {f"K{i}": _mean_per_window(r["booked"], first, last) for i, r in enumerate(results)}
    mean = sum(shares.values()) / 3
    assert 3 * mean >= 0.8 * LIMIT, shares  # the windows were full: all three competed
    seen = {f"K{i}": (r["done"], r["mean_call_s"]) for i, r in enumerate(results)}
    assert all(abs(n - mean) <= 0.2 * mean for n in shares.values()), (shares, seen)


def test_a_publish_in_one_kernel_reaches_a_subscriber_in_another(team: Any) -> None:
    kernels, _, _, _ = team
    a, b, _ = kernels
    ok = b.value("sub = engine.bus.subscribe('team.#'); await engine.bus.get_context(); 'ready'")
    assert "ready" in ok
    a.value("await engine.bus.publish('team.hello', {'from': NAME})")
    got = b.value("m = await sub.get(timeout=20); (m.topic, m.data)")
    assert "('team.hello', {'from': 'K0'})" in got


def test_concurrent_context_merges_from_three_kernels(team: Any) -> None:
    kernels, _, _, _ = team
    code = (
        "vs = await asyncio.gather(*(engine.bus.update_context({f'{NAME}-{i}': i}, "
        "session_id='merges') for i in range(50)))\n"
        "print(json.dumps([v.version for v in vs]))"
    )
    versions = _run_everywhere(kernels, code)
    assert sorted(v for vs in versions for v in vs) == list(range(1, 151))
    check = (
        "h = await engine.bus.context_history('merges')\n"
        "print(json.dumps([[v.version, len(v.data)] for v in h]))"
    )
    history = json.loads(text_of(kernels[2].run(check)[1]).strip().splitlines()[-1])
    assert history == [[n, n] for n in range(1, 151)]  # contiguous, and nothing lost


def test_the_three_audits_read_together(team: Any) -> None:
    from orchestration_kernel.audit import AuditTrail

    kernels, _, _, homes = team
    for kernel in kernels:  # each kernel's rows committed
        kernel.value("engine.audit.flush()")
    trails = [AuditTrail(h / "audit.sqlite") for h in homes]
    try:
        frame = trails[0].to_dataframe(event="call", homes=homes[1:])
        alone = [len(t.to_dataframe(event="call")) for t in trails]
    finally:
        for t in trails:
            t.close()
    assert set(frame["home"]) == {str(h) for h in homes}
    assert len(frame) == sum(alone) and frame["timestamp"].is_monotonic_increasing


def test_redis_stopped_mid_run_and_restarted(team: Any) -> None:
    kernels, server, redis, _ = team
    server.clear()
    start = time.time() + 1.5
    code = f"print(json.dumps(await load({start!r}, 9.0)))"
    ids = [k.execute(code) for k in kernels]
    time.sleep(max(0.0, start - time.time()) + 2.5)
    redis.stop()
    time.sleep(2.5)
    redis.start()
    restarted = time.monotonic()
    results, outputs = [], []
    for kernel, msg_id in zip(kernels, ids, strict=True):
        reply, msgs = kernel.wait(msg_id, 120)
        outputs.append(text_of(msgs))
        assert reply["status"] == "ok", outputs[-1]
        results.append(json.loads(outputs[-1].strip().splitlines()[-1]))
    assert [r["n_errors"] for r in results] == [0, 0, 0], results
    for out in outputs:  # the warning shows once in the cell that was running
        shown = out.strip().rsplit("\n", 1)[0]  # (the last line is the result)
        assert shown.count("SharedLimitsWarning: Shared rate limits unavailable") == 1, out
    for r in results:  # one warning per kernel, then back to the shared quota
        assert r["outages"] == 1 and r["mode"] == "shared", r
        down = [w for w in r["warnings"] if w.startswith("Shared rate limits unavailable")]
        assert len(down) == 1 and "1/3" in down[0], r["warnings"]
    calls = [r for r in server.requests if r.path.endswith("/chat/completions")]
    after = [r for r in calls if r.t_start >= restarted]
    assert len(after) > LIMIT // 3  # calls went on after the restart...
    assert _busiest_window(after, WINDOW - JITTER) <= LIMIT  # ...within the limit again
    # While Redis was away each kernel kept to a third of the quota. A window across the
    # switch holds more: the calls the shared queue had already let through, plus each
    # kernel's local third starting at once (we measured 73 of 60 under load). A kernel
    # that did not divide its quota would put three times the quota there.
    assert _busiest_window(calls, WINDOW - JITTER) <= LIMIT * 1.5
