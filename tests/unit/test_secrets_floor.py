"""No key lands in the audit or a view's echo, with the Guardian on or off.

``guardian=False`` turns the checks off; the audit still masks credentials (the trail's
default redactor), and the compare and matrix views mask them where they echo the prompt
or an item, since a prompt filled from a variable may hold a key the cell never showed.
"""

from __future__ import annotations

import random
import string

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.compare import CompareTable
from orchestration_kernel.guardian.secrets_only import redact_secrets
from orchestration_kernel.matrix import MatrixResult
from orchestration_kernel.widgets import CompareView, MatrixView


def openai_shaped_key() -> str:
    """A key in OpenAI's documented shape, random, built at run time."""
    rng = random.Random()
    return "sk-proj-" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(64))


def test_the_floor_masks_a_key_and_leaves_other_text() -> None:
    key = openai_shaped_key()
    assert redact_secrets(f"key {key} here") == "key <OPENAI_API_KEY> here"
    assert redact_secrets("call me at 555-0100, jo@example.com") == (
        "call me at 555-0100, jo@example.com"  # personal data is the Guardian's to judge
    )


def test_with_the_guardian_off_the_audit_still_stores_no_key() -> None:
    key = openai_shaped_key()
    engine = OrchestrationEngine(offline="on", guardian=False)
    engine.providers.set_offline_model("sim")
    engine.complete_sync("gpt-4o", f"my key is {key}")
    engine.audit.flush()
    stored = engine.audit.to_dataframe().astype(str).to_csv()
    assert key not in stored and key[8:30] not in stored
    assert "my key is <OPENAI_API_KEY>" in stored


def test_the_views_echo_a_prompt_and_items_with_keys_masked() -> None:
    key = openai_shaped_key()
    table = CompareTable(f"check {key}", {"gpt-4o": ValueError("blocked")})
    assert key[8:30] not in CompareView(table)._text()
    matrix = MatrixResult(models=["gpt-4o"], items=[f"row {key}"], tables=[table])
    shown = MatrixView(matrix)._text()
    assert key[8:30] not in shown and "row <OPENAI_API_KEY>" in shown
