"""A placeholder kept in another session's context says which session (session 16).

After a kernel restart, a notebook that had pinned ``%orchestrate session proj`` runs
under a fresh ``proc-…`` id until it pins ``proj`` again, so ``{customer}`` (kept under
``proj``) failed to load with "it is not 'input', a step name, a session context key or
a variable", and nothing pointed at ``proj``. The load still fails (the name does not
resolve here), and a note now names the session and the line that brings it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from orchestration_kernel.errors import SpecError
from tests.unit.magic_shell import magic_shell


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")
    yield from magic_shell(monkeypatch, ())


CELL = '%%orchestrate\n- model: gpt-4o\n  prompt: "Write to {customer}"\n'


def test_a_key_of_another_session_is_named_with_the_way_back(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    magics = ip.magics_manager.registry["OrchestrateMagics"]
    magics.engine.bus.update_context_sync({"customer": "ACME"}, session_id="proj-s16")
    capsys.readouterr()
    failed = ip.run_cell(CELL)
    assert isinstance(failed.error_in_exec, SpecError)  # still an error: it is not here
    shown = capsys.readouterr().out
    assert "note: {customer} is a context key of session 'proj-s16', not of this kernel's" in shown
    assert "'%orchestrate session proj-s16' makes this kernel use it" in shown
    assert ip.run_cell("%orchestrate session proj-s16").success
    assert ip.run_cell(CELL).success  # and pinned, the same cell runs
    assert ip.user_ns["_orchestrate"].steps[0].prompt == "Write to ACME"


def test_a_name_no_session_holds_gets_no_note(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    failed = ip.run_cell(CELL.replace("customer", "nobody_has_this"))
    assert isinstance(failed.error_in_exec, SpecError)
    assert "is a context key of session" not in capsys.readouterr().out
