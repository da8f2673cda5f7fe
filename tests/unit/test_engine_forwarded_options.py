"""What the engine's twins and forwarders pass on, now that their ``**kwargs`` are typed
(``engine_options``): the typing changed, what a call accepts did not."""

from __future__ import annotations

import pytest

from orchestration_kernel import OrchestrationEngine, SimulatorConfig
from orchestration_kernel.errors import ConfigurationError


def make_engine(**kw):
    return OrchestrationEngine(offline="on", audit=False, **kw)


async def test_stream_replaces_a_given_stream_and_on_delta() -> None:
    engine = make_engine(simulator=SimulatorConfig(chunks=4))
    seen: list[object] = []
    stream = engine.stream("gpt-4", "stream anyway", stream=False, on_delta=seen.append)
    deltas = [d async for d in stream]
    assert len(deltas) >= 3 and seen == []  # the stream's own sink got every delta
    assert "".join(d.text for d in deltas) == stream.reply.text


def test_complete_sync_passes_provider_extras_on() -> None:
    reply = make_engine().complete_sync("gpt-4", "with extras", temperature=0.1, top_p=0.5)
    assert reply.simulated and "with extras" in reply.text


async def test_matrix_batch_still_refuses_a_keyword_submit_does_not_take() -> None:
    engine = make_engine()
    with pytest.raises((TypeError, ConfigurationError), match="observer"):
        await engine.matrix(["gpt-4"], "{item}", ["a"], mode="batch", name="job", observer=print)


async def test_pipeline_matrix_cluster_options_still_need_a_cluster() -> None:
    engine = make_engine()
    steps = [{"name": "a", "model": "gpt-4", "prompt": "{input}"}]
    with pytest.raises(ConfigurationError, match="only with cluster="):
        await engine.pipeline_matrix(steps, ["x"], partition_size=2)


def test_simulator_dict_and_pools_mapping_as_before() -> None:
    engine = make_engine(
        simulator={"latency": 0.0, "chunks": 2},
        pools={"team": {"deployments": [{"model": "gpt-4"}]}},
    )
    assert engine.resolve("team") == "team"
    assert engine.simulator.config.chunks == 2
    twin = OrchestrationEngine.from_config(engine.config(), audit=False)
    assert twin.resolve("team") == "team" and twin.simulator.config.chunks == 2
