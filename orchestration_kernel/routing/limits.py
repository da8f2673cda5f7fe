"""Per-deployment limits: requests per minute, tokens per minute, calls in flight.

A call over a limit waits its turn; it is never failed for it. Waiters are served
first come, first served, per deployment. No limit applies unless the deployment
configures one (``rpm``, ``tpm``, ``max_in_flight``): a small default cap would
quietly serialise a thousand concurrent pipelines.

::

    async with limiter.acquire(deployment, tokens=estimate) as permit:
        reply = await provider.complete(...)
        permit.settle(reply.usage.total_tokens)   # the real count replaces the estimate

Limits are per process unless :meth:`Limiter.share` attaches a shared backend
(:mod:`.shared_limits`, on Redis): then the head of each deployment's queue books its
slot there, and the local limits apply only while the backend is unavailable.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .clock import Clock, SystemClock
from .pools import Deployment

if TYPE_CHECKING:
    from .shared_limits import Booking, SharedLimits

__all__ = ["Limiter", "Permit"]

_WINDOW = 60.0


@dataclass
class _Entry:
    """One admitted request in the sliding minute window."""

    at: float
    tokens: int


class Permit:
    """The right to make one call. :meth:`settle` records the tokens actually used."""

    def __init__(
        self, gate: _Gate, entry: _Entry, waited: float, booking: Booking | None = None
    ) -> None:
        self._gate = gate
        self._entry = entry
        self._booking = booking
        self._confirmed = False
        #: Seconds (of the limiter's clock) this call waited for its turn.
        self.waited = waited

    @property
    def tokens(self) -> int:
        """Tokens this call counts for in the tokens-per-minute window."""
        return self._entry.tokens

    def settle(self, tokens: int) -> None:
        """Replace the estimate with the real token count (may admit waiters sooner)."""
        self._entry.tokens = max(0, int(tokens))
        if self._booking is not None and self._gate.shared is not None:
            self._gate.shared.settle(self._booking, self._entry.tokens)
        self._gate.wake()

    async def confirm(self) -> None:
        """The call's request is about to leave (once per permit; later calls do nothing).

        With a shared backend, a call that starts well after its booked start books again
        and waits for the new start (:meth:`.shared_limits.SharedLimits.confirm`)."""
        if self._confirmed or self._booking is None or self._gate.shared is None:
            return
        self._confirmed = True
        await self._gate.shared.confirm(self._gate, self._booking, self._entry.tokens)


class _Gate:
    """The queue and counters of one deployment."""

    def __init__(
        self,
        deployment: Deployment,
        clock: Clock,
        window: float = _WINDOW,
        shared: SharedLimits | None = None,
    ) -> None:
        self.clock = clock
        self.deployment_id = deployment.id
        self.window = window
        self.shared = shared
        self.configure(deployment)
        self.queue: deque[object] = deque()
        self.entries: deque[_Entry] = deque()
        self.in_flight = 0
        self._changed: asyncio.Event | None = None

    def configure(self, deployment: Deployment) -> None:
        """Take the deployment's current limits."""
        self.rpm, self.tpm, self.max_in_flight = (
            deployment.rpm,
            deployment.tpm,
            deployment.max_in_flight,
        )

    def event(self) -> asyncio.Event:
        """The event the next change will set."""
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def wake(self) -> None:
        """Tell every waiter that something changed (they re-check)."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def _prune(self, now: float) -> None:
        while self.entries and now - self.entries[0].at >= self.window:
            self.entries.popleft()

    def delay(self, tokens: int) -> float | None:
        """0 when a call of ``tokens`` may start now; seconds to wait; None: until a release.

        With a shared backend, local limits apply only while it is unavailable (and for a
        window after), each divided by the number of kernels it last saw, so together
        they stay within the quota.
        """
        now = self.clock.now()
        self._prune(now)
        if self.shared is not None and not self.shared.local_limits():
            return 0.0
        share = self.shared.divisor() if self.shared is not None else 1
        rpm, tpm, cap = (_part(v, share) for v in (self.rpm, self.tpm, self.max_in_flight))
        if cap is not None and self.in_flight >= cap:
            return None
        wait = 0.0
        if rpm is not None and len(self.entries) >= rpm:
            wait = self.entries[len(self.entries) - rpm].at + self.window - now
        if tpm is not None:
            wait = max(wait, self._token_delay(tokens, tpm, now))
        return max(0.0, wait)

    def _token_delay(self, tokens: int, tpm: int, now: float) -> float:
        """Seconds until the window has room for ``tokens`` (an oversized call goes alone)."""
        used = sum(e.tokens for e in self.entries)
        if used + tokens <= tpm or not self.entries:
            return 0.0
        for entry in self.entries:  # oldest first: when it expires, its tokens free up
            used -= entry.tokens
            if used + tokens <= tpm:
                return entry.at + self.window - now
        return self.entries[-1].at + self.window - now  # larger than tpm: wait for an empty window

    async def enter(self, tokens: int) -> Permit:
        """Wait for this call's turn and room under every limit, in arrival order."""
        started = self.clock.now()
        if not self.queue and self.shared is None and self.delay(tokens) == 0.0:
            # Nobody ahead and room now (the common case, no limit set): admitted without
            # a ticket or a wake-up event, on every call's path.
            return self._admit(tokens, started, queued=False)
        ticket = object()
        self.queue.append(ticket)
        try:
            while True:
                changed = self.event()
                if self.queue[0] is ticket:
                    delay = self.delay(tokens)
                    if delay == 0.0 and self.shared is None:
                        return self._admit(tokens, started)
                    if delay == 0.0 and self.shared is not None:
                        local = self.shared.local_limits()
                        booking = await self.shared.book(self, tokens)
                        if booking is not None:  # booked: the next in line may book now
                            self.queue.popleft()
                            self.wake()
                            await self.shared.wait(self, booking)
                            return self._admit(tokens, started, booking, queued=False)
                        if local:
                            return self._admit(tokens, started)
                        continue  # Redis just went away: this kernel's share applies now
                    await self._wait(changed, delay)
                else:
                    await changed.wait()
        except BaseException:
            with contextlib.suppress(ValueError):
                self.queue.remove(ticket)
            self.wake()
            raise

    def _admit(
        self, tokens: int, started: float, booking: Booking | None = None, *, queued: bool = True
    ) -> Permit:
        if queued:
            self.queue.popleft()
        now = self.clock.now()
        entry = _Entry(now, max(0, tokens))
        self.entries.append(entry)
        self.in_flight += 1
        if booking is None and self.shared is not None:
            self.shared.note_local(self, entry)
        self.wake()  # the next in line may fit too
        return Permit(self, entry, now - started, booking)

    async def _wait(self, changed: asyncio.Event, delay: float | None) -> None:
        if delay is None:
            await changed.wait()
            return
        waiters = {
            asyncio.ensure_future(changed.wait()),
            asyncio.ensure_future(self.clock.sleep(delay)),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waiters:
                task.cancel()

    def leave(self, permit: Permit | None = None) -> None:
        """A call ended: free its in-flight slot (and its shared lease)."""
        self.in_flight = max(0, self.in_flight - 1)
        if permit is not None and permit._booking is not None and self.shared is not None:
            self.shared.release(permit._booking)
        self.wake()


class Limiter:
    """Rate and concurrency limits for every deployment, queued in arrival order.

    Use it from one event loop (the runtime's). ``clock`` is injectable for tests.
    ``window``: the seconds ``rpm`` and ``tpm`` count over (60: per minute).
    """

    def __init__(self, clock: Clock | None = None, *, window: float = _WINDOW) -> None:
        self.clock = clock or SystemClock()
        self.window = window
        #: The shared backend (see :meth:`share`), or None: limits are this process's.
        self.shared: SharedLimits | None = None
        self._gates: dict[str, _Gate] = {}

    def share(self, backend: SharedLimits) -> None:
        """Share every deployment's limits through ``backend`` (with its window) from now on."""
        self.shared = backend
        self.window = backend.settings.window
        for gate in self._gates.values():
            gate.shared, gate.window = backend, self.window

    def _gate(self, deployment: Deployment) -> _Gate:
        gate = self._gates.get(deployment.id)
        if gate is None:
            gate = _Gate(deployment, self.clock, self.window, self.shared)
            self._gates[deployment.id] = gate
        else:
            gate.configure(deployment)
        return gate

    def acquire(
        self, deployment: Deployment, tokens: int = 0
    ) -> contextlib.AbstractAsyncContextManager[Permit]:
        """Hold one call's place under ``deployment``'s limits for the ``async with`` body."""
        return _Held(self, deployment, tokens)

    async def take(self, deployment: Deployment, tokens: int = 0) -> Permit:
        """Wait for one call's place under ``deployment``'s limits; pair with :meth:`give_back`
        (what :meth:`acquire` does around its body)."""
        return await self._gate(deployment).enter(tokens)

    @staticmethod
    def give_back(permit: Permit) -> None:
        """Free the place ``permit`` holds (its in-flight slot and shared lease)."""
        permit._gate.leave(permit)

    def in_flight(self, deployment: Deployment | str) -> int:
        """Calls of this deployment between acquire and release."""
        gate = self._gates.get(_id(deployment))
        return gate.in_flight if gate else 0

    def waiting(self, deployment: Deployment | str) -> int:
        """Calls queued for this deployment."""
        gate = self._gates.get(_id(deployment))
        return len(gate.queue) if gate else 0

    def snapshot(self) -> dict[str, dict[str, int | None]]:
        """Per deployment: in flight, waiting, and the window's requests and tokens."""
        out: dict[str, dict[str, int | None]] = {}
        for dep_id, gate in self._gates.items():
            gate._prune(self.clock.now())
            out[dep_id] = {
                "in_flight": gate.in_flight,
                "waiting": len(gate.queue),
                "requests_last_minute": len(gate.entries),
                "tokens_last_minute": sum(e.tokens for e in gate.entries),
                "rpm": gate.rpm,
                "tpm": gate.tpm,
                "max_in_flight": gate.max_in_flight,
            }
        return out


class _Held:
    """``async with limiter.acquire(...) as permit``: a class, not a generator context
    manager, because it is on the path of every call."""

    __slots__ = ("_deployment", "_limiter", "_permit", "_tokens")

    def __init__(self, limiter: Limiter, deployment: Deployment, tokens: int) -> None:
        self._limiter = limiter
        self._deployment = deployment
        self._tokens = tokens
        self._permit: Permit | None = None

    async def __aenter__(self) -> Permit:
        self._permit = await self._limiter.take(self._deployment, self._tokens)
        return self._permit

    async def __aexit__(self, *exc: object) -> None:
        if self._permit is not None:
            permit, self._permit = self._permit, None
            self._limiter.give_back(permit)


def _part(limit: int | None, share: int) -> int | None:
    """This kernel's part of a quota shared by ``share`` kernels (at least 1)."""
    return None if limit is None else max(1, limit // share)


def _id(deployment: Deployment | str) -> str:
    return deployment if isinstance(deployment, str) else deployment.id
