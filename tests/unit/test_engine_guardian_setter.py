"""``engine.guardian = …`` on a live engine redacts the audit as constructing the engine
that way would: removing the Guardian leaves the credential floor (keys never written,
other text as written), a new Guardian redacts with its own rules, ``True``/``False``
work as in the constructor. Before, the trail kept the first Guardian's redaction and
``engine.guardian = False`` broke every later call."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.guardian import Guardian
from tests.conftest import fake_key

EMAIL = "jane.doe@example.com"


@pytest.fixture
def key() -> str:
    return "sk-proj-" + fake_key("Ab3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5oQ7sU9wY1")


def stored(engine: OrchestrationEngine, prompt: str) -> str:
    """The prompt as the audit keeps it for one call of ``engine``."""
    engine.complete_sync("sim:echo", prompt)
    assert engine.audit is not None
    engine.audit.flush()
    calls = engine.audit.to_dataframe(event="call")
    return str(calls["prompt"].iloc[-1])


def test_setting_the_guardian_changes_what_the_trail_redacts(tmp_path: Path, key: str) -> None:
    engine = OrchestrationEngine(offline="on", audit=tmp_path / "live.sqlite")
    assert EMAIL not in stored(engine, f"Mail {EMAIL}")  # the Guardian's PII redaction

    engine.guardian = None
    without = stored(engine, f"Mail {EMAIL}, key {key}")
    assert EMAIL in without and key not in without  # the credential floor, no more

    made_off = OrchestrationEngine(offline="on", guardian=False, audit=tmp_path / "off.sqlite")
    assert stored(made_off, f"Mail {EMAIL}, key {key}") == without  # as if made that way

    engine.guardian = Guardian()
    assert engine.guardian is not None
    assert EMAIL not in stored(engine, f"Mail {EMAIL}")

    engine.guardian = False  # as the constructor takes it
    assert engine.guardian is None
    assert stored(engine, f"Mail {EMAIL}, key {key}") == without

    engine.guardian = True
    assert isinstance(engine.guardian, Guardian)
    assert EMAIL not in stored(engine, f"Mail {EMAIL}")


def test_a_redactor_the_user_set_on_the_trail_is_kept(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "own.sqlite")
    engine = OrchestrationEngine(offline="on", audit=trail)

    def own(text: str) -> str:
        return text.replace("secret-word", "[own]")

    trail.redactor = own  # set after the engine: the user's choice, not the Guardian's
    engine.guardian = None
    assert trail.redactor is own
    assert "[own]" in stored(engine, "a secret-word here")
