"""A Redis URL a user typed: checked before anything connects, every message naming where
it came from (``redis=`` or ``ORCHESTRATION_REDIS_URL``), none quoting its password."""

from __future__ import annotations

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.redis_link import RedisSettings, client

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
