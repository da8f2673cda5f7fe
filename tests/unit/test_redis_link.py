"""A Redis URL a user typed: checked before anything connects, every message naming where
it came from (``redis=`` or ``ORCHESTRATION_REDIS_URL``), none quoting its password."""

from __future__ import annotations

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.redis_link import RedisSettings, client
from tests.ports import refused_port

SECRET = "Hunter2-" + "pw" * 4


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("127.0.0.1:6379", "Did you mean 'redis://127.0.0.1:6379'?"),
        ("localhost:6379/0", "Did you mean 'redis://localhost:6379/0'?"),
        ("redis//localhost:6379", "Did you mean 'redis://localhost:6379'?"),
        ("redis:/localhost:6379/0", "Did you mean 'redis://localhost:6379/0'?"),
        ("redsi://localhost:6379/0", "Did you mean 'redis' or 'rediss'?"),
        ("redis://localhost:63x9/0", "takes a URL such as redis://localhost:6379/0"),
        ("redis://localhost:6379/team", "the database number (/0, /1, ...), not '/team'"),
    ],
)
def test_a_mistyped_url_in_the_variable_says_so_and_what_was_meant(
    typed: str, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCHESTRATION_REDIS_URL", typed)
    with pytest.raises(ConfigurationError, match="ORCHESTRATION_REDIS_URL") as caught:
        OrchestrationEngine(offline="on", audit=False)
    assert says in str(caught.value)


def test_a_url_given_in_code_is_named_as_redis_and_its_password_never_shown() -> None:
    with pytest.raises(ConfigurationError, match=r"^redis= takes a URL") as caught:
        OrchestrationEngine(offline="on", audit=False, redis=f"redis//:{SECRET}@host:6379")
    assert SECRET not in str(caught.value)
    with pytest.raises(ConfigurationError, match="database number") as caught:
        RedisSettings(f"redis://:{SECRET}@host:6379/team")
    assert SECRET not in str(caught.value) and ":***@host" in str(caught.value)


def test_an_option_redis_does_not_know_is_a_configuration_error_not_a_type_error() -> None:
    """Before: ``?x=1`` made every call fail with redis's own TypeError."""
    settings = RedisSettings(f"redis://default:{SECRET}@127.0.0.1:1/0?sockettimeout=2")
    with pytest.raises(ConfigurationError, match="sockettimeout") as caught:
        client(settings)
    assert SECRET not in str(caught.value) and "socket_timeout=" in str(caught.value)
    bad_value = RedisSettings("redis://127.0.0.1:1/0?socket_timeout=soon")
    with pytest.raises(ConfigurationError, match="socket_timeout"):
        client(bad_value)


def test_a_password_in_the_query_is_hidden_like_one_in_the_user_part() -> None:
    """redis-py also reads ``?password=`` from a URL. Before: only ``user:pw@`` was masked,
    so the query's password showed in every warning, error, repr and status."""
    from orchestration_kernel.redis_link import redact

    assert redact(f"redis://h:1/0?db=0&Password={SECRET}&x=1") == (
        "redis://h:1/0?db=0&Password=***&x=1"
    )
    with refused_port() as port:  # a port nothing listens on: refused at once
        _refused_with_the_password_hidden(f"redis://127.0.0.1:{port}/0?password={SECRET}")


def _refused_with_the_password_hidden(url: str) -> None:
    """Redis refuses at ``url``: no message, repr or status shows its ``?password=``."""
    import warnings

    from orchestration_kernel.errors import SharedStateError

    engine = OrchestrationEngine(offline="on", audit=False, redis=RedisSettings(url, timeout=0.5))
    shown: list[str] = [repr(engine.redis), repr(engine.bus)]
    try:
        engine.add_pool("team", [{"model": "openai:gpt-4o-mini", "rpm": 10}])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            engine.complete_sync("team", "hello")  # goes on locally, and says why
            with pytest.raises(SharedStateError) as refused:
                engine.runtime.run_sync(engine.bus.update_context({"k": 1}))
        shown += [str(w.message) for w in caught] + [str(refused.value)]
        shown.append(str(engine.router.limiter.shared.status()))
        assert any("Shared rate limits unavailable" in text for text in shown)
        assert all(SECRET not in text for text in shown), shown
        assert "password=***" in str(refused.value)
    finally:
        engine.close()
