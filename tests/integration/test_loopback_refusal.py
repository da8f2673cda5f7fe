"""A refused connection to a server on this machine fails at once, naming the address;
a remote host keeps its retries. Real SDK clients over HTTP to a closed loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.errors import ConnectionFailure
from orchestration_kernel.loopback import is_loopback
from tests.conftest import fake_key
from tests.ports import refused_port

pytestmark = pytest.mark.timeout(120)

#: Three tries with a real backoff: what a remote host gets (0.5 s, then 1 s).
PATIENT = RetryPolicy(max_attempts=3, base_delay=0.5, jitter=0.0)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port nothing listens on, for the whole test (see tests/ports.py)."""
    with refused_port() as port:
        yield port


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_refused_loopback_connection_is_tried_once_and_names_the_address(
    host: str, provider: str, closed_port: int
) -> None:
    url = f"http://{host}:{closed_port}/v1"
    engine = OrchestrationEngine(
        offline="off", keys={provider: fake_key(provider)}, base_urls={provider: url},
        retry=PATIENT,
    )  # fmt: skip
    model = {"openai": "openai:gpt-4o-mini", "anthropic": "anthropic:claude-haiku-4-5"}[provider]
    try:
        with pytest.raises(ConnectionFailure) as failed:
            engine.complete_sync(model, "hello")
        assert f"(at {url}: is the server running?)" in str(failed.value)
        engine.audit.flush()
        calls = engine.audit.to_dataframe(event="call")
        assert len(calls) == 1  # one attempt, not three: nothing listens there
        assert calls["status"].iloc[0] != "ok"
    finally:
        engine.close()


@pytest.mark.parametrize(
    "url, local",
    [
        ("http://127.0.0.1:11434/v1", True),
        ("http://127.8.9.10:8000", True),
        ("http://localhost:8000/v1", True),
        ("http://LOCALHOST./v1", True),
        ("http://api.localhost:8000", True),
        ("http://[::1]:8000/v1", True),
        ("https://user:pw@127.0.0.1/v1?key=x", True),
        ("localhost:8000", True),
        ("https://api.openai.com/v1", False),
        ("http://10.0.0.5:11434/v1", False),
        ("http://[::2]:8000", False),
        ("http://localhost.example.com/v1", False),
        ("http://0.0.0.0:8000", False),
        ("http://127.0.0.1:port/v1", True),  # the host is still loopback
        ("", False),
        (None, False),
    ],
)
def test_which_base_urls_are_on_this_machine(url: str | None, local: bool) -> None:
    assert is_loopback(url) is local


def test_a_refused_remote_connection_keeps_its_retries() -> None:
    remote = ConnectionFailure("could not connect: Connection error (at https://h/v1)")
    assert PATIENT.should_retry(remote, 1) and PATIENT.should_retry(remote, 2)
    assert not PATIENT.should_retry(remote, 3)  # the bound still holds
    local = ConnectionFailure("could not connect: Connection error (at http://127.0.0.1/v1)")
    local.refused_locally = True
    assert not PATIENT.should_retry(local, 1)
