"""Tab on the ``%orchestrate`` line offers what fits there (session 16).

Before, Tab after ``%orchestrate `` offered every magic of the kernel (``%%bash``,
``%alias`` ...), and after ``--compare`` nothing of ours. Checked through
``Completer.completions``, the API a Jupyter frontend's completion request reaches.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.completer import provisionalcompleter

from tests.unit.magic_shell import magic_shell


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")
    yield from magic_shell(monkeypatch, ("reviews_s16",))


def completions(ip: Any, line: str) -> list[str]:
    with provisionalcompleter():
        return [c.text for c in ip.Completer.completions(line, len(line))]


def test_the_commands_after_the_line_magic(ip: Any) -> None:
    offered = completions(ip, "%orchestrate ")
    assert {"models", "run", "audit", "offline", "key", "help"} <= set(offered)
    assert not any(c.startswith("%") for c in offered)  # not the kernel's other magics
    assert completions(ip, "%orchestrate ru") == ["run"]


@pytest.mark.parametrize(
    "line, expected",
    [
        ("%orchestrate offline ", ["auto", "off", "on"]),
        ("%orchestrate key op", ["openai"]),
        ("%%orchestrate -f ", ["code", "json", "markdown", "text"]),
        ("%%orchestrate --compare gpt-4o --o", ["--out", "--over"]),
        ("%orchestrate --ou", ["--out"]),
    ],
)
def test_values_and_options(ip: Any, line: str, expected: list[str]) -> None:
    assert completions(ip, line) == expected


def test_models_after_compare_even_after_the_first(ip: Any) -> None:
    first = completions(ip, "%%orchestrate --compare gpt-4o-m")
    assert "gpt-4o-mini" in first or "openai:gpt-4o-mini" in first
    later = completions(ip, "%%orchestrate --compare gpt-4o cla")
    assert "claude-3" in later and all(c.startswith("cla") for c in later)


def test_variables_after_over_and_pipelines_after_run(ip: Any) -> None:
    ip.user_ns["reviews_s16"] = ["good", "bad"]
    assert completions(ip, "%%orchestrate --compare gpt-4o --over reviews_") == ["reviews_s16"]
    assert ip.run_cell('%%orchestrate later_s16\n- model: gpt-4o\n  prompt: "x {input}"').success
    assert "later_s16" in completions(ip, "%orchestrate run ")
