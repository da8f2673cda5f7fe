"""A batch job's ``to_dataframe()`` has the interactive matrix result's shape: the same
columns in the same order, the same index, the input's cells beside the answers — for
every kind of input ``matrix`` takes. Real jobs on the simulator (run as concurrent calls),
resumed from disk the way a restarted kernel does."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.batch import BatchJob, submit_sync
from orchestration_kernel.batch.input_table import TABLE_FILE
from orchestration_kernel.batch.manifest import jobs_home
from tests.conftest import fake_key

pytestmark = pytest.mark.timeout(120)

MODELS = ["gpt-4o-mini", "claude-3"]

INPUTS = {
    "frame": lambda: pd.DataFrame(
        {"text": ["good", "bad", "meh"], "stars": [5, 1, 3]}, index=["r1", "r2", "r3"]
    ),
    "frame-named-index": lambda: pd.DataFrame(
        {"text": ["a", "b"]}, index=pd.Index([10, 20], name="id")
    ),
    "frame-with-a-model-column": lambda: pd.DataFrame({"text": ["x", "y"], "claude-3": [1, 2]}),
    "frame-mixed-column": lambda: pd.DataFrame({"text": ["x", "y"], "odd": [1, "two"]}),
    "series": lambda: pd.Series(["x", "y", "z"], index=[3, 1, 2], name="text"),
    "series-unnamed": lambda: pd.Series(["x", "y"]),
    "list": lambda: ["x", "y", "z"],
    "records": lambda: [{"text": "x", "n": 1}, {"text": "y", "n": 2}],
}


@pytest.fixture(autouse=True)
def simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator serves offline (as ``make check`` says): its answers are the same
    for the same prompt, so the two modes' answers can be compared."""
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")


def _template(kind: str) -> str:
    return "{item}" if kind in ("series-unnamed", "list") else "Say {text}"


@pytest.mark.parametrize("kind", sorted(INPUTS))
def test_a_batch_job_has_the_interactive_matrix_shape(kind: str) -> None:
    engine = OrchestrationEngine(offline="on", guardian=False)
    template = _template(kind)
    interactive = engine.matrix_sync(MODELS, template, INPUTS[kind]()).to_dataframe()
    job = submit_sync(engine, MODELS, template, INPUTS[kind](), name=f"shape-{kind}")
    job.wait_sync()
    for batch in (job.to_dataframe(), BatchJob.resume(job.name, engine).to_dataframe()):
        assert list(batch.columns) == list(interactive.columns)
        assert batch.index.equals(interactive.index) and batch.index.name == interactive.index.name
        inputs = list(interactive.columns[: -len(MODELS)])
        if kind == "frame-mixed-column":  # Parquet holds one kind per column: kept as text
            assert batch["odd"].tolist() == ["1", "two"]
            inputs.remove("odd")
        pd.testing.assert_frame_equal(batch[inputs], interactive[inputs], check_dtype=False)
        for model in interactive.columns[-len(MODELS) :]:  # the same answers, beside them
            assert batch[model].tolist() == interactive[model].tolist()


def test_the_stored_input_is_redacted_as_the_prompts_are() -> None:
    engine = OrchestrationEngine(offline="on")
    frame = pd.DataFrame({"note": ["write to alice@example.com", "fine"], "n": [1, 2]})
    job = submit_sync(engine, ["gpt-4o-mini"], "{note}", frame, name="redacted")
    job.wait_sync()
    out = job.to_dataframe()
    assert list(out.columns) == ["note", "n", "gpt-4o-mini"]
    assert "alice@example.com" not in out.loc[0, "note"] and out.loc[1, "note"] == "fine"
    stored = (jobs_home() / "redacted" / TABLE_FILE).read_bytes()
    assert b"alice@example.com" not in stored


def test_a_job_made_before_the_input_was_kept_keeps_its_old_shape() -> None:
    engine = OrchestrationEngine(offline="on", guardian=False)
    job = submit_sync(engine, MODELS, "{item}", ["x", "y"], name="older")
    job.wait_sync()
    (job.manifest.dir / TABLE_FILE).unlink()
    job.manifest.has_table = False
    job.manifest.save()
    out = BatchJob.resume("older", engine).to_dataframe()
    assert list(out.columns) == MODELS and list(out.index) == [0, 1]


def test_the_stored_index_is_redacted_as_the_cells_are() -> None:
    engine = OrchestrationEngine(offline="on")
    key = fake_key("sk-proj")
    frame = pd.DataFrame(
        {"note": ["fine", "ok", "good"]},
        index=pd.Index(["alice@example.com", f"token {key}", "plain"], name="who"),
    )
    job = submit_sync(engine, ["gpt-4o-mini"], "{note}", frame, name="index-redacted")
    job.wait_sync()
    for path in (TABLE_FILE, "index.parquet"):  # the input table and the index alone
        stored = (jobs_home() / "index-redacted" / path).read_bytes()
        assert b"alice@example.com" not in stored and key.encode() not in stored
    out = job.to_dataframe()
    assert out.index.name == "who" and out.index[2] == "plain"
    assert "alice@example.com" not in out.index[0] and key not in out.index[1]
    assert out["note"].tolist() == ["fine", "ok", "good"]  # cells unchanged, aligned
    # A MultiIndex: each level's labels; numbers and dates that hold nothing stay as they are.
    multi = pd.DataFrame(
        {"note": ["a", "b"]},
        index=pd.MultiIndex.from_arrays(
            [["bob@example.com", "x"], [7, 8], pd.to_datetime(["2024-01-01", "2024-01-02"])],
            names=["who", "n", "day"],
        ),
    )
    job = submit_sync(engine, ["gpt-4o-mini"], "{note}", multi, name="multi-redacted")
    job.wait_sync()
    stored = (jobs_home() / "multi-redacted" / TABLE_FILE).read_bytes()
    assert b"bob@example.com" not in stored
    index = job.to_dataframe().index
    assert list(index.names) == ["who", "n", "day"] and index[1] == multi.index[1]
    assert "bob@example.com" not in index[0][0] and index[0][1:] == multi.index[0][1:]
