"""``content_logging=False`` keeps prompts and replies off disk in one kernel: calls,
streams, replay and pipelines (whose steps join the session conversation by default).

Real SQLite (the audit and the ContextBus under the test's ``ORCHESTRATION_HOME``) and
the OpenAI wire server over loopback, which echoes each prompt, so the marker is in
every reply too. Then every byte under the home is searched for the marker: absent with
content logging off, present with it on (so the search can fail).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from orchestration_kernel import OrchestrationEngine
from tests.conftest import fake_key
from tests.integration.disk_scan import files_holding
from tests.servers import OpenAIServer

pytestmark = pytest.mark.timeout(120)

MARKER = "QZX-PRIVATE-51ad"
SPEC = f"""\
name: remembered
steps:
  - name: first
    model: gpt-4o-mini
    prompt: "Note {MARKER} {{input}}"
  - name: second
    model: gpt-4o-mini
    context: session
    prompt: "And now?"
  - name: third
    model: gpt-4o-mini
    when: "'Note' in first.output"
    prompt: "Last"
"""


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


def _engine(server: OpenAIServer, content_logging: bool, **extra: object) -> OrchestrationEngine:
    """An engine on the wire server (cleared), content logging as the test says."""
    server.clear()
    return OrchestrationEngine(
        offline="off",
        keys={"openai": fake_key("sk")},
        base_urls={"openai": server.base_url},
        content_logging=content_logging,
        **extra,
    )


@pytest.mark.parametrize("content_logging", [False, True], ids=["off", "on"])
def test_calls_streams_and_pipelines_leave_no_prompt_or_reply_on_disk_with_logging_off(
    server, hermetic_home, content_logging
) -> None:
    engine = _engine(server, content_logging)
    reply = engine.complete_sync("gpt-4o-mini", f"Hello {MARKER}")
    assert reply.text == f"Echo from gpt-4o-mini: Hello {MARKER}"
    streamed = engine.complete_sync("gpt-4o-mini", f"Stream {MARKER}", stream=True)
    assert MARKER in streamed.text

    # A context: session step still sees the earlier step's turns (kept in memory when
    # logging is off), within the run and in the next run of the kernel.
    pipeline = engine.create_pipeline(SPEC)
    for run in ("one", "two"):
        result = pipeline.run(run)
        assert result.status == "done"
        sent = json.dumps(server.requests[-2].json)
        assert f"Note {MARKER} {run}" in sent  # the second step's request held the first's
    assert "Note QZX-PRIVATE-51ad one" in sent  # ... and the first run's turns too

    engine.audit.flush()
    calls = engine.audit.to_dataframe(event="call")
    assert len(calls) == 8 and (calls["prompt_chars"] > 0).all()
    # The when: condition's values are audited as sizes and hashes (text when on).
    steps = engine.audit.to_dataframe(event="step")
    (seen,) = [d["when_values"] for d in steps["detail"] if "when_values" in d][-1:]
    assert (MARKER in json.dumps(seen)) is content_logging
    held = files_holding(hermetic_home, MARKER)
    if content_logging:
        assert any(p.startswith("audit") for p in held), held
        assert any(p.startswith("bus") for p in held), held
    else:
        assert held == []
        assert calls["prompt"].isna().all() and calls["response"].isna().all()
    conversation = engine.bus.conversation_sync()
    assert (conversation == []) is not content_logging  # the stored one: only when on


@pytest.mark.parametrize("content_logging", [False, True], ids=["off", "on"])
def test_a_provider_error_quoting_the_prompt_is_audited_as_size_and_hash_with_logging_off(
    server, hermetic_home, content_logging
) -> None:
    from orchestration_kernel import RetryPolicy
    from orchestration_kernel.errors import OrchestrationError
    from tests.servers.faults import Fault

    engine = _engine(server, content_logging, retry=RetryPolicy(max_attempts=1))
    server.script(Fault.status(400, f"cannot process 'Quote {MARKER}'"), times=1)
    with pytest.raises(OrchestrationError):
        engine.complete_sync("gpt-4o-mini", f"Quote {MARKER}")
    engine.audit.flush()
    (failed,) = [d for d in engine.audit.to_dataframe(event="call")["detail"] if "error" in d]
    assert (MARKER in failed["error"]) is content_logging
    held = files_holding(hermetic_home, MARKER)
    assert (held == []) is not content_logging, held


def test_replay_answers_nothing_with_logging_off_and_writes_no_reply(server, hermetic_home) -> None:
    """Replay reads stored replies; with content logging off there are none, so each
    identical request goes to the provider again (and still nothing reaches disk)."""
    server.clear()
    options = {"offline": "off", "keys": {"openai": fake_key("sk")}, "replay": True}
    engine = OrchestrationEngine(
        base_urls={"openai": server.base_url}, content_logging=False, **options
    )
    first = engine.complete_sync("gpt-4o-mini", f"Again {MARKER}")
    second = engine.complete_sync("gpt-4o-mini", f"Again {MARKER}")
    assert first.text == second.text and len(server.requests) == 2
    engine.audit.flush()
    assert files_holding(hermetic_home, MARKER) == []


def redis_holds(url: str, marker: str) -> bool:
    """Whether a key of the Redis server holds ``marker`` (each value serialised by DUMP
    with compression off, so a string is stored as it is), leaving out the live stream:
    a step's output event crosses to the other kernels through it (capped at 10,000
    entries), which is what that live delivery is, logging on or off."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.config_set("rdbcompression", "no")
        keys = [k for k in client.scan_iter() if not k.endswith(b":bus:live")]
        return any(marker.encode() in (client.dump(k) or b"") for k in keys)
    finally:
        client.close()


@pytest.mark.parametrize("content_logging", [False, True], ids=["off", "on"])
def test_a_pipeline_on_a_redis_bus_keeps_its_turns_off_redis_with_logging_off(
    server, hermetic_home, redis_server, content_logging
) -> None:
    engine = _engine(server, content_logging, redis=redis_server.url)
    assert engine.bus.store.kind == "redis"
    for run in ("one", "two"):
        assert engine.create_pipeline(SPEC).run(run).status == "done"
    assert f"Note {MARKER} one" in json.dumps(server.requests[-2].json)  # turns were sent
    engine.audit.flush()
    assert redis_holds(redis_server.url, MARKER) is content_logging
    assert (files_holding(hermetic_home, MARKER) == []) is not content_logging
