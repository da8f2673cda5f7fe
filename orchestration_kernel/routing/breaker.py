"""Circuit breakers: a deployment that keeps failing is cooled down, then probed.

States: ``closed`` (calls flow) -> ``open`` after ``failure_threshold`` consecutive
failures that are the deployment's fault -> ``half_open`` once ``cooldown`` seconds
have passed, when exactly one probe call is let through -> ``closed`` if the probe
succeeds, ``open`` again (a fresh cooldown) if it fails.

The deployment's fault means: retryable errors (429, 5xx, timeouts, dropped
connections and streams) and authentication failures (a revoked key fails every
call). A 400, a content-policy refusal or a context overflow is the request's
fault; the deployment answered, so it counts as a sign of life.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import AuthenticationError, ProviderError
from .clock import Clock, SystemClock

__all__ = ["BreakerPolicy", "BreakerState", "CircuitBreaker", "counts_against_deployment"]

BreakerState = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class BreakerPolicy:
    """When to open a breaker and for how long."""

    failure_threshold: int = 5
    cooldown: float = 30.0
    #: A 429's ``Retry-After`` longer than ``cooldown`` extends it, up to this cap.
    max_cooldown: float = 300.0


def counts_against_deployment(error: BaseException | None) -> bool:
    """True when ``error`` says the deployment (not the request) is unwell."""
    if error is None:
        return True  # a failure reported without detail: assume the deployment
    if isinstance(error, AuthenticationError):
        return True
    return isinstance(error, ProviderError) and error.retryable


class CircuitBreaker:
    """The breaker of one deployment. Not thread-safe: use it from the runtime loop."""

    def __init__(self, policy: BreakerPolicy | None = None, clock: Clock | None = None) -> None:
        self.policy = policy or BreakerPolicy()
        self.clock = clock or SystemClock()
        self._failures = 0
        self._opened_at: float | None = None
        self._cooldown = self.policy.cooldown
        self._probe_started: float | None = None
        self.times_opened = 0

    @property
    def state(self) -> BreakerState:
        """``closed``, ``open`` or ``half_open`` (open whose cooldown has passed)."""
        if self._opened_at is None:
            return "closed"
        if self.clock.now() - self._opened_at >= self._cooldown:
            return "half_open"
        return "open"

    @property
    def consecutive_failures(self) -> int:
        """Failures in a row that counted against the deployment."""
        return self._failures

    def seconds_until_half_open(self) -> float:
        """0 when calls (or a probe) may go now; else how long the cooldown still runs."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self._cooldown - self.clock.now())

    def available(self) -> bool:
        """True when a call may be sent now (closed, or half-open with no probe out)."""
        state = self.state
        if state == "closed":
            return True
        return state == "half_open" and not self._probe_out()

    def _probe_out(self) -> bool:
        """A probe is in flight (a stale probe, older than a cooldown, no longer counts)."""
        if self._probe_started is None:
            return False
        return self.clock.now() - self._probe_started < self._cooldown

    def acquire(self) -> bool:
        """Claim the right to send one call; in half-open this takes the single probe."""
        if not self.available():
            return False
        if self.state == "half_open":
            self._probe_started = self.clock.now()
        return True

    def record_success(self) -> None:
        """A call succeeded (or failed through no fault of the deployment): close."""
        self._failures = 0
        self._opened_at = None
        self._probe_started = None
        self._cooldown = self.policy.cooldown

    def record_failure(self, error: BaseException | None = None) -> None:
        """A call failed. Opens the breaker at the threshold, or when a probe fails."""
        if not counts_against_deployment(error):
            self.record_success()
            return
        self._failures += 1
        probing = self._opened_at is not None
        if probing or self._failures >= self.policy.failure_threshold:
            self._open(getattr(error, "retry_after", None))

    def release(self) -> None:
        """A claimed call ended with no verdict (cancelled): free the probe slot."""
        self._probe_started = None

    def _open(self, retry_after: float | None) -> None:
        self._opened_at = self.clock.now()
        self._probe_started = None
        hint = retry_after if retry_after is not None else 0.0
        self._cooldown = min(self.policy.max_cooldown, max(self.policy.cooldown, hint))
        self.times_opened += 1

    def snapshot(self) -> dict[str, object]:
        """JSON-able state for route reasons and monitoring."""
        return {
            "state": self.state,
            "consecutive_failures": self._failures,
            "seconds_until_half_open": round(self.seconds_until_half_open(), 3),
            "times_opened": self.times_opened,
        }

    def __repr__(self) -> str:
        return f"CircuitBreaker(state={self.state!r}, failures={self._failures})"
