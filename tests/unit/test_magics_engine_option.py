"""A notebook's own engine in the magics: ``--engine VAR``, and an unknown name that
another engine of the notebook knows says which one and how to use it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.utils.capture import capture_output

from orchestration_kernel import OrchestrationEngine
from tests.unit.magic_shell import magic_shell

NAMES = ("engine", "team", "graded", "rows", "df")


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A shell with the extension loaded and a notebook engine with a pool ``fast``."""
    shell_iter = magic_shell(monkeypatch, NAMES)
    shell = next(shell_iter)
    engine = OrchestrationEngine()
    engine.add_pool("fast", [{"model": "gpt-4o-mini"}])
    shell.user_ns["engine"] = engine
    yield shell
    engine.close()
    for _ in shell_iter:
        pass


def _error(result: Any) -> str:
    assert not result.success
    return str(result.error_in_exec)


def test_a_compare_cell_runs_on_the_engine_it_names(ip: Any) -> None:
    result = ip.run_cell("%%orchestrate --compare fast gpt-4o --engine engine --out graded\nhi")
    assert result.success, result.error_in_exec
    table = ip.user_ns["graded"]
    assert list(table.replies) == ["fast", "gpt-4o"]
    assert not table.errors
    # The pool's deployment answered.
    assert table.replies["fast"].resolved_model == "openai:gpt-4o-mini"


def test_a_pipeline_cell_runs_on_the_engine_it_names(ip: Any) -> None:
    body = "- name: a\n  model: fast\n  prompt: 'Say {input}'\n"
    ip.user_ns["df"] = "hello"
    result = ip.run_cell(f"%%orchestrate --engine engine --input df --out graded\n{body}")
    assert result.success, result.error_in_exec
    assert "hello" in str(ip.user_ns["graded"]["a"])


def test_without_the_option_the_error_names_the_engine_that_knows_the_name(ip: Any) -> None:
    message = _error(ip.run_cell("%%orchestrate --compare fast gpt-4o\nhi"))
    assert "'fast'" in message
    assert "--engine engine" in message
    assert "OrchestrationEngine.default()" in message


def test_a_name_no_engine_knows_keeps_the_ordinary_advice(ip: Any) -> None:
    message = _error(ip.run_cell("%%orchestrate --compare nosuchpool gpt-4o\nhi"))
    assert "nosuchpool" in message
    assert "--engine" not in message


def test_the_session_engine_is_never_suggested_to_itself(ip: Any) -> None:
    ip.user_ns["engine"] = OrchestrationEngine.default()
    try:
        message = _error(ip.run_cell("%%orchestrate --compare fast gpt-4o\nhi"))
    finally:
        ip.user_ns.pop("engine")
    assert "--engine" not in message


def test_a_misspelt_engine_variable_suggests_the_engine(ip: Any) -> None:
    message = _error(ip.run_cell("%%orchestrate --compare fast --engine engin\nhi"))
    assert "no variable 'engin'" in message
    assert "'engine'" in message


def test_an_engine_variable_that_holds_something_else_says_what_it_holds(ip: Any) -> None:
    ip.user_ns["df"] = [1, 2]
    message = _error(ip.run_cell("%%orchestrate --compare fast --engine df\nhi"))
    assert "df is a list, not an OrchestrationEngine" in message


def test_an_engine_option_that_is_not_a_name_is_refused(ip: Any) -> None:
    message = _error(ip.run_cell("%%orchestrate --compare fast --engine 'a.b'\nhi"))
    assert "not a valid Python variable name" in message


def test_line_commands_take_the_engine_too(ip: Any) -> None:
    result = ip.run_line_magic("orchestrate", "models fast --engine engine --out rows")
    assert result is None or "fast" in str(result)
    rows = ip.user_ns["rows"]
    assert list(rows["model"]) == ["fast"]


def test_named_pipelines_belong_to_their_engine(ip: Any) -> None:
    body = "- name: a\n  model: fast\n  prompt: 'Say {input}'\n"
    result = ip.run_cell(f"%%orchestrate greet --engine engine\n{body}")
    assert result.success, result.error_in_exec
    ip.user_ns["df"] = "hi there"
    ip.run_line_magic("orchestrate", "run greet --engine engine --input df --out graded")
    assert "hi there" in str(ip.user_ns["graded"]["a"])
    # The session's engine has no pipeline of that name.
    message = _error(ip.run_cell("%orchestrate run greet --input df"))
    assert "greet" in message


def test_a_cell_that_ignores_a_differently_configured_engine_says_so_once(ip: Any) -> None:
    with capture_output() as first:
        result = ip.run_cell("%%orchestrate --compare gpt-4o --out graded\nhi")
    assert result.success, result.error_in_exec
    assert "not on the one in 'engine'" in first.stdout  # its pool 'fast' is left out
    with capture_output() as again:
        ip.run_cell("%%orchestrate --compare gpt-4o --out graded\nhi")
    assert "not on the one in" not in again.stdout  # once per kernel


def test_the_note_names_the_engine_and_the_option(ip: Any) -> None:
    ip.user_ns["team"] = OrchestrationEngine(guardian=False)
    try:
        with capture_output() as shown:
            ip.run_cell("%%orchestrate --compare gpt-4o --out graded\nhi")
    finally:
        ip.user_ns.pop("team").close()
    assert "not on the one in 'team'" in shown.stdout
    assert "--engine team" in shown.stdout


def test_an_engine_configured_like_the_session_one_gets_no_note(ip: Any) -> None:
    ip.user_ns["engine"] = OrchestrationEngine()  # the defaults: nothing is left out
    with capture_output() as shown:
        ip.run_cell("%%orchestrate --compare gpt-4o --out graded\nhi")
    ip.user_ns["engine"].close()
    assert "--engine" not in shown.stdout


def test_a_cell_with_the_option_gets_no_note(ip: Any) -> None:
    with capture_output() as shown:
        ip.run_cell("%%orchestrate --compare fast --engine engine --out graded\nhi")
    assert "not on the one in" not in shown.stdout


def test_an_engine_that_differs_only_in_its_simulator_gets_no_note(ip: Any) -> None:
    ip.user_ns["engine"] = OrchestrationEngine(simulator={"latency": (0.05, 0.25)})
    with capture_output() as shown:
        ip.run_cell("%%orchestrate --compare gpt-4o --out graded\nhi")
    ip.user_ns["engine"].close()
    assert "--engine" not in shown.stdout
