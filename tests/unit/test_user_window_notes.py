"""A ``--compare`` prompt longer than a model's window is said before the run (session 16).

Offline, the simulator answered a 200,000-word prompt to ``gpt-4o`` (128,000 tokens) as
``done`` with an "est. if real" price for a call a real provider refuses. The cell now
notes it, naming the model, the prompt's size and the window; models whose window fits
get no note.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.magic_shell import magic_shell


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")
    yield from magic_shell(monkeypatch, ("long",))


def test_a_prompt_over_one_models_window_is_noted_for_that_model(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.user_ns["long"] = "word " * 140_000
    capsys.readouterr()
    assert ip.run_cell("%%orchestrate --compare gpt-4o gemini-2.5-pro\n{long}").success
    notes = [line for line in capsys.readouterr().out.splitlines() if "takes" in line]
    assert len(notes) == 1, notes  # gemini-2.5-pro's window (over a million) fits it
    assert notes[0].startswith("note: the prompt is about ")
    assert "gpt-4o (openai:gpt-4o) takes 128,000" in notes[0]
    assert "a real call would be refused" in notes[0]


def test_a_prompt_that_fits_gets_no_note(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert ip.run_cell("%%orchestrate --compare gpt-4o\nhello").success
    assert "takes 128,000" not in capsys.readouterr().out
