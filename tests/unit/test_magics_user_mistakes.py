"""Mistakes a new user makes in a notebook, each answered with one clear message and no
call made (found in a first hour with the README and docs/EXAMPLES.md)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError, SpecError
from orchestration_kernel.matrix import matrix_prompts
from tests.unit.test_magics import cell, clean_failure, ip  # noqa: F401 - the shell fixture

DUPLICATED = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])


@pytest.mark.parametrize(
    "frame",
    [DUPLICATED, pd.DataFrame([[1, 2]], columns=[1, "1"])],
    ids=["same-name", "same-name-once-a-string"],
)
def test_over_a_frame_with_two_columns_of_one_name_is_refused(frame: pd.DataFrame) -> None:
    # Before: {a} silently took the last column's value, for every row.
    with pytest.raises(ConfigurationError, match="more than one column named") as info:
        matrix_prompts("value {item}", frame, what="--over d2")
    assert str(info.value).startswith("--over d2 has")


def test_the_matrix_and_the_pipeline_over_rows_refuse_it_before_any_call() -> None:
    engine = OrchestrationEngine(offline="on")
    with pytest.raises(ConfigurationError, match="more than one column named 'a'"):
        engine.matrix_sync(["gpt-4o"], "value {a}", DUPLICATED)
    spec = [{"name": "s", "model": "gpt-4o", "prompt": "Summ {a}"}]
    with pytest.raises(ConfigurationError, match="more than one column named 'a'"):
        engine.pipeline_matrix_sync(spec, DUPLICATED)
    assert engine.simulator.calls == 0


def test_the_magics_refuse_it_cleanly(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    ip.user_ns["d2"] = DUPLICATED
    for head in ("--compare gpt-4o --over d2", "--over d2"):
        body = "value {a}" if "compare" in head else '- {model: gpt-4o, prompt: "v {a}"}'
        result = cell(ip, f"%%orchestrate {head} --out m\n{body}")
        out = capsys.readouterr().out
        clean_failure(result, out, "ConfigurationError")
        assert "more than one column named 'a'" in out and "m" not in ip.user_ns
    ip.user_ns.pop("d2")


def test_a_misspelt_variable_is_not_matched_to_ipythons_own_names(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = cell(ip, "%%orchestrate --compare gpt-4o --over questionz\nAnswer {item}")
    out = capsys.readouterr().out
    clean_failure(result, out, "ConfigurationError")
    assert "name 'questionz' is not defined" in out
    assert "get_ipython" not in out  # before: "Did you mean 'get_ipython'?"
    ip.user_ns["questions"] = ["What is RAG?"]
    result = cell(ip, "%%orchestrate --compare gpt-4o --over questionz\nAnswer {item}")
    assert "Did you mean 'questions'?" in capsys.readouterr().out
    ip.user_ns.pop("questions")


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("help me", "%orchestrate help takes no arguments, got 'me'. Usage: %orchestrate help"),
        (
            "audit foo",
            "%orchestrate audit takes no arguments, got 'foo'. Usage: %orchestrate "
            "audit [--run ID] [--out VAR]",
        ),
        ("key", "%orchestrate key needs 1 argument. Usage: %orchestrate key PROVIDER"),
        ("offline on off", "%orchestrate offline takes at most 1 argument, got 'on off'."),
        ("context a b", "%orchestrate context takes at most 1 argument, got 'a b'."),
    ],
)
def test_a_command_with_the_wrong_words_says_what_is_wrong(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    line: str,
    says: str,
) -> None:
    result = cell(ip, f"%orchestrate {line}")
    out = capsys.readouterr().out
    clean_failure(result, out, "ConfigurationError")
    assert says in out
    assert "this help" not in out  # before: "%orchestrate help this help"


@pytest.mark.parametrize("given", ['"a b"', '""', "' '"])
def test_a_session_id_that_is_not_one_word_is_refused_in_a_cell(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    given: str,
) -> None:
    # Before: "" ran under the kernel's own session and "a b" under a second one, silently;
    # '%orchestrate session "a b"' already refused it.
    result = cell(ip, f'%%orchestrate --session {given} --out res\n- {{model: gpt-4, prompt: "x"}}')
    out = capsys.readouterr().out
    clean_failure(result, out, "ConfigurationError")
    assert "a session id is one word" in out and "res" not in ip.user_ns


def test_a_placeholder_typo_is_not_matched_to_ipythons_history(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = cell(ip, '%%orchestrate\n- {model: gpt-4, prompt: "price is ${amount}"}')
    out = capsys.readouterr().out
    clean_failure(result, out, "SpecError")
    assert "{amount} does not resolve" in out
    assert "'Out'" not in out  # before: "did you mean 'Out'?"


@pytest.mark.parametrize(
    ("model", "problem"),
    [("[]", "needs at least one model"), ("[gpt-4, gpt-4]", "names a model twice")],
)
def test_a_bad_fan_out_list_is_one_problem_not_two(model: str, problem: str) -> None:
    engine = OrchestrationEngine(offline="on")
    with pytest.raises(SpecError) as info:
        engine.create_pipeline(f"- name: a\n  model: {model}\n  prompt: x\n")
    assert [p.message for p in info.value.errors] == [f"a fan-out model list {problem}"]
    assert "has no model" not in str(info.value)  # before: a second, wrong problem
    with pytest.raises(SpecError, match="has no model"):  # a step without one still says so
        engine.create_pipeline("- name: a\n  prompt: x\n")


def test_key_save_without_a_secure_keyring_claims_no_key_is_kept(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Refused before getpass asks: before, the message said "the key is kept for this
    # kernel only" though no key had been asked for, let alone kept.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    result = cell(ip, "%orchestrate key openai --save")
    out = capsys.readouterr().out
    clean_failure(result, out, "ConfigurationError")
    assert "Nothing was saved" in out and "the key is kept" not in out
    assert "without --save" in out.lower()


def test_a_column_named_item_or_input_is_not_silently_the_whole_row() -> None:
    # Before: {item} (a matrix) or {input} (a pipeline over rows) sent the whole row as
    # JSON where the column's value was meant, one paid call per row.
    engine = OrchestrationEngine(offline="on")
    fruit = pd.DataFrame({"item": ["apple", "pear"], "price": [1, 2]})
    with pytest.raises(ConfigurationError, match=r"column named 'item', but \{item\} is"):
        engine.matrix_sync(["gpt-4o"], "Price of {item}: {price}", fruit)
    rows = pd.DataFrame({"input": ["apple", "pear"], "price": [1, 2]})
    spec = [{"name": "s", "model": "gpt-4o", "prompt": "Price of {input}: {price}"}]
    with pytest.raises(ConfigurationError, match=r"Reach the column as \{input\[input\]\}"):
        engine.pipeline_matrix_sync(spec, rows)
    assert engine.simulator.calls == 0
    # The column is reachable, and a prompt that does not read the name whole runs.
    table = engine.matrix_sync(["gpt-4o"], "Price of {item[item]}: {price}", fruit)
    assert table.to_dataframe()["gpt-4o"].str.endswith("Price of apple: 1").iloc[0]
    spec = [{"name": "s", "model": "gpt-4o", "prompt": "Price of {input[input]}: {price}"}]
    frame = engine.pipeline_matrix_sync(spec, rows).to_dataframe()
    assert frame["s"].iloc[1].endswith("Price of pear: 2")


def test_a_misspelt_default_model_fails_when_the_cell_loads_not_mid_run(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: the run started, its step failed with UnknownModelError and a failed run was
    # audited; the message never said the model came from the configured default.
    ip.run_line_magic("config", 'OrchestrateMagics.default_model = "nosuch-model"')
    try:
        result = cell(ip, '%%orchestrate --out res\n- task: summary\n  prompt: "Summarise"')
        out = capsys.readouterr().out
        clean_failure(result, out, "SpecError")
        assert "line 1, column 3" in out and "takes the default model" in out
        assert "pending" not in out and "res" not in ip.user_ns  # no run was started
    finally:
        ip.run_line_magic("config", 'OrchestrateMagics.default_model = ""')


def test_a_missing_history_cell_says_which_cells_have_one(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: "{Out[99]}: no key '99'". The shell is shared by the suite's tests: take a
    # cell that ran without output (an assignment) rather than a fixed number.
    assert cell(ip, "silent = 41 + 1").success
    quiet = ip.execution_count - 1
    assert cell(ip, "41 + 1").success
    result = cell(ip, f'%%orchestrate --dry-run\n- {{model: gpt-4, prompt: "x {{Out[{quiet}]}}"}}')
    out = capsys.readouterr().out
    clean_failure(result, out, "SpecError")
    assert f"{{Out[{quiet}]}}: cell {quiet} has no output; cells with one: " in out
    result = cell(ip, '%%orchestrate --dry-run\n- {model: gpt-4, prompt: "x {In[99999]}"}')
    assert "{In[99999]}: there is no cell 99999 yet (the last is " in capsys.readouterr().out


@pytest.mark.parametrize(
    "models", ["gpt-4o,claude-3", ["gpt-4o, claude-3"], ["gpt-4o,", "claude-3"]]
)
def test_models_named_with_commas_are_each_model(models: Any) -> None:
    # Before: "gpt-4o,claude-3" was one model of that name, answered offline as if real.
    engine = OrchestrationEngine(offline="on")
    result = engine.compare_sync(models, "hi")
    assert list(result.replies) == ["gpt-4o", "claude-3"]
    with pytest.raises(ConfigurationError, match="names 'gpt-4o' more than once"):
        engine.compare_sync("gpt-4o,gpt-4o", "hi")


@pytest.mark.parametrize("head", ["--compare gpt-4o --over", "--over"])
def test_a_word_given_to_over_says_how_to_pass_text(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    head: str,
) -> None:
    body = "Answer {item}" if "compare" in head else '- {model: gpt-4o, prompt: "{item}"}'
    result = cell(ip, f'%%orchestrate {head} "hello"\n{body}')
    out = capsys.readouterr().out
    clean_failure(result, out, "ConfigurationError")
    assert "name 'hello' is not defined" in out
    assert "for one text, pass a list of it: --over \"['hello']\"" in out
    # An expression over a missing name is not a word: no text hint there.
    cell(ip, f"%%orchestrate {head} rows[:3]\n{body}")
    assert "for one text" not in capsys.readouterr().out


def test_out_refuses_a_name_that_would_hide_code_and_keeps_data_names(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    ip.run_cell("import json as codec\ndef helper(): ...\n")
    refused = [
        ("len", "Python's built-in len"),
        ("print", "Python's built-in print"),
        ("codec", "the module codec"),
        ("helper", "the function helper"),
    ]
    for name, what in refused:
        result = cell(ip, f"%%orchestrate --compare gpt-4o --out {name}\nhi")
        out = capsys.readouterr().out
        clean_failure(result, out, "ConfigurationError")
        assert f"--out {name} would replace {what}" in out
        assert f"--out {name}_result" in out
    assert ip.user_ns["codec"].__name__ == "json" and "len" not in ip.user_ns
    ip.user_ns["answers"] = [1, 2]  # data: replaced, as asked
    assert cell(ip, "%%orchestrate --compare gpt-4o --out answers\nhi").success
    assert type(ip.user_ns["answers"]).__name__ == "CompareTable"
    for name in ("codec", "helper", "answers"):
        ip.user_ns.pop(name)


@pytest.mark.parametrize(
    ("head", "body", "suggested"),
    [
        ("", "Summarise the doc in one line", "--compare gpt-4o-mini"),
        ("", "Summarise: {doc}", "--compare gpt-4o-mini"),  # YAML reads a mapping
        ("", "Summarise this: {{ doc }}", "--compare gpt-4o-mini"),  # YAML fails on braces
        (" gpt-4o", "Summarise: {doc}\nIn two lines.", "--compare gpt-4o on the first line"),
    ],
)
def test_a_prompt_in_a_pipeline_cell_says_how_to_send_it(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    head: str,
    body: str,
    suggested: str,
) -> None:
    # Before: "the spec has no 'steps:' list" or "malformed YAML: found unhashable key",
    # neither naming --compare, for the first cell many people type.
    ip.user_ns["doc"] = "Revenue grew."
    result = cell(ip, f"%%orchestrate{head}\n{body}")
    out = capsys.readouterr().out
    clean_failure(result, out, "ConfigurationError")
    assert "This cell is one prompt" in out and suggested in out
    if head:
        assert "names the pipeline, not a model" in out


BROKEN_SPECS = [
    "steps:\n  - name: a\n    modle: gpt-4o\n    prompt: hi",
    "- {model: gpt-4o, prompt: hi, tiemout: 3}",
    "name: x\nstep:\n  - {model: gpt-4o, prompt: hi}",
]


def test_a_broken_spec_still_gets_its_own_spec_error(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    for body in BROKEN_SPECS:
        clean_failure(
            cell(ip, f"%%orchestrate\n{body}"), out := capsys.readouterr().out, "SpecError"
        )
        assert "one prompt" not in out and "line " in out, body


def test_jinja_braces_around_a_known_name_are_noted_as_literal(
    ip: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: '{doc}' went to the model with no word, the cell done.
    ip.user_ns["doc"] = "Revenue grew."
    cells = {
        "%%orchestrate --compare gpt-4o\nSummarise: {{doc}}": "note: {{doc}} is sent as a literal",
        "%%orchestrate\n- {model: gpt-4o, prompt: 'Summarise: {{ doc }}'}": "{{ doc }} is sent",
    }
    for text, said in cells.items():
        assert cell(ip, text).success
        out = capsys.readouterr().out
        assert said in out and "To insert doc, write {doc}" in out, text
    # A name the kernel does not hold, and {{item}} without --over, are meant literally.
    for text in ("Explain {{ nothing_here }} in Jinja", "Show the text {{item}}"):
        assert cell(ip, f"%%orchestrate --compare gpt-4o\n{text}").success
        assert "sent as a literal" not in capsys.readouterr().out
