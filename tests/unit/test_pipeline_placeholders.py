"""Prompt templates: what interpolates, what stays literal, and how values render."""

from __future__ import annotations

import json

import pytest

from orchestration_kernel.pipeline.placeholders import Placeholder, compile_template
from orchestration_kernel.pipeline.result import StepResult
from orchestration_kernel.pipeline.scope import AccessError, Scope, format_value


def render(text: str, **names: object) -> str:
    scope = Scope(input=names.pop("input", None), namespace=names)
    return compile_template(text).render(scope)


def test_identifier_placeholders_are_found_with_their_paths() -> None:
    tpl = compile_template("A {input} B {triage.output} C {views[claude-3]} D {In[3]}")
    phs = tpl.placeholders
    assert [p.root for p in phs] == ["input", "triage", "views", "In"]
    assert phs[1].path == (("attr", "output"),)
    assert phs[2].path == (("item", "claude-3"),)
    assert phs[3].path == (("item", "3"),)
    assert tpl.names == {"input", "triage", "views", "In"}


def test_offsets_point_at_the_opening_brace() -> None:
    text = "xx {a} yy {b.c}"
    for ph in compile_template(text).placeholders:
        assert text[ph.offset :].startswith(ph.raw)


def test_json_in_a_prompt_is_literal() -> None:
    body = '{"a": 1, "b": {"c": [1, 2]}, "d": "x"}'
    tpl = compile_template("Return " + body + " for {{input}}")
    assert tpl.placeholders == ()
    assert tpl.render(Scope()) == "Return " + body + " for {input}"


def test_nested_json_closing_braces_survive() -> None:
    body = '{"a": {"b": {"c": 1}}}'
    assert render(body) == body


def test_placeholder_inside_json_interpolates() -> None:
    assert render('{"q": "{input}"}', input="hi") == '{"q": "hi"}'


@pytest.mark.parametrize(
    "code",
    [
        "def f(x): return {x: 1}",
        "d = { x }",
        "s = {1, 2}",
        "f'{x!r}'",
        "fmt = '{:>10}'",
        "{0}",
        "{x y}",
        "{}",
        "lambda: {**a}",
    ],
)
def test_code_braces_that_are_not_identifier_shaped_are_literal(code: str) -> None:
    assert compile_template(code).placeholders == ()
    assert render(code) == code


def test_double_braces_escape() -> None:
    assert render("{{input}}", input="X") == "{input}"
    assert render("{{{input}}}", input="X") == "{X}"
    assert render("a {{ b }} c") == "a { b } c"


def test_unpaired_double_close_brace_is_literal() -> None:
    assert render("x }} y") == "x }} y"


def test_no_interpolate_keeps_every_character() -> None:
    text = "{input} {{x}} {a.b}"
    tpl = compile_template(text, interpolate=False)
    assert tpl.placeholders == ()
    assert tpl.render(Scope()) == text


def test_quoted_keys_are_unquoted() -> None:
    ph = compile_template("{views['claude-3']}").placeholders[0]
    assert ph.path == (("item", "claude-3"),)
    ph = compile_template('{d["k"]}').placeholders[0]
    assert ph.path == (("item", "k"),)


def test_values_render_by_type() -> None:
    assert render("{x}", x=None) == ""
    assert render("{x}", x=3) == "3"
    assert json.loads(render("{x}", x={"a": [1, 2]})) == {"a": [1, 2]}
    assert render("{x.a}", x={"a": "b"}) == "b"
    assert render("{x[a]}", x={"a": "b"}) == "b"
    assert render("{x[1]}", x=["p", "q"]) == "q"
    assert render("{Out[3]}", Out={3: "three"}) == "three"


def test_object_attributes_are_public_only() -> None:
    class Config:
        name = "cfg"

    assert render("{c.name}", c=Config()) == "cfg"
    with pytest.raises(AccessError, match="private"):
        render("{c._secret}", c=Config())
    with pytest.raises(AccessError, match="private"):
        render("{c.__class__}", c=Config())


def test_missing_names_and_keys_explain_themselves() -> None:
    with pytest.raises(AccessError, match="did you mean 'topic'"):
        render("{topik}", topic="x")
    with pytest.raises(AccessError, match="no key 'z'"):
        render("{d[z]}", d={"a": 1})
    with pytest.raises(AccessError, match="out of range"):
        render("{l[5]}", l=[1])
    with pytest.raises(AccessError, match="not a number"):
        render("{l[x]}", l=[1])


def test_step_values_render_their_output_and_fields() -> None:
    step = StepResult(name="triage", model="gpt-4", status="done", output="urgent")
    scope = Scope(steps={"triage": step})
    assert compile_template("{triage}").render(scope) == "urgent"
    assert compile_template("{triage.status}/{triage.model}").render(scope) == "done/gpt-4"
    assert compile_template("{triage.guardian}").render(scope) == "allow"


def test_fan_out_steps_render_labelled_or_by_model() -> None:
    outputs = {"gpt-4": "A", "claude-3": "B"}
    label = "### gpt-4\nA\n\n### claude-3\nB"
    step = StepResult(name="views", status="done", outputs=outputs, output=label)
    scope = Scope(steps={"views": step})
    assert compile_template("{views}").render(scope) == label
    assert compile_template("{views[claude-3]}").render(scope) == "B"
    with pytest.raises(AccessError, match="did you mean 'claude-3'"):
        compile_template("{views[claude-4]}").render(scope)


def test_json_step_fields_come_from_its_output() -> None:
    step = StepResult(name="s", status="done", output='{"verdict": "ok", "n": [1]}')
    scope = Scope(steps={"s": step})
    assert compile_template("{s.verdict} {s[n][0]}").render(scope) == "ok 1"
    with pytest.raises(AccessError, match="no field"):
        compile_template("{s.nothing}").render(scope)


def test_resolution_order_is_input_steps_context_namespace() -> None:
    step = StepResult(name="x", status="done", output="from step")
    scope = Scope(
        input="in", steps={"x": step}, context={"x": "ctx", "y": "ctx"},
        namespace={"x": "ns", "y": "ns", "z": "ns", "input": "ns"},
    )  # fmt: skip
    assert compile_template("{input} {x} {y} {z}").render(scope) == "in from step ctx ns"


def test_format_value_of_unknown_objects_uses_str() -> None:
    class Thing:
        def __str__(self) -> str:
            return "thing"

    assert format_value(Thing()) == "thing"
    assert isinstance(compile_template("{a}").placeholders[0], Placeholder)


def test_tables_and_arrays_are_rendered_whole_and_numpy_numbers_as_numbers() -> None:
    # str() of a long DataFrame or array cuts it to "...": the model got part of the data.
    import numpy as np
    import pandas as pd

    from orchestration_kernel.pipeline.scope import Scope

    def render(value: object) -> str:
        return compile_template("{input}").render(Scope(input=value))

    frame = pd.DataFrame({"x": range(1000), "label": ["a"] * 1000})
    lines = render(frame).splitlines()
    assert lines[0] == "x,label" and len(lines) == 1001 and lines[-1] == "999,a"
    assert render(frame.set_index("label").head(1)) == "label,x\na,0"  # a real index is kept
    assert render(pd.Series([1, 2], name="n")) == "n\n1\n2"
    assert render(np.arange(2000)).endswith(", 1998, 1999]")
    assert render({"n": np.int64(3), "f": np.float32(0.1)}) == '{\n  "n": 3,\n  "f": 0.1\n}'
    assert render(np.float32(0.1)) == "0.1"


def test_a_row_is_rendered_as_a_json_record_with_missing_cells_as_null() -> None:
    # Before: --input df.iloc[0] rendered as CSV with a junk header line (",0").
    import pandas as pd

    from orchestration_kernel.pipeline.scope import Scope

    def render(value: object) -> str:
        return compile_template("{input}").render(Scope(input=value))

    df = pd.DataFrame({"q": ["What is 2+2?", "x"], "a": [4, None], "d": ["2024-01-01", None]})
    assert render(df.iloc[0]) == '{\n  "q": "What is 2+2?",\n  "a": 4.0,\n  "d": "2024-01-01"\n}'
    assert render(df.iloc[1]) == '{\n  "q": "x",\n  "a": null,\n  "d": null\n}'
    # A column (a RangeIndex) and a Series with a non-name label stay CSV.
    assert render(df["q"]) == "q\nWhat is 2+2?\nx"
    assert render(pd.Series([1, 2], index=["a", 3])).startswith(",0\na,1")
