"""No API key in a notebook output, with the Guardian off: what a cell shows of a model's
reply (the live run, the rendered reply, the compare and matrix views) and of an
``--over`` pipeline's frame is masked, while the objects the user gets in Python keep
what was written. A real ipykernel over the Jupyter protocol; the simulator answers by
echoing the prompt, so a key in a prompt comes back in the reply."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_kernel import Frontend
from tests.integration.test_notebook_user import ok, start_kernel, stop, value

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(240)]

SETUP = """
import random, string
import pandas as pd
from orchestration_kernel.session import Session
Session.current().engine.guardian = None  # checks off: nothing masks the reply itself
Session.current().engine.providers.set_offline_model("sim")  # it echoes the prompt
key = "sk-proj-" + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(64))
items = pd.DataFrame({"q": ["plain", f"my key {key}"]}, index=["a", f"id {key}"])
"""

PIPELINE = """%%orchestrate --over items --out graded
steps:
  - name: echo
    model: gpt-4o-mini
    prompt: "Repeat: {q}"
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frontend]:
    frontend = start_kernel(tmp_path_factory.mktemp("shown-home"))
    try:
        ok(frontend, "%load_ext orchestration_kernel")
        ok(frontend, SETUP)
        yield frontend
    finally:
        stop(frontend)


def outputs(msgs: list[dict[str, Any]]) -> str:
    """Every output the cell sent, every MIME type, as the notebook would save it."""
    kinds = ("display_data", "update_display_data", "execute_result", "stream", "error")
    return json.dumps([m["content"] for m in msgs if m["msg_type"] in kinds])


def assert_no_key(shown: str, key: str) -> None:
    assert key not in shown and key[8:40] not in shown, shown
    assert "<OPENAI_API_KEY>" in shown  # masked where it was, not dropped


def test_an_over_pipeline_frame_shows_no_key_and_keeps_its_values(kernel: Frontend) -> None:
    key = value(kernel, "key")
    msgs = ok(kernel, PIPELINE)
    assert any(m["msg_type"] == "execute_result" for m in msgs)
    assert_no_key(outputs(msgs), key)  # the input item, its index label and the echo
    ok(kernel, "frame = _")
    # The frame the cell gave is the frame itself: every value as written.
    assert value(kernel, "bool(frame.equals(graded.to_dataframe()))") is True
    assert value(kernel, "key in frame.loc[f'id {key}', 'q'] and key in frame.iloc[1]['echo']")
    assert value(kernel, "isinstance(frame, pd.DataFrame)") is True


def test_an_over_pipeline_frame_masks_the_rows_pandas_shows_of_a_long_frame(
    kernel: Frontend,
) -> None:
    key = value(kernel, "key")
    ok(kernel, "from orchestration_kernel.shown_frame import ShownFrame\n"
               "long = ShownFrame(pd.DataFrame({'q': [f'row {i}' for i in range(5000)]}))\n"
               "for row in (0, 2500, 4999):\n    long.iloc[row, 0] = f'key {key}'")  # fmt: skip
    msgs = ok(kernel, "long")
    shown = outputs(msgs)
    assert_no_key(shown, key)
    assert "5000 rows" in shown and "row 2500" not in shown  # pandas shows head and tail
    assert value(kernel, "long.iloc[2500, 0] == f'key {key}'") is True


@pytest.mark.parametrize("fmt", ["markdown", "text", "json"])
def test_a_reply_that_echoes_a_key_is_shown_masked(kernel: Frontend, fmt: str) -> None:
    key = value(kernel, "key")
    msgs = ok(
        kernel, f'%%orchestrate -f {fmt}\n- model: gpt-4o-mini\n  prompt: "Repeat: {{key}}"\n'
    )
    assert_no_key(outputs(msgs), key)  # the live run and the final output
    # The value IPython keeps is the model's text, for {Out[n]} in a later prompt.
    assert value(kernel, "key in str(_)") is True


def test_compare_and_matrix_views_show_replies_masked(kernel: Frontend) -> None:
    key = value(kernel, "key")
    msgs = ok(kernel, "%%orchestrate --compare gpt-4o claude-3\nRepeat this: {key}")
    assert_no_key(outputs(msgs), key)
    msgs = ok(kernel, "%%orchestrate --compare gpt-4o claude-3 --over items --out m\nSay {q}")
    assert_no_key(outputs(msgs), key)
    assert value(kernel, "key in m.to_dataframe().iloc[1]['gpt-4o']") is True


def test_a_reply_left_as_a_cells_value_shows_no_key(kernel: Frontend) -> None:
    key = value(kernel, "key")
    ok(kernel, "reply = Session.current().engine.complete_sync('gpt-4o-mini', f'Repeat {key}')")
    msgs = ok(kernel, "reply")
    assert_no_key(outputs(msgs), key)  # its Markdown and its repr
    assert value(kernel, "key in reply.text") is True  # the object keeps what was written


def test_code_inserted_as_the_next_cell_holds_no_key(kernel: Frontend) -> None:
    key = value(kernel, "key")
    reply, _ = kernel.run(
        '%%orchestrate -f code\n- model: gpt-4o-mini\n  prompt: "Repeat: {key}"\n'
    )
    assert reply["status"] == "ok"
    payload = json.dumps(reply.get("payload", []))
    assert "set_next_input" in payload
    assert key not in payload and key[8:40] not in payload
