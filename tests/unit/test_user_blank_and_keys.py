"""Two ways a ``--compare`` cell spent calls or hid the cause (session 16).

* ``--over df.note`` where ``note`` is a column of None/NaN sent one identical prompt per
  row ("Note: "), a call each, with only a note on stdout. Items that all render one
  prompt because a placeholder has no value in any of them are now refused before any
  call; a placeholder blank in some rows, or prompts that still differ, keep the note.
* A ``--compare`` cell where no model had its provider's key ended in
  ``AllAttemptsFailed: no model answered``: the variable to set was only in the view's
  lines above. The cell now ends in ``MissingKeyError`` naming every variable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from IPython import get_ipython
from IPython.testing.globalipapp import start_ipython

from orchestration_kernel.engine import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError, MissingKeyError
from orchestration_kernel.matrix import matrix_prompts


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"review": ["good", "bad", "fine"], "note": [None, None, None], "x": np.nan}
    )


@pytest.mark.parametrize(
    "template, items",
    [
        ("Note: {item}", "note"),  # a Series of None
        ("Note: {note} {x}", None),  # the frame: two empty columns, nothing else read
    ],
)
def test_items_that_all_render_one_blank_prompt_are_refused(
    frame: pd.DataFrame, template: str, items: str | None
) -> None:
    over = frame[items] if items else frame
    with pytest.raises(ConfigurationError) as caught:
        matrix_prompts(template, over, what="--over df")
    message = str(caught.value)
    assert "no value (None/NaN) in any of the 3 items of --over df" in message
    assert "would get the same prompt" in message


def test_a_blank_column_beside_one_that_varies_is_a_note(frame: pd.DataFrame) -> None:
    made = matrix_prompts("{review} ({note})", frame)
    assert made.prompts == ["good ()", "bad ()", "fine ()"]
    assert "{note} has no value (None/NaN) in 3 of 3 items" in made.notes()[0]


def test_the_same_value_twice_is_not_a_blank(frame: pd.DataFrame) -> None:
    assert matrix_prompts("Say {item}", ["q", "q"]).prompts == ["Say q", "Say q"]
    assert len(matrix_prompts("{note}", frame.head(1)).prompts) == 1  # one item: one call


def test_the_engine_refuses_it_before_any_call(frame: pd.DataFrame) -> None:
    engine = OrchestrationEngine(offline="on", simulator={"latency": 0.0})
    engine.providers.set_offline_model("sim")
    with pytest.raises(ConfigurationError, match="in any of the 3 items"):
        engine.matrix_sync(["gpt-4o"], "Note: {item}", frame["note"])
    assert engine.audit.to_dataframe(event="call").empty


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ORCHESTRATION_OFFLINE", "off")
    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "orchestration_kernel")
    shell.run_line_magic("orchestrate", "offline off")
    yield shell
    shell.run_line_magic("unload_ext", "orchestration_kernel")
    shell.user_ns.pop("_orchestrate", None)


def test_a_compare_with_no_key_ends_naming_the_variable(ip: Any) -> None:
    one = ip.run_cell("%%orchestrate --compare gpt-4o\nhello")
    assert isinstance(one.error_in_exec, MissingKeyError)
    assert "Set OPENAI_API_KEY" in str(one.error_in_exec)
    over = ip.run_cell('%%orchestrate --compare gpt-4o --over ["a", "b"]\nhello {item}')
    assert isinstance(over.error_in_exec, MissingKeyError)
    several = ip.run_cell("%%orchestrate --compare gpt-4o claude-3 gemini-pro\nhello")
    assert isinstance(several.error_in_exec, MissingKeyError)
    message = str(several.error_in_exec)
    assert "set OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or GOOGLE_API_KEY" in message
    assert ip.user_ns["_orchestrate"].errors  # the result is still kept
