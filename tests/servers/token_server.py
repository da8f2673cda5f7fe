"""A loopback OAuth2-style token endpoint, to test refreshable bearer credentials.

``POST /token`` (form or JSON body, any grant) answers
``{"access_token", "expires_in", "token_type": "Bearer"}`` with a new, distinct token each
time. Point a wire server's ``require_bearer`` at :meth:`TokenServer.is_valid` and a token
that has expired (or was expired with :meth:`TokenServer.expire_all`) gets a 401 there.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import time
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from .base import Call, Route, WireServer
from .transport import HTTPRequest, Responder

__all__ = ["TokenServer"]


class TokenServer(WireServer):
    """Issues short-lived bearer tokens; counts what it issued and what was checked.

    ``lifetime`` (seconds, settable) is how long a new token is valid. Faults scripted with
    ``script(...)`` apply to ``/token`` (for example a 500 from the identity provider).
    """

    provider: ClassVar[str] = "token"

    def __init__(self, *, lifetime: float = 3600.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.lifetime = lifetime
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._counter = itertools.count(1)
        self._token_lock = threading.Lock()
        self.validations = 0
        self.rejections = 0

    @property
    def token_url(self) -> str:
        """``http://127.0.0.1:PORT/token``."""
        return f"{self.url}/token"

    @property
    def issued(self) -> int:
        """How many tokens were issued."""
        with self._token_lock:
            return len(self._tokens)

    @property
    def tokens(self) -> list[str]:
        """Every token issued, oldest first (test fixtures, not real secrets)."""
        with self._token_lock:
            return list(self._tokens)

    def issue(self) -> tuple[str, float]:
        """Mint a token valid for ``lifetime`` seconds; returns it and its lifetime."""
        lifetime = float(self.lifetime)
        token = f"wire-token-{next(self._counter)}-{secrets.token_hex(8)}"
        with self._token_lock:
            self._tokens[token] = time.monotonic() + lifetime
        return token, lifetime

    def is_valid(self, token: str) -> bool:
        """True if ``token`` was issued here and has not expired (thread-safe)."""
        with self._token_lock:
            expiry = self._tokens.get(token)
            ok = expiry is not None and time.monotonic() < expiry
            self.validations += 1
            self.rejections += 0 if ok else 1
        return ok

    def expire_all(self) -> None:
        """Make every issued token invalid now (the next use of any of them gets a 401)."""
        with self._token_lock:
            self._tokens = dict.fromkeys(self._tokens, float("-inf"))

    def clear(self) -> None:
        """Clear the log, faults, issued tokens and counters."""
        super().clear()
        with self._token_lock:
            self._tokens.clear()
            self.validations = self.rejections = 0

    def routes(self) -> list[Route]:
        """``POST /token`` (also ``/oauth2/token`` and ``/oauth/token``)."""
        return [Route("POST", re.compile(r"^(?:/oauth2?)?/token$"), self._token)]

    def error_payload(
        self, status: int, message: str, kind: str, retry_after: float | str | None = None
    ) -> dict[str, Any]:
        """RFC 6749 style: ``{"error", "error_description"}``."""
        code = "invalid_client" if status == 401 else "temporarily_unavailable"
        if 400 <= status < 500 and status not in (401, 429):
            code = "invalid_request"
        return {"error": code, "error_description": message}

    async def _token(self, request: HTTPRequest, responder: Responder, _: re.Match[str]) -> None:
        log = self.new_log(request)
        if log.json is None and request.body:
            log.json = dict(parse_qsl(request.body.decode("latin-1")))  # form-encoded grant
        call = Call(request, log, "", False, "")
        await self.serve_call(call, responder, self._token_json)

    def _token_json(self, call: Call, finish: bool) -> dict[str, Any]:
        token, lifetime = self.issue()
        expires_in: float | int = int(lifetime) if lifetime.is_integer() else lifetime
        return {"access_token": token, "expires_in": expires_in, "token_type": "Bearer"}
