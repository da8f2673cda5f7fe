"""A Redis that refuses the URL's password is a clear error, not a quiet fallback
(session 10, fixes). Before: a wrong password (WRONGPASS) or none given (NOAUTH) read as
"Redis is down": shared limits warned once and went on with local limits, so a team's
kernels each believed they shared quotas, context and live messages that they did not.
Now the call, publish or context read raises ConfigurationError naming the URL (its
password masked) and what is wrong; the right password works; an unreachable Redis still
degrades as designed. A real redis-server started with ``--requirepass``."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

import pytest

from orchestration_kernel import ContextBus, OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.routing.shared_limits import SharedLimitsWarning
from tests.redis_server import RedisServer, running_redis

pytestmark = [pytest.mark.redis, pytest.mark.timeout(120)]

SECRET = "Hunter2-" + os.urandom(6).hex()


@pytest.fixture
def locked() -> Iterator[RedisServer]:
    with running_redis("--requirepass", SECRET) as server:
        yield server


def _engine(url: str, monkeypatch: pytest.MonkeyPatch) -> OrchestrationEngine:
    monkeypatch.setenv("ORCHESTRATION_REDIS_URL", url)
    engine = OrchestrationEngine(offline="on", audit=False)
    engine.add_pool("team", [{"model": "openai:gpt-4o-mini", "rpm": 100}])
    return engine


@pytest.mark.parametrize(
    "password, says",
    [
        ("wrong-" + SECRET, "refused the user name or password in the URL"),  # WRONGPASS
        (None, "wants a password, and the URL gives none"),  # NOAUTH
    ],
    # Fixed ids: the password is random per process, and two xdist workers that collect
    # different test ids refuse to run the suite at all.
    ids=["wrong password", "no password"],
)
async def test_a_refused_password_fails_each_shared_use_clearly(
    locked: RedisServer, monkeypatch: pytest.MonkeyPatch, password: str | None, says: str
) -> None:
    auth = f":{password}@" if password else ""
    url = f"redis://{auth}127.0.0.1:{locked.port}/0"
    engine = _engine(url, monkeypatch)
    uses = {
        "a call under shared limits": lambda: engine.complete("team", "hello"),
        "a publish": lambda: engine.bus.publish("context.updated", {"k": 1}),
        "a context read": lambda: engine.bus.get_context("s"),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning, no silent local fallback
        for use, run in uses.items():
            with pytest.raises(ConfigurationError) as caught:
                await run()
            message = str(caught.value)
            assert says in message, use
            assert "ORCHESTRATION_REDIS_URL=" in message and "nothing was written" in message
            assert SECRET not in message and (password is None or password not in message)
    engine.close()


async def test_the_right_password_shares_and_an_unreachable_redis_still_degrades(
    locked: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"redis://:{SECRET}@127.0.0.1:{locked.port}/0"
    engine = _engine(url, monkeypatch)
    assert "hello" in (await engine.complete("team", "hello")).text
    await engine.bus.publish("context.updated", {"k": 1})
    other = ContextBus(url, runtime=engine.runtime)
    assert (await other.get_context(engine.session_id))["k"] == 1
    await other.close()
    locked.stop()  # unreachable: calls go on with local limits, and say so once
    with pytest.warns(SharedLimitsWarning, match="did not answer"):
        assert "again" in (await engine.complete("team", "again")).text
    engine.close()
