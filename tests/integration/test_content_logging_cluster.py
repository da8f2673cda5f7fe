"""``content_logging=False`` keeps prompts and replies off disk on the Dask cluster path.

A real two-process ``LocalCluster`` started inside the test's own ``ORCHESTRATION_HOME``
(so the workers' sessions live there too), the OpenAI wire server over loopback (it
echoes the prompt, so the marker is in every reply as well), and then every byte under
the home is searched for the marker. With content logging on the same run leaves it on
disk (the partition files and the audit keep content), so the search can fail.
"""

# ruff: noqa: F811 (the fixtures below are imported, and pytest passes them by name)
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from tests.conftest import fake_key
from tests.integration.disk_scan import files_holding
from tests.integration.test_cluster_matrix import server, two_workers  # noqa: F401
from tests.servers import OpenAIServer

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.timeout(300)

MARKER = "QZX-PRIVATE-7c1e"
SPEC = f"""\
name: private
steps:
  - name: summary
    model: fast
    prompt: "Summarise {{review}} {MARKER}"
  - name: grade
    model: fast
    prompt: "Grade {{summary.output}}"
"""


@pytest.fixture
def client(hermetic_home: Path) -> Iterator[Any]:
    """A cluster whose workers were started inside the test's home."""
    with two_workers() as made:
        yield made


def engine_for(server: OpenAIServer, content_logging: bool) -> OrchestrationEngine:
    server.clear()
    engine = OrchestrationEngine(
        offline="off",
        keys={"openai": fake_key("sk")},
        base_urls={"openai": server.base_url},
        retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05),
        content_logging=content_logging,
    )
    engine.add_pool("fast", [{"id": "fast-1", "model": "openai:gpt-4o-mini"}])
    return engine


@pytest.mark.parametrize("content_logging", [False, True], ids=["off", "on"])
def test_a_cluster_matrix_leaves_no_prompt_or_reply_on_disk_with_content_logging_off(
    client, server, hermetic_home, content_logging
) -> None:
    engine = engine_for(server, content_logging)
    items = [f"w{i} {MARKER}" for i in range(12)]
    options = {"cluster": client, "partition_size": 3, "job": "private"}
    result = engine.matrix_sync(["fast"], "Say {item}", items, **options)
    assert result.status == "done" and len(result.computed) == 4
    replies = list(result.to_dataframe()["fast"])
    assert replies == [f"Echo from gpt-4o-mini: Say {item}" for item in items]
    engine.audit.flush()
    calls = engine.audit.to_dataframe(run=result.run_id, event="call")
    assert len(calls) == 12 and (calls["prompt_chars"] > 0).all()

    held = files_holding(hermetic_home, MARKER)
    if content_logging:  # the same run, logging on: the partitions and the audit keep it
        assert any(p.startswith("cluster/private/part-") for p in held), held
        assert any(p.startswith("audit") for p in held), held
    else:
        assert held == []
        assert calls["prompt"].isna().all() and calls["response"].isna().all()

    # A rerun in the same kernel still skips every finished partition, either way.
    before = len(server.requests)
    again = engine.matrix_sync(["fast"], "Say {item}", items, **options)
    assert again.skipped == [0, 1, 2, 3] and again.computed == []
    assert len(server.requests) == before
    assert list(again.to_dataframe()["fast"]) == replies
    assert (files_holding(hermetic_home, MARKER) == []) is not content_logging


@pytest.mark.parametrize("content_logging", [False, True], ids=["off", "on"])
def test_a_cluster_pipeline_leaves_no_prompt_or_reply_on_disk_with_content_logging_off(
    client, server, hermetic_home, content_logging
) -> None:
    import pandas as pd

    engine = engine_for(server, content_logging)
    df = pd.DataFrame({"review": [f"r{i}" for i in range(6)]})
    result = engine.pipeline_matrix_sync(SPEC, df, cluster=client, partition_size=2, job="graded")
    assert result.status == "done" and not result.errors
    frame = result.to_dataframe()
    assert all(MARKER in s for s in frame["summary"]) and all(MARKER in g for g in frame["grade"])
    engine.audit.flush()

    held = files_holding(hermetic_home, MARKER)
    if content_logging:
        assert any(p.startswith("cluster/graded/part-") for p in held), held
    else:
        assert held == []
