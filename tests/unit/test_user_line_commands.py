"""Two line commands a user tried first (session 16).

* ``%orchestrate offline`` without a mode failed ("needs 1 argument"), while
  ``%orchestrate session`` without an id shows the session; it now shows the mode.
* ``%orchestrate run --help`` showed the general help with ``run`` somewhere in a list; it
  now starts with ``run``'s own usage.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.magic_shell import magic_shell


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")
    yield from magic_shell(monkeypatch)


def test_offline_without_a_mode_shows_the_mode_now(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ip.run_cell("%orchestrate offline auto").success
    capsys.readouterr()
    assert ip.run_cell("%orchestrate offline").success
    shown = capsys.readouterr().out
    assert shown.startswith("Offline mode auto: providers without a key are served by the")
    assert "Change it: %orchestrate offline on|off|auto." in shown
    assert ip.run_cell("%orchestrate offline on").success
    capsys.readouterr()
    assert ip.run_cell("%orchestrate offline").success
    assert capsys.readouterr().out.startswith("Offline mode on: every model is served by the")


def test_a_commands_help_starts_with_its_own_usage(ip: Any) -> None:
    shown = str(ip.run_cell("%orchestrate run --help").result)
    assert shown.startswith("**%orchestrate run** NAME [--input EXPR]")
    assert "**%orchestrate** commands:" in shown  # the rest follows
    general = str(ip.run_cell("%orchestrate --help").result)
    assert general.startswith("**%%orchestrate**")
