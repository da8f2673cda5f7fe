"""What a Guardian decision says, as a user reads it in the audit: each reason once, and
one phone number counted as one (it was found whole and as its national part: "2 phone
number" for ``+1 415 555 0199``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.guardian import Guardian


def _reasons(text: str) -> list[str]:
    return list(asyncio.run(Guardian().check_input(text)).reasons)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("call +1 415 555 0199 today", "1 phone number"),
        ("call +1 (415) 555-0199 today", "1 phone number"),
        ("call +1 415 555 0199 or +1 415 555 0100", "2 phone number"),
        ("mail ann@example.com or bob@example.org", "2 email"),
        ("mail ann@example.com, call +44 20 7946 0958", "1 email, 1 phone number"),
    ],
)
def test_a_reason_counts_each_piece_of_personal_data_once(text: str, said: str) -> None:
    assert _reasons(text) == [f"pii: personal data found: {said}"]


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ORCHESTRATION_OFFLINE", "on")
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")
    made = OrchestrationEngine()
    yield made
    made.close()


def test_the_audit_summary_row_says_each_reason_once(engine: Any) -> None:
    engine.complete_sync("gpt-4o", "Reach ann@example.com or +44 20 7946 0958 about it")
    rows = engine.audit.to_dataframe(event="guardian")
    summary = rows[(rows.stage == "input") & (rows.guardian_policy != "pii")]
    assert len(summary) == 1
    assert list(summary.iloc[0].guardian_reasons) == [
        "pii: personal data found: 1 email, 1 phone number"
    ]
    policy = rows[(rows.stage == "input") & (rows.guardian_policy == "pii")]
    assert list(policy.iloc[0].guardian_reasons) == ["personal data found: 1 email, 1 phone number"]


def test_an_allowed_call_keeps_its_one_reason(engine: Any) -> None:
    engine.complete_sync("gpt-4o", "What is the capital of France?")
    rows = engine.audit.to_dataframe(event="guardian")
    assert [list(r) for r in rows.guardian_reasons] == [["no policy objected"]] * 2
