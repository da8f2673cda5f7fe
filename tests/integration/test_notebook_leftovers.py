"""Leftovers a data scientist met in a notebook (session 10, fixes), each in a real
ipykernel over the Jupyter protocol, every model served by the offline simulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_kernel import Frontend, text_of
from tests.integration.test_notebook_user import ok, results, start_kernel, stop

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frontend]:
    frontend = start_kernel(
        tmp_path_factory.mktemp("leftovers-home"), ORCHESTRATION_OFFLINE_MODEL="sim"
    )
    try:
        ok(frontend, "%load_ext orchestration_kernel")
        yield frontend
    finally:
        stop(frontend)


def markdown(msgs: list[dict[str, Any]]) -> str:
    return "\n".join(r["data"].get("text/markdown", "") for r in results(msgs))


def test_a_failed_model_of_a_fan_out_shows_its_error_in_its_section(kernel: Frontend) -> None:
    """Before: ``### claude-3`` stood empty (or held only the default) in the cell's
    output, and the live view showed ``[claude-3]`` with nothing after it."""
    ok(
        kernel,
        "from orchestration_kernel import OrchestrationEngine\n"
        "OrchestrationEngine.default().simulator.script('auth', model='claude-3', times=None)",
    )
    cell = (
        "%%orchestrate --no-stream\n"
        "- name: views\n"
        "  model: [gpt-4o-mini, claude-3]\n"
        "  on_error: skip\n"
        "  prompt: Give your view on tea\n"
    )
    msgs = ok(kernel, cell)
    shown = markdown(msgs)
    section = shown.split("### claude-3\n", 1)[1]
    assert section.startswith("error: AuthenticationError: ") and "HTTP 401" in section
    assert "Traceback" not in text_of(msgs)
    live = text_of([m for m in msgs if m["msg_type"] == "update_display_data"])
    assert "[claude-3] error: AuthenticationError: " in live
    # With a default, the section says why, then gives the default that flows on.
    msgs = ok(kernel, cell.replace("  on_error", '  default: "no view"\n  on_error'))
    assert "### claude-3\nerror: AuthenticationError: " in markdown(msgs)
    assert markdown(msgs).rstrip().endswith("(HTTP 401)\nno view")
    printed = text_of(ok(kernel, "print(repr(_orchestrate['views'].outputs['claude-3']))"))
    assert printed.strip() == "'no view'"
    ok(kernel, "OrchestrationEngine.default().simulator.clear()")


def test_a_stream_looped_over_again_says_where_its_reply_is(kernel: Frontend) -> None:
    """Before: re-running the loop cell printed nothing, as if the model had said nothing."""
    ok(
        kernel,
        "from orchestration_kernel import OrchestrationEngine\n"
        "stream = OrchestrationEngine.default().stream('gpt-4o-mini', 'stream me')",
    )
    loop = "async for delta in stream:\n    print(delta.text, end='')"
    assert "stream me" in text_of(ok(kernel, loop))
    reply, msgs = kernel.run(loop)
    assert reply["status"] == "error" and reply["ename"] == "StreamConsumed"
    shown = text_of(msgs)
    assert "its reply is in stream.reply" in shown and "orchestration_kernel/" not in shown
    assert "stream me" in text_of(ok(kernel, "print(stream.reply.text)"))


@pytest.mark.parametrize("expr", ["df.revew", 'df["revew"]'])
def test_a_misspelt_column_in_over_names_the_near_column(kernel: Frontend, expr: str) -> None:
    """Before: pandas' words alone (``'DataFrame' object has no attribute 'revew'``,
    ``KeyError: 'revew'``), which do not say what the columns are."""
    ok(kernel, "import pandas as pd\ndf = pd.DataFrame({'review': ['good'], 'stars': [5]})")
    reply, msgs = kernel.run(f"%%orchestrate --compare gpt-4o-mini --over {expr}\nRate: {{item}}")
    assert reply["status"] == "error" and reply["ename"] == "ConfigurationError"
    shown = text_of(msgs)
    assert "Did you mean the column 'review'?" in shown and "Traceback" not in shown


def test_a_call_left_unawaited_says_what_to_write(kernel: Frontend) -> None:
    """Before: ``<coroutine object OrchestrationEngine.compare at 0x...>`` as the cell's
    value, read by a newcomer as a result."""
    ok(kernel, "from orchestration_kernel import OrchestrationEngine\n"
               "engine = OrchestrationEngine.default()")  # fmt: skip
    shown = text_of(ok(kernel, 'engine.compare(["gpt-4o-mini"], "hi")'))
    assert "OrchestrationEngine.compare(...) has not run: it is a coroutine" in shown
    assert "Write await before the call" in shown and "compare_sync(...)" in shown
    assert "<coroutine object" not in shown
    assert "[simulated" in text_of(ok(kernel, "t = await _\nprint(t.replies['gpt-4o-mini'].text)"))
    # Anyone else's coroutine keeps its own repr.
    other = text_of(ok(kernel, "async def mine(): pass\nmine()"))
    assert "<coroutine object mine at" in other


def test_a_dict_over_says_how_to_pass_it(kernel: Frontend) -> None:
    """Before: 'must be a list, ... not dict', without the way to pass one."""
    ok(kernel, "questions = {'a': 'why?', 'b': 'how?'}")
    reply, msgs = kernel.run("%%orchestrate --compare gpt-4o-mini --over questions\nAnswer {item}")
    assert reply["status"] == "error"
    assert "for a dict, pass pd.Series(it)" in text_of(msgs)
    ok(kernel, "import pandas as pd\nqs = pd.Series(questions)")
    frame = text_of(ok(kernel, "%%orchestrate --compare gpt-4o-mini --over qs\nAnswer {item}"))
    assert "Answer why?" in frame and "Answer how?" in frame


def test_a_misspelt_column_in_a_pipeline_over_rows_names_its_line(kernel: Frontend) -> None:
    """Before: ``steps[0].prompt: ... unknown name 'reviw'`` without its line, column and
    the quoted line every other spec mistake shows (the rows' pipeline was rebuilt from
    data, and lost where the YAML said what)."""
    ok(kernel, "import pandas as pd\ndf = pd.DataFrame({'review': ['good'], 'stars': [5]})")
    cell = '%%orchestrate --over df\n- name: s\n  model: gpt-4o-mini\n  prompt: "Rate {reviw}"\n'
    reply, msgs = kernel.run(cell)
    assert reply["status"] == "error" and reply["ename"] == "SpecError"
    shown = text_of(msgs)
    assert "line 3, column 17: steps[0].prompt: step 's': {reviw}" in shown
    assert "did you mean 'review'?" in shown and '  line 3 |   prompt: "Rate {reviw}"' in shown
