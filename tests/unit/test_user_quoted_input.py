"""``--input "hello"`` is the text hello; ``--input hello`` is the variable (session 16).

The line splits like a shell command line, which drops the quotes, so ``--input "hello"``
reached the evaluator as the bare name ``hello`` and was refused: "name 'hello' is not
defined ... quote it twice". A user who typed quotes meant text. Now a quoted value that
reads as words is text; a quoted expression (``"df.q.iloc[0]"``, ``"'x'"``) is still
evaluated, and an unquoted name is still a variable (README: ``--input`` takes any Python
expression). When a variable has the quoted word's name, a note says how to pass it.

Also: ``%%orchestrate NAME --out r`` that only registers its pipeline (it reads
``{input}`` and has no ``--input``) bound nothing to ``r``, so the next cell's ``r``
raised NameError. ``r`` now holds the pipeline, and the cell says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from orchestration_kernel.pipeline import Pipeline
from tests.unit.magic_shell import magic_shell

SPEC = '- name: s\n  model: gpt-4o\n  prompt: "Summarise: {input}"\n'


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")
    shells = magic_shell(monkeypatch, ("hello", "df", "r"))
    shell = next(shells)
    assert shell.run_cell("%%orchestrate summar\n" + SPEC).success
    yield shell
    next(shells, None)


def sent(ip: Any, line: str) -> str:
    """The prompt the run of ``line`` sent (the simulator echoes it)."""
    result = ip.run_cell(line)
    assert result.success, result.error_in_exec
    return str(ip.user_ns["_orchestrate"].steps[0].prompt)


@pytest.mark.parametrize(
    "value",
    ['"hello"', "'hello'", '="hello"', '"Paris, France"', '"not bad"', '"two words"'],
)
def test_a_quoted_value_that_reads_as_words_is_text(ip: Any, value: str) -> None:
    space = "" if value.startswith("=") else " "
    text = value.lstrip("=")[1:-1]
    assert sent(ip, f"%orchestrate run summar --input{space}{value}") == f"Summarise: {text}"


def test_a_bare_name_is_still_a_variable_and_a_missing_one_says_to_quote_it(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = ip.run_cell("%orchestrate run summar --input hello")
    assert not failed.success
    assert str(failed.error_in_exec).endswith('To pass text, quote it: --input "hello".')
    ip.user_ns["hello"] = "a variable"
    assert sent(ip, "%orchestrate run summar --input hello") == "Summarise: a variable"


def test_a_quoted_word_that_is_also_a_variable_is_text_with_a_note(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.user_ns["hello"] = "a variable"
    capsys.readouterr()
    assert sent(ip, '%orchestrate run summar --input "hello"') == "Summarise: hello"
    assert "for your variable hello, write --input hello without quotes" in capsys.readouterr().out


def test_a_quoted_expression_is_still_evaluated(ip: Any) -> None:
    ip.user_ns["df"] = pd.DataFrame({"q": ["first question", "second"]})
    assert sent(ip, '%orchestrate run summar --input "df.q.iloc[0]"') == "Summarise: first question"
    assert sent(ip, "%orchestrate run summar --input \"'said twice'\"") == "Summarise: said twice"


def test_the_cell_form_takes_quoted_text_too(ip: Any) -> None:
    body = '- model: gpt-4o\n  prompt: "Translate: {input}"\n'
    assert sent(ip, '%%orchestrate --input "bonjour"\n' + body) == "Translate: bonjour"


def test_what_reads_as_words() -> None:
    from orchestration_kernel.magics.args import reads_as_words

    words = ["hello", "Paris, France", "not bad", "a - b", "what?", "x == 3 and y"]
    code = ["'hello'", "42", "df.review", "items[:3]", "f(x)", "[a, b]", "{'k': v}"]
    assert [w for w in words if not reads_as_words(w)] == []
    assert [c for c in code if reads_as_words(c)] == []


def test_a_named_cell_that_only_registers_binds_its_pipeline_to_out(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.user_ns["_orchestrate"] = before = object()
    capsys.readouterr()
    assert ip.run_cell("%%orchestrate later --out r\n" + SPEC).success
    shown = capsys.readouterr().out
    assert "Pipeline 'later' registered, not run" in shown
    assert "--out r: nothing ran, so r holds the pipeline, not a result" in shown
    pipeline = ip.user_ns["r"]
    assert isinstance(pipeline, Pipeline) and pipeline.name == "later"
    assert ip.user_ns["_orchestrate"] is before  # still the last run's result
    assert pipeline.run("soon").output.endswith("Summarise: soon")
