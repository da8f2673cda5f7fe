"""The moderation policy against the local OpenAI wire server (never a real provider)."""

from __future__ import annotations

import pytest

from orchestration_kernel.errors import MissingKeyError
from orchestration_kernel.guardian import GuardContext, Guardian, ModerationPolicy
from tests.servers import OpenAIServer

CTX = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="s1")
FAKE_KEY = "sk-test-" + "x" * 20

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def server():
    with OpenAIServer() as srv:
        yield srv


async def test_moderation_off_by_default() -> None:
    assert "moderation" not in [p.name for p in Guardian().policies]


async def test_flagged_input_is_blocked_before_the_call(server) -> None:
    g = Guardian(moderation=True, moderation_base_url=server.base_url, moderation_api_key=FAKE_KEY)
    try:
        verdict = await g.check_input("please MODERATE_ME now", CTX)
        assert verdict.blocked
        decision = verdict.policy_decisions[-1]
        assert decision.policy == "moderation" and "harassment" in decision.reasons[0]
        assert not (await g.check_input("a kind message", CTX)).blocked
        assert (await g.check_output("MODERATE_ME", CTX)).blocked
    finally:
        await g.aclose()
    paths = [r.path for r in server.requests]
    assert paths.count("/v1/moderations") == 3
    assert server.requests[0].json["input"] == "please MODERATE_ME now"
    assert all(r.credential == FAKE_KEY for r in server.requests)


async def test_env_vars_and_threshold(server, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    policy = ModerationPolicy(threshold=0.99)
    try:
        out = await policy.check("MODERATE_ME", CTX, "input")
        assert out is not None and out.action == "block" and out.threshold == 0.99
        assert await policy.check("   ", CTX, "input") is None
    finally:
        await policy.aclose()


async def test_missing_key_fails_closed(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("ORCHESTRATION_NO_DOTENV", "1")
    monkeypatch.setenv("ORCHESTRATION_NO_KEYRING", "1")
    with pytest.raises(MissingKeyError):
        await ModerationPolicy().check("hello", CTX, "input")
    verdict = await Guardian(moderation=True).check_input("hello", CTX)
    assert verdict.blocked and verdict.overall.guardian_failure
    assert "MissingKeyError" in verdict.reasons[-1]
