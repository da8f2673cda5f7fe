"""The audit writer's encoding as records are queued: prompts labelled outside the
redacted user text, the hashed body made with the row, the mark read only when it
changed, and the writer's lingering after a commit. What is stored does not change."""

from __future__ import annotations

import asyncio
import pickle
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.chain import ChainKey, hashed_body
from orchestration_kernel.audit.events import COLUMNS
from orchestration_kernel.audit.mark import HighWaterMark
from orchestration_kernel.audit.writer import ENCODE_LATER_CHARS
from orchestration_kernel.calls import CallSpec
from orchestration_kernel.guardian import GuardContext, Guardian
from orchestration_kernel.models import ChatRequest, Message
from orchestration_kernel.prompt_text import LABELS_APART, LabelledText, labels_apart
from orchestration_kernel.recorder import _prompt_text
from tests.guardian_eval.generator import build_cases

_CTX = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="t")


def _stored(path: Path, column: str = "prompt") -> list[Any]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute(f"SELECT {column} FROM audit_events ORDER BY seq")]
    finally:
        conn.close()


def _wait_until(done: Callable[[], bool], bound: float = 60.0) -> None:
    """Poll ``done`` (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + bound
    while not done() and time.monotonic() < deadline:
        time.sleep(0.005)


# -- the hashed body --------------------------------------------------------------------

_LATER = [None] * (len(COLUMNS) - 30)


@pytest.mark.parametrize(
    "values",
    [
        (),
        ("2025-01-01T00:00:00.000000+00:00", "run", None, 3, 1.25, "é", "\ud800", "\u2028"),
        (1e300, 5e-324, float("nan"), float("inf"), True, False, -(2**63), 'q"\\\n\t\x00'),
        (*range(30), *_LATER),  # unset later columns are left out of the hash
        (*range(30), "input", *_LATER[1:]),
    ],
)
def test_the_body_made_with_the_row_gives_the_row_hash(values: tuple[Any, ...]) -> None:
    key = ChainKey(b"k" * 32)
    for prev, seq in (("0" * 64, 1), ("ab" * 32, 2**40)):
        assert key.row_mac(prev, seq, hashed_body(values)) == key.row_hash(prev, seq, values)


def test_an_encoded_row_carries_its_hashed_body(tmp_path: Path) -> None:
    with AuditTrail(tmp_path / "a.sqlite", session_id="s", identity="i") as trail:
        row = trail._encoder.encode((1.0, "call", {"run_id": "r", "prompt": "é"}, None, True))
        assert row.body == hashed_body(tuple(row))


# -- the labelled prompt ----------------------------------------------------------------


def _texts(n: int = 240) -> list[str]:
    return [c.text for c in build_cases()][:n]


def _specs(texts: list[str]) -> list[CallSpec]:
    specs = []
    for i, text in enumerate(texts):
        other = texts[(i * 7 + 3) % len(texts)]
        user = Message(role="user", content=text)
        specs.append(CallSpec(model="m", messages=[user]))
        specs.append(CallSpec(model="m", messages=[user], system=other))
        previous = [Message(role="user", content=other), Message(role="assistant", content=text)]
        specs.append(CallSpec(model="m", messages=[*previous, user]))
    return specs


@pytest.mark.parametrize("operator", ["replace", "mask", "hash"])
async def test_a_labelled_prompt_is_stored_as_its_whole_text_redacted(
    tmp_path: Path, operator: str
) -> None:
    """What a call's row stores is what redacting the whole labelled text gives (the
    stored text before this change), over personal data and key-shaped texts; the
    prompt goes through the Guardian's request check first, as in a call."""
    guardian = Guardian(pii_operator=operator, session_key=b"s" * 32)
    reference = Guardian(pii_operator=operator, session_key=b"s" * 32)  # its own memo
    specs = _specs(_texts())
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s", redactor=guardian.redact) as trail:
        for spec in specs:
            request = ChatRequest(model="m", messages=spec.messages, system=spec.system)
            await guardian.check_request(request, _CTX)
            trail.record("call", prompt=_prompt_text(spec))
    expected = [reference.redact(str(_prompt_text(spec))) for spec in specs]
    assert _stored(path) == expected
    assert any(e != str(_prompt_text(s)) for e, s in zip(expected, specs, strict=True))


async def test_context_in_another_part_still_redacts_the_part(tmp_path: Path) -> None:
    """A prompt of several parts in which the Guardian finds something is redacted as
    one text, so a finding that rests on another part's words is kept."""
    guardian = Guardian(session_key=b"s" * 32)
    cases = []
    # Seen in the Guardian's equivalence texts: a phone number known as one by the
    # header or the word before it, in another part of the prompt.
    texts = ["| name | contact |\n| Priya | 240.37.170 |", "personal info:\nphone:\n434 14 557"]
    for text in texts + _texts(400):
        lines = text.split("\n")
        if len(lines) < 2:
            continue
        spec = CallSpec(
            model="m",
            system=lines[0],
            messages=[Message(role="user", content=line) for line in lines[1:]],
        )
        labelled = _prompt_text(spec)
        apart = "\n".join(label + guardian.redact(part) for label, part in labelled.parts)
        if apart != guardian.redact(str(labelled)):
            cases.append(spec)  # redacting the parts one by one would miss a finding
    assert cases  # the premise: such prompts exist in the set
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s", redactor=guardian.redact) as trail:
        for spec in cases:
            trail.record("call", prompt=_prompt_text(spec))
    assert _stored(path) == [guardian.redact(str(_prompt_text(s))) for s in cases]


def test_the_guardian_is_given_the_users_text_not_our_label(tmp_path: Path) -> None:
    seen: list[str] = []

    def redact(text: str) -> str:
        seen.append(text)
        return text.replace("alice@example.com", "<EMAIL>")

    setattr(redact, LABELS_APART, True)
    spec = CallSpec(model="m", messages=[Message(role="user", content="mail alice@example.com")])
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s", redactor=redact) as trail:
        trail.record("call", prompt=_prompt_text(spec))
    assert seen == ["mail alice@example.com"]
    assert _stored(path) == ["[user] mail <EMAIL>"]


def test_a_redactor_that_does_not_declare_it_gets_the_whole_labelled_text(
    tmp_path: Path,
) -> None:
    seen: list[str] = []

    def redact(text: str) -> str:
        seen.append(text)
        return text.upper()

    assert not labels_apart(redact) and labels_apart(Guardian().redact)
    spec = CallSpec(model="m", system="be brief", messages=[Message(role="user", content="hi")])
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s", redactor=redact) as trail:
        trail.record("call", prompt=_prompt_text(spec))
    assert seen == ["[system] be brief\n[user] hi"]
    assert _stored(path) == ["[SYSTEM] BE BRIEF\n[USER] HI"]


def test_a_labelled_text_is_its_joined_text_and_survives_pickling() -> None:
    text = LabelledText([("[system] ", "s"), ("[user] ", "line\nnext")])
    assert text == "[system] s\n[user] line\nnext" and isinstance(text, str)
    again = pickle.loads(pickle.dumps(text))
    assert again == text and again.parts == text.parts
    assert LabelledText([]) == ""


def test_a_long_record_is_encoded_by_the_writer_and_stored_the_same(tmp_path: Path) -> None:
    long = "word " * (ENCODE_LATER_CHARS // 5 + 10)
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s", redactor=str.upper) as trail:
        trail.record("call", prompt=long, response="short")
        trail.record("call", prompt="short", response="short")
        assert trail.verify().ok
    assert _stored(path) == [long.upper(), "SHORT"]
    assert _stored(path, "prompt_chars") == [len(long), 5]


# -- the mark ---------------------------------------------------------------------------


def test_a_mark_moved_by_another_writer_is_read_again(tmp_path: Path) -> None:
    key = ChainKey(b"k" * 32)
    ours, theirs = HighWaterMark(tmp_path / "m", key), HighWaterMark(tmp_path / "m", key)
    ours.advance(5, "a" * 64)
    assert ours.known() == (5, "a" * 64)
    theirs.advance(9, "b" * 64)  # another process: the file's status changes
    assert ours.known() == (9, "b" * 64)
    ours.advance(10, "c" * 64)  # and our next write keeps the furthest slot
    assert ours.read() == (10, "c" * 64) and theirs.known() == (10, "c" * 64)


def test_an_edited_mark_is_caught_by_verify_and_the_next_commit(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s") as trail:
        trail.record("run_start", run_id="r")
        trail.flush()
        mark = Path(str(path) + ".mark")
        data = bytearray(mark.read_bytes())
        data[10] ^= 1  # same size, one byte changed
        mark.write_bytes(bytes(data))
        assert not trail.verify().ok
        assert trail._store.mark is not None and trail._store.mark.known() == (-1, "")
        trail.record("run_end", run_id="r")
        trail.flush()  # rewrites the damaged slot
        assert trail.verify().ok


# -- the writer's lingering ---------------------------------------------------------------


def test_a_record_put_while_the_writer_lingers_is_committed_in_its_interval(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s", flush_interval=0.05) as trail:

        async def one_run(i: int) -> None:
            trail.record("run_end", run_id=f"r{i}")
            await trail.aflush()

        for i in range(3):
            asyncio.run(one_run(i))
        trail.record("run_start", run_id="later")  # no flush: the writer lingers, unwoken
        _wait_until(lambda: len(_stored(path, "run_id")) >= 4)
        assert _stored(path, "run_id") == ["r0", "r1", "r2", "later"]
        time.sleep(0.2)  # the linger has ended: the writer sleeps until woken
        trail.record("run_start", run_id="idle")
        _wait_until(lambda: len(_stored(path, "run_id")) >= 5)
        assert _stored(path, "run_id")[-1] == "idle"


async def test_the_mark_follows_a_commit_without_a_flush(tmp_path: Path) -> None:
    """The thread writes the mark shortly after waking the run (not in its way)."""
    with AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=30.0) as trail:
        mark = trail._store.mark
        assert mark is not None
        trail.record("run_end", run_id="r")
        head = await trail.aflush()
        _wait_until(lambda: mark.read() == (1, head))
        assert mark.read() == (1, head)


# -- who encodes -------------------------------------------------------------------------


async def test_a_caller_waiting_for_the_commit_encodes_and_the_rest_is_the_writers(
    tmp_path: Path,
) -> None:
    """A run waiting in ``aflush`` encodes its rows in its own thread (its commit wait is
    then the chain, the insert and the COMMIT); rows nobody waits for, and long ones,
    are encoded by the writer thread at commit, off the caller's path."""
    threads: dict[str, str] = {}

    def redact(text: str) -> str:
        threads[text] = threading.current_thread().name
        return text

    long = "y" * ENCODE_LATER_CHARS
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s", redactor=redact, flush_interval=0.05) as trail:
        trail.record("call", prompt="waited for", response=long)
        trail.record("call", prompt="short, waited for")
        await trail.aflush()
        trail.record("call", prompt="nobody waits")
        for _ in range(300):
            trail.record("run_end", run_id="r")  # committed by the writer, unawaited
        _wait_until(lambda: trail.pending == 0)
        assert trail.pending == 0 and not trail._writer._unencoded  # nothing kept
    here = threading.current_thread().name
    assert threads["short, waited for"] == here
    assert threads["waited for"] == threads[long] == threads["nobody waits"] == "audit-writer"
    assert _stored(path) == ["waited for", "short, waited for", "nobody waits"] + [None] * 300
