"""Loading specs from dicts and YAML: every problem at once, each with its line and column."""

from __future__ import annotations

import textwrap

import pytest

from orchestration_kernel.errors import SpecError, UnknownModelError
from orchestration_kernel.pipeline.loader import load_pipeline
from orchestration_kernel.pipeline.result import StepResult
from orchestration_kernel.pipeline.scope import Scope
from orchestration_kernel.pipeline.spec import PipelineSpec, StepSpec

KNOWN = {"gpt-4", "claude-3", "gemini-pro", "sim:echo", "fast", "auto"}


def resolver(name: str) -> str:
    """A model resolver with the seed's names (unknown names raise, like the engine)."""
    if name not in KNOWN:
        import difflib

        raise UnknownModelError(name, difflib.get_close_matches(name, sorted(KNOWN)))
    return name


def problems(source: object, **kw: object) -> list:
    with pytest.raises(SpecError) as info:
        load_pipeline(source, resolve_model=resolver, **kw)
    return info.value.errors


def y(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


CONTRACT_EXAMPLE = y(
    """
    steps:
      - name: triage
        model: gpt-4
        prompt: "Classify as urgent or routine: {input}"
      - name: escalate
        model: claude-3
        fallbacks: [gemini-pro]
        when: "'urgent' in triage"
        prompt: "Draft an escalation for: {input}"
      - name: views
        model: [gpt-4, claude-3, gemini-pro]
        depends_on: [triage]
        on_error: skip
        default: "no view"
        timeout: 30
        prompt: "Give your view on: {input}"
      - name: summary
        model: fast
        format: json
        schema: {type: object, properties: {verdict: {type: string}}}
        context: session
        prompt: "Summarise {views} as JSON"
      - name: pick
        model: auto
        prompt: "..."
    """
)


def test_the_contract_example_loads() -> None:
    compiled = load_pipeline(CONTRACT_EXAMPLE, resolve_model=resolver)
    spec = compiled.spec
    assert spec.step_names == ["triage", "escalate", "views", "summary", "pick"]
    assert spec.step("views").fans_out
    assert spec.step("summary").json_schema == {
        "type": "object",
        "properties": {"verdict": {"type": "string"}},
    }
    deps = compiled.dag.deps
    assert deps["escalate"] == ("triage",)
    assert deps["views"] == ("triage",)
    assert deps["summary"] == ("views",)
    assert compiled.dag.levels() == [["triage"], ["escalate", "views"], ["summary"], ["pick"]]


def test_seed_dicts_load_with_names_from_tasks() -> None:
    compiled = load_pipeline(
        [
            {"model": "gpt-4", "task": "analysis"},
            {"model": "claude-3", "task": "synthesis"},
            {"model": "gemini-pro", "task": "validation"},
        ],
        resolve_model=resolver,
    )
    assert compiled.spec.step_names == ["analysis", "synthesis", "validation"]
    assert compiled.dag.order == ("analysis", "synthesis", "validation")


def test_unnamed_steps_without_identifier_tasks_get_step_numbers() -> None:
    compiled = load_pipeline(
        [
            {"model": "gpt-4", "task": "summarise the text"},
            {"model": "gpt-4", "prompt": "x"},
            {"name": "step1", "model": "gpt-4", "prompt": "y"},
        ]
    )
    assert compiled.spec.step_names == ["step2", "step3", "step1"]


def test_duplicate_tasks_do_not_collide() -> None:
    compiled = load_pipeline([{"model": "m", "task": "review"}, {"model": "m", "task": "review"}])
    assert compiled.spec.step_names == ["review", "step2"]


def test_mapping_form_with_options() -> None:
    compiled = load_pipeline(
        y(
            """
            name: demo
            description: a test
            model: gpt-4
            input: default input
            steps:
              - prompt: "A {input}"
              - prompt: "B {step1}"
            """
        ),
        resolve_model=resolver,
    )
    assert compiled.spec.name == "demo"
    assert compiled.spec.input == "default input"
    assert compiled.name == "demo"


def test_name_argument_overrides_spec_name() -> None:
    compiled = load_pipeline({"name": "a", "steps": [{"model": "m", "prompt": "p"}]}, name="b")
    assert compiled.spec.name == "b"


def test_a_pipeline_spec_object_is_checked_too() -> None:
    spec = PipelineSpec(steps=[StepSpec(name="a", model="nope", prompt="x")])
    errs = problems(spec)
    assert "Unknown model 'nope'" in errs[0].message


def test_unknown_keys_name_the_line_column_and_nearest_key() -> None:
    errs = problems(
        y(
            """
            steps:
              - name: a
                modle: gpt-4
                prompt: hi
            """
        )
    )
    unknown = next(e for e in errs if "modle" in e.message)
    assert (unknown.line, unknown.column) == (3, 5)
    assert "did you mean 'model'" in unknown.message
    assert unknown.path == "steps[0].modle"


def test_unknown_pipeline_option_is_reported() -> None:
    errs = problems(y("naem: x\nsteps:\n  - {model: gpt-4, prompt: p}\n"))
    assert errs[0].line == 1
    assert "did you mean 'name'" in errs[0].message


def test_every_problem_is_reported_at_once() -> None:
    text = y(
        """
        steps:
          - name: triage
            model: gpt-5x
            modle: x
            prompt: "Classify {inptu} as JSON {\\"a\\": 1}"
          - name: escalate
            model: claude-3
            when: "'urgent' in triage and x = 3"
            on_error: maybe
            prompt: |
              Draft an escalation for: {input}
              Also {triage.outptu} and {views[claude3]}
          - name: views
            model: [gpt-4, claude-3]
            depends_on: [triage, summary, nosuch]
            prompt: "View {input}"
          - name: summary
            model: gpt-4
            prompt: "Sum {views}"
        """
    )
    errs = problems(text)
    found = {(e.line, e.column): e.message for e in errs}
    assert any("gpt-5x" in m for m in found.values())
    assert "did you mean 'model'" in found[(4, 5)]
    assert "{inptu}" in found[(5, 23)] and "did you mean 'input'" in found[(5, 23)]
    assert "use '==' to compare" in found[(8, 37)]
    assert "'fail' or 'skip'" in found[(9, 15)]
    assert "outptu" in found[(12, 12)] and "did you mean 'output'" in found[(12, 12)]
    assert "claude3" in found[(12, 32)] and "did you mean 'claude-3'" in found[(12, 32)]
    assert any("nosuch" in m for m in found.values())
    assert any("cycle" in m and "summary" in m and "views" in m for m in found.values())
    assert [(e.line or 0, e.column or 0) for e in errs] == sorted(
        (e.line or 0, e.column or 0) for e in errs
    )


def test_malformed_yaml_names_line_and_column() -> None:
    errs = problems("steps:\n  - name: a\n    prompt: [unclosed\n")
    assert len(errs) == 1
    assert errs[0].line is not None and errs[0].column is not None
    assert "malformed YAML" in errs[0].message


def test_tabs_in_yaml_are_a_positioned_error() -> None:
    errs = problems("steps:\n\t- name: a\n")
    assert errs[0].line == 2


def test_duplicate_yaml_keys_are_reported() -> None:
    errs = problems("steps:\n  - name: a\n    model: gpt-4\n    model: claude-3\n    prompt: p\n")
    assert any("appears twice" in e.message and e.line == 4 for e in errs)


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("just a string", "list of steps"),
        ("", "empty"),
        ({"name": "x"}, "no 'steps:'"),
        ({"steps": []}, "at least 1"),
        ([{"model": "gpt-4"}], "'prompt' or a 'task'"),
        ([{"model": "gpt-4", "prompt": "p", "schema": {}}], "needs 'format: json'"),
        ([{"model": [], "prompt": "p"}], "at least one model"),
        ([{"model": ["gpt-4", "gpt-4"], "prompt": "p"}], "twice"),
        ([{"name": "2bad", "model": "gpt-4", "prompt": "p"}], "identifier-shaped"),
        ([{"name": "input", "model": "gpt-4", "prompt": "p"}], "reserved"),
        ([{"model": "gpt-4", "prompt": "p", "timeout": -1}], "greater than 0"),
        ([{"model": "gpt-4", "prompt": "p", "temperature": 9}], "less than or equal"),
        ([{"model": "gpt-4", "prompt": "p", "format": "xml"}], "'text' or 'json'"),
        ([{"model": "gpt-4", "prompt": "p", "context": "all"}], "'none' or 'session'"),
        ([{"model": 3, "prompt": "p"}], "got 3"),
        ([{"prompt": "p"}], "has no model"),
        ([{"name": "a", "model": "gpt-4", "prompt": "p"}] * 2, "unique"),
        (
            {"output": "nope", "steps": [{"name": "a", "model": "gpt-4", "prompt": "p"}]},
            "unknown step 'nope'",
        ),
        ([{"name": "a", "model": "gpt-4", "prompt": "{a}"}], "its own output"),
        ([{"model": "gpt-4", "prompt": "p", "fallbacks": ["claud-3"]}], "claude-3"),
        ({"fold_model": "nope", "steps": [{"model": "gpt-4", "prompt": "p"}]}, "nope"),
        ({"model": "nope", "steps": [{"prompt": "p"}]}, "nope"),
    ],
)
def test_invalid_specs_say_what_is_wrong(source: object, fragment: str) -> None:
    errs = problems(source)
    assert any(fragment in str(e) for e in errs), [str(e) for e in errs]


def test_not_a_spec_at_all() -> None:
    with pytest.raises(SpecError, match="not int"):
        load_pipeline(42)


def test_self_dependency_is_a_cycle() -> None:
    errs = problems([{"name": "a", "model": "gpt-4", "prompt": "p", "depends_on": ["a"]}])
    assert "depends on itself" in errs[0].message


def test_cycle_names_the_whole_cycle() -> None:
    errs = problems(
        [
            {"name": "a", "model": "gpt-4", "prompt": "p", "depends_on": ["c"]},
            {"name": "b", "model": "gpt-4", "prompt": "p"},
            {"name": "c", "model": "gpt-4", "prompt": "p"},
        ]
    )
    assert "a -> b -> c -> a" in errs[0].message


def test_references_to_later_steps_form_edges() -> None:
    compiled = load_pipeline(
        [
            {"name": "a", "model": "m", "prompt": "p", "depends_on": []},
            {"name": "b", "model": "m", "prompt": "{d}", "depends_on": []},
            {"name": "d", "model": "m", "prompt": "q", "depends_on": []},
        ]
    )
    assert compiled.dag.deps["b"] == ("d",)
    assert compiled.dag.order == ("a", "d", "b")


def test_depends_on_accepts_a_single_name() -> None:
    compiled = load_pipeline(
        [
            {"name": "a", "model": "m", "prompt": "p"},
            {"model": "m", "prompt": "q", "depends_on": "a"},
        ]
    )
    assert compiled.spec.steps[1].depends_on == ["a"]


def test_field_access_on_text_steps_is_checked() -> None:
    errs = problems(
        [
            {"name": "a", "model": "gpt-4", "prompt": "p"},
            {"name": "b", "model": "gpt-4", "prompt": "{a[x]}"},
        ]
    )
    assert "no [key]" in errs[0].message


def test_json_steps_allow_any_field() -> None:
    load_pipeline(
        [
            {"name": "a", "model": "gpt-4", "prompt": "p", "format": "json"},
            {"name": "b", "model": "gpt-4", "prompt": "{a.verdict} {a[items]}"},
        ],
        resolve_model=resolver,
    )


def test_names_unknown_without_a_namespace_are_deferred() -> None:
    compiled = load_pipeline([{"model": "m", "prompt": "About {topic} {In[1]}"}])
    assert [r.name for r in compiled.deferred] == ["topic", "In"]
    scope = Scope(namespace={"topic": "x", "In": ["", "first"]})
    assert compiled.check_runtime_names(scope) == []
    errs = compiled.check_runtime_names(Scope(namespace={"topics": 1}))
    assert "did you mean 'topics'" in str(errs[0])


def test_near_misses_of_step_names_fail_even_without_a_namespace() -> None:
    errs = problems(
        [
            {"name": "analysis", "model": "gpt-4", "prompt": "p"},
            {"model": "gpt-4", "prompt": "{analysys}"},
        ]
    )
    assert "did you mean 'analysis'" in errs[0].message


def test_with_a_namespace_every_name_must_resolve_now() -> None:
    errs = problems(
        [{"model": "gpt-4", "prompt": "{topic} {data[nokey]}"}], namespace={"data": {"key": 1}}
    )
    messages = " ".join(e.message for e in errs)
    assert "{topic} does not resolve" in messages
    assert "no key 'nokey'" in messages and "did you mean 'key'" in messages
    load_pipeline([{"model": "gpt-4", "prompt": "{topic}"}], namespace={"topic": "x"})
    load_pipeline([{"model": "gpt-4", "prompt": "{topic}"}], context={"topic": "x"})


def test_history_names_need_ipython_when_a_namespace_is_given() -> None:
    errs = problems([{"model": "gpt-4", "prompt": "{Out[3]}"}], namespace={})
    assert "{Out[3]}" in errs[0].message


def test_input_fields_are_checked_when_the_input_is_known() -> None:
    compiled = load_pipeline([{"model": "m", "prompt": "{input.topic}"}])
    assert compiled.check_runtime_names(Scope(input={"topic": 1})) == []
    errs = compiled.check_runtime_names(Scope(input={"topik": 1}))
    assert "did you mean 'topik'" in str(errs[0])


def test_when_names_are_checked() -> None:
    errs = problems(
        [
            {"name": "triage", "model": "gpt-4", "prompt": "p"},
            {"model": "gpt-4", "prompt": "q", "when": "'x' in triag"},
        ]
    )
    assert "'triag'" in errs[0].message and "did you mean 'triage'" in errs[0].message


def test_block_scalar_positions_point_into_the_text() -> None:
    errs = problems(
        y(
            """
            steps:
              - name: a
                model: gpt-4
                prompt: |
                  line one
                  line two {nope.x}
            """
        ),
        namespace={},
    )
    assert (errs[0].line, errs[0].column) == (6, 16)


def test_interpolate_false_makes_placeholders_literal() -> None:
    compiled = load_pipeline([{"model": "m", "prompt": "{undefined} {{x}}"}], interpolate=False)
    assert compiled.prompts["step1"].render(Scope()) == "{undefined} {{x}}"


def test_system_prompts_are_templates_too() -> None:
    compiled = load_pipeline(
        [
            {"name": "a", "model": "m", "prompt": "p"},
            {"name": "b", "model": "m", "prompt": "q", "system": "Context: {a}"},
        ]
    )
    step = StepResult(name="a", status="done", output="ctx")
    assert compiled.systems["b"].render(Scope(steps={"a": step})) == "Context: ctx"


def test_spec_error_message_lists_each_problem() -> None:
    with pytest.raises(SpecError) as info:
        load_pipeline("steps:\n  - {modle: x, prompt: p}\n  - {model: m}\n")
    text = str(info.value)
    assert text.startswith("2 problems in spec")
    assert "line 2" in text and "line 3" in text
    assert info.value.source is not None
    assert info.value.user_error


@pytest.mark.parametrize(
    ("spec", "where", "hint"),
    [
        ("steps:\n\t- name: a\n\t  model: gpt-4o\n\t  prompt: hi\n", (2, 1), "not tabs"),
        (
            "steps:\n  - name: a\n    model: gpt-4o\n    prompt: Answer this: what is 2+2?\n",
            (4, 24),
            'must be quoted: prompt: "..."',
        ),
        ("steps:\n  - name: a\n    model: gpt-4o\n    prompt: {input}\n", (4, 13), "quote it"),
        ("steps:\n  - name a\n    model: gpt-4o\n    prompt: hi\n", (3, 10), "missing on line 2"),
        ("What is 2+2?", (None, None), "--compare MODEL"),
    ],
)
def test_the_common_yaml_mistakes_say_how_to_fix_them(
    spec: str, where: tuple[int | None, int | None], hint: str
) -> None:
    with pytest.raises(SpecError) as caught:
        load_pipeline(spec)
    [problem] = caught.value.errors
    assert (problem.line, problem.column) == where and hint in problem.message


def test_two_steps_with_one_name_is_one_problem_not_a_cycle_too() -> None:
    step = "  - {name: a, model: gpt-4o, prompt: hi}\n"
    spec = "steps:\n" + step + step
    with pytest.raises(SpecError) as caught:
        load_pipeline(spec)
    assert [p.message for p in caught.value.errors] == [
        "two steps are called 'a'; step names must be unique"
    ]


def test_an_invalid_json_schema_is_refused_when_the_spec_loads_not_after_the_call() -> None:
    spec = y(
        """
        - model: gpt-4
          prompt: "x"
          format: json
          schema: {type: objet}
        """
    )
    (err,) = problems(spec)
    assert (err.line, err.column) == (4, 11)
    assert "'objet' is not a type" in err.message and "Did you mean 'object'?" in err.message
    (err,) = problems(spec.replace("{type: objet}", "{properties: {n: {minimum: low}}}"))
    assert "at properties/n/minimum: 'low' is not of type 'number'" in err.message
    fine = y(
        """
        - model: gpt-4
          prompt: "x"
          format: json
          schema: {type: object, properties: {n: {type: integer, minimum: 0}}}
        """
    )
    assert load_pipeline(fine, resolve_model=resolver).spec.steps[0].json_schema


def test_a_spec_of_the_wrong_type_names_it_with_its_article() -> None:
    # YAML text that is one number: was "(got a int)".
    (problem,) = problems("7")
    assert "(got an int)" in str(problem)
    (problem,) = problems("just words")
    assert "(got a str)" in str(problem)
