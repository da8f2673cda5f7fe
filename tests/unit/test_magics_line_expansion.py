"""A ``%orchestrate`` line: ``$name``/``{name}`` expand as users write them, a huge line
runs (IPython's own expansion was quadratic: a 160 KB line did not finish in a minute,
and ``shlex`` was quadratic in a token's length), and the split is ``shlex``'s, exactly."""

from __future__ import annotations

import random
import shlex
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from orchestration_kernel.magics.args import shell_split
from orchestration_kernel.magics.expand import expand_line
from tests.unit.magic_shell import magic_shell

PIPELINE = '- name: echo\n  model: gpt-4\n  prompt: "Say {input}"\n'
HUGE = 160_000


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A shell with the extension loaded, every model on the offline simulator."""
    yield from magic_shell(monkeypatch, ("res", "rid", "obj", "big"))


def cell(ip: Any, source: str) -> Any:
    return ip.run_cell(source, store_history=False)


@pytest.mark.timeout(60)  # a hang guard: on faaa7d8 this line ran for minutes
def test_a_huge_line_runs(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = cell(ip, "%orchestrate models " + "z" * HUGE)
    assert result.success, result.error_in_exec
    assert "No model matches" in str(result.result._repr_markdown_())


@pytest.mark.timeout(60)
def test_a_huge_quoted_input_reaches_the_pipeline(ip: Any) -> None:
    # A long quoted argument: one shell token of 160 KB (shlex built it char by char).
    text = "w" * HUGE
    result = cell(ip, f"%%orchestrate --input \"'{text}'\" --out res\n{PIPELINE}")
    assert result.success, result.error_in_exec
    step = ip.user_ns["res"].step("echo")
    assert "Say www" in step.output
    assert step.usage.input_tokens > HUGE // 8  # the whole text went (the echo is cut)


@pytest.mark.timeout(60)
def test_a_huge_line_with_dollars_and_braces_runs(ip: Any) -> None:
    ip.user_ns["rid"] = "no-such-run"
    filler = "$x {y} '$z' " * (HUGE // 12)
    result = cell(ip, f"%orchestrate models {filler}")
    assert not result.success  # many words: too many arguments, said briefly
    message = str(result.error_in_exec)
    assert "takes at most 1 argument" in message and len(message) < 400
    result = cell(ip, f'%orchestrate models "{filler}"')
    assert result.success, str(result.error_in_exec)[:300]


def test_dollar_and_brace_names_expand(ip: Any) -> None:
    ip.user_ns["rid"] = "abc123"
    ip.user_ns["obj"] = type("Obj", (), {"run": "def456"})()
    for line, shown in (
        ("--run $rid", "abc123"),
        ("--run {rid}", "abc123"),
        ("--run $obj.run", "def456"),
        ("--run {obj.run}", "def456"),
        ("--run '$rid'", "$rid"),  # inside single quotes: literal, as IPython
        ("--run $$rid", "$rid"),  # $$: a literal $
        ("--run $undefined_name", "$undefined_name"),
    ):
        result = cell(ip, f"%orchestrate audit {line}")
        assert not result.success
        assert f"No run {shown!r}" in str(result.error_in_exec), line


def test_a_python_literal_on_the_line_is_not_evaluated_as_text(ip: Any) -> None:
    # IPython's formatter evaluated any {expression} on the line and pasted its text:
    # the set {3,4} reached --input as "(3, 4)", a tuple. Only {name} expands now.
    result = cell(ip, f"%%orchestrate --input {{3,4}} --out res\n{PIPELINE}")
    assert result.success, result.error_in_exec
    output = ip.user_ns["res"].step("echo").output
    assert "Say {3, 4}" in output or "Say [3, 4]" in output, output


def test_a_variable_in_input_is_an_expression_still(ip: Any) -> None:
    ip.user_ns["big"] = "from a variable"
    result = cell(ip, f"%%orchestrate --input big --out res\n{PIPELINE}")
    assert result.success, result.error_in_exec
    assert "from a variable" in ip.user_ns["res"].step("echo").output


def test_expand_line_keeps_everything_else() -> None:
    ns = {"a": 1, "b": "two"}
    assert expand_line("x $a {b} $c {d} $5 {'k': 1} $$a", ns) == "x 1 two $c {d} $5 {'k': 1} $a"
    assert expand_line("no dollars", ns) == "no dollars"
    assert expand_line("'$a' $a", ns) == "'$a' 1"
    deep = {"o": SimpleNamespace(x="ex")}
    assert expand_line("$o.x {o.x} $o.nope {o.x.nope.y}", deep) == "ex ex $o.nope {o.x.nope.y}"


def test_shell_split_is_shlex_split() -> None:
    """Token for token and error for error, over random text of the characters that
    matter (quotes, backslashes, whitespace)."""
    rng = random.Random(20261207)
    alphabet = list("ab '\"\\\t\n#$-=(")

    def outcome(split: Any, text: str) -> Any:
        try:
            return split(text)
        except ValueError as exc:
            return ("error", str(exc))

    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert outcome(shell_split, text) == outcome(shlex.split, text), text
