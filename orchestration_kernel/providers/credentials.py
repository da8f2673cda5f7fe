"""Refreshable bearer credentials for providers: OAuth2 tokens instead of static keys.

A :class:`TokenProvider` wraps whatever produces a token — a user callable, an
object with ``get_token()``, or the OAuth2 client-credentials flow in
:class:`OAuth2ClientCredentials` — and caches the token until shortly before it
expires. Adapters ask it for the current token on every call, so a refresh (on
expiry, or after :meth:`TokenProvider.invalidate` following a 401) reaches the very
next request. Tokens are held as :class:`~orchestration_kernel.secrets.Secret`.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectionFailure,
    ProviderError,
    ProviderTimeout,
)
from ..secrets import Secret, guard_logs
from .base import error_from_status

__all__ = [
    "LoopLocks",
    "OAuth2ClientCredentials",
    "Token",
    "TokenProvider",
    "as_token_provider",
]

#: Refresh this many seconds before a token's expiry, so no request carries a token
#: that expires in flight.
DEFAULT_SKEW_S = 60.0


@dataclass(frozen=True)
class Token:
    """A bearer token and when it expires (unix seconds; ``None``: unknown, ask every time)."""

    value: Secret
    expires_at: float | None = None

    def fresh(self, now: float, skew: float) -> bool:
        """True while the token may still be used (``skew`` seconds before expiry)."""
        return self.expires_at is not None and now < self.expires_at - skew

    def __repr__(self) -> str:
        return f"Token(value=Secret('********'), expires_at={self.expires_at!r})"


TokenSource = Callable[[], Any]


def _coerce_token(result: object) -> Token:
    """Accept the shapes a token source may return and make a :class:`Token` of them."""
    if isinstance(result, Token):
        return result
    if isinstance(result, str | Secret):
        # A bare string: the source caches on its own (like Azure's bearer token provider).
        return Token(Secret(result), None)
    if isinstance(result, tuple) and len(result) == 2:
        value, expires = result
        return Token(Secret(value), None if expires is None else float(expires))
    # Objects such as azure.core's AccessToken(token, expires_on) or anthropic's AccessToken.
    value = getattr(result, "token", None) or getattr(result, "access_token", None)
    if isinstance(value, str | Secret) and value:
        expires = getattr(result, "expires_at", None)
        if expires is None:
            expires = getattr(result, "expires_on", None)
        return Token(Secret(value), None if expires is None else float(expires))
    raise ConfigurationError(
        f"a token source returned {type(result).__name__}; it must return a Token, a string, "
        "or a (token, expires_at) tuple"
    )


def detached(error: BaseException) -> BaseException:
    """``error``, to be raised outside the ``except`` that made it, with no link back to
    the SDK or HTTP exception: that one carries the request (its headers hold the key or
    client secret) and the raw response, and ``raise ... from None`` would only hide it,
    still reachable as ``__context__`` from the error every caller, log and notebook holds.
    """
    error.__cause__ = None
    error.__context__ = None
    error.__suppress_context__ = True
    return error


class LoopLocks:
    """One :class:`asyncio.Lock` per event loop: an asyncio lock is bound to the loop that
    first waits on it, and the objects guarded here may be used from several loops."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def get(self) -> asyncio.Lock:
        """The running loop's lock (locks of closed loops are dropped)."""
        loop = asyncio.get_running_loop()
        with self._guard:
            for old in [lp for lp in self._locks if lp.is_closed()]:
                del self._locks[old]
            return self._locks.setdefault(loop, asyncio.Lock())


class TokenProvider:
    """A cached, refreshable bearer token.

    ``source`` is called (sync callables in a worker thread, async ones awaited) when
    there is no token, when the token is within ``skew`` seconds of its expiry, or after
    :meth:`invalidate`. A source returning a bare string is asked on every call, since
    it manages its own cache. Concurrent callers share one refresh.
    """

    def __init__(
        self,
        source: TokenSource,
        *,
        skew: float = DEFAULT_SKEW_S,
        clock: Callable[[], float] = time.time,
        name: str = "token",
    ) -> None:
        if not callable(source) and not callable(getattr(source, "get_token", None)):
            raise ConfigurationError(
                "a credential must be a callable returning a token, or an object with "
                f"get_token(); got {type(source).__name__}"
            )
        self._source = source
        self.skew = skew
        self.name = name
        self._clock = clock
        self._token: Token | None = None
        self._state_lock = threading.Lock()
        self._locks = LoopLocks()
        #: How many times the source has been asked (for diagnostics and tests).
        self.refreshes = 0

    def __repr__(self) -> str:
        state = "cached" if self._token is not None else "empty"
        return f"{type(self).__name__}(name={self.name!r}, {state})"

    @property
    def current(self) -> Token | None:
        """The cached token, if any (it may be stale)."""
        return self._token

    def invalidate(self) -> None:
        """Forget the cached token, so the next :meth:`get` fetches a new one (after a 401)."""
        with self._state_lock:
            self._token = None

    async def get(self) -> Secret:
        """The current token's value, refreshed first if needed."""
        return (await self.token()).value

    async def token(self) -> Token:
        """The current :class:`Token`, refreshed first if it is missing or about to expire."""
        cached = self._cached()
        if cached is not None:
            return cached
        async with self._locks.get():
            cached = self._cached()  # another task may have refreshed while we waited
            if cached is not None:
                return cached
            token = await self._fetch()
            with self._state_lock:
                self._token = token
            return token

    def _cached(self) -> Token | None:
        with self._state_lock:
            token = self._token
        if token is not None and token.fresh(self._clock(), self.skew):
            return token
        return None

    async def _fetch(self) -> Token:
        self.refreshes += 1
        fn = self._source if callable(self._source) else self._source.get_token
        if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)  # noqa: B004 - an object whose __call__ is async
        ):
            result = await fn()
        else:
            # A sync source may block on its own network call; keep the loop free.
            result = await asyncio.to_thread(fn)
            if inspect.isawaitable(result):
                result = await result
        return _coerce_token(result)


def as_token_provider(credential: Any) -> TokenProvider | None:
    """``credential`` as a :class:`TokenProvider` (wrapping a callable or token object)."""
    if credential is None or isinstance(credential, TokenProvider):
        return credential
    return TokenProvider(credential)


class OAuth2ClientCredentials(TokenProvider):
    """The OAuth2 client-credentials grant (RFC 6749 §4.4) against ``token_url``.

    The client authenticates with HTTP Basic by default (``auth_method="basic"``), or
    with the id and secret in the form body (``auth_method="post"``). ``extra`` adds form
    fields (``audience``, ``resource``). The token endpoint is called with ``httpx2``.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str | Secret,
        scope: str | list[str] | None = None,
        *,
        auth_method: str = "basic",
        extra: dict[str, str] | None = None,
        timeout: float = 10.0,
        skew: float = DEFAULT_SKEW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if auth_method not in ("basic", "post"):
            raise ConfigurationError(f"auth_method must be 'basic' or 'post', not {auth_method!r}")
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = Secret(client_secret)
        self.scope = " ".join(scope) if isinstance(scope, list) else scope
        self.auth_method = auth_method
        self.extra = dict(extra or {})
        self.timeout = timeout
        super().__init__(self._request_token, skew=skew, clock=clock, name=f"oauth2:{client_id}")

    def __repr__(self) -> str:
        return (
            f"OAuth2ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            f"scope={self.scope!r}, client_secret=Secret('********'))"
        )

    async def _request_token(self) -> Token:
        import httpx2

        guard_logs()  # httpx2 may log the request, and it carries the secret

        form = {"grant_type": "client_credentials", **self.extra}
        if self.scope:
            form["scope"] = self.scope
        auth: Any = None
        if self.auth_method == "basic":
            auth = httpx2.BasicAuth(self.client_id, self._client_secret.get())
        else:
            form.update(client_id=self.client_id, client_secret=self._client_secret.get())
        sent_at = self._clock()
        failure: ProviderError
        try:
            # A fresh client per fetch: fetches are rare, and it keeps us loop-agnostic.
            async with httpx2.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    self.token_url, data=form, auth=auth, headers={"Accept": "application/json"}
                )
        except httpx2.TimeoutException:
            failure = ProviderTimeout(
                f"token endpoint did not answer within {self.timeout:g}s",
                phase="connect",
                provider=self.name,
            )
        except httpx2.HTTPError as exc:
            failure = ConnectionFailure(
                f"token endpoint unreachable: {type(exc).__name__}", provider=self.name
            )
        else:
            return self._parse(response, sent_at)
        raise detached(failure)  # the httpx2 error's request holds the client secret

    def _parse(self, response: Any, sent_at: float) -> Token:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code >= 400:
            raise self._endpoint_error(response.status_code, body)
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise AuthenticationError(
                "token endpoint answered without an access_token", provider=self.name
            )
        expires_in = body.get("expires_in")
        expires_at = sent_at + float(expires_in) if expires_in is not None else None
        return Token(Secret(value), expires_at)

    def _endpoint_error(self, status: int, body: dict[str, Any]) -> ProviderError:
        # RFC 6749 §5.2: invalid_client / invalid_grant / unauthorized_client are auth failures.
        code = str(body.get("error") or "")
        description = str(body.get("error_description") or "")
        message = f"token endpoint refused the request: {code or 'error'}"
        if description:
            message += f" ({description})"
        message = message.replace(self._client_secret.get(), "********")
        if code in ("invalid_client", "invalid_grant", "unauthorized_client"):
            return AuthenticationError(message, provider=self.name, status=status)
        return error_from_status(status, message, provider=self.name)
