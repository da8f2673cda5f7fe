"""MatrixProgressView: a cluster job's progress on real ipywidgets models, driven by the
ClusterProgress a real ProgressClock makes as partitions arrive."""

from __future__ import annotations

from typing import Any

from orchestration_kernel.cluster.progress import ProgressClock
from orchestration_kernel.widgets import MatrixProgressView


class Recorder:
    """Every value a traitlet took, in order."""

    def __init__(self, widget: Any, name: str = "value") -> None:
        self.values: list[Any] = []
        widget.observe(lambda change: self.values.append(change["new"]), names=name)


def test_the_bar_counts_partitions_and_the_line_gives_rate_and_eta() -> None:
    view = MatrixProgressView("reviews on local")
    title, bar, line = view.widget.children
    assert "reviews on local" in title.value and line.value == "starting…"
    done, maxima, styles = Recorder(bar), Recorder(bar, "max"), Recorder(bar, "bar_style")
    lines = Recorder(line)

    clock = ProgressClock(partitions=4, rows=400, skipped=1, skipped_rows=100)  # one resumed
    view(clock.now())
    assert bar.bar_style == "info"
    for _ in range(3):
        view(clock.add(100))

    assert maxima.values == [4]
    assert done.values == [1, 2, 3, 4]  # the resumed partition counts from the start
    assert lines.values[0].startswith("1/4 partitions (1 resumed) · 100/400 rows · 0.0 rows/s")
    assert lines.values[0].endswith("ETA —")  # no rate before a partition is computed here
    assert "2/4 partitions (1 resumed) · 200/400 rows · " in lines.values[1]
    assert " rows/s · ETA " in lines.values[1] and "ETA —" not in lines.values[1]
    assert lines.values[-1].endswith("ETA 0 s")
    assert styles.values == ["success"]  # green once every partition is in
    assert view.final and view.progress.finished
    assert "<progress value='4' max='4'>" in view._html()
    assert view._text().splitlines() == ["reviews on local", str(view.progress)]


def test_an_interrupted_job_turns_the_bar_red_and_says_why() -> None:
    view = MatrixProgressView("graded")
    bar, line = view.widget.children[1:]
    clock = ProgressClock(partitions=8, rows=40, skipped=0, skipped_rows=0)
    view(clock.now())
    view(clock.add(5))
    view.fail(KeyboardInterrupt())
    assert (bar.value, bar.max, bar.bar_style) == (1, 8, "danger")
    assert line.value.startswith("1/8 partitions · 5/40 rows")
    assert line.value.endswith("stopped: KeyboardInterrupt: ")
    assert view.final  # its last state stays as it is


def test_progress_before_the_widget_is_built_shows_in_it_once_built() -> None:
    view = MatrixProgressView("late", widget=False)
    view(ProgressClock(partitions=2, rows=10, skipped=2, skipped_rows=10).now())
    assert "2/2 partitions (2 resumed)" in view._text()
    bar = view.widget.children[1]  # built now, from the progress so far
    assert (bar.value, bar.max, bar.bar_style) == (2, 2, "success")
