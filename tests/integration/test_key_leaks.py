"""No key leaks in any form (issue 15, item 4), against the wire servers with real SDKs.

A key read with surrounding whitespace (a key file's trailing newline) is normalised
where it is read, so the key every SDK sends is the key we mask; a provider that echoes
it back is masked in every place a user sees an error; no log record of the SDK and
HTTP loggers carries it, even when an SDK refuses the header and quotes it; and the
error a caller holds keeps no link to the SDK exception and its request headers.
"""

from __future__ import annotations

import logging
import os
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.errors import AllAttemptsFailed, OrchestrationError
from orchestration_kernel.widgets.compare_view import CompareView
from tests.servers import AnthropicServer, GeminiServer, OpenAIServer, PerplexityServer

pytestmark = pytest.mark.timeout(60)


@dataclass(frozen=True)
class Vendor:
    provider: str
    server: type
    model: str
    other: str  # a second model id, as a fallback that fails the same way
    key_env: str
    url_env: str


VENDORS = [
    Vendor("openai", OpenAIServer, "gpt-4o-mini", "gpt-4o", "OPENAI_API_KEY", "OPENAI_BASE_URL"),
    Vendor(
        "anthropic",
        AnthropicServer,
        "claude-haiku-4-5",
        "claude-sonnet-4-5",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
    ),
    Vendor(
        "gemini",
        GeminiServer,
        "gemini-2.5-flash",
        "gemini-2.5-pro",
        "GEMINI_API_KEY",
        "GOOGLE_GEMINI_BASE_URL",
    ),
    Vendor(
        "perplexity",
        PerplexityServer,
        "sonar",
        "sonar-pro",
        "PERPLEXITY_API_KEY",
        "PERPLEXITY_BASE_URL",
    ),
]
FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)


@pytest.fixture(params=VENDORS, ids=[v.provider for v in VENDORS])
def refusing(request) -> Iterator[tuple[Vendor, object]]:
    """A server that refuses every credential and quotes it back, as OpenAI does."""
    spec: Vendor = request.param
    with spec.server(require_bearer=lambda token: False) as srv:
        srv.echo_credential = True
        yield spec, srv


def new_key(sep: str = "") -> str:
    """A random key (``sep`` between its halves), with no word a message could contain."""
    return "sk-" + os.urandom(12).hex() + sep + os.urandom(12).hex()


def pieces(key: str) -> list[str]:
    """Every 8 characters in a row of the key's random part: none may show anywhere."""
    core = key.strip().removeprefix("sk-")
    return [core[i : i + 8] for i in range(len(core) - 7) if "\n" not in core[i : i + 8]]


def assert_hidden(key: str, *texts: str) -> None:
    for text in texts:
        leaked = [p for p in pieces(key) if p in text]
        assert not leaked, f"key material {leaked[:3]} in: {text[:300]!r}"


def chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


async def test_a_key_read_with_a_trailing_newline_is_masked_where_the_provider_echoes_it(
    refusing, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, srv = refusing
    key = new_key()
    monkeypatch.setenv(spec.key_env, key + "\n")  # as read from a key file
    monkeypatch.setenv(spec.url_env, srv.base_url)
    engine = OrchestrationEngine(offline="off", retry=FAST)
    model, fallback = f"{spec.provider}:{spec.model}", f"{spec.provider}:{spec.other}"
    with pytest.raises(OrchestrationError) as info:
        await engine.complete(model, "hi", fallbacks=[fallback])
    error = info.value
    # The server saw the key stripped, and echoed it: the echo reached our error path.
    assert srv.requests[-1].credential == key and "Incorrect API key provided" in str(error)
    assert isinstance(error, AllAttemptsFailed) and error.attempts
    attempts = [a.error or "" for a in error.attempts]
    assert all("********" in a for a in attempts)
    shown = ["".join(traceback.format_exception(error)), repr(error), *attempts]
    table = await engine.compare([model], "hi")
    view = CompareView(table, widget=False)._repr_mimebundle_()
    assert_hidden(
        key, str(error), *shown, repr(table.rows()), view["text/html"], view["text/plain"]
    )
    # Nothing in what the caller holds leads back to the SDK exception and its request.
    for err in [error, error.last, *chain(error.last)]:
        assert not hasattr(err, "request"), type(err)
    assert error.last is not None and error.last.__context__ is None
    engine.close()


async def test_no_sdk_or_http_log_record_carries_a_key_the_sdk_refuses_to_send(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """httpcore2 logs h11's "Illegal header value" with the whole Authorization header,
    escaped twice; the filter on the SDK and HTTP loggers masks every form of it."""
    key = new_key(sep="\n")  # a newline inside: the SDK refuses to send it
    with OpenAIServer() as srv:
        engine = OrchestrationEngine(
            offline="off", keys={"openai": key}, base_urls={"openai": srv.base_url}, retry=FAST
        )
        with caplog.at_level(logging.DEBUG), pytest.raises(OrchestrationError) as info:
            await engine.complete("openai:gpt-4o-mini", "hi")
        engine.close()
    logged = caplog.text + "".join(logging.Formatter().format(r) for r in caplog.records)
    assert re.search(r"Illegal header value|LocalProtocolError", logged), "the SDK's refusal"
    assert_hidden(key, logged, str(info.value), "".join(traceback.format_exception(info.value)))
