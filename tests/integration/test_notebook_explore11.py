"""A data scientist's first hour, session 11 (explore): what a newcomer typed around
``--over``, in a real ipykernel over the Jupyter protocol, every model served by the
offline simulator."""

from __future__ import annotations

import pytest

from tests.integration import test_notebook_first_hour as first_hour
from tests.integration.test_kernel import Frontend, text_of
from tests.integration.test_notebook_user import ok, value

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(240)]

kernel = first_hour.kernel  # the same fixture: one simulated kernel for this module


@pytest.mark.parametrize(
    ("over", "body"),
    [
        ("df", "Summarise {text}"),
        ("df.text", "Translate {item} into French"),
        ("['x', 'y']", "Say {item}\nin two lines"),
    ],
    ids=["frame", "series", "list-two-lines"],
)
def test_a_prompt_over_rows_without_compare_says_to_add_compare(
    kernel: Frontend, over: str, body: str
) -> None:
    """Before: a plain prompt with ``--over df`` (no ``--compare``) said only that 'the spec
    must be a list of steps', and its hint (``--compare MODEL``) dropped the ``--over``:
    nothing said that a prompt over rows needs the models named."""
    ok(kernel, "import pandas as pd\ndf = pd.DataFrame({'text': ['a', 'b'], 'n': [1, 2]})")
    reply, msgs = kernel.run(f"%%orchestrate --over {over}\n{body}")
    shown = text_of(msgs)
    assert reply["status"] == "error" and reply["ename"] == "ConfigurationError"
    assert f"--compare gpt-4o-mini --over {over}" in shown
    assert "Traceback" not in shown and "orchestration_kernel/" not in shown
    # The command it names runs.
    ok(kernel, f"%%orchestrate --compare gpt-4o-mini --over {over} --out rows\n{body}")
    assert value(kernel, "rows.to_dataframe().shape[0]") == 2


def test_a_pipeline_over_rows_with_a_broken_spec_keeps_the_spec_message(kernel: Frontend) -> None:
    """YAML steps with a mistake are a pipeline, not a prompt: the spec's own message."""
    ok(kernel, "import pandas as pd\ndf = pd.DataFrame({'text': ['a', 'b']})")
    cell = "%%orchestrate --over df\n- name: a\n  modle: gpt-4o-mini\n  prompt: hi"
    reply, msgs = kernel.run(cell)
    shown = text_of(msgs)
    assert reply["status"] == "error" and "--compare gpt-4o-mini --over" not in shown
    assert "modle" in shown


def test_pasted_code_braces_in_a_compare_cell_say_how_to_send_them(kernel: Frontend) -> None:
    """Session 11, explore: a prompt pasting f-string code said only "unknown name
    'n_rows'"; now it names both ways to send the braces as written, and each works."""
    body = 'Why is this slow? print(f"{n_rows} rows in {elapsed:.1f}s")'
    reply, msgs = kernel.run(f"%%orchestrate --compare gpt-4o-mini\n{body}")
    shown = text_of(msgs)
    assert reply["status"] == "error" and reply["ename"] == "ConfigurationError"
    assert "unknown name 'n_rows'" in shown
    assert "write {{n_rows}} or add --no-interpolate" in shown
    doubled = body.replace("{", "{{").replace("}", "}}")
    ok(kernel, f"%%orchestrate --compare gpt-4o-mini --out fixed\n{doubled}")
    assert value(kernel, "fixed.prompt") == body
    ok(kernel, f"%%orchestrate --compare gpt-4o-mini --no-interpolate --out raw\n{body}")
    assert value(kernel, "raw.prompt") == body
