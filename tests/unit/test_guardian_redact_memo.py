"""``Guardian.redact`` remembers what it (or a check) found (issue 24): the audit redacts
the same model names and route reasons row after row, and the prompt or reply the input
or output check has just scanned with the very same detectors. Whatever the memo answers
is byte for byte what fresh detectors make; it is forgotten when the detectors are
rebuilt, stays bounded, and is safe with the audit writer thread redacting meanwhile."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.guardian import GuardContext, Guardian
from orchestration_kernel.guardian.context import Stage
from orchestration_kernel.guardian.memo import MEMO_CHARS, MEMO_ENTRIES, RedactionMemo
from orchestration_kernel.guardian.pii import PIIDetector, PIIPolicy
from orchestration_kernel.guardian.policy import Outcome
from orchestration_kernel.guardian.redaction import Finding
from orchestration_kernel.guardian.secrets import SecretDetector
from tests.guardian_eval.generator import build_cases

_Detector = PIIDetector | SecretDetector

FAKE_KEY = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 2  # key-shaped, built at run time
KEY = b"k" * 32
CTX = GuardContext(model="openai:gpt-4o-mini")

TEXTS = [
    "openai:gpt-4o-mini",
    "a single model: its own deployment",
    "mail alice@example.com or call +44 20 7946 0958",
    f"the key is {FAKE_KEY}",
    "",
    "x" * 300 + " bob@example.org",
    ("lorem ipsum dolor sit amet " * 40) + FAKE_KEY,
    f"password: {FAKE_KEY} from alice@example.com",
]
EVAL_TEXTS = [c.text for c in build_cases()] + TEXTS


class _Scans:
    """The texts the secret and PII detectors were asked to scan, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.secrets: list[str] = []
        self.pii: list[str] = []
        for cls, seen in ((SecretDetector, self.secrets), (PIIDetector, self.pii)):
            monkeypatch.setattr(cls, "find", _counting(cls.find, seen))


def _counting(
    find: Callable[[_Detector, str], list[Finding]], seen: list[str]
) -> Callable[[_Detector, str], list[Finding]]:
    def counted(self: _Detector, text: str) -> list[Finding]:
        seen.append(text)
        return find(self, text)

    return counted


def _check_all(guardian: Guardian, texts: list[str]) -> None:
    async def run() -> None:
        for text in texts:
            await guardian.check_input(text, CTX)
            await guardian.check_output(text, CTX)

    asyncio.run(run())


class _QuietPII(PIIPolicy):
    """A PII policy whose check reports nothing: its findings must not stand in."""

    def check(self, text: str, ctx: GuardContext, stage: Stage) -> Outcome | None:
        return None


def _quiet_registry_guardian(**options: object) -> Guardian:
    guardian = Guardian(session_key=KEY, policies=[], **options)  # type: ignore[arg-type]
    guardian.register_policy("pii", lambda s: _QuietPII(key=s.session_key))
    guardian.add_policy("secrets")
    guardian.add_policy("pii")
    return guardian


# Configurations where the checks' findings and the audit redactor's may differ.
CONFIGS: dict[str, Callable[[], Guardian]] = {
    "defaults": lambda: Guardian(session_key=KEY),
    "pii warns": lambda: Guardian(session_key=KEY, pii_action="warn"),
    "pii hashed": lambda: Guardian(session_key=KEY, pii_operator="hash"),
    "pii masked, e-mail only": lambda: Guardian(
        session_key=KEY, pii_operator="mask", pii_entities=["EMAIL"]
    ),
    "pii on input only": lambda: Guardian(session_key=KEY, pii_stages=["input"]),
    "secrets redacted on input": lambda: Guardian(session_key=KEY, secrets_input_action="redact"),
    "no pii policy": lambda: Guardian(
        session_key=KEY, policies=["access", "limits", "secrets", "injection", "terms"]
    ),
    "no secrets policy": lambda: Guardian(session_key=KEY, policies=["pii", "injection"]),
    "pii policy whose check differs": _quiet_registry_guardian,
}


def _fresh_like(guardian: Guardian) -> Guardian:
    """A Guardian with ``guardian``'s policies and options that has redacted nothing yet."""
    names = [p.name for p in guardian.policies]
    c = guardian.config  # (the keyword defaults override config's: pass them as they are)
    return Guardian(
        policies=names,
        session_key=KEY,
        config=c,
        pii_operator=c.pii_operator,
        fail_closed=c.fail_closed,
    )


@pytest.mark.parametrize("name", list(CONFIGS))
def test_memoised_redaction_is_byte_identical_to_fresh_detectors(name: str) -> None:
    guardian = CONFIGS[name]()
    _check_all(guardian, EVAL_TEXTS)
    for text in EVAL_TEXTS:
        fresh = CONFIGS[name]()
        assert guardian.redact(text) == fresh.redact(text), text
        assert guardian.redact(text) == fresh.redact(text), text  # answered from the memo


def test_a_checked_text_is_not_scanned_again_by_redact(monkeypatch: pytest.MonkeyPatch) -> None:
    guardian = Guardian(session_key=KEY)
    fresh = [Guardian(session_key=KEY).redact(t) for t in EVAL_TEXTS]
    scans = _Scans(monkeypatch)
    texts = [t for t in EVAL_TEXTS if t]
    _check_all(guardian, texts)
    checked = len(scans.secrets), len(scans.pii)
    assert [guardian.redact(t) for t in EVAL_TEXTS] == fresh
    assert (len(scans.secrets), len(scans.pii)) == checked
    assert FAKE_KEY not in guardian.redact(f"the key is {FAKE_KEY}")


def test_a_check_without_both_detectors_leaves_redact_to_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    guardian = Guardian(session_key=KEY, pii_stages=["input"])
    pii = _Scans(monkeypatch).pii
    text = "write to alice@example.com"
    _check_all(guardian, [text])
    assert pii == [text]  # the input check only: PII is off for the output
    guardian.redact(text)  # the input check recorded it
    assert pii == [text]
    other = "reply to bob@example.org"
    asyncio.run(guardian.check_output(other, CTX))
    assert guardian.redact(other) == "reply to <EMAIL>"
    assert pii == [text, other]  # scanned by redact: the check had no PII pass


def test_a_replaced_check_is_not_trusted() -> None:
    guardian = Guardian(session_key=KEY)
    pii = guardian._redactors.pii
    pii.check = lambda text, ctx, stage: None  # type: ignore[method-assign]
    text = "write to alice@example.com"
    asyncio.run(guardian.check_input(text, CTX))
    assert guardian.redact(text) == "write to <EMAIL>"


@pytest.mark.parametrize(
    "rebuild",
    [
        lambda g: g.configure(pii_operator="hash"),
        lambda g: g.configure(pii_entities=["PHONE_NUMBER"]),
        lambda g: g.remove_policy("pii"),
        lambda g: (g.remove_policy("secrets"), g.add_policy("secrets")),
    ],
    ids=["operator", "entities", "remove", "remove-add"],
)
def test_rebuilt_detectors_drop_the_memo(rebuild: Callable[[Guardian], object]) -> None:
    guardian = Guardian(session_key=KEY)
    text = "mail alice@example.com now"
    _check_all(guardian, [text, "short model name"])
    replaced = guardian.redact(text)
    old = guardian._redactors
    assert len(old.memo) >= 2
    rebuild(guardian)
    assert guardian._redactors is not old and len(guardian._redactors.memo) == 0
    assert guardian.redact(text) == _fresh_like(guardian).redact(text)
    if guardian.config.pii_operator == "hash":
        assert guardian.redact(text) != replaced


def test_memory_stays_bounded_with_many_distinct_long_texts() -> None:
    guardian = Guardian(session_key=KEY)
    memo = guardian._redactors.memo
    paragraph = "lorem ipsum dolor sit amet, write to alice@example.com " * 80  # ~4.5 KB

    async def run() -> None:
        for i in range(1200):  # ~5.4 M characters in all
            text = f"{i}: {paragraph}"
            await guardian.check_input(text, CTX)
            assert guardian.redact(text).startswith(f"{i}: lorem ipsum")
            assert memo.chars <= MEMO_CHARS and len(memo) <= MEMO_ENTRIES

    asyncio.run(run())
    assert memo.chars > MEMO_CHARS // 2  # it was used, and evicted to stay in bounds


def test_the_memo_bounds_characters_and_entries_and_skips_huge_texts() -> None:
    memo = RedactionMemo(max_chars=1000, max_entries=5)
    for i in range(50):
        memo.put(f"{i:03d}" + "x" * 97, f"{i}")
        assert memo.chars <= 1000 and len(memo) <= 5
    assert memo.get("049" + "x" * 97) == "49" and memo.get("000" + "x" * 97) is None
    memo.put("y" * 300, "y")  # above a quarter of the budget: not kept
    assert memo.get("y" * 300) is None


def test_the_writer_thread_and_the_loop_share_the_memo_safely() -> None:
    guardian = Guardian(session_key=KEY)
    r = guardian._redactors
    object.__setattr__(r, "memo", RedactionMemo(max_chars=20_000, max_entries=16))
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        i = 0
        try:
            while not stop.is_set():
                i += 1
                text = f"row {i % 97} to alice@example.com {'z' * (i % 500)}"
                assert "alice@" not in guardian.redact(text)
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        _check_all(guardian, [f"call {i} at bob@example.org " + "w" * i for i in range(400)])
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive() and not errors


def test_the_engine_audit_stores_redacted_rows(tmp_path: Path) -> None:
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


def test_a_pipeline_steps_prompt_and_reply_are_scanned_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = OrchestrationEngine(offline="on", audit=str(tmp_path / "audit.sqlite"))
    try:
        scans = _Scans(monkeypatch)
        pipeline = engine.create_pipeline(
            [{"name": "answer", "model": "gpt-4o-mini", "prompt": "{input}"}]
        )
        prompt = "please summarise: " + "lorem ipsum dolor sit amet " * 20 + "alice@example.com"
        result = pipeline.execute_sync(prompt)
        engine.audit.flush()
        step = result.step("answer")
        assert step.prompt is not None and step.prompt.endswith("<EMAIL>")
        reply = step.output
        for scanned in (scans.secrets, scans.pii):
            # The input check's scan serves the stored step prompt; the output check's the
            # audit's response column. (The audit's prompt column, "[user] ...", is
            # another text and is scanned on its own.)
            assert scanned.count(prompt) == 1
            assert isinstance(reply, str) and scanned.count(reply) == 1
    finally:
        engine.close()


def test_the_memo_drops_the_oldest_entries_first_and_keeps_the_newest() -> None:
    memo = RedactionMemo(max_chars=10**6, max_entries=100)
    for i in range(1000):
        memo.put(f"text {i}", f"<{i}>")
        memo.put(f"text {i}", "ignored: already known")  # a repeat neither moves nor adds
    assert len(memo) == 100
    assert [memo.get(f"text {i}") for i in (899, 900, 999)] == [None, "<900>", "<999>"]
    assert memo.chars == sum(len(f"text {i}") + len(f"<{i}>") for i in range(900, 1000))


def test_an_offered_entry_is_kept_only_while_there_is_room() -> None:
    memo = RedactionMemo(max_chars=10**6, max_entries=3)
    for i in range(3):
        memo.offer(f"plain {i}", f"plain {i}")
    memo.offer("plain 3", "plain 3")  # full: not kept, and nothing evicted for it
    assert [memo.get(f"plain {i}") for i in range(4)] == ["plain 0", "plain 1", "plain 2", None]
    memo.put("key", "<SECRET>")  # a put still evicts the oldest
    assert memo.get("plain 0") is None and memo.get("key") == "<SECRET>"
