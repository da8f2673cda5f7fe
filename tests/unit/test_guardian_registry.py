"""Guardian policies are one table per Guardian: built-ins, registered ones, unknown names."""

from __future__ import annotations

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError, GuardianBlocked
from orchestration_kernel.guardian import BUILTIN_POLICIES, Guardian
from orchestration_kernel.guardian.builtins import PolicySetup
from orchestration_kernel.guardian.policy import BasePolicy, Outcome


class NoShouting(BasePolicy):
    """Blocks a prompt written in capitals (longer than ``min_chars``)."""

    name = "no_shouting"
    stages = ("input",)

    def __init__(self, min_chars: int) -> None:
        super().__init__()
        self.min_chars = min_chars

    def check(self, text, ctx, stage):
        if len(text) >= self.min_chars and text.isupper():
            return Outcome(action="block", reasons=["the prompt is shouted"])
        return Outcome(action="allow")


def test_every_builtin_name_is_in_a_new_guardian_s_table() -> None:
    assert set(BUILTIN_POLICIES) <= set(Guardian().registry)


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Guardian(policies=["secrets", "no_such_policy"])
    assert "no_such_policy" in str(caught.value) and "pii" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_registered_policy_is_built_from_the_setup_and_runs() -> None:
    guardian = Guardian(policies=["secrets"])
    seen: list[PolicySetup] = []

    def factory(setup: PolicySetup) -> BasePolicy:
        seen.append(setup)
        return NoShouting(min_chars=5)

    guardian.register_policy("no_shouting", factory)
    guardian.add_policy("no_shouting")
    assert [p.name for p in guardian.policies] == ["secrets", "no_shouting"]
    assert seen and seen[0].config is guardian.config
    engine = OrchestrationEngine(offline="on", audit=False, guardian=guardian)
    with pytest.raises(GuardianBlocked, match="no_shouting"):
        engine.complete_sync("gpt-4o-mini", "STOP EVERYTHING NOW")
    assert engine.complete_sync("gpt-4o-mini", "a calm question").text


def test_the_table_belongs_to_one_guardian() -> None:
    first, second = Guardian(policies=[]), Guardian(policies=[])
    first.register_policy("no_shouting", lambda setup: NoShouting(3))
    with pytest.raises(ConfigurationError, match="no_shouting"):
        second.add_policy("no_shouting")
