"""A matrix's cells asked for by a row or a model it does not have (session 11, explore):
before, ``m.reply(10, "gpt-4o")`` was an ``IndexError: list index out of range`` from
inside matrix.py, and ``m.reply(0, "gpt4o")`` *returned* ``LookupError('no reply from
gpt4o')`` as if that model had run and failed."""

from __future__ import annotations

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.matrix import MatrixResult
from orchestration_kernel.models import Reply


@pytest.fixture(scope="module")
def matrix() -> MatrixResult:
    engine = OrchestrationEngine(offline="on", audit=False)
    return engine.matrix_sync(["gpt-4o", "claude-3"], "say {item}", ["x", "y", "z"])


@pytest.mark.parametrize("row", [3, 10, -4, "0"])
def test_a_row_past_the_items_says_how_many_there_are(matrix: MatrixResult, row: object) -> None:
    with pytest.raises(LookupError) as info:
        matrix.reply(row, "gpt-4o")  # type: ignore[arg-type]
    assert isinstance(info.value, ConfigurationError)  # shown as one line in a notebook
    assert str(info.value) == f"row {row!r} is not in this matrix: it has 3 item(s), rows 0 to 2"


@pytest.mark.parametrize(
    ("model", "near"), [("gpt4o", "Did you mean 'gpt-4o'?"), ("claude-2", "'claude-3'"), ("x", "")]
)
def test_a_model_the_matrix_did_not_run_is_an_error_naming_its_models(
    matrix: MatrixResult, model: str, near: str
) -> None:
    with pytest.raises(LookupError) as info:
        matrix.reply(0, model)
    said = str(info.value)
    assert said.startswith(f"{model!r} is not a model of this matrix (gpt-4o, claude-3).")
    assert near in said


def test_every_cell_the_matrix_has_is_still_its_reply(matrix: MatrixResult) -> None:
    for row in (0, 2, -1):
        for model in ("gpt-4o", "claude-3"):
            reply = matrix.reply(row, model)
            assert isinstance(reply, Reply) and reply.text.endswith(f"say {'xyz'[row]}")


@pytest.mark.parametrize(
    ("prompt", "unknown"),
    [
        ('Fix: url = f"postgresql://app:{password}@db/x" for {item}', "{password}"),
        ("In {item}, why is {row['price']} a KeyError?", "{row['price']}"),
    ],
)
def test_pasted_code_braces_over_items_say_how_to_send_them_as_written(
    prompt: str, unknown: str
) -> None:
    """Session 11, explore: pasted f-string code in a prompt over items said only
    "unknown name 'password'", and nothing said that doubled braces send it as written."""
    engine = OrchestrationEngine(offline="on", audit=False)
    with pytest.raises(ConfigurationError) as info:
        engine.matrix_sync(["gpt-4o"], prompt, ["x"])
    doubled = "{" + unknown + "}"
    assert f"To send {unknown} as written (pasted code), write {doubled}" in str(info.value)
    assert "--no-interpolate" not in str(info.value)  # refused with --over
    # What it says works: the doubled braces reach the model as the single ones.
    fixed = engine.matrix_sync(["gpt-4o"], prompt.replace(unknown, doubled), ["x"])
    assert unknown in fixed.prompts[0]
