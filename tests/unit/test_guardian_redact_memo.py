"""``Guardian.redact`` remembers what it made of short texts (issue 24: the audit redacts
the same model names and route reasons row after row): the very text fresh detectors make,
forgotten when the Guardian is configured anew, and used by the engine's audit trail."""

from __future__ import annotations

from pathlib import Path

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.guardian import Guardian
from orchestration_kernel.guardian.guardian import _MEMO_CHARS

FAKE_KEY = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 2  # key-shaped, built at run time

TEXTS = [
    "openai:gpt-4o-mini",
    "a single model: its own deployment",
    "mail alice@example.com or call +44 20 7946 0958",
    f"the key is {FAKE_KEY}",
    "",
    "x" * (_MEMO_CHARS + 1) + " bob@example.org",
    ("lorem ipsum dolor sit amet " * 40) + FAKE_KEY,
]


def test_it_returns_what_fresh_detectors_return_the_first_time_and_after():
    key = b"k" * 32
    guardian = Guardian(session_key=key)
    for text in TEXTS * 3:
        assert guardian.redact(text) == Guardian(session_key=key).redact(text)
    assert FAKE_KEY not in guardian.redact(f"the key is {FAKE_KEY}")
    assert "alice@example.com" not in guardian.redact(TEXTS[2])


def test_a_new_configuration_is_not_answered_from_the_old_one():
    guardian = Guardian()
    text = "mail alice@example.com now"
    replaced = guardian.redact(text)
    guardian.configure(pii_operator="hash")
    hashed = guardian.redact(text)
    assert hashed == Guardian(session_key=guardian._key, pii_operator="hash").redact(text)
    assert hashed != replaced


def test_the_engine_audit_stores_redacted_rows(tmp_path: Path):
    engine = OrchestrationEngine(offline="on", audit=str(tmp_path / "audit.sqlite"))
    try:
        assert engine.audit.redactor == engine.guardian.redact
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
