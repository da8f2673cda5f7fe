"""Rate limits shared by every kernel on one Redis: the backend behind :class:`Limiter`.

Each kernel keeps its own first-come-first-served queue per deployment; only the head of
that queue asks Redis for a slot. One Lua script (:data:`RESERVE`) books the request and
its estimated tokens together and answers *when* the call may start: it never fails a
call, it books the earliest moment at which the deployment's window has room, after every
booking already made by any kernel. The call then leaves the queue and sleeps until its
start while the next in line books. So calls are served in the order they were booked,
across kernels, and a kernel that is slow to be scheduled keeps the places it booked —
unless its request leaves more than :attr:`RedisSettings.start_slack` after the booked
start (:meth:`SharedLimits.confirm`, called from the SDK's request hook): the provider
counts arrivals, so such a call gives its place back and books again at the back.

- ``rpm``/``tpm`` count over :attr:`RedisSettings.window` seconds of the Redis server's
  clock (``TIME``), so machines with skewed clocks agree.
- ``settle`` replaces a booking's token estimate with the real usage.
- ``max_in_flight`` slots are leases with an expiry the holder renews; a killed kernel's
  slots free themselves after ``lease_ttl``.
- When Redis cannot be reached, calls go on with the local limiter at the quota divided
  by the number of kernels Redis last saw (by :attr:`RedisSettings.kernels`, the team's
  expected size, if Redis was never reached), with one warning per outage; every
  ``retry_after`` seconds a probe pings Redis (off the call path, so an unreachable
  server never holds a call up); once it answers the next call books there again, and
  the bookings made locally meanwhile are written back so the shared window counts
  them. After Redis is back a kernel keeps to its share as well, until every kernel it
  knew has booked since (each writes its local calls back before it books), or, for a
  kernel that never comes back, until the team forgets it (``max(60 s, 2 windows)``).

``limits`` and ``pyrate-limiter`` were tried first: neither books rpm and tpm atomically
with refunds, so this is ours.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import os
import time
import uuid
import warnings
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from ..redis_link import (
    RedisSettings,
    Script,
    ScriptArg,
    check_refused,
    client,
    failure,
    is_unavailable,
    redact,
    wait_until_answers,
)
from .clock import Clock

__all__ = ["RESERVE", "Booking", "SharedLimits", "SharedLimitsWarning"]

log = logging.getLogger("orchestration_kernel.shared")


class _Redis(Protocol):
    """The members of ``redis.asyncio.Redis`` the shared limiter uses."""

    def register_script(self, script: str) -> Script: ...

    def zrem(self, name: str, *values: str) -> Awaitable[object]: ...

    def aclose(self) -> Awaitable[None]: ...


def _number(value: object) -> float:
    """A number a Lua script returned: an integer, or a decimal sent as a string."""
    if isinstance(value, int | float | str | bytes):
        return float(value)
    raise TypeError(f"unexpected reply from the Redis limiter script: {value!r}")


#: KEYS: starts (zset id->start), tokens (hash id->tokens), leases (zset id->expiry),
#: kernels (zset kernel->last seen), total (the tokens of every booking in the window).
#: ARGV: id, tokens, rpm, tpm, max_in_flight (0 = no limit), window, lease_ttl, kernel id,
#: presence seconds, the id of a booking this one replaces ("" for none), a server time
#: (0: none). Returns {delay or "-1" (in-flight full: ask again), start booked
#: (server epoch seconds, to the microsecond), kernels seen, kernels seen since that
#: time}. Each step costs O(log n) in the bookings of the window, plus one per booking
#: that leaves it.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local id, tokens = ARGV[1], tonumber(ARGV[2])
local rpm, tpm, cap = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local window, ttl = tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('ZADD', KEYS[4], now, ARGV[8])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[9]))
local kernels = redis.call('ZCARD', KEYS[4])
local since = kernels
if tonumber(ARGV[11]) > 0 then since = redis.call('ZCOUNT', KEYS[4], ARGV[11], '+inf') end
local total = tonumber(redis.call('GET', KEYS[5]) or '0')
local old = ARGV[10]
if old and old ~= '' then
  if redis.call('ZREM', KEYS[1], old) == 1 then
    total = total - tonumber(redis.call('HGET', KEYS[2], old) or '0')
    redis.call('HDEL', KEYS[2], old)
  end
  redis.call('ZREM', KEYS[3], old)
end
for _, old in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - window)) do
  total = total - tonumber(redis.call('HGET', KEYS[2], old) or '0')
  redis.call('ZREM', KEYS[1], old)
  redis.call('HDEL', KEYS[2], old)
end
if cap > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= cap then
    redis.call('SET', KEYS[5], math.max(0, total))
    return {'-1', '0', kernels, since}
  end
end
local n = redis.call('ZCARD', KEYS[1])
local at = now
if n > 0 then
  at = math.max(at, tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]))
end
if rpm > 0 and n >= rpm then
  local k = redis.call('ZRANGE', KEYS[1], n - rpm, n - rpm, 'WITHSCORES')
  at = math.max(at, tonumber(k[2]) + window)
end
if tpm > 0 then
  -- Oldest first: drop what has left the window by `at`, and move `at` past as many more
  -- as it takes for this call's tokens to fit (an oversized call goes alone).
  local used, i = total, 0
  while i < n do
    local e = redis.call('ZRANGE', KEYS[1], i, i, 'WITHSCORES')
    local start = tonumber(e[2])
    if start > at - window and used + tokens <= tpm then break end
    used = used - tonumber(redis.call('HGET', KEYS[2], e[1]) or '0')
    if start > at - window then at = math.max(at, start + window) end
    i = i + 1
  end
end
redis.call('ZADD', KEYS[1], at, id)
redis.call('HSET', KEYS[2], id, tokens)
redis.call('SET', KEYS[5], math.max(0, total) + tokens)
local keep = math.ceil((at - now + window) * 1000) + 1000
for _, key in ipairs({KEYS[1], KEYS[2], KEYS[5]}) do redis.call('PEXPIRE', key, keep) end
redis.call('PEXPIRE', KEYS[4], math.ceil(tonumber(ARGV[9]) * 1000))
if cap > 0 then
  redis.call('ZADD', KEYS[3], at + ttl, id)
  redis.call('PEXPIRE', KEYS[3], math.ceil((at - now + ttl) * 1000) + 1000)
end
return {tostring(at - now), string.format('%.6f', at), kernels, since}
"""

#: KEYS: tokens hash, total. ARGV: id, tokens. A booking already out of the window stays
#: gone; otherwise the total moves by the difference.
_SETTLE = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('INCRBY', KEYS[2], tonumber(ARGV[2]) - tonumber(old))
end
return 0
"""

#: KEYS: leases zset. ARGV: ttl, ids... Pushes each held lease's expiry to now + ttl.
_RENEW = """
local t = redis.call('TIME')
local expiry = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', expiry, ARGV[i]) end
return 0
"""

#: KEYS: starts, tokens, total. ARGV: window, then (id, start, tokens) triples. Books
#: calls made on the local fallback so the shared window counts them.
_BACKFILL = """
local window = tonumber(ARGV[1])
for i = 2, #ARGV, 3 do
  if redis.call('ZADD', KEYS[1], 'NX', tonumber(ARGV[i + 1]), ARGV[i]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
    redis.call('INCRBY', KEYS[3], tonumber(ARGV[i + 2]))
  end
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], math.ceil(window * 1000) + 1000) end
return 0
"""

#: Seconds between polls while every in-flight slot is held by some kernel.
_IN_FLIGHT_POLL = 0.02


class _Gate(Protocol):
    """What the backend reads of a limiter's per-deployment gate."""

    deployment_id: str
    clock: Clock
    rpm: int | None
    tpm: int | None
    max_in_flight: int | None


class _Entry(Protocol):
    """A call admitted locally: when (the gate's clock) and how many tokens."""

    at: float
    tokens: int


class SharedLimitsWarning(RuntimeWarning):
    """Shared limits are unavailable (Redis down) and the local fallback is in use."""


@dataclass
class Booking:
    """One call's place in the shared window (and its in-flight lease, if any)."""

    id: str
    keys: tuple[str, ...]
    lease: bool
    #: Seconds from booking to the booked start.
    delay: float = 0.0
    #: The booked start, in the Redis server's epoch seconds.
    start: float = 0.0
    #: The booked start on the limiter's clock (what :meth:`SharedLimits.confirm` checks).
    due: float = 0.0


class SharedLimits:
    """The Redis backend of one :class:`~.limits.Limiter` (one per kernel).

    ``limiter.share(SharedLimits(settings))`` switches a limiter to it. All methods run on
    the limiter's event loop.
    """

    def __init__(self, settings: RedisSettings) -> None:
        self.settings = settings
        #: "shared" while Redis answers, "local" while the fallback is in use.
        self.mode = "shared"
        #: How many kernels Redis last saw (the fallback divides quotas by this); until
        #: Redis has answered once, the team's expected size (``RedisSettings.kernels``).
        self.kernels = settings.kernels or 1
        self._seen = False  # Redis has answered a booking at least once
        #: Outages so far; each produced exactly one warning.
        self.outages = 0
        #: Calls that started late and booked again (see :meth:`confirm`).
        self.rebooked = 0
        #: The warnings given, newest last (also logged and sent to ``warnings``).
        self.warnings: list[str] = []
        #: The latest bookings as ``(deployment id, start)``, start in the Redis server's
        #: epoch seconds: what this kernel was told, for monitoring and tests (a call that
        #: booked again, see :meth:`confirm`, appears with its new start only).
        self.booked: collections.deque[tuple[str, float]] = collections.deque(maxlen=10_000)
        self._kernel = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._ids = itertools.count(1)
        self._redis: _Redis | None = None
        self._scripts: dict[str, Script] = {}
        self._answered = False  # set by the probe once Redis answers again
        self._probe: asyncio.Task[None] | None = None
        self._probation_until = 0.0
        #: Server time of this kernel's return from an outage, and the kernels it knew
        #: then: probation lasts until that many have booked since (see _came_back).
        self._back_since = 0.0
        self._awaited = 0
        self._server_now = 0.0  # the Redis clock at the latest booking
        self._local: dict[str, list[_Entry]] = {}  # bookings made during an outage
        self._leases: dict[str, set[str]] = {}  # leases key -> held lease ids
        self._renewer: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the limiter's side ----------------------------------------------------------
    async def book(self, gate: _Gate, tokens: int) -> Booking | None:
        """Book a start for the call at the head of ``gate``'s queue (see :meth:`wait`).

        ``None``: Redis is unavailable; the caller applies its local limits divided by
        :meth:`divisor`.
        """
        if self.mode == "local" and not self._answered:
            return None  # the probe has not reached Redis yet: no call waits on a timeout
        keys = self._keys(gate.deployment_id)
        booking = Booking(f"{self._kernel}-{next(self._ids)}", keys, gate.max_in_flight is not None)
        try:
            await self._backfill(gate, keys)
            booked = await self._reserve_room(gate, booking, tokens)
        except Exception as exc:
            if not is_unavailable(exc):
                check_refused(exc, self.settings)
                raise
            self._went_down(exc)
            return None
        self._came_back()
        if booking.lease:
            self._hold(booking)
        self._place(gate, booking, booked)
        return booking

    def _place(self, gate: _Gate, booking: Booking, booked: tuple[float, float]) -> None:
        booking.delay, booking.start = booked
        booking.due = gate.clock.now() + booking.delay

    async def confirm(self, gate: _Gate, booking: Booking, tokens: int) -> None:
        """Just before the call's request leaves: book again if it is late.

        A booking bounds when calls *may* start; the provider counts when they arrive.
        Work between the permit and the request (a cold process's first request, an event
        loop held up by other tasks) can move a request far past its booked start, into
        a window booked full by later calls. A call more than
        :attr:`RedisSettings.start_slack` seconds late therefore gives its old place back
        and books again (at the back of the shared queue), waiting for the new start.
        On time, this costs nothing: no round trip.
        """
        late = gate.clock.now() - booking.due
        if late <= self.settings.start_slack or self.mode == "local":
            return
        old, booking.id = booking.id, f"{self._kernel}-{next(self._ids)}"
        if booking.lease:
            self._leases.get(booking.keys[2], set()).discard(old)
        try:
            booked = await self._reserve_room(gate, booking, tokens, old)
        except Exception as exc:
            if not is_unavailable(exc):
                check_refused(exc, self.settings)
                raise
            self._went_down(exc)  # the call goes on; the fallback counts from now on
            return
        self.rebooked += 1
        with contextlib.suppress(ValueError):  # ``booked`` lists the starts held, once each
            self.booked.remove((gate.deployment_id, booking.start))
        log.info("a call started %.3f s after its booked start: booked again", late)
        if booking.lease:
            self._hold(booking)
        self._place(gate, booking, booked)
        await self.wait(gate, booking)

    async def wait(self, gate: _Gate, booking: Booking) -> None:
        """Sleep until the booked start (the lease goes back if cancelled meanwhile)."""
        if booking.delay <= 0:
            return
        try:
            await gate.clock.sleep(booking.delay)
        except BaseException:
            self.release(booking)
            raise

    def local_limits(self) -> bool:
        """True while this kernel's share of each quota applies: Redis is away, or came
        back less than a window ago (the other kernels' calls made meanwhile may not be
        written back yet)."""
        return self.mode == "local" or time.monotonic() < self._probation_until

    def divisor(self) -> int:
        """What local limits are divided by during an outage: the kernels last seen (the
        expected team size, ``RedisSettings.kernels``, while Redis has never answered)."""
        return max(1, self.kernels)

    def note_local(self, gate: _Gate, entry: _Entry) -> None:
        """Remember a call admitted on the fallback, to write it back when Redis returns."""
        self._local.setdefault(gate.deployment_id, []).append(entry)

    def settle(self, booking: Booking, tokens: int) -> None:
        """Book the real token count instead of the estimate (in the background)."""
        keys = [booking.keys[1], booking.keys[4]]
        self._background(self._run("settle", _SETTLE, keys, [booking.id, tokens]))

    def release(self, booking: Booking) -> None:
        """Give the in-flight lease back (in the background; it expires anyway)."""
        if not booking.lease:
            return
        self._leases.get(booking.keys[2], set()).discard(booking.id)
        self._background(self._zrem(booking.keys[2], booking.id))

    async def aclose(self) -> None:
        """Stop renewing leases and close the connection."""
        for task in (self._renewer, self._probe):
            if task is not None:
                task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
            self._redis = None

    # -- Redis -------------------------------------------------------------------------
    def _keys(self, deployment_id: str) -> tuple[str, str, str, str, str]:
        base = f"{self.settings.prefix}:limits:{{{deployment_id}}}"
        names = ("starts", "tokens", "leases", "kernels", "total")
        return tuple(f"{base}:{name}" for name in names)  # type: ignore[return-value]

    async def _reserve_room(
        self, gate: _Gate, booking: Booking, tokens: int, replaces: str = ""
    ) -> tuple[float, float]:
        """:meth:`_reserve` until an in-flight slot is free (polled: held slots end in
        other kernels, which cannot signal this one)."""
        while True:
            booked = await self._reserve(gate, booking.keys, booking.id, tokens, replaces)
            if booked is not None:
                return booked
            await asyncio.sleep(_IN_FLIGHT_POLL)

    async def _reserve(
        self, gate: _Gate, keys: tuple[str, ...], booking_id: str, tokens: int, replaces: str = ""
    ) -> tuple[float, float] | None:
        """One booking: (seconds until its start, the start in server epoch seconds), or
        None while every in-flight slot is held. ``replaces``: a booking to drop first."""
        since = self._back_since if self.local_limits() else 0.0
        args: list[ScriptArg] = [
            booking_id, max(0, int(tokens)), gate.rpm or 0, gate.tpm or 0,
            gate.max_in_flight or 0, self.settings.window, self.settings.lease_ttl,
            self._kernel, self._presence(), replaces, f"{since:.6f}",
        ]  # fmt: skip
        reply = await self._run("reserve", RESERVE, list(keys), args)
        if not isinstance(reply, list) or len(reply) != 4:
            raise TypeError(f"unexpected reply from the Redis limiter script: {reply!r}")
        delay, at, kernels, back = reply
        # Just back from an outage the server may have restarted and forgotten the others.
        seen = int(_number(kernels))
        self.kernels = max(self.kernels, seen) if self.local_limits() else seen
        if since and int(_number(back)) >= self._awaited:
            # Every kernel known before the outage has booked since this one came back,
            # writing its local calls back first: the shared window counts them all.
            self._probation_until = 0.0
        self._seen = True
        value = _number(delay)
        if value < 0:
            return None
        start = _number(at)
        self._server_now = start - max(0.0, value)
        self.booked.append((gate.deployment_id, start))
        return value, start

    async def _run(self, name: str, source: str, keys: list[str], args: list[ScriptArg]) -> object:
        if self._redis is None:
            self._redis = client(self.settings)
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self._redis.register_script(source)
        return await script(keys=keys, args=args)

    async def _zrem(self, key: str, member: str) -> None:
        if self._redis is not None:
            await self._redis.zrem(key, member)

    async def _backfill(self, gate: _Gate, keys: tuple[str, ...]) -> None:
        """Write the calls admitted locally during an outage into the shared window."""
        entries = self._local.pop(gate.deployment_id, None)
        if not entries:
            return
        # Local times are monotonic; the shared window uses the server's epoch clock.
        # On one machine the two differ by a constant we measure here.
        offset = time.time() - gate.clock.now()
        args: list[ScriptArg] = [self.settings.window]
        for i, entry in enumerate(entries):
            args += [f"{self._kernel}-local-{i}-{entry.at}", entry.at + offset, entry.tokens]
        try:
            await self._run("backfill", _BACKFILL, [keys[0], keys[1], keys[4]], args)
        except Exception:
            self._local[gate.deployment_id] = entries  # try again with the next call
            raise

    def _hold(self, booking: Booking) -> None:
        self._leases.setdefault(booking.keys[2], set()).add(booking.id)
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew_forever())

    async def _renew_forever(self) -> None:
        """Keep held leases alive; a kernel that stops renewing loses them after lease_ttl."""
        while any(self._leases.values()):
            await asyncio.sleep(self.settings.lease_ttl / 3)
            for key, ids in list(self._leases.items()):
                if ids:
                    with contextlib.suppress(Exception):  # down: the lease may lapse; fine
                        await self._run("renew", _RENEW, [key], [self.settings.lease_ttl, *ids])

    def _background(self, coro: Awaitable[object]) -> None:
        async def quietly() -> None:
            with contextlib.suppress(Exception):  # a lost settle only makes us conservative
                await coro

        task = asyncio.get_running_loop().create_task(quietly())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- outages ---------------------------------------------------------------------
    def _went_down(self, exc: BaseException) -> None:
        self._answered = False
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._probe_until_back())
        if self.mode == "local":
            return
        self.mode = "local"
        self.outages += 1
        basis = (
            f"the {self.divisor()} kernel(s) it last saw"
            if self._seen
            else "the team's expected size, RedisSettings(kernels=...) or "
            "ORCHESTRATION_REDIS_KERNELS: Redis has not been reached yet"
        )
        message = (
            f"Shared rate limits unavailable: Redis at {redact(self.settings.url)} "
            f"{failure(exc)}. Calls continue with local limits at 1/"
            f"{self.divisor()} of each quota ({basis}) until it is back."
        )
        self._warn(message)
        if self._redis is not None:  # a fresh connection pool when it returns
            self._background(self._redis.aclose())
            self._redis, self._scripts = None, {}

    async def _probe_until_back(self) -> None:
        """Wait, off the call path, until Redis answers."""
        await wait_until_answers(self.settings)
        self._answered = True  # the next call books in Redis again

    def _presence(self) -> float:
        """Seconds a kernel counts as part of the team after its latest booking."""
        return max(60.0, 2 * self.settings.window)

    def _came_back(self) -> None:
        if self.mode == "shared":
            return
        self.mode = "shared"
        # This kernel's share applies until every kernel it knew has booked since its
        # return (a kernel slow to come back goes on calling on its share meanwhile, and
        # writes those calls back only when it books), or, for a kernel that never comes
        # back, until the team forgets it; never less than a window after the return.
        self._back_since, self._awaited = self._server_now, self.kernels
        bound = max(self._presence(), self.settings.window + self.settings.retry_after)
        self._probation_until = time.monotonic() + bound
        self.warnings.append(f"Shared rate limits are back on {redact(self.settings.url)}.")
        log.warning(self.warnings[-1])

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        log.info(message)  # shown once, as the warning below; the log keeps the record
        warnings.warn(message, SharedLimitsWarning, stacklevel=2)

    def status(self) -> dict[str, str | int]:
        """``{"mode", "kernels", "outages", "url"}`` for monitoring."""
        return {
            "mode": self.mode,
            "kernels": self.kernels,
            "outages": self.outages,
            "url": redact(self.settings.url),
        }

    def __repr__(self) -> str:
        return f"SharedLimits({redact(self.settings.url)!r}, mode={self.mode!r})"
