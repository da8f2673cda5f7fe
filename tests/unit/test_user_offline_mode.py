"""``%orchestrate offline`` without a mode shows the mode now (session 16).

Before, it failed: "%orchestrate offline needs 1 argument", while ``%orchestrate session``
without an id shows the session. A user who wants to know whether the answers are real
had to read ``engine.providers.offline``.
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
