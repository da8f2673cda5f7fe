"""Pipeline YAML as people type it: a misspelt key, a wrong indentation, an empty list.

Every mistake is reported at once with its line, and a misspelt key neither hides the
other mistakes nor invents new ones.
"""

from __future__ import annotations

import textwrap

import pytest

from orchestration_kernel.errors import SpecError, UnknownModelError
from orchestration_kernel.pipeline.loader import load_pipeline

KNOWN = {"gpt-4", "claude-3", "gemini-pro"}


def resolver(name: str) -> str:
    """The seed's model names; any other raises, as the engine does."""
    if name not in KNOWN:
        raise UnknownModelError(name, [])
    return name


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(SpecError) as info:
        load_pipeline(textwrap.dedent(text).lstrip("\n"), resolve_model=resolver)
    return [(p.line, p.message) for p in info.value.errors]


def test_a_misspelt_prompt_does_not_hide_the_other_mistakes() -> None:
    found = problems(
        """
        steps:
          - name: analysis
            model: gpt-4
            prompt: "Analyze: {input}"
          - name: synthesis
            model: claude-3
            promt: "Synthesize: {analysys}"
            depends_on: [analisys]
        """
    )
    text = "\n".join(m for _, m in found)
    assert "unknown key 'promt': did you mean 'prompt'?" in text
    # Read as the prompt it nearly is, its placeholder is checked, at its own line.
    assert (7, next(m for _, m in found if "{analysys}" in m)) in found
    assert "did you mean 'analysis'?" in next(m for _, m in found if "{analysys}" in m)
    assert any(line == 8 and "unknown step 'analisys'" in m for line, m in found)
    assert len(found) == 3


def test_a_misspelt_model_is_one_mistake_not_also_a_missing_model() -> None:
    found = problems(
        """
        steps:
          - name: first
            model: gpt-4
            prompt: "Analyse {inptu}"
          - name: second
            modle: claude-3
            prompt: "Summarise {first}"
        """
    )
    assert [line for line, _ in found] == [4, 6]
    assert "has no model" not in "\n".join(m for _, m in found)


def test_a_misspelt_key_read_as_its_near_name_is_still_checked() -> None:
    # 'modle: gpt-5x' read as 'model:' names the unknown model as well as the typo.
    found = problems(
        """
        - name: a
          modle: gpt-5x
          prompt: "x"
        """
    )
    assert [line for line, _ in found] == [2, 2]
    assert any("'gpt-5x'" in m for _, m in found)


def test_a_key_next_to_its_correct_spelling_is_only_reported() -> None:
    found = problems(
        """
        - name: a
          model: gpt-4
          prompt: "x"
          promt: "y {nothing_here}"
        """
    )
    assert len(found) == 1 and "unknown key 'promt'" in found[0][1]


@pytest.mark.parametrize("body", ["steps:\n", "steps: []\n", "name: x\nsteps:\n# later\n"])
def test_an_empty_steps_list_says_what_to_put_there(body: str) -> None:
    [(line, message)] = problems(body)
    assert "'steps:' lists no steps" in message and "- {name:" in message
    assert "Input should be" not in message and "after validation" not in message
    assert line == body.count("\n", 0, body.index("steps:")) + 1


def test_a_misspelt_steps_key_is_named() -> None:
    [(line, message)] = problems(
        """
        name: review
        step:
          - name: a
            model: gpt-4
            prompt: "x"
        """
    )
    assert line == 2 and "did you mean 'steps:' instead of 'step'?" in message


@pytest.mark.parametrize(
    ("body", "line", "here", "there"),
    [
        # one space too many under a step
        ('steps:\n  - name: a\n    model: gpt-4\n     prompt: "x"\n', 4, 6, 5),
        # one space too few on the second step
        ('steps:\n  - name: a\n    model: gpt-4\n    prompt: "x"\n  - name: b\n   model: gpt-4\n',
         6, 4, 5),
        # a key dedented to the list's column
        ('steps:\n  - name: a\n    model: gpt-4\n  prompt: "x"\n', 4, 3, 5),
        # a plain list of steps, one key indented too far
        ('- name: a\n  model: gpt-4\n   prompt: x\n', 3, 4, 3),
    ],
)  # fmt: skip
def test_a_wrong_indentation_names_both_columns(
    body: str, line: int, here: int, there: int
) -> None:
    [(at, message)] = problems(body)
    assert at == line and "malformed YAML" in message
    assert f"line {line} starts in column {here}, the line above in column {there}" in message


def test_a_structure_error_with_even_indentation_gets_no_indentation_hint() -> None:
    [(_, message)] = problems('steps:\n  - name: a\n    model: gpt-4\n    prompt: "x": y\n')
    assert "indentation" not in message


@pytest.mark.parametrize("key", ["retries", "retry", "max_retries"])
def test_a_retry_key_on_a_step_says_where_retries_live(key: str) -> None:
    [(line, message)] = problems(f'- name: a\n  model: gpt-4\n  prompt: "x"\n  {key}: 3\n')
    assert line == 4 and f"unknown key {key!r}" in message
    assert "retries belong to the engine" in message and "fallbacks" in message


@pytest.mark.parametrize(
    ("value", "hint"),
    [("retry", "retries belong to the engine"), ("continue", "did you mean 'skip'"),
     ("ignore", "did you mean 'skip'"), ("fallback", "fallbacks: [model, ...]")],
)  # fmt: skip
def test_an_on_error_value_from_another_tool_gets_a_hint(value: str, hint: str) -> None:
    [(line, message)] = problems(f'- name: a\n  model: gpt-4\n  prompt: "x"\n  on_error: {value}\n')
    assert line == 4 and f"(got {value!r})" in message and hint in message


def test_a_when_with_contains_shows_the_in_form() -> None:
    [(line, message)] = problems(
        """
        - name: triage
          model: gpt-4
          prompt: "x"
        - name: escalate
          model: gpt-4
          when: "triage contains 'urgent'"
          prompt: "y"
        """
    )
    assert line == 6 and "bad 'when:' expression" in message
    assert "\"'urgent' in triage\"" in message


def test_a_cycle_made_of_placeholders_names_a_placeholder_in_it() -> None:
    [(line, message)] = problems(
        """
        steps:
          - name: draft
            model: gpt-4
            prompt: "Draft from {review}"
          - name: review
            model: gpt-4
            prompt: "Review {draft}"
        """
    )
    assert line == 4 and "cycle: draft -> review -> draft" in message
    with pytest.raises(SpecError) as info:
        load_pipeline(
            "- {name: a, model: gpt-4, prompt: '{b}'}\n- {name: b, model: gpt-4, prompt: '{a}'}\n"
        )
    [problem] = info.value.errors
    assert problem.path == "steps[0].prompt" and problem.column == 36  # at '{b}', not at 'name'


def test_a_step_that_is_only_a_model_name_says_what_a_step_is() -> None:
    found = problems("- gpt-4\n- claude-3\n")
    assert [line for line, _ in found] == [1, 2]
    assert "a step is a mapping of keys (name, model, prompt, ...), not 'gpt-4'" in found[0][1]
    assert "%%orchestrate --compare" in found[0][1] and "valid dictionary" not in found[0][1]


def test_a_comma_separated_model_is_not_run_as_one_model() -> None:
    # Offline, 'gpt-4, claude-3' ran as a simulated model of that name.
    with pytest.raises(SpecError) as info:  # no resolver: the spec itself refuses it
        load_pipeline('- name: a\n  model: gpt-4, claude-3\n  prompt: "x"\n')
    [problem] = info.value.errors
    assert problem.line == 2 and "write a list: model: [gpt-4, claude-3]" in problem.message
    assert problem.message.count("'gpt-4, claude-3'") == 1


@pytest.mark.parametrize(
    ("line", "shown"),
    [("name: yes", 'YAML reads yes as a bool: quote it, as in name: "yes"'),
     ("name: 2024", 'YAML reads 2024 as an int: quote it, as in name: "2024"'),
     ("prompt: 3.5", 'YAML reads 3.5 as a float: quote it, as in prompt: "3.5"')],
)  # fmt: skip
def test_yaml_reading_text_as_a_bool_or_number_says_to_quote_it(line: str, shown: str) -> None:
    body = f"- {line}\n  model: gpt-4\n" + ('  prompt: "x"\n' if "prompt" not in line else "")
    found = problems(body)
    assert any(shown in m for _, m in found), found


def test_an_unquoted_brace_value_that_breaks_the_yaml_says_to_quote_it() -> None:
    [(line, message)] = problems("- name: a\n  model: gpt-4\n  prompt: {input} please\n")
    assert line == 3 and "malformed YAML" in message and 'prompt: "{input} ..."' in message


def test_a_bare_word_in_when_says_to_quote_it() -> None:
    spec = (
        '- name: triage\n  model: gpt-4\n  prompt: "x"\n'
        '- name: escalate\n  model: gpt-4\n  when: urgent in triage\n  prompt: "y"\n'
    )
    with pytest.raises(SpecError) as info:  # a namespace given: names resolve now, as in a cell
        load_pipeline(spec, resolve_model=resolver, namespace={"text": "hi"})
    [problem] = info.value.errors
    assert problem.line == 6 and "'urgent' does not resolve" in problem.message
    assert """quote it: when: "'urgent' in triage\"""" in problem.message


def test_a_spec_too_large_for_yaml_says_how_to_build_it_instead() -> None:
    many = "".join(
        f'- {{name: s{i}, model: gpt-4, prompt: "{{input}} {i}"}}\n' for i in range(13_000)
    )
    [(line, message)] = problems(many)
    assert line is not None and "more than 50,000 values" in message
    assert "list of step dicts" in message
    steps = [{"name": f"s{i}", "model": "gpt-4", "prompt": "{input}"} for i in range(13_000)]
    assert len(load_pipeline(steps, resolve_model=resolver).spec.steps) == 13_000
    bomb = "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    bomb += "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
    bomb += "e: &e [*d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e]\nsteps: []\n"
    [(_, alias)] = problems(bomb)
    assert "alias" in alias and "list of step dicts" not in alias  # no advice to an attack


JUDGE = """
- name: summary
  model: gpt-4
  format: json
  schema: {type: object, properties: {verdict: {type: string}, score: {type: number}}}
  prompt: "Judge {input} as JSON"
- name: next
  model: gpt-4
"""


def test_a_misspelt_field_of_a_json_step_is_found_when_the_spec_loads() -> None:
    found = problems(JUDGE + '  prompt: "Verdict {summary.verdit}, score {summary[score]}"\n')
    assert len(found) == 1 and found[0][0] == 8
    assert "no field 'verdit' in its schema (its fields: verdict, score)" in found[0][1]
    assert "did you mean 'verdict'?" in found[0][1]


def test_a_field_the_schema_allows_is_not_refused() -> None:
    # Not a near miss, and the schema does not forbid other fields: it may well be there.
    load_pipeline(JUDGE + '  prompt: "{summary.reason}"\n', resolve_model=resolver)
    closed = JUDGE.replace("}}}", "}}, additionalProperties: false}")
    [(_, message)] = problems(closed + '  prompt: "{summary.reason}"\n')
    assert "no field 'reason' in its schema" in message


def test_an_unknown_step_with_no_near_name_lists_the_steps() -> None:
    [(line, message)] = problems(
        """
        - name: triage
          model: gpt-4
          prompt: "x"
        - name: answer
          model: gpt-4
          depends_on: [classify]
          prompt: "y"
        """
    )
    assert line == 6 and "unknown step 'classify' (the steps are: triage, answer)" in message


def test_an_unclosed_quote_is_named_where_it_opens() -> None:
    [(line, message)] = problems('- name: a\n  model: gpt-4\n  prompt: "Summarise {input}\n')
    assert line == 3 and "The quote that opens here is never closed" in message
    with pytest.raises(SpecError) as info:
        load_pipeline('- name: a\n  model: gpt-4\n  prompt: "x\n- name: b\n  model: gpt-4\n')
    assert (info.value.errors[0].line, info.value.errors[0].column) == (3, 11)


def test_a_step_dash_indented_as_a_key_names_the_dash_column() -> None:
    [(line, message)] = problems(
        """
        steps:
          - name: a
            model: gpt-4
            prompt: x
            - name: b
        """
    )
    assert line == 5
    assert "the '- ' on line 5 is in column 5, the first step's in column 3" in message
