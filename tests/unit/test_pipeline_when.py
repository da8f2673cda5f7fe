"""The ``when:`` language: what it accepts, what it refuses, and what it records."""

from __future__ import annotations

import pytest

from orchestration_kernel.models import Decision
from orchestration_kernel.pipeline.result import StepResult
from orchestration_kernel.pipeline.scope import Scope
from orchestration_kernel.pipeline.when import (
    WhenEvalError,
    WhenSyntaxError,
    parse_condition,
)


def scope(**ns: object) -> Scope:
    triage = StepResult(name="triage", status="done", output="this is URGENT and urgent")
    views = StepResult(
        name="views", status="done", outputs={"claude-3": "yes", "gpt-4": "no"}, output="..."
    )
    judged = StepResult(
        name="judged",
        status="done",
        output='{"score": 7, "tags": ["a", "b"]}',
        decisions=[Decision(action="warn", policy="pii", stage="output", reasons=["email"])],
    )
    steps = {"triage": triage, "views": views, "judged": judged}
    return Scope(
        input={"lang": "en", "n": 3}, steps=steps, context={"mode": "strict"}, namespace=ns
    )


def ev(text: str, **ns: object) -> bool:
    return parse_condition(text).evaluate(scope(**ns))[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'urgent' in triage", True),
        ("'calm' in triage", False),
        ("'calm' not in triage", True),
        ("triage.status == 'done'", True),
        ("views['claude-3'] == 'yes'", True),
        ('views["gpt-4"] != "yes"', True),
        ("input.lang == 'en' and input.n >= 3", True),
        ("input['n'] < 3 or mode == 'strict'", True),
        ("not (input.n > 2)", False),
        ("1 < input.n < 5", True),
        ("1 < input.n < 2", False),
        ("judged.score > 5", True),
        ("'a' in judged.tags", True),
        ("judged.guardian == 'warn'", True),
        ("judged.decisions[0].policy == 'pii'", True),
        ("triage.guardian == 'allow'", True),
        ("input.lang in ['en', 'de']", True),
        ("input.lang in []", False),
        ("true and not false", True),
        ("null == null", True),
        ("True and None == None", True),
        ("2.5e0 > 2", True),
        ("'it\\'s' == \"it's\"", True),
        ("flag", True),
        ("count", False),
        ("items[1] == 'y'", True),
    ],
)
def test_expressions_evaluate_like_python(text: str, expected: bool) -> None:
    assert ev(text, flag=True, count=0, items=["x", "y"]) is expected


def test_and_or_short_circuit() -> None:
    # The right side would fail to evaluate; short-circuiting never reaches it.
    assert ev("false and missing.x == 1") is False
    assert ev("true or missing.x == 1") is True


def test_values_seen_are_recorded() -> None:
    ok, seen = parse_condition("'urgent' in triage and input.n >= 3").evaluate(scope())
    assert ok
    assert seen["triage"] == "this is URGENT and urgent"
    assert seen["input.n"] == 3
    assert seen["input"] == {"lang": "en", "n": 3}


def test_recorded_values_are_bounded() -> None:
    _, seen = parse_condition("big == ''").evaluate(scope(big="x" * 5000))
    assert len(seen["big"]) <= 1001


def test_names_lists_root_names() -> None:
    cond = parse_condition("'a' in triage and views['x'] == input.y or not z")
    assert cond.names == {"triage", "views", "input", "z"}
    assert [n for n, _ in cond.name_positions()] == ["triage", "views", "input", "z"]


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("__import__('os')", 1, "not allowed"),
        ("triage.__class__", 8, "not allowed"),
        ("triage._private", 8, "not allowed"),
        ("open('x')", 5, "function calls"),
        ("triage.output.upper()", 20, "function calls"),
        ("x = 1", 3, "=="),
        ("a && b", 3, "and"),
        ("a + 1", 3, "arithmetic"),
        ("'unclosed", 1, "not closed"),
        ("(a == 1", 8, "')'"),
        ("a ==", 5, "missing"),
        ("", 1, "empty"),
        ("a b", 3, "after a complete expression"),
        ("a.", 3, "field name"),
        ("[1, 2", 6, "']'"),
        ("lambda: 1", 7, "unexpected ':'"),
        ("a if b else c", 3, "after a complete expression"),
        ("== 1", 1, "expected a value"),
    ],
)
def test_unsafe_or_malformed_expressions_are_refused_with_a_column(
    text: str, column: int, fragment: str
) -> None:
    with pytest.raises(WhenSyntaxError) as info:
        parse_condition(text)
    assert info.value.column == column
    assert fragment in str(info.value)


def test_evaluation_errors_name_the_problem() -> None:
    with pytest.raises(WhenEvalError, match=r"unknown name 'triag'.*did you mean 'triage'"):
        ev("'x' in triag")
    with pytest.raises(WhenEvalError, match="cannot compare"):
        ev("input.lang > 3")
    with pytest.raises(WhenEvalError, match="no field"):
        ev("triage.nope == 1")


def test_in_on_a_missing_output_is_false() -> None:
    pending = StepResult(name="p")
    s = Scope(steps={"p": pending})
    assert parse_condition("'x' in p.output").evaluate(s)[0] is False
    assert parse_condition("'x' not in p.output").evaluate(s)[0] is True


class _OldSequence:
    """Indexable only (no __contains__, no __iter__): ``in`` walks it by index."""

    def __getitem__(self, index: int) -> int:
        if index < 3:
            return index * 10
        raise IndexError(index)


class _Opaque:
    pass


def test_in_follows_pythons_own_protocols_on_user_values() -> None:
    # Containers, plain iterables and old-style indexable objects work as `in` does.
    assert ev("20 in seq", seq=_OldSequence()) is True
    assert ev("5 in seq", seq=_OldSequence()) is False
    assert ev("2 in it", it=iter([1, 2])) is True
    assert ev("'a' in keys", keys={"a": 1}) is True
    # An object `in` cannot search is a clear evaluation error, not a crash.
    with pytest.raises(WhenEvalError, match=r"cannot compare int in _Opaque.*not iterable"):
        ev("1 in thing", thing=_Opaque())


def test_ordering_follows_python_between_user_values() -> None:
    assert ev("a < b", a=(1, 2), b=(1, 3)) is True
    assert ev("a >= b", a="b", b="a") is True
    with pytest.raises(WhenEvalError, match="cannot compare NoneType < int"):
        ev("a < 1", a=None)


def test_no_eval_of_user_code() -> None:
    # Even a name that exists in the namespace as a callable cannot be called.
    with pytest.raises(WhenSyntaxError):
        parse_condition("print('pwned')")
    # A namespace value is data: reading a callable's attribute stays data access.
    assert ev("f.name == 'n'", f={"name": "n"}) is True


@pytest.mark.parametrize(
    ("answer", "condition", "expected"),
    [
        ("7", "rating >= 7", True),
        (" 8\n", "rating >= 7", True),
        ("6", "rating >= 7", False),
        ("7", "rating == 7", True),  # "7" == 7 was silently False
        ("7", "rating == 7.0", True),
        ("2.25", "rating < 2.5", True),
        ("-1", "rating < 0", True),
        ("9", "5 < rating and rating <= 10", True),
        ("7", "rating == '7'", True),  # compared with text, it stays text
        ("17", "'7' in rating", True),
    ],
)
def test_a_steps_answer_compared_with_a_number_is_read_as_one(
    answer: str, condition: str, expected: bool
) -> None:
    rating = StepResult(name="rating", status="done", output=answer)
    scope = Scope(has_input=False, steps={"rating": rating})
    assert parse_condition(condition).evaluate(scope)[0] is expected


@pytest.mark.parametrize("answer", ["Score: 7", "seven", "", "7/10"])
def test_an_answer_that_is_not_a_number_alone_names_the_step_instead_of_false(
    answer: str,
) -> None:
    rating = StepResult(name="rating", status="done", output=answer)
    scope = Scope(has_input=False, steps={"rating": rating})
    for condition in ("rating >= 7", "rating == 7"):
        with pytest.raises(WhenEvalError, match=r"step 'rating' answered .*not a number") as info:
            parse_condition(condition).evaluate(scope)
        assert info.value.column == 1 and "rating.data" in str(info.value)
