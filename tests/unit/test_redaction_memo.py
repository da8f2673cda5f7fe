"""The audit's remembering redactor (issue 24): the very text ``guardian.redact`` makes,
fresh after the Guardian is configured anew, and used by the engine's audit trail."""

from __future__ import annotations

from pathlib import Path

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.guardian import Guardian
from orchestration_kernel.redaction_memo import MAX_CHARS, MemoRedactor, audit_redactor

FAKE_KEY = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 2  # key-shaped, built at run time

TEXTS = [
    "openai:gpt-4o-mini",
    "a single model: its own deployment",
    "mail alice@example.com or call +44 20 7946 0958",
    f"the key is {FAKE_KEY}",
    "",
    "x" * (MAX_CHARS + 1) + " bob@example.org",
    ("lorem ipsum dolor sit amet " * 40) + FAKE_KEY,
]


def test_it_returns_what_redact_returns_the_first_time_and_after():
    guardian = Guardian()
    memo = MemoRedactor(guardian)
    for text in TEXTS * 3:
        assert memo(text) == guardian.redact(text)
    assert FAKE_KEY not in memo(f"the key is {FAKE_KEY}")
    assert "alice@example.com" not in memo(TEXTS[2])


def test_a_new_configuration_is_not_answered_from_the_old_one():
    guardian = Guardian()
    memo = MemoRedactor(guardian)
    text = "mail alice@example.com now"
    replaced = memo(text)
    guardian.configure(pii_operator="hash")
    hashed = memo(text)
    assert hashed == guardian.redact(text)
    assert hashed != replaced


def test_only_our_guardian_is_remembered():
    class Custom:
        calls = 0

        def redact(self, text: str) -> str:
            Custom.calls += 1
            return f"{text}#{Custom.calls}"  # not pure: must be asked every time

    custom = Custom()
    redactor = audit_redactor(custom)
    assert redactor("a") != redactor("a")
    assert isinstance(audit_redactor(Guardian()), MemoRedactor)


def test_the_engine_audit_stores_redacted_rows(tmp_path: Path):
    engine = OrchestrationEngine(offline="on", audit=str(tmp_path / "audit.sqlite"))
    try:
        assert isinstance(engine.audit.redactor, MemoRedactor)
        for _ in range(2):
            engine.complete_sync("gpt-4o-mini", "Write to alice@example.com about the plan")
        engine.audit.flush()
        frame = engine.audit.to_dataframe()
        calls = frame[frame["event"] == "call"]
        assert len(calls) == 2
        assert all("Write to" in p and "alice@example.com" not in p for p in calls["prompt"])
        assert engine.audit.verify().ok
    finally:
        engine.close()


def test_a_guardian_whose_detectors_are_hidden_is_asked_every_time():
    guardian = Guardian()
    memo = MemoRedactor(guardian)
    text = "mail alice@example.com now"
    first = memo(text)
    del guardian._pii  # as if renamed: the memo can no longer tell a new configuration
    guardian.redact = lambda t: "asked"  # type: ignore[method-assign]
    assert memo(text) == "asked" != first
