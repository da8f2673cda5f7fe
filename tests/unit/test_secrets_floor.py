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


def _short_strings(n: int) -> list[str]:
    """Short strings in the shapes the audit and the views pass the floor (model ids,
    reasons, labels), and strings built around each literal a credential starts from,
    in altered case and setting, and random ones over key-like characters."""
    from orchestration_kernel.guardian import assignments, secrets

    rng = random.Random(20)
    alphabet = string.ascii_letters + string.digits + "-_.:/=@ '\"\t\n" + "ſİı\u212aé"
    literals = sorted(
        {t for r in secrets._RULES for t in r.anchor.triggers} | set(assignments.KEYWORDS)
    )
    literals += ["-----BEGIN ", ":AA", "-us", "://", "-u ", "--user ", "BUNDLE_", "."]
    out = ["", "a", "hi", "gpt-4.1", "openai:gpt-4o-mini", "route: cheapest healthy provider"]
    for lit in literals:
        for _ in range(6):
            pad = lambda k: "".join(rng.choice(alphabet) for _ in range(k))  # noqa: E731
            v = pad(rng.randint(0, 5)) + lit + pad(rng.randint(0, 60))
            out += [v, v.upper(), v.swapcase(), lit.upper()]
    while len(out) < n:
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90))))
    return out


def test_the_floor_gate_turns_away_only_strings_the_scans_find_nothing_in() -> None:
    from orchestration_kernel.guardian.secrets import SecretDetector, may_hold_secret

    detector = SecretDetector()
    key = openai_shaped_key()
    strings = [*_short_strings(20_000), f"k={key}", f"Bearer {key[8:40]}", key]
    turned_away = [s for s in strings if not may_hold_secret(s)]
    assert len(turned_away) > len(strings) // 4  # the gate does turn plain strings away
    assert [s for s in turned_away if detector.scan(s)] == []
    for s in strings[:3000]:
        assert detector.find(s) == detector.scan(s)
    assert redact_secrets(f"k={key}") == "k=<OPENAI_API_KEY>"


def test_the_floor_answers_a_plain_short_string_without_scanning_it(monkeypatch) -> None:
    from orchestration_kernel.guardian import secrets_only

    def no_scan(self: object, text: str) -> list[object]:
        raise AssertionError(f"scanned {text!r}")

    monkeypatch.setattr(secrets_only.SecretDetector, "scan", no_scan)
    for plain in ["openai:gpt-4o-mini", "route: cheapest healthy provider", "gpt-4.1"]:
        assert redact_secrets(plain) == plain
