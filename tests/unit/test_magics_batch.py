"""``%%orchestrate --compare ... --over df --batch`` and ``%orchestrate jobs`` on the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython import get_ipython
from IPython.testing.globalipapp import start_ipython

from orchestration_kernel.batch import BatchJob, BatchPlan
from orchestration_kernel.batch.manifest import Manifest


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ORCHESTRATION_OFFLINE", "on")
    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "orchestration_kernel")
    yield shell
    shell.run_line_magic("unload_ext", "orchestration_kernel")
    for name in ("df", "job", "plan", "_orchestrate"):
        shell.user_ns.pop(name, None)


def cell(ip: Any, source: str) -> Any:
    return ip.run_cell(source, store_history=True)


def test_batch_cell_submits_a_resumable_job(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ip.user_ns["df"] = pd.DataFrame({"city": ["Oslo", "Lima"]}, index=["a", "b"])
    result = cell(
        ip, "%%orchestrate --compare gpt-4 claude-3 --over df --batch --job cities --out job\n"
        "Country of {city}?",
    )  # fmt: skip
    assert result.success, result.error_in_exec
    job = ip.user_ns["job"]
    assert isinstance(job, BatchJob) and job.name == "cities"
    assert "Batch job `cities`" in job._repr_markdown_()
    job.wait_sync()
    out = job.to_dataframe()
    assert list(out.index) == ["a", "b"] and out.loc["b", "gpt-4"].endswith("Country of Lima?")

    listing = cell(ip, "%orchestrate jobs")
    assert listing.success and "| cities | 2 | gpt-4, claude-3 |" in str(listing.result)
    one = cell(ip, "%orchestrate jobs cities")
    assert one.success and one.result.state == "done"


def test_running_the_same_batch_cell_again_picks_its_job_up(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Run All twice in one home failed: "a batch job called 'cities2' already exists".
    ip.user_ns["df"] = pd.DataFrame({"city": ["Oslo", "Lima"]})
    source = (
        "%%orchestrate --compare gpt-4 --over df --batch --job cities2 --out job\n"
        "Country of {city}?"
    )
    assert cell(ip, source).success
    first = ip.user_ns["job"]
    again = cell(ip, source)
    assert again.success, again.error_in_exec
    assert ip.user_ns["job"].name == "cities2" and ip.user_ns["job"].run_id == first.run_id
    assert ip.user_ns["job"].plan is not None  # the cell shows its estimate again
    assert "picked up, nothing sent again" in capsys.readouterr().out
    changed = cell(ip, source.replace("Country of", "Capital of"))
    assert not changed.success and "already exists with another prompt" in str(
        changed.error_in_exec
    )


def test_batch_cell_dry_run_and_mistakes(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ip.user_ns["df"] = pd.DataFrame({"city": ["Oslo"]})
    plan = cell(ip, "%%orchestrate --compare gpt-4 --over df --batch --dry-run\n{city}")
    assert plan.success and isinstance(plan.result, BatchPlan) and plan.result.rows == 1
    assert not Manifest.exists("plan")
    for source, message in [
        ("%%orchestrate --compare gpt-4 --batch\nx", "--batch runs a --compare over a dataset"),
        ("%%orchestrate --compare gpt-4 --yes\nx", "--yes only works with --over or --batch"),
        ("%%orchestrate --compare gpt-4 --over dff --batch --job j\nx", "Did you mean 'df'"),
        ("%%orchestrate --compare gpt-4 --over df --batch --job 'a b'\nx", "must be 1-64"),
        ("%orchestrate jobs nope", "no batch job 'nope'"),
    ]:
        result = cell(ip, source)
        out = capsys.readouterr()
        assert not result.success, source
        assert message in out.out + out.err, (source, out)
        assert "Traceback" not in out.out + out.err


def test_batch_view_shows_progress_per_provider_and_updates_in_place(ip: Any) -> None:
    from orchestration_kernel.widgets import BatchView

    ip.user_ns["df"] = pd.DataFrame({"city": ["Oslo", "Lima", "Rome"]})
    assert cell(ip, "%%orchestrate --compare gpt-4 --over df --batch --job viewed --out job\n"
                    "{city}").success  # fmt: skip
    job = ip.user_ns["job"]
    view = BatchView()
    seen = []
    job.wait_sync(progress=lambda status: (view(status), seen.append(view._text())))
    assert view.shown and view.final
    assert seen[-1].startswith("batch job 'viewed': done")
    assert "provider: sim, runs as: concurrent calls, items: 3, submitted: 3" in seen[-1]
    assert "<td>3</td>" in view._html() and "&lt;" not in view._title()
    assert view.widget.value == view._html()


def test_above_the_threshold_the_cell_needs_yes(
    ip: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCHESTRATION_BATCH_CONFIRM_USD", "-1")  # everything is "too dear"
    ip.user_ns["df"] = pd.DataFrame({"city": ["Oslo"]})
    source = "%%orchestrate --compare gpt-4 --over df --batch --job dear{}\n{{city}}"
    refused = cell(ip, source.format(""))
    out = capsys.readouterr()
    assert not refused.success and "ConfirmationRequired" in out.out + out.err
    assert "--yes" in out.out + out.err and "Traceback" not in out.out + out.err
    assert not Manifest.exists("dear")
    assert cell(ip, source.format(" --yes")).success and Manifest.exists("dear")
