"""A data scientist's first hour (session 10, explore): what a newcomer typed, following
README.md and docs/EXAMPLES.md and then straying, each in a real ipykernel over the
Jupyter protocol, every model served by the offline simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.test_kernel import Frontend, text_of
from tests.integration.test_notebook_user import ok, results, start_kernel, stop, value

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(240)]

STEP = "- name: a\n  model: gpt-4o-mini\n  prompt: hi"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frontend]:
    frontend = start_kernel(
        tmp_path_factory.mktemp("first-hour-home"),
        ORCHESTRATION_OFFLINE="auto",
        ORCHESTRATION_OFFLINE_MODEL="sim",
    )
    try:
        ok(frontend, "%load_ext orchestration_kernel")
        yield frontend
    finally:
        stop(frontend)


@pytest.mark.parametrize("models", ["gpt-4o-mini,claude-3,gemini-pro", "gpt-4o-mini, claude-3"])
def test_compare_with_commas_runs_each_model(kernel: Frontend, models: str) -> None:
    """Before: ``--compare a,b,c`` ran ONE model named 'a,b,c' (sent to openai with an
    unknown price, answered by the simulator as if it existed)."""
    shown = text_of(ok(kernel, f"%%orchestrate --compare {models} --out cmp\nSay hi"))
    expected = [m.strip() for m in models.split(",")]
    assert value(kernel, "list(cmp.replies)") == expected
    assert "not in the model catalogue" not in shown
    assert f"compare {len(expected)} models" in shown


def test_a_result_method_on_underscore_says_where_the_result_is(kernel: Frontend) -> None:
    """Before: ``'Rendered' object has no attribute 'to_dataframe'`` with a frame of ours:
    ``_`` after a run cell is the text it showed, and nothing said the run is elsewhere."""
    ok(kernel, "%%orchestrate\n- name: a\n  model: gpt-4o-mini\n  prompt: hi there\n")
    reply, msgs = kernel.run("_.to_dataframe()")
    assert reply["status"] == "error" and reply["ename"] == "AttributeError"
    shown = text_of(msgs)
    assert "which has no .to_dataframe" in shown and "_orchestrate.to_dataframe" in shown
    assert "Traceback" not in shown and "orchestration_kernel/" not in shown
    # It is still the text for everything a str does, and hasattr still says no.
    assert value(kernel, "[_.upper() == _orchestrate.output.upper(), hasattr(_, 'cost')]") == [
        True,
        False,
    ]
    assert value(kernel, "_orchestrate.to_dataframe().shape[0]") == 1
    # Output that is no run's (the help) has nothing to point at: a plain one-line error.
    ok(kernel, "%orchestrate help")
    reply, msgs = kernel.run("_.to_dataframe()")
    shown = text_of(msgs)
    assert "has no attribute 'to_dataframe'" in shown and "_orchestrate" not in shown
    assert "orchestration_kernel/" not in shown


@pytest.mark.parametrize(
    ("line", "body", "says"),
    [
        ("%%orchestrate --model claude-3", STEP, "not a %%orchestrate cell. A pipeline names"),
        ("%%orchestrate --compare gpt-4o-mini -m claude-3", "hi", "--compare claude-3 sends"),
        ("%%orchestrate --run abc", STEP, "--run is for %orchestrate audit, not a %%orchestrate"),
        ("%orchestrate models gpt-4o --save", "", "--save is for %orchestrate key, not %orch"),
    ],
    ids=["cell-model", "compare-m", "cell-run", "models-save"],
)
def test_an_option_of_another_command_is_refused_not_ignored(
    kernel: Frontend, line: str, body: str, says: str
) -> None:
    """Before: argparse took ``--model claude-3`` on a cell, nothing read it, and the
    steps' own model (or --compare's alone) answered as if the user had been heard."""
    ok(kernel, "_orchestrate = None")
    reply, msgs = kernel.run(f"{line}\n{body}".rstrip("\n"))
    assert reply["status"] == "error" and reply["ename"] == "ConfigurationError"
    shown = text_of(msgs)
    assert says in shown and "Traceback" not in shown
    assert value(kernel, "_orchestrate is None")  # nothing ran
    # Where it belongs the option is read: audit --run looks for that run.
    reply, msgs = kernel.run("%orchestrate audit --run abc")
    assert "abc" in text_of(msgs) and "is for %orchestrate" not in text_of(msgs)
    assert "[simulated gpt-4o-mini" in text_of(ok(kernel, "%orchestrate explain -m gpt-4o-mini"))


def test_a_series_with_labels_is_shown_by_its_labels(kernel: Frontend) -> None:
    """Before: each row of the live view was named by the Series' value (``- 5.0``,
    ``- None`` for NaN) while the note named the label (``(z)``) and ``to_dataframe()``
    indexed by it; a Series on 0, 1, 2 (``df.review``) is still named by its values."""
    ok(kernel, "import pandas as pd, numpy as np")
    ok(kernel, "s = pd.Series([5.0, 3.5, np.nan], index=['x', 'y', 'z'], name='stars')")
    shown = text_of(ok(kernel, "%%orchestrate --compare gpt-4o-mini --over s --out m\nR: {item}"))
    live = shown.rsplit("3 items × 1 model", 1)[1]
    assert [line for line in live.splitlines() if line.startswith("- ")] == ["- x", "- y", "- z"]
    assert "1 of 3 items (z)" in shown
    assert value(kernel, "list(m.to_dataframe().index)") == ["x", "y", "z"]
    ok(kernel, "plain = s.reset_index(drop=True)")
    plain = text_of(ok(kernel, "%%orchestrate --compare gpt-4o-mini --over plain\nR: {item}"))
    live = plain.rsplit("3 items × 1 model", 1)[1]
    assert [line for line in live.splitlines() if line.startswith("- ")][:2] == ["- 5.0", "- 3.5"]


def test_a_mistyped_result_attribute_is_one_line_naming_the_near_one(kernel: Frontend) -> None:
    """Before: ``'PipelineResult' object has no attribute 'cost'`` after two frames of
    pydantic's, with nothing saying the name is ``cost_usd``."""
    ok(kernel, f"%%orchestrate --out r\n{STEP}")
    reply, msgs = kernel.run("r.cost")
    shown = text_of(msgs)
    assert reply["ename"] == "AttributeError" and "Did you mean 'cost_usd'?" in shown
    assert "Traceback" not in shown and "pydantic" not in shown


def test_a_pipeline_over_rows_says_which_rows_leave_a_column_blank(kernel: Frontend) -> None:
    """Before: ``--compare --over`` noted the rows whose {column} is NaN (sent blank), a
    pipeline over the same rows said nothing; and a label the index repeats (``10``
    twice) named no row alone."""
    ok(kernel, "import pandas as pd, numpy as np")
    ok(kernel, "dd = pd.DataFrame({'review': ['good', None, 'ok'], 'stars': [5, 4, np.nan]},"
               " index=[10, 10, 11])")  # fmt: skip
    pipeline = '%%orchestrate --over dd\n- name: a\n  model: gpt-4o-mini\n  prompt: "R {review}"'
    shown = text_of(ok(kernel, pipeline))
    assert "note: {review} has no value (None/NaN) in 1 of 3 rows (10 at position 1)" in shown
    assert "{stars}" not in shown  # no step names it: nothing is sent blank
    matrix = text_of(ok(kernel, "%%orchestrate --compare gpt-4o-mini --over dd\nR {stars}"))
    assert "note: {stars} has no value (None/NaN) in 1 of 3 items (11):" in matrix


def test_a_matrix_over_a_frame_shows_its_rows_by_label(kernel: Frontend) -> None:
    """Before: the result's table named each row by the dict of its columns
    (``{'q': 'a'}``) while the live view and ``to_dataframe()`` used the index."""
    ok(
        kernel,
        "import pandas as pd\nqs = pd.DataFrame({'q': ['a', 'b']}, index=['first', 'second'])",
    )
    ok(kernel, "%%orchestrate --compare gpt-4o-mini --over qs --out mq\nQ {q}")
    (shown,) = [r["data"]["text/markdown"] for r in results(ok(kernel, "mq"))]
    lines = shown.splitlines()
    assert lines[0] == "| row | gpt-4o-mini |"
    assert lines[2].startswith("| first | [simulated gpt-4o-mini") and "{'q'" not in shown
    ok(kernel, "%%orchestrate --compare gpt-4o-mini --over ['x', 'y'] --out ml\nQ {item}")
    (listed,) = [r["data"]["text/markdown"] for r in results(ok(kernel, "ml"))]
    assert listed.splitlines()[0] == "| item | gpt-4o-mini |"
    assert listed.splitlines()[2].startswith("| x | ")


def test_a_matrix_over_many_rows_shows_the_first_and_says_how_many_more(
    kernel: Frontend,
) -> None:
    """Before: every row went into the cell's output: 3,000 rows made 6 MB of HTML saved
    with the notebook, each row named by its whole 600-character text."""
    ok(kernel, "many = [f'question {i} ' + 'about things ' * 50 for i in range(120)]")
    msgs = ok(kernel, "%%orchestrate --compare gpt-4o-mini --over many --out big\nA {item}")
    last = [m["content"]["data"] for m in msgs if m["msg_type"] == "update_display_data"][-1]
    text = last["text/plain"]
    assert text.count("\n- question ") == 50 and "- question 49 " in text
    assert "… 70 more items: to_dataframe() has every row" in text
    assert "… 70 more items" in last["text/html"] and "question 50 " not in last["text/html"]
    assert max(len(line) for line in text.splitlines()) < 260  # a label is one short line
    assert value(kernel, "len(big.to_dataframe())") == 120
