"""%%orchestrate in an InteractiveShell: parsing, checks, clean errors, interpolation, formats."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython import get_ipython
from IPython.testing.globalipapp import start_ipython

from orchestration_kernel.audit.odd_cells import AuditReadWarning
from orchestration_kernel.errors import ConfigurationError, OrchestrationError
from orchestration_kernel.session import Session

PIPELINE = """\
- name: analysis
  model: gpt-4
  prompt: "Analyze: {input}"
- name: synthesis
  model: claude-3
  prompt: "Synthesize: {analysis}"
"""


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A shell with the extension loaded, every model on the offline simulator."""
    monkeypatch.setenv("ORCHESTRATION_OFFLINE", "on")
    shell = start_ipython() or get_ipython()  # a process-wide singleton
    shell.run_line_magic("load_ext", "orchestration_kernel")
    yield shell
    shell.run_line_magic("unload_ext", "orchestration_kernel")
    for name in ("res", "plan", "m", "frame", "rows", "ctx", "why", "text", "qs", "_orchestrate"):
        shell.user_ns.pop(name, None)


def cell(ip: Any, source: str) -> Any:
    """Run a cell as the user would; return IPython's ExecutionResult."""
    return ip.run_cell(source, store_history=True)


def clean_failure(result: Any, out: str, ename: str) -> None:
    """The cell failed with ``ename`` shown as one short message, no traceback."""
    assert not result.success
    assert type(result.error_in_exec).__name__ == ename
    assert ename in out
    assert "Traceback" not in out
    assert "orchestration_kernel/" not in out


def test_help_is_real(ip: Any) -> None:
    doc = ip.find_cell_magic("orchestrate").__doc__
    for option in ("--input", "--out", "--session", "--format", "--compare", "--over", "--dry-run"):
        assert option in doc
    assert "%orchestrate [" in doc and "YAML pipeline" in doc


def test_pipeline_runs_binds_and_renders(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ip.user_ns["text"] = "the quarterly numbers"
    result = cell(ip, f"%%orchestrate review --input text --out res\n{PIPELINE}")
    assert result.success, result.error_in_exec
    res = ip.user_ns["res"]
    assert ip.user_ns["_orchestrate"] is res
    assert res.status == "done"
    assert [s.name for s in res.steps] == ["analysis", "synthesis"]
    assert "the quarterly numbers" in res.step("analysis").output
    assert str(result.result) == res.output  # Out[n] holds the text shown
    assert res.step("analysis").simulated
    out = capsys.readouterr().out
    assert "review" in out and "done" in out  # the final state of the run display


def test_named_pipeline_runs_again(ip: Any) -> None:
    assert cell(ip, f"%%orchestrate again --input \"'first'\"\n{PIPELINE}").success
    result = cell(ip, "%orchestrate run again --input \"'second input'\" --out res")
    assert result.success, result.error_in_exec
    assert "second input" in ip.user_ns["res"].step("analysis").output
    history = ip.magics_manager.registry["OrchestrateMagics"].manager.history("again")
    assert len(history) == 2


def test_unknown_pipeline_suggests(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cell(ip, f"%%orchestrate summarise --input \"'x'\"\n{PIPELINE}")
    capsys.readouterr()
    result = cell(ip, "%orchestrate run sumarise")
    clean_failure(result, capsys.readouterr().out, "ConfigurationError")
    assert "summarise" in str(result.error_in_exec)


def test_yaml_error_names_line_and_column(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = cell(ip, '%%orchestrate\n- name: a\n  model: [gpt-4\n  prompt: "x"\n')
    out = capsys.readouterr().out
    clean_failure(result, out, "SpecError")
    assert re.search(r"line \d+, column \d+", out)


def test_spec_mistakes_all_reported_with_suggestions(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result = cell(ip, '%%orchestrate\n- name: a\n  modle: gpt-4\n  prompt: "x {inptu}"\n')
    out = capsys.readouterr().out
    clean_failure(result, out, "SpecError")
    assert "'model'" in out and "'input'" in out
    assert "line 2, column 3" in out


def test_unknown_model_suggests(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = cell(ip, "%%orchestrate --compare gpt-4 claud-3\nhello")
    clean_failure(result, capsys.readouterr().out, "UnknownModelError")
    assert "claude-3" in str(result.error_in_exec)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("%orchestrate modles", "'models'"),
        ("%orchestrate models --ot x", "'--out'"),
        ("%orchestrate offline of", "'off'"),
        ("%%orchestrate -f jsno\n" + PIPELINE, "'json'"),
        ("%%orchestrate --out 2x\n" + PIPELINE, "not a valid Python variable"),
        ("%%orchestrate --over qs --input x\n" + PIPELINE, "drop --input"),
        ("%%orchestrate --cluster local\n" + PIPELINE, "add --over VAR"),
        ("%%orchestrate --compare gpt-4 -f code\nhi", "-f code needs one output"),
        ("%%orchestrate --compare\nhi", "needs at least one model"),
        ("%%orchestrate --compare gpt-4 gpt-4\nhi", "'gpt-4' more than once"),
        ("%%orchestrate a b\n" + PIPELINE, "at most one NAME"),
        ("%orchestrate models --dry-run", "only work(s) in a cell"),
        ("%orchestrate run", "run NAME"),
        ("%orchestrate models 'unclosed", "quotes"),
        ("%%orchestrate --compare gpt-4\n   ", "needs a prompt"),
    ],
)
def test_argument_mistakes_are_clean(
    ip: Any, capsys: pytest.CaptureFixture[str], source: str, expected: str
) -> None:
    result = cell(ip, source)
    out = capsys.readouterr().out
    assert not result.success
    assert expected in out
    assert "Traceback" not in out


def test_internal_bugs_keep_their_traceback(
    ip: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration_kernel.magics import cells

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise TypeError("a bug in our code")

    monkeypatch.setattr(cells, "run_pipeline_cell", broken)
    result = cell(ip, f"%%orchestrate\n{PIPELINE}")
    assert isinstance(result.error_in_exec, TypeError)
    assert "Traceback" in capsys.readouterr().out


def test_input_expression_and_text(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ip.user_ns["text"] = "alpha"
    assert cell(ip, f"%%orchestrate --input 'text.upper()' --out res\n{PIPELINE}").success
    assert "ALPHA" in ip.user_ns["res"].step("analysis").output
    assert cell(ip, f"%%orchestrate --input 'two words' --out res\n{PIPELINE}").success
    assert "two words" in ip.user_ns["res"].step("analysis").output
    capsys.readouterr()
    result = cell(ip, f"%%orchestrate --input txet\n{PIPELINE}")
    clean_failure(result, capsys.readouterr().out, "ConfigurationError")
    assert "'text'" in str(result.error_in_exec)


def test_interpolates_in_out_and_err(ip: Any) -> None:
    first = cell(ip, "6 * 7")
    n = first.execution_count
    failing = cell(ip, "int('not a number')")
    e = failing.execution_count
    body = f'- model: gpt-4\n  prompt: "code={{In[{n}]}} out={{Out[{n}]}} err={{Err[{e}]}}"\n'
    result = cell(ip, f"%%orchestrate --out res\n{body}")
    assert result.success, result.error_in_exec
    output = ip.user_ns["res"].output
    assert "code=6 * 7" in output
    assert "out=42" in output
    assert "ValueError" in output
    # Err needs no exception hook: other errors are shown as IPython shows them
    assert ValueError not in ip.custom_exceptions
    assert "ValueError" in ip.user_ns["Err"][e]


def test_no_interpolate_keeps_braces(ip: Any) -> None:
    body = '- model: gpt-4\n  prompt: "literal {not_a_variable} stays"\n'
    result = cell(ip, f"%%orchestrate --no-interpolate --out res\n{body}")
    assert result.success, result.error_in_exec
    assert "{not_a_variable}" in ip.user_ns["res"].output


def test_format_json(ip: Any) -> None:
    result = cell(ip, f"%%orchestrate -f json --input \"'x'\"\n{PIPELINE}")
    assert result.success
    data = json.loads(str(result.result))
    assert data["status"] == "done"
    assert set(data["steps"]) == {"analysis", "synthesis"}
    assert "```json" in result.result._repr_markdown_()


def test_format_code_sets_next_input(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    inserted: list[str] = []
    monkeypatch.setattr(ip, "set_next_input", lambda text, replace=False: inserted.append(text))
    result = cell(ip, f"%%orchestrate -f code --input \"'print(1)'\"\n{PIPELINE}")
    assert result.success
    assert result.result is None
    assert inserted and "print(1)" in inserted[0]


def test_format_text(ip: Any) -> None:
    result = cell(ip, f"%%orchestrate -f text --out res --input \"'x'\"\n{PIPELINE}")
    assert str(result.result) == ip.user_ns["res"].output
    assert result.result._repr_markdown_() is None


def test_dry_run_plans_without_calling(ip: Any) -> None:
    result = cell(ip, f"%%orchestrate --dry-run --out plan --input \"'x'\"\n{PIPELINE}")
    assert result.success, result.error_in_exec
    plan = ip.user_ns["plan"]
    assert [s.name for s in plan.steps] == ["analysis", "synthesis"]
    assert plan.simulated and not plan.real
    engine = Session.current().engine
    calls = engine.audit.to_dataframe(event="call")
    assert len(calls) == 0


def test_session_continues_across_cells(ip: Any) -> None:
    body = '- model: gpt-4\n  context: session\n  prompt: "remember {input}"\n'
    assert cell(ip, f"%%orchestrate --session chat1 --input \"'one'\"\n{body}").success
    assert cell(ip, f"%%orchestrate --session chat1 --input \"'two'\" --out res\n{body}").success
    assert ip.user_ns["res"].session_id == "chat1"
    shown = str(cell(ip, "%orchestrate context chat1").result)
    assert "4 conversation turns" in shown  # kept apart from the key-value state


def test_a_pinned_session_is_the_one_python_code_uses_too(ip: Any) -> None:
    # The pin once held for the magics only: a ContextBus() or engine.complete in the
    # next line of the same cell wrote to the process's own id, and {audience} did not
    # resolve in the next %%orchestrate cell.
    source = (
        "%orchestrate session proj-pin\n"
        "from orchestration_kernel import ContextBus\n"
        "ContextBus().update_context_sync({'audience': 'CFO'})\n"
        "Session.current().engine.bus.update_context_sync({'n': 3})\n"
    )
    ip.user_ns["Session"] = Session
    assert cell(ip, source).success
    body = '- model: gpt-4\n  prompt: "Write {n} bullets for the {audience}"\n'
    result = cell(ip, f"%%orchestrate --out res\n{body}")
    assert result.success, result.error_in_exec
    assert ip.user_ns["res"].session_id == "proj-pin"
    assert "Write 3 bullets for the CFO" in ip.user_ns["res"].output
    assert Session.current().engine.session_id == "proj-pin"
    with pytest.raises(ConfigurationError, match="non-empty"):
        Session.current().use_id("  ")
    ip.user_ns.pop("Session")


def test_rows_with_missing_values_are_pointed_out(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.user_ns["qs"] = pd.DataFrame({"q": ["x", None, float("nan")]})
    assert cell(ip, "%%orchestrate --compare gpt-4 --over qs --out m\nAnswer {q}").success
    assert "note: {q} has no value (None/NaN) in 2 of 3 items (1, 2)" in capsys.readouterr().out


def test_compare_and_over_matrix(ip: Any) -> None:
    import pandas as pd

    ip.user_ns["text"] = "hello"
    result = cell(ip, "%%orchestrate --compare gpt-4 claude-3 --out m\nSay {text}")
    assert result.success, result.error_in_exec
    assert set(ip.user_ns["m"].replies) == {"gpt-4", "claude-3"}
    assert result.result is None  # shown once, by the view that replaced the live one
    ip.user_ns["qs"] = pd.Series(["a?", "b?", "c?"], index=["x", "y", "z"])
    result = cell(ip, "%%orchestrate --compare gpt-4 claude-3 --over qs --out m\nAnswer {item}")
    assert result.success, result.error_in_exec
    assert type(ip.user_ns["m"]).__name__ == "MatrixResult"
    frame = ip.user_ns["m"].to_dataframe()
    assert list(frame.index) == ["x", "y", "z"]
    assert {"gpt-4", "claude-3"} <= set(frame.columns)
    assert "b?" in frame.loc["y", "claude-3"]
    totals = ip.user_ns["m"].totals()
    assert totals["gpt-4"]["answers"] == 3


def test_over_takes_a_python_expression_with_spaces_and_quotes(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # A shell split cut df[df.stars > 3] in two and took the quotes out of
    # df.query('stars > 3'); an expression stays whole, as typed in a cell.
    ip.user_ns["frame"] = pd.DataFrame({"review": ["great", "awful"], "stars": [5, 1]})
    for over in ("frame[frame.stars > 3]", "frame.query('stars > 3')", '"frame[frame.stars > 3]"'):
        result = cell(ip, f"%%orchestrate --compare gpt-4 --over {over} --out m\nRate {{review}}")
        assert result.success, over
        assert ip.user_ns["m"].prompts == ["Rate great"], over


def test_a_format_spec_in_a_compare_prompt_is_pointed_out(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.user_ns["frame"] = pd.DataFrame({"stars": [5]})
    assert cell(ip, "%%orchestrate --compare gpt-4 --over frame --out m\n{stars:>3} {x: 1}").success
    out = capsys.readouterr().out
    notes = [line for line in out.splitlines() if line.startswith("note: {")]
    assert len(notes) == 1 and notes[0].startswith("note: {stars:>3} is sent as written")
    assert ip.user_ns["m"].prompts == ["{stars:>3} {x: 1}"]


def test_an_expression_in_braces_is_pointed_out_not_run(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``{df.describe()}`` is an f-string habit: nothing runs it, so the model would get
    the braces as written. Each known name used as code gets a note saying what to do;
    JSON, code on unknown names and a plain ``{name}`` get none."""
    ip.user_ns["frame"] = pd.DataFrame({"x": [1.0, 2.0]})
    ip.user_ns["price"] = 3
    prompt = '{frame.describe()} {price * 2} {frame.x.mean():.2f} {"a": 1} {other.call()} {price}'
    body = f"steps:\n  - name: a\n    model: gpt-4\n    prompt: '{prompt}'\n"
    assert cell(ip, "%%orchestrate\n" + body).success
    notes = [ln for ln in capsys.readouterr().out.splitlines() if "a placeholder is a name" in ln]
    assert [n.split(" is sent")[0] for n in notes] == [
        "note: step 'a': {frame.describe()}",
        "note: step 'a': {price * 2}",
        "note: step 'a': {frame.x.mean():.2f}",
    ]
    assert 'value = f"{frame.x.mean():.2f}"' in notes[2]
    assert ip.user_ns["_orchestrate"].output.endswith("{other.call()} 3")
    assert cell(ip, "%%orchestrate --compare gpt-4\nSummarise {frame.head(3)}").success
    assert "{frame.head(3)} is sent as written" in capsys.readouterr().out


def test_a_pipeline_prompt_that_would_be_sent_as_written_is_pointed_out(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.user_ns["frame"] = pd.DataFrame({"review text": ["great"], "stars": [5]})
    prompt = "'{review text} {stars:.1f} {input[review text]}'"
    body = f"steps:\n  - name: a\n    model: gpt-4\n    prompt: {prompt}\n"
    assert cell(ip, "%%orchestrate --over frame --out m\n" + body).success
    notes = [line for line in capsys.readouterr().out.splitlines() if "is sent as written" in line]
    assert len(notes) == 2
    assert any("{input[review text]}" in n for n in notes)
    assert any("{stars:.1f}" in n for n in notes)
    assert ip.user_ns["m"].to_dataframe()["a"].iloc[0].endswith("{review text} {stars:.1f} great")


def test_compare_over_mistakes(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ip.user_ns["qs"] = ["a"]
    result = cell(ip, "%%orchestrate --compare gpt-4 --over sq\n{item}")
    clean_failure(result, capsys.readouterr().out, "ConfigurationError")
    assert "'qs'" in str(result.error_in_exec)
    ip.user_ns["text"] = "not a list"
    assert not cell(ip, "%%orchestrate --compare gpt-4 --over text\n{item}").success
    result = cell(ip, "%%orchestrate --compare gpt-4 --over qs\n{iten}")
    assert "item" in str(result.error_in_exec)


def test_compare_dry_run_and_json(ip: Any) -> None:
    result = cell(ip, "%%orchestrate --compare gpt-4 claude-3 --dry-run\nhi")
    assert "simulator" in str(result.result)
    # --out binds the plan as data, one row per model, not the table's markdown text.
    ip.user_ns["qs"] = ["one question", "another question"]
    dry = "%%orchestrate --compare gpt-4 claude-3 --over qs --dry-run --out p\n{item}"
    assert cell(ip, dry).success
    plan = ip.user_ns["p"]
    assert list(plan["model"]) == ["gpt-4", "claude-3"] and set(plan["prompts"]) == {2}
    assert plan["est_cost_usd"].sum() > 0 and set(plan["served_by"]) == {"offline simulator"}
    result = cell(ip, "%%orchestrate --compare gpt-4 claude-3 -f json --out m\nhi")
    assert result.success and result.result is None
    assert {r["model"] for r in ip.user_ns["m"].rows()} == {"gpt-4", "claude-3"}


def test_line_commands(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    result = cell(ip, "%orchestrate models --out rows")
    assert result.success and "openai:gpt-4" in set(ip.user_ns["rows"]["model"])
    assert "Offline mode auto" in _stdout_of(ip, "%orchestrate offline auto")
    assert cell(ip, f"%%orchestrate --input \"'x'\"\n{PIPELINE}").success
    run_id = ip.user_ns["_orchestrate"].run_id
    result = cell(ip, "%orchestrate audit --out frame")
    assert result.success
    frame = ip.user_ns["frame"]
    assert set(frame["run_id"]) == {run_id}
    assert cell(ip, "%orchestrate context --out ctx").success
    assert isinstance(ip.user_ns["ctx"], dict)
    assert "commands" in str(cell(ip, "%orchestrate help").result)
    assert "commands" in str(cell(ip, "%orchestrate").result)


def _stdout_of(ip: Any, source: str) -> str:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        cell(ip, source)
    return buffer.getvalue()


def test_key_is_asked_and_never_echoed(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    key = "sk-test-" + "k" * 24
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": key)
    out = _stdout_of(ip, "%orchestrate key openai")
    assert "openai" in out and key not in out
    engine = Session.current().engine
    assert engine.providers.has_key("openai")
    assert key not in repr(engine.providers.__dict__)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "  ")
    assert not cell(ip, "%orchestrate key openai").success
    assert not cell(ip, "%orchestrate key opnai").success


def test_explain_uses_the_last_error(ip: Any) -> None:
    ip.run_line_magic("config", "OrchestrateMagics.default_model = 'gpt-4'")
    result = cell(ip, "%orchestrate explain")
    assert not result.success  # nothing failed yet in this kernel's log
    failing = cell(ip, "undefined_name_here")
    result = cell(ip, "%orchestrate explain --out why")
    assert result.success, result.error_in_exec
    assert "undefined_name_here" in ip.user_ns["why"].text
    result = cell(ip, f"%orchestrate explain {failing.execution_count} -f text")
    assert result.success
    assert not cell(ip, "%orchestrate explain 99999").success
    assert not cell(ip, "%orchestrate explain last").success


def test_config_traits(ip: Any) -> None:
    magics = ip.magics_manager.registry["OrchestrateMagics"]
    ip.run_line_magic("config", "OrchestrateMagics.display = 'text'")
    ip.run_line_magic("config", "OrchestrateMagics.stream = False")
    ip.run_line_magic("config", "OrchestrateMagics.offline = 'auto'")
    assert magics.display == "text" and magics.stream is False
    assert magics.engine.providers.offline == "auto"
    assert cell(ip, f"%%orchestrate --input \"'x'\"\n{PIPELINE}").success
    with pytest.raises(Exception, match="widget"):
        magics.display = "fancy"


def test_unload_closes_the_session(ip: Any) -> None:
    assert cell(ip, f"%%orchestrate --input \"'x'\"\n{PIPELINE}").success
    session = Session.current()
    assert session.runtime.running
    ip.run_line_magic("unload_ext", "orchestration_kernel")
    assert not session.runtime.running
    assert ip.find_line_magic("orchestrate") is None
    ip.run_line_magic("load_ext", "orchestration_kernel")  # the fixture unloads again
    assert ip.find_line_magic("orchestrate") is not None


def test_failed_run_is_clean_and_keeps_the_partial_result(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = ip.magics_manager.registry["OrchestrateMagics"].engine
    engine.simulator.script("bad_request", times=None)
    try:
        result = cell(ip, f"%%orchestrate --out res --input \"'x'\"\n{PIPELINE}")
    finally:
        engine.simulator.clear()
    clean_failure(result, capsys.readouterr().out, "PipelineError")
    partial = ip.user_ns["res"]
    assert partial.status == "failed"
    assert partial.step("analysis").status == "failed"


@pytest.mark.parametrize("over", ["", " --over qs"])
def test_compare_where_no_model_answered_fails_the_cell(
    ip: Any, capsys: pytest.CaptureFixture[str], over: str
) -> None:
    ip.user_ns["qs"] = ["a?", "b?"]
    engine = ip.magics_manager.registry["OrchestrateMagics"].engine
    engine.simulator.script("bad_request", times=None)
    try:
        prompt = "Say {item}" if over else "Say hi"
        result = cell(ip, f"%%orchestrate --compare gpt-4,claude-3{over} --out res\n{prompt}")
    finally:
        engine.simulator.clear()
    out = capsys.readouterr().out
    clean_failure(result, out, "AllAttemptsFailed")
    assert "no model answered" in out and "gpt-4, claude-3" in out
    assert ("any of the 2 items" in out) == bool(over)
    kept = ip.user_ns["res"]  # the result, each error in it, is still there
    assert len(kept.errors) == (4 if over else 2)


def test_compare_where_one_model_answered_succeeds(ip: Any) -> None:
    engine = ip.magics_manager.registry["OrchestrateMagics"].engine
    engine.simulator.script("bad_request", times=1)
    try:
        result = cell(ip, "%%orchestrate --compare gpt-4,claude-3 --out res\nSay hi")
    finally:
        engine.simulator.clear()
    assert result.success, result.error_in_exec
    table = ip.user_ns["res"]
    assert len(table.errors) == 1 and len(table.ok) == 1


def test_over_items_run_concurrently(ip: Any) -> None:
    from orchestration_kernel.session import Session

    Session.current().engine.simulator.config.latency = 0.2
    ip.user_ns["qs"] = ["a?", "b?", "c?", "d?"]
    result = cell(ip, "%%orchestrate --compare gpt-4 claude-3 --over qs --out m\nAnswer {item}")
    assert result.success, result.error_in_exec
    spans = [
        (reply.attempts[-1].started_at, reply.attempts[-1].ended_at)
        for table in ip.user_ns["m"].tables
        for reply in table.replies.values()
    ]
    # Evidence of overlap from the recorded times: some call of a later item started
    # before some call of an earlier item ended.
    first_item_end = max(end for _, end in spans[:2])
    last_item_start = min(start for start, _ in spans[-2:])
    assert last_item_start < first_item_end


def test_a_mistake_made_through_the_api_shows_the_cells_lines_not_ours(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        "from orchestration_kernel import OrchestrationEngine\n"
        "def ask(prompt):\n"
        "    return OrchestrationEngine(offline='on').complete_sync('gpt-4o', prompt)\n"
        "ask(['not a message'])\n"
    )
    result = cell(ip, source)
    out = capsys.readouterr().out
    assert isinstance(result.error_in_exec, ConfigurationError)
    assert "ConfigurationError" in out and "not a message" in out
    assert "ask(['not a message'])" in out and "def ask(prompt)" in out  # the user's frames
    assert "orchestration_kernel/" not in out and "concurrent/futures" not in out
    ip.run_line_magic("tb", "")  # the whole traceback is still there for whoever wants it
    assert "engine.py" in capsys.readouterr().out


def test_other_errors_keep_their_traceback_and_unload_removes_the_hook(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result = cell(ip, "import json\njson.loads('{')\n")
    assert not result.success and "json/decoder.py" in capsys.readouterr().out
    assert ip.custom_exceptions == (OrchestrationError,)  # every domain error of ours
    ip.run_line_magic("unload_ext", "orchestration_kernel")
    assert ip.custom_exceptions == ()
    ip.set_custom_exc((KeyError,), lambda *a, **k: None)  # someone else's hook stays
    try:
        ip.run_line_magic("load_ext", "orchestration_kernel")
        assert ip.custom_exceptions == (KeyError,)
        ip.run_line_magic("unload_ext", "orchestration_kernel")
        assert ip.custom_exceptions == (KeyError,)
    finally:
        ip.set_custom_exc((), None)
        ip.run_line_magic("load_ext", "orchestration_kernel")  # the fixture unloads again


def test_an_unknown_run_lists_the_latest_runs_by_kind(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cell(ip, f"%%orchestrate --input \"'x'\"\n{PIPELINE}").success  # a pipeline, no name
    assert cell(ip, "%%orchestrate --compare gpt-4o\nhello").success
    capsys.readouterr()
    with warnings.catch_warnings():  # said once, by the command: not a warning as well
        warnings.simplefilter("error", AuditReadWarning)
        result = cell(ip, "%orchestrate audit --run nosuchrun")
    clean_failure(result, capsys.readouterr().out, "ConfigurationError")
    message = str(result.error_in_exec)
    assert "No run 'nosuchrun'" in message and "(compare)" in message
    assert "(pipeline)" in message and "(nan)" not in message


def test_a_long_brace_is_cut_in_the_note_since_it_may_hold_a_key() -> None:
    from orchestration_kernel.magics.compare import format_spec_notes
    from orchestration_kernel.pipeline.placeholders import compile_template

    secret = "sk-proj-" + "A1b2C3d4" * 4  # built at run time, as key-shaped test values are
    notes = format_spec_notes(compile_template("{token:" + secret + "} {n:>3}"), ["token", "n"])
    assert notes[0].startswith("{token:…} is sent as written") and secret not in notes[0]
    assert notes[1].startswith("{n:>3} is sent as written")
