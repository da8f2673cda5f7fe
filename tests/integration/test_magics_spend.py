"""A ``--over`` cell that real keys would make costly asks first, as a batch job does.

Real SDK, our OpenAI wire server: a refused cell sends nothing; ``--yes`` runs it; the
simulator costs nothing and never asks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython import get_ipython
from IPython.testing.globalipapp import start_ipython

from tests.conftest import fake_key
from tests.servers import OpenAIServer

PIPELINE = "steps:\n  - name: ask\n    model: gpt-4o\n    prompt: 'Country of {input[city]}?'\n"


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


def shell_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "orchestration_kernel")
    shell.user_ns["df"] = pd.DataFrame({"city": ["Oslo", "Lima", "Pune"]})
    return shell


@pytest.fixture
def real(server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    server.clear()
    shell = shell_with(
        monkeypatch, ORCHESTRATION_OFFLINE="off", OPENAI_API_KEY=fake_key("openai"),
        OPENAI_BASE_URL=server.base_url, ORCHESTRATION_BATCH_CONFIRM_USD="0.001",
    )  # fmt: skip
    yield shell
    shell.run_line_magic("unload_ext", "orchestration_kernel")
    for name in ("df", "m", "_orchestrate"):
        shell.user_ns.pop(name, None)


@pytest.mark.parametrize(
    "source",
    [
        "%%orchestrate --compare gpt-4o --over df{yes}\nCountry of {{city}}?",
        "%%orchestrate --over df{yes}\n" + PIPELINE.replace("{", "{{").replace("}", "}}"),
    ],
    ids=["compare", "pipeline"],
)
def test_a_costly_over_cell_asks_first_and_sends_nothing(
    real: Any, server: OpenAIServer, source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = real.run_cell(source.format(yes=""))
    out = capsys.readouterr()
    shown = out.out + out.err
    assert not refused.success and server.requests == []
    assert "ConfirmationRequired" in shown and "Traceback" not in shown
    assert "--yes" in shown and "confirm threshold" in shown and "with real keys" in shown
    assert "3 " in shown and "gpt-4o $" in shown  # the rows and the model's estimate

    ran = real.run_cell(source.format(yes=" --yes"))
    assert ran.success, ran.error_in_exec
    assert len(server.requests) == 3


def test_under_the_threshold_and_on_the_simulator_nothing_asks(
    server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    shell = shell_with(monkeypatch, ORCHESTRATION_OFFLINE="on",
                       ORCHESTRATION_BATCH_CONFIRM_USD="0")  # fmt: skip
    try:  # the simulator answers: nothing is spent, so nothing to confirm
        ran = shell.run_cell("%%orchestrate --compare gpt-4o claude-3 --over df\n{city}?")
        assert ran.success, ran.error_in_exec
    finally:
        shell.run_line_magic("unload_ext", "orchestration_kernel")
    server.clear()
    shell = shell_with(
        monkeypatch, ORCHESTRATION_OFFLINE="off", OPENAI_API_KEY=fake_key("openai"),
        OPENAI_BASE_URL=server.base_url, ORCHESTRATION_BATCH_CONFIRM_USD="100",
    )  # fmt: skip
    try:
        ran = shell.run_cell("%%orchestrate --compare gpt-4o --over df\n{city}?")
        assert ran.success, ran.error_in_exec
        assert len(server.requests) == 3
    finally:
        shell.run_line_magic("unload_ext", "orchestration_kernel")
        shell.user_ns.pop("df", None)
