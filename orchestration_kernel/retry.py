"""The engine's one retry policy: bounded attempts, exponential backoff with jitter,
and the server's ``Retry-After`` honoured. SDK retries are switched off so that this
is the only place that decides.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .errors import AuthenticationError, ConnectionFailure, ProviderError
from .user_spec import check_number

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one deployment is retried.

    ``max_attempts`` counts the first try. The n-th retry waits
    ``min(max_delay, base_delay * 2**(n-1))`` scaled by a random factor in
    ``[1 - jitter, 1]``, or the server's ``Retry-After`` when it is longer (capped at
    ``max_retry_after``). 400, 401, 403, 404 and 422 are never retried, except one
    retry after a 401 when the credential is a refreshable token, and a connection
    refused on loopback is not retried (:mod:`.loopback`).
    """

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 20.0
    jitter: float = 0.5
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        check_number("RetryPolicy", "max_attempts", self.max_attempts, low=1)
        for name in ("base_delay", "max_delay", "max_retry_after"):
            check_number("RetryPolicy", name, getattr(self, name), low=0)
        check_number("RetryPolicy", "jitter", self.jitter, low=0, high=1)

    def should_retry(self, error: ProviderError, attempt: int) -> bool:
        """True when ``error`` on try number ``attempt`` (1-based) deserves another try.
        A connection refused on loopback does not: that server is not running."""
        if isinstance(error, ConnectionFailure) and error.refused_locally:
            return False
        return error.retryable and attempt < self.max_attempts

    def delay(self, attempt: int, error: ProviderError | None = None) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        backoff = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        backoff *= 1.0 - self.jitter * random.random()
        hint = getattr(error, "retry_after", None)
        if hint is not None:
            return float(max(backoff, min(float(hint), self.max_retry_after)))
        return float(backoff)

    @staticmethod
    def refresh_worthy(error: ProviderError) -> bool:
        """A 401 that a refreshed token might cure."""
        return isinstance(error, AuthenticationError) and error.status == 401
