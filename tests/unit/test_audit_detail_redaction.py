"""How a row's ``detail`` is redacted: every string in it, whatever it is nested in.

The encoder redacts a detail dict's strings and numbers in one loop (issue 24: a
router's detail holds dozens of them); these pin what is stored, key by key."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.rows import REDACTION_FAILED
from orchestration_kernel.pipeline.result import PipelineResult, StepResult


class Tag(str):
    """A str subclass: redacted as text, stored as plain text."""


def _stored_detail(tmp_path: Path, detail: object, redactor: object) -> object:
    trail = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    try:
        trail.redactor = redactor  # type: ignore[assignment]
        trail.record("route", detail=detail)
        trail.flush()
        with trail._store.reading() as conn:
            (text,) = conn.execute("SELECT detail FROM audit_events").fetchone()
        assert trail.verify().ok
    finally:
        trail.close()
    return json.loads(text)


def test_every_string_in_a_detail_is_redacted_and_keys_become_text(tmp_path: Path) -> None:
    def redactor(text: str) -> str:
        if "boom" in text:
            raise RuntimeError("the redactor failed")
        return text.replace("secret", "[S]")

    detail = {
        "why": "a secret reason",
        3: "int key, secret value",
        Tag("tagged"): Tag("secret tag"),
        "numbers": [1, 2.5, None, True, "secret in a list"],
        "nested": {"deep": {"deeper": ("secret", "boom here")}, "n": 7, "f": 0.25},
        "flag": False,
        "none": None,
        "fails": "boom",
        "set": {"only secret"},
    }
    assert _stored_detail(tmp_path, detail, redactor) == {
        "why": "a [S] reason",
        "3": "int key, [S] value",
        "tagged": "[S] tag",
        "numbers": [1, 2.5, None, True, "[S] in a list"],
        "nested": {"deep": {"deeper": ["[S]", REDACTION_FAILED]}, "n": 7, "f": 0.25},
        "flag": False,
        "none": None,
        "fails": REDACTION_FAILED,
        "set": ["only [S]"],
    }


def test_a_redactor_returning_a_non_string_is_stored_as_its_text(tmp_path: Path) -> None:
    assert _stored_detail(tmp_path, {"a": "x", "b": ["y"]}, lambda text: 42) == {
        "a": "42",
        "b": ["42"],
    }


def test_a_result_holds_no_per_instance_copy_of_its_table_header() -> None:
    # _HEADER is a class constant; as a pydantic private attribute it was deep-copied
    # into every result built (one per run).
    result = PipelineResult(run_id="r1", steps=[StepResult(name="a")])
    assert result.__pydantic_private__ == {"_committed": None}
    assert "| step | model | status |" in result._repr_markdown_()


def test_the_default_redactor_masks_credentials_in_repeated_details(tmp_path: Path) -> None:
    # Without a Guardian the trail masks credentials; it remembers what it found for a
    # text, so a detail seen again (every router row) is masked the same, not skipped.
    key = "sk-proj-" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF" * 2
    trail = AuditTrail(tmp_path / "audit.sqlite", key_path=tmp_path / "audit.key")
    try:
        for _ in range(3):
            trail.record("route", detail={"why": f"key {key} here", "model": "gpt-4o"})
            trail.record("call", prompt=f"use {key}", response=f"use {key}")
        trail.flush()
        with trail._store.reading() as conn:
            stored = conn.execute("SELECT detail, prompt, response FROM audit_events").fetchall()
    finally:
        trail.close()
    assert all(key not in str(cell) for row in stored for cell in row)
    details = [json.loads(row[0]) for row in stored[::2]]
    assert details == [{"model": "gpt-4o", "why": "key <OPENAI_API_KEY> here"}] * 3
    assert {row[1] for row in stored[1::2]} == {"use <OPENAI_API_KEY>"}
