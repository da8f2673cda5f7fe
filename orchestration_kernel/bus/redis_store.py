"""The bus on Redis: one store shared by every kernel of a team, with live delivery.

``ContextBus("redis://host:6379/0")``, or ``OrchestrationEngine(redis=...)`` whose
``engine.bus`` uses it. It implements the :class:`~.store.Store` protocol as it stands
(whole context versions, one call each; no schema-version record) plus two optional
methods the broker looks for, ``broadcast`` and ``listen``, that carry live messages
between processes.

Layout (``P`` is the prefix, ``orchestration`` by default):

- ``P:bus:log`` — a stream of durable messages; entry id ``<seq>-0`` where ``seq`` comes
  from ``P:bus:seq`` in the same script, so the bus's sequence numbers are stream ids.
  Each named consumer is a consumer group on it; the group's last-delivered id is the
  consumer's acknowledged offset (visible with ``XINFO GROUPS``), moved forward only.
- ``P:bus:live`` — a capped stream (about 10,000 entries) of non-durable messages.
  Every process reads both streams with a blocking ``XREAD`` and hands what other
  processes published to its local subscribers.
- ``P:ctx:{session}:fields`` / ``:order`` / ``:history`` — the latest context as a hash
  of JSON values with its key order, and every version; one Lua script merges and
  appends a version atomically, so concurrent merges from many kernels get contiguous
  versions and lose nothing.
- ``P:turns:{session}`` — the conversation, a list of JSON turns; ``P:sessions`` — ids.

When Redis cannot be reached: writes that promise durability (durable publishes,
context, turns, acks) raise :class:`~orchestration_kernel.errors.SharedStateError` —
refused, never silently lost. Live-only publishes are delivered locally at once and kept
(up to ``buffer`` of them) to be sent to the other kernels when Redis is back; one
warning per outage says so, and one more if the buffer overflowed. Only the command that
finds Redis gone waits for the timeout: a probe then pings it every ``retry_after``
seconds in the background, and until it answers every command is refused (or kept) at
once — a server that accepts connections and never answers costs one timeout per
outage, not one per call.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import uuid
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import ParamSpec, Protocol, TypeVar

from ..errors import ConfigurationError, SharedStateError
from ..redis_link import (
    RedisSettings,
    Script,
    ScriptArg,
    check_refused,
    client,
    failure,
    is_unavailable,
    redact,
    refused_credentials,
    wait_until_answers,
)
from .message import BusMessage
from .store import ContextVersion, Turn, decode, encode

__all__ = ["RedisStore"]

log = logging.getLogger("orchestration_kernel.bus")

_APPEND = """
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], seq .. '-0', 'o', ARGV[1], 't', ARGV[2], 's', ARGV[3],
  'ts', ARGV[4], 'd', ARGV[5])
return seq
"""

#: The consumer group named ARGV[1] is the offset: moved to ARGV[2] only if that is later.
_SET_OFFSET = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local name, last
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] end
      if g[i] == 'last-delivered-id' then last = g[i + 1] end
    end
    if name == ARGV[1] then
      if tonumber(ARGV[2]) > tonumber(string.match(last, '^(%d+)')) then
        redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], ARGV[2] .. '-0')
      end
      return 0
    end
  end
end
redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2] .. '-0', 'MKSTREAM')
return 0
"""

#: KEYS: fields, order, history, sessions. ARGV: merge (1/0), ts, session, key, json...
_WRITE_CONTEXT = """
if ARGV[1] == '0' then redis.call('DEL', KEYS[1], KEYS[2]) end
for i = 4, #ARGV, 2 do
  if redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[i])
  end
end
local parts = {}
for i, key in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  parts[i] = cjson.encode(key) .. ':' .. redis.call('HGET', KEYS[1], key)
end
local version = redis.call('LLEN', KEYS[3]) + 1
local entry = '[' .. version .. ',' .. ARGV[2] .. ',{' .. table.concat(parts, ',') .. '}]'
redis.call('RPUSH', KEYS[3], entry)
redis.call('SADD', KEYS[4], ARGV[3])
return entry
"""

#: Non-durable messages kept while Redis is away, to send when it is back.
_BUFFER = 10_000
#: About how many non-durable messages the live stream keeps for late readers.
_LIVE_MAXLEN = 10_000


P = ParamSpec("P")
R = TypeVar("R")

#: A stream entry as the client returns it (``decode_responses=False``): id and fields.
_Entry = tuple[bytes, dict[bytes, bytes]]


class _Pipeline(Protocol):
    """A transaction pipeline: the commands queued in :meth:`RedisStore.append_turns`."""

    async def __aenter__(self) -> _Pipeline: ...

    async def __aexit__(self, *exc: object) -> None: ...

    def rpush(self, name: str, *values: str) -> object: ...

    def sadd(self, name: str, *values: str) -> object: ...

    def execute(self) -> Awaitable[object]: ...


class _Redis(Protocol):
    """The members of ``redis.asyncio.Redis`` the bus store uses, with the replies it reads."""

    def ping(self) -> Awaitable[object]: ...

    def aclose(self) -> Awaitable[None]: ...

    def register_script(self, script: str) -> Script: ...

    def pipeline(self, transaction: bool = True) -> _Pipeline: ...

    def xadd(
        self, name: str, fields: dict[str, str], *, maxlen: int, approximate: bool
    ) -> Awaitable[object]: ...

    def xrange(self, name: str, min: str, max: str, count: int) -> Awaitable[list[_Entry]]: ...

    def xrevrange(self, name: str, max: str, min: str, count: int) -> Awaitable[list[_Entry]]: ...

    def xread(
        self, streams: dict[str, str], count: int, block: int
    ) -> Awaitable[list[tuple[bytes, list[_Entry]]]]: ...

    def xinfo_groups(self, name: str) -> Awaitable[list[dict[str, object]]]: ...

    def lindex(self, name: str, index: int) -> Awaitable[bytes | None]: ...

    def lrange(self, name: str, start: int, end: int) -> Awaitable[list[bytes]]: ...

    def smembers(self, name: str) -> Awaitable[set[bytes]]: ...


class RedisStore:
    """A :class:`~.store.Store` on Redis, shared by every process that uses the same URL."""

    kind = "redis"

    def __init__(self, settings: RedisSettings | str, *, buffer: int = _BUFFER) -> None:
        self.settings = RedisSettings(settings) if isinstance(settings, str) else settings
        #: Identifies this process's messages, so it does not deliver them twice.
        self.origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        #: Outages seen so far (one warning each).
        self.outages = 0
        self._buffer: collections.deque[tuple[str, str, str, str]] = collections.deque()
        self._buffer_max = buffer
        self._overflowed = 0
        self._down = False
        #: While down: the probe reached Redis again (the next command may try it).
        self._answered = False
        self._failure = ""  # why the last command failed, for the errors meanwhile
        self._probe: asyncio.Task[None] | None = None
        self._warned_topics: set[str] = set()
        self._redis: _Redis | None = None
        self._reader: _Redis | None = None
        self._scripts: dict[str, Script] = {}
        self._listener: asyncio.Task[None] | None = None
        self._flushing: asyncio.Lock | None = None
        self._closing = False
        p = self.settings.prefix
        self._log, self._live, self._seq = f"{p}:bus:log", f"{p}:bus:live", f"{p}:bus:seq"
        self._sessions = f"{p}:sessions"

    # -- lifecycle -----------------------------------------------------------------
    async def open(self) -> None:
        """Connect (lazily: the first command connects) and check the server answers."""
        self._redis = client(self.settings)
        await self._call(self._client.ping)
        if self._buffer:  # live messages published before Redis could first be reached
            await self._flush()

    async def close(self) -> None:
        """Stop listening and close the connections."""
        self._closing = True
        if self._probe is not None:
            self._probe.cancel()
        if self._listener is not None:
            # A cancel can land inside the client's own handling of a blocked XREAD and be
            # absorbed there; the flag ends the loop at the next turn in any case.
            self._listener.cancel()
            await asyncio.wait({self._listener}, timeout=self.settings.timeout + 1.0)
            self._listener = None
        for conn in (self._reader, self._redis):
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.aclose()
        self._redis = self._reader = None

    # -- durable log ---------------------------------------------------------------
    async def append_message(
        self, topic: str, data: object, session_id: str | None, ts: float
    ) -> int:
        """Add a durable message to the log stream; its ``seq`` is its stream id."""
        text = encode(data, f"data for durable topic {topic!r}")
        args: list[ScriptArg] = [self.origin, topic, session_id or "", repr(ts), text]
        return _int(await self._script("append", _APPEND, [self._log, self._seq], args))

    async def read_messages(self, after_seq: int, limit: int) -> list[BusMessage]:
        """Up to ``limit`` durable messages with ``seq > after_seq``, oldest first."""
        rows = await self._call(
            self._client.xrange, self._log, f"({max(after_seq, 0)}-0", "+", limit
        )
        return [_message(entry_id, fields, durable=True) for entry_id, fields in rows]

    async def get_offset(self, consumer: str) -> int:
        """The consumer group's last-delivered id (0 when the consumer is new)."""
        try:
            groups = await self._call(self._client.xinfo_groups, self._log)
        except SharedStateError:
            raise
        except Exception:  # no stream yet: nobody acknowledged anything
            return 0
        for group in groups:
            if _text(group["name"]) == consumer:
                return int(_text(group["last-delivered-id"]).split("-")[0])
        return 0

    async def set_offset(self, consumer: str, seq: int) -> None:
        """Move the consumer group forward to ``seq`` (never back)."""
        await self._script("offset", _SET_OFFSET, [self._log], [consumer, int(seq)])

    # -- session context -----------------------------------------------------------
    async def write_context(
        self, session_id: str, data: dict[str, object], *, merge: bool, ts: float
    ) -> ContextVersion:
        """Merge (or replace) and add a version, atomically across every kernel."""
        args: list[ScriptArg] = ["1" if merge else "0", repr(float(ts)), session_id]
        for key, value in data.items():
            args += [key, encode(value, f"context value {key!r}")]
        entry = await self._script("context", _WRITE_CONTEXT, self._context_keys(session_id), args)
        return _version(entry)

    async def read_context(self, session_id: str) -> ContextVersion | None:
        """The latest version, or None."""
        entry = await self._call(self._client.lindex, self._context_keys(session_id)[2], -1)
        return None if entry is None else _version(entry)

    async def context_history(self, session_id: str) -> list[ContextVersion]:
        """Every version, oldest first."""
        rows = await self._call(self._client.lrange, self._context_keys(session_id)[2], 0, -1)
        return [_version(row) for row in rows]

    async def sessions(self) -> list[str]:
        """Sessions with a context or a conversation."""
        return sorted(_text(s) for s in await self._call(self._client.smembers, self._sessions))

    # -- conversation --------------------------------------------------------------
    async def append_turns(self, session_id: str, turns: Sequence[Turn]) -> None:
        """Append turns in one transaction."""
        if not turns:
            return
        rows = [json.dumps([t.role, t.content, t.model, t.ts]) for t in turns]

        async def push() -> None:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.rpush(self._turns(session_id), *rows)
                pipe.sadd(self._sessions, session_id)
                await pipe.execute()

        await self._call(push)

    async def conversation(self, session_id: str) -> list[Turn]:
        """The session's turns, oldest first."""
        rows = await self._call(self._client.lrange, self._turns(session_id), 0, -1)
        return [Turn(*json.loads(row)) for row in rows]

    # -- live delivery between processes (the broker calls these) --------------------
    async def broadcast(self, topic: str, data: object, session_id: str | None, ts: float) -> None:
        """Send a non-durable message to the other processes (buffered while Redis is away)."""
        try:
            text = encode(data, topic)
        except ConfigurationError:
            if topic not in self._warned_topics:  # cannot cross processes: say so, once
                if len(self._warned_topics) >= 1000:  # run topics are endless: stay bounded
                    self._warned_topics.clear()
                self._warned_topics.add(topic)
                log.warning("Messages on %r are not JSON-compatible: delivered here only.", topic)
            return
        self._buffer.append((topic, session_id or "", repr(ts), text))
        if len(self._buffer) > self._buffer_max:
            self._buffer.popleft()
            self._overflowed += 1
        await self._flush()

    async def listen(self, deliver: Callable[[BusMessage], Awaitable[None]]) -> None:
        """Start handing messages other processes publish to ``deliver`` (idempotent)."""
        if self._listener is None:
            start = await self._positions()
            self._listener = asyncio.get_running_loop().create_task(self._listen(deliver, start))

    async def _positions(self) -> dict[str, str]:
        """The newest id of each stream now: the listener reads what comes after."""
        out: dict[str, str] = {}
        for key in (self._log, self._live):
            newest = await self._call(self._client.xrevrange, key, "+", "-", 1)
            out[key] = _text(newest[0][0]) if newest else "0-0"
        return out

    async def _listen(
        self, deliver: Callable[[BusMessage], Awaitable[None]], positions: dict[str, str]
    ) -> None:
        if self._reader is None:  # its own connection: XREAD blocks it
            self._reader = client(self.settings)
        block_ms = max(1, int(self.settings.timeout * 500))
        while not self._closing:
            try:
                batches = await self._reader.xread(positions, block=block_ms, count=500)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if refused_credentials(exc):  # the URL must change: retrying cannot help
                    log.error("Live messages from %s stop: %s", self, failure(exc))
                    return
                if is_unavailable(exc):
                    self._went_down(exc)
                else:  # not an outage: say what, and keep listening
                    log.exception("Reading live messages from %s failed", self)
                await asyncio.sleep(self.settings.retry_after)
                positions = await self._resume(positions)
                continue
            for key, entries in batches:
                name = _text(key)
                for entry_id, fields in entries:
                    positions[name] = _text(entry_id)
                    if _text(fields.get(b"o", b"")) != self.origin:
                        await deliver(_message(entry_id, fields, durable=name == self._log))

    async def _resume(self, positions: dict[str, str]) -> dict[str, str]:
        """After an outage: a restarted server's streams begin again, and so do we."""
        try:
            now = await self._positions()
            await self._flush()
        except SharedStateError:
            return positions
        return {k: positions[k] if _id_key(positions[k]) <= _id_key(now[k]) else "0-0" for k in now}

    async def _flush(self) -> None:
        """Send the buffered live messages, oldest first, one sender at a time."""
        if self._flushing is None:
            self._flushing = asyncio.Lock()
        async with self._flushing:
            while self._buffer:
                topic, sid, ts, text = self._buffer[0]
                fields = {"o": self.origin, "t": topic, "s": sid, "ts": ts, "d": text}
                try:
                    await self._call(
                        self._client.xadd, self._live, fields, maxlen=_LIVE_MAXLEN, approximate=True
                    )
                except SharedStateError:
                    return  # kept for later; the warning was given
                self._buffer.popleft()
        self._came_back()

    # -- plumbing --------------------------------------------------------------------
    @property
    def _client(self) -> _Redis:
        """The open connection; SharedStateError before ``open`` or after ``close``."""
        if self._redis is None:
            raise SharedStateError("The Redis bus store is not open.")
        return self._redis

    async def _script(
        self, name: str, source: str, keys: list[str], args: list[ScriptArg]
    ) -> object:
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self._client.register_script(source)
        return await self._call(script, keys=keys, args=args)

    async def _call(self, fn: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run one command; "Redis is unreachable" becomes SharedStateError."""
        if self._redis is None:
            raise SharedStateError("The Redis bus store is not open.")
        if self._down and not self._answered:
            # Known down, and the probe has not reached it since: refused at once rather
            # than after another timeout (a black hole cost every publish seconds).
            raise SharedStateError(self._failure)
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            if not is_unavailable(exc):
                check_refused(exc, self.settings)
                raise
            self._went_down(exc)
            raise SharedStateError(self._failure) from None
        if self._down:
            self._came_back()
        return result

    def _went_down(self, exc: BaseException) -> None:
        self._failure = (
            f"Redis at {redact(self.settings.url)} {failure(exc)}; nothing was written."
            + ("" if refused_credentials(exc) else " Try again when it is back.")
        )
        self._answered = False
        if not self._closing and (self._probe is None or self._probe.done()):
            self._probe = asyncio.get_running_loop().create_task(self._probe_until_back())
        if self._down:
            return
        self._down = True
        self.outages += 1
        message = (
            f"The shared bus on {redact(self.settings.url)} is unreachable: it "
            f"{failure(exc)}. Durable publishes, context and turns are refused with "
            f"an error; live messages reach this kernel now and the others when it is back."
        )
        log.info(message)  # shown once, as the warning below; the log keeps the record
        warnings.warn(message, RuntimeWarning, stacklevel=3)

    async def _probe_until_back(self) -> None:
        """Wait, off every caller's path, until Redis answers; then send the live messages
        kept meanwhile."""
        await wait_until_answers(self.settings)
        self._answered = True  # the next command tries Redis again
        if self._buffer:
            await self._flush()

    def _came_back(self) -> None:
        if not self._down:
            return
        self._down = False
        if self._overflowed:
            log.warning(
                "%d live messages published while Redis was away were dropped: the buffer "
                "holds %d.",
                self._overflowed,
                self._buffer_max,
            )
            self._overflowed = 0
        log.warning("The shared bus on %s is back.", redact(self.settings.url))

    def _context_keys(self, session_id: str) -> list[str]:
        base = f"{self.settings.prefix}:ctx:{{{session_id}}}"
        return [f"{base}:fields", f"{base}:order", f"{base}:history", self._sessions]

    def _turns(self, session_id: str) -> str:
        return f"{self.settings.prefix}:turns:{{{session_id}}}"

    def __repr__(self) -> str:
        return f"RedisStore({redact(self.settings.url)!r})"


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _int(value: object) -> int:
    """An integer reply (redis gives ``int``; a Lua string reply comes as ``bytes``)."""
    if isinstance(value, int | str | bytes):
        return int(value)
    raise TypeError(f"unexpected reply from Redis: {value!r}")


def _message(entry_id: object, fields: dict[bytes, bytes], *, durable: bool) -> BusMessage:
    """A stream entry as the bus's message; a durable one's seq is its stream id."""
    seq = int(_text(entry_id).split("-")[0]) if durable else 0
    session = _text(fields[b"s"]) or None
    data = decode(_text(fields[b"d"]))
    return BusMessage(seq, _text(fields[b"t"]), data, session, float(fields[b"ts"]), durable)


def _version(entry: object) -> ContextVersion:
    if not isinstance(entry, str | bytes):
        raise TypeError(f"unexpected context entry from Redis: {entry!r}")
    version, ts, data = json.loads(entry)
    return ContextVersion(int(version), float(ts), data)
