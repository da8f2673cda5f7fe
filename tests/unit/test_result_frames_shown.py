"""Every result frame displays the same way (session 10, fixes): ``BatchJob.to_dataframe()``
and ``PipelineResult.to_dataframe()`` returned plain DataFrames, where the interactive
matrix and the compare table return a ``ShownFrame``: a key a model echoed was shown in
the saved notebook, and an input's integer column with a missing cell showed ``5.0``.
Real jobs and pipelines on the simulator, with the Guardian off (nothing redacted before
the display)."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.batch import BatchJob, submit_sync
from orchestration_kernel.shown_frame import ShownFrame
from tests.unit.test_secrets_floor import openai_shaped_key

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHESTRATION_OFFLINE_MODEL", "sim")


def test_a_batch_jobs_frame_displays_as_the_interactive_matrix_does() -> None:
    key = openai_shaped_key()
    engine = OrchestrationEngine(offline="on", guardian=False)
    frame = pd.DataFrame({"text": [f"my key {key}", "fine"], "stars": [5.0, None]})
    interactive = engine.matrix_sync(["gpt-4o-mini"], "Say {text}", frame).to_dataframe()
    job = submit_sync(engine, ["gpt-4o-mini"], "Say {text}", frame, name="shown")
    job.wait_sync()
    # Twice: the second call returns the table the first one kept.
    for batch in (job.to_dataframe(), job.to_dataframe(), BatchJob.resume("shown").to_dataframe()):
        assert type(batch) is type(interactive) is ShownFrame
        with pd.option_context("display.max_columns", None, "display.width", 1000):
            shown = repr(batch) + batch._repr_html_()
        assert key not in shown and "<OPENAI_API_KEY>" in shown
        assert "5.0" not in shown and "<NA>" in shown  # stars: 5, <NA>
        assert batch.loc[0, "text"] == f"my key {key}"  # the values stay intact


def test_a_pipeline_results_frame_masks_what_it_shows() -> None:
    key = openai_shaped_key()
    engine = OrchestrationEngine(offline="on", guardian=False)
    pipeline = engine.create_pipeline([{"name": "a", "model": "gpt-4o-mini", "prompt": "{input}"}])
    frame = pipeline.run(f"echo {key}").to_dataframe()
    assert type(frame) is ShownFrame
    with pd.option_context("display.max_colwidth", None, "display.max_columns", None):
        shown = repr(frame) + frame._repr_html_()
    assert key not in shown and "<OPENAI_API_KEY>" in shown
    assert key in frame.loc[0, "output"]
