"""Identity, access control, limits and budgets."""

from __future__ import annotations

import pytest

from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.guardian import (
    AccessPolicy,
    AccessRule,
    GuardContext,
    Guardian,
    Identity,
    LimitsPolicy,
    SpendLedger,
    estimate_tokens,
    model_matches,
)
from orchestration_kernel.secrets import Secret

TOKEN = "tok-" + "q7" * 16


def ctx(model: str = "openai:gpt-4o-mini", **kw) -> GuardContext:
    return GuardContext(model=model, provider=model.split(":")[0], **kw)


def test_identity_never_shows_its_token() -> None:
    who = Identity(user_id="alice", roles=["analyst"], token=TOKEN, claims={"org": "acme"})
    assert isinstance(who.token, Secret) and who.token.get() == TOKEN
    for shown in (repr(who), str(who), who.model_dump_json(), str(who.model_dump())):
        assert TOKEN not in shown
    assert str(who) == "alice (analyst)" and who.metadata() == {"user_id": "alice"}
    assert Identity(user_id="bob").label == "bob" and Identity(user_id="b", token="").token is None
    with pytest.raises(ConfigurationError):
        Identity(user_id="")
    with pytest.raises(ConfigurationError):
        Identity(user_id="x", token=123)


def test_model_patterns() -> None:
    assert model_matches(["openai:*"], "openai:gpt-4o")
    assert model_matches(["gpt-4o*"], "openai:gpt-4o-mini")
    assert not model_matches(["anthropic:*"], "openai:gpt-4o")


ACCESS = AccessPolicy(
    users={"alice": AccessRule(allow=["*"], deny=["perplexity:*"], rpm=5)},
    roles={
        "analyst": AccessRule(allow=["openai:*"], rpm=10, budget_usd=1.0),
        "lead": AccessRule(allow=["anthropic:*"], rpm=30, budget_usd=5.0),
    },
    default=None,
    anonymous=AccessRule(allow=["sim:*"]),
)


def test_access_rules() -> None:
    bob = Identity(user_id="bob", roles=["analyst"])
    assert ACCESS.denial(bob, "openai:gpt-4o") is None
    reason = ACCESS.denial(bob, "anthropic:claude-3")
    assert "may not use anthropic:claude-3" in reason and "openai:*" in reason
    assert "denied by user 'alice'" in ACCESS.denial(Identity(user_id="alice"), "perplexity:sonar")
    assert "no access rule" in ACCESS.denial(Identity(user_id="eve"), "openai:gpt-4o")
    assert ACCESS.denial(None, "sim:echo") is None
    assert ACCESS.denial(None, "openai:gpt-4o").startswith("anonymous caller")


def test_limits_for_identity() -> None:
    both = Identity(user_id="carol", roles=["analyst", "lead"])
    assert (ACCESS.limits_for(both).rpm, ACCESS.limits_for(both).budget_usd) == (30, 5.0)
    alice = Identity(user_id="alice", roles=["lead"])
    assert ACCESS.limits_for(alice).rpm == 5  # the user rule wins
    assert ACCESS.limits_for(alice).budget_usd == 5.0
    assert AccessPolicy(default=AccessRule(rpm=7)).limits_for(None).rpm == 7
    assert Guardian().limits_for(alice) == AccessRule()
    assert Guardian(access=ACCESS).limits_for(alice).rpm == 5


async def test_denied_call_is_a_block_with_the_reason() -> None:
    g = Guardian(access=ACCESS)
    bob = Identity(user_id="bob", roles=["analyst"])
    verdict = await g.check_input("hello", ctx("anthropic:claude-3", identity=bob))
    assert verdict.blocked
    assert verdict.policy_decisions[0].policy == "access"
    assert "may not use anthropic:claude-3" in verdict.reasons[0]
    assert not (await g.check_input("hello", ctx(identity=bob))).blocked


async def test_max_input_tokens_and_allowed_models() -> None:
    g = Guardian(max_input_tokens=10, allowed_models=["openai:*", "sim:*"])
    # The limit uses the one shared estimator (routing's), whatever its exact counts.
    long = "The quarterly report shows revenue growth across every region, again, this year."
    short = "hello there"
    assert estimate_tokens(long) > 10 >= estimate_tokens(short)
    assert (await g.check_input(long, ctx())).blocked
    assert not (await g.check_input(short, ctx())).blocked
    assert (await g.check_input("hi", ctx(input_tokens=11))).blocked
    verdict = await g.check_input("hi", ctx("gemini:gemini-2.5-flash"))
    assert verdict.blocked and "not in the allowed models" in verdict.reasons[0]


async def test_session_budget_checked_before_the_call() -> None:
    g = Guardian(session_budget_usd=1.0)
    assert not (await g.check_input("hi", ctx(session_id="s", estimated_cost_usd=0.6))).blocked
    g.record_spend(0.6, "s", None)
    over = await g.check_input("hi", ctx(session_id="s", estimated_cost_usd=0.6))
    assert over.blocked and "would be exceeded" in over.reasons[0]
    assert not (await g.check_input("hi", ctx(session_id="other", estimated_cost_usd=0.6))).blocked
    unknown = await g.check_input("hi", ctx(session_id="s"))
    assert unknown.action == "warn" and "unknown" in unknown.reasons[0]
    g.record_spend(0.5, "s", None)
    assert "used up" in (await g.check_input("hi", ctx(session_id="s"))).reasons[0]


async def test_identity_budget_is_the_tighter_of_config_and_access_rule() -> None:
    g = Guardian(access=ACCESS, identity_budget_usd=3.0)
    bob = Identity(user_id="bob", roles=["analyst"])  # access rule budget 1.0
    g.record_spend(0.9, "s1", bob)
    verdict = await g.check_input("hi", ctx(identity=bob, estimated_cost_usd=0.2))
    assert verdict.blocked and "identity 'bob'" in verdict.reasons[0]
    assert g.ledger.identity_spend("bob") == pytest.approx(0.9)


def test_ledger_ignores_unknown_and_negative_costs() -> None:
    ledger = SpendLedger()
    ledger.record(None, "s", "u")
    ledger.record(-1, "s", "u")
    ledger.record(float("nan"), "s", "u")
    ledger.record(0.25, "s", Identity(user_id="u"))
    assert ledger.session_spend("s") == 0.25 and ledger.identity_spend("u") == 0.25
    assert ledger.session_spend(None) == 0.0 and ledger.identity_spend(None) == 0.0
    assert "sessions=1" in repr(ledger)


def test_limits_policy_without_settings_allows() -> None:
    assert LimitsPolicy().check("x" * 10_000, ctx(), "input") is None
