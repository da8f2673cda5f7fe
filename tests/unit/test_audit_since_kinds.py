"""``since=`` as a pandas user writes it (session 10, explore): ``date.today()``,
``df.day.max()`` (a ``pd.Timestamp``), ``df.day.values.max()`` (a ``numpy.datetime64``).
Before, a ``date`` or a ``datetime64`` was a ``TypeError`` about ``float()`` from deep in
the audit's row code, and any other wrong kind the same."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError


@pytest.fixture(scope="module")
def trail(tmp_path_factory: pytest.TempPathFactory):
    engine = OrchestrationEngine(
        offline="on", audit=Path(tmp_path_factory.mktemp("since")) / "audit.sqlite"
    )
    engine.compare_sync(["gpt-4o"], "hi")
    assert engine.audit is not None
    engine.audit.flush()
    yield engine.audit
    engine.close()


def test_a_date_a_timestamp_and_a_datetime64_all_filter(trail) -> None:
    every = len(trail.to_dataframe())
    today = dt.datetime.now(dt.UTC).date()
    tomorrow = today + dt.timedelta(days=1)
    assert len(trail.to_dataframe(since=today)) == every > 0
    assert trail.to_dataframe(since=tomorrow).empty
    first = trail.to_dataframe()["timestamp"].min()  # a pd.Timestamp
    assert len(trail.to_dataframe(since=first)) == every
    assert len(trail.to_dataframe(since=np.datetime64(today))) == every
    assert trail.to_dataframe(since=np.datetime64(tomorrow)).empty
    assert len(trail.to_dataframe(since=pd.Timestamp(today))) == every


@pytest.mark.parametrize("since", [[2024], np.datetime64("NaT"), object()])
def test_another_kind_is_a_clear_error(trail, since) -> None:
    with pytest.raises(ConfigurationError, match=r"since= takes a datetime, a date, ISO text"):
        trail.to_dataframe(since=since)
