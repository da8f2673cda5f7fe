"""What one engine call leaves in the audit trail, and what it must never leave there."""

from __future__ import annotations

import json

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from tests.conftest import fake_key
from tests.servers import Fault, OpenAIServer

FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01)


async def test_retry_and_fallback_leave_one_row_per_attempt_and_route() -> None:
    engine = OrchestrationEngine(offline="on", retry=FAST)
    primary = engine.resolve("gpt-4").split(":", 1)[1]
    engine.simulator.script("server_error", model=primary, times=None)
    reply = await engine.complete("gpt-4", "audit me", fallbacks=["claude-3"], run_id="run-1")
    await engine.audit.aflush()
    rows = engine.audit.to_dataframe(run="run-1")
    calls = rows[rows.event == "call"]
    assert list(calls.status) == ["error", "error", "ok"]
    assert list(calls.error_type.fillna("")) == ["ServerError", "ServerError", ""]
    assert list(calls.attempt) == [1, 2, 3]
    assert (rows.event == "route").sum() == 3
    guardian = rows[rows.event == "guardian"]
    stages = [json.loads(d)["stage"] if isinstance(d, str) else d["stage"] for d in guardian.detail]
    assert stages.count("input") == 2 and stages.count("output") == 1
    assert set(rows.session_id) == {engine.session_id}
    ok = calls.iloc[-1]
    assert ok.response == reply.text and ok.model == reply.resolved_model
    assert all(isinstance(h, str) and len(h) >= 32 for h in calls.request_hash)
    assert engine.audit.verify().ok


async def test_pii_is_redacted_before_it_is_stored_and_sent() -> None:
    engine = OrchestrationEngine(offline="on")
    email = "jane.doe" + "@example.org"
    reply = await engine.complete("gpt-4", f"Write to {email} about the invoice", run_id="r-pii")
    await engine.audit.aflush()
    rows = engine.audit.to_dataframe(run="r-pii")
    stored = " ".join(str(v) for v in rows[["prompt", "response", "detail"]].to_numpy().ravel())
    assert email not in stored and email not in reply.text
    assert "redact" in set(rows.guardian_action.dropna())


async def test_no_key_anywhere_after_a_real_http_run(tmp_path) -> None:
    key = fake_key("openai")
    with OpenAIServer() as srv:
        srv.script(Fault.rate_limit(retry_after=0.01), times=1)
        engine = OrchestrationEngine(
            offline="off", keys={"openai": key}, base_urls={"openai": srv.base_url}, retry=FAST
        )
        reply = await engine.complete("openai:gpt-4o-mini", "keep my key secret", run_id="r-key")
        stream = engine.stream("openai:gpt-4o-mini", "and stream")
        async for _ in stream:
            pass
        assert srv.requests[0].credential == key  # the key did reach the provider
    await engine.audit.aflush()
    exported = [engine.audit.export(tmp_path / f"audit.{ext}") for ext in ("jsonl", "csv")]
    haystacks = [p.read_bytes() for p in exported]
    home_files = [p for p in (tmp_path / "home").rglob("*") if p.is_file()]
    assert any(p.name == "audit.sqlite" for p in home_files)
    haystacks += [p.read_bytes() for p in home_files]
    haystacks += [repr(engine).encode(), repr(reply).encode(), reply.model_dump_json().encode()]
    haystacks += [repr(stream.reply).encode(), json.dumps(engine.stats()).encode()]
    assert all(key.encode() not in h for h in haystacks)


async def test_pipeline_run_with_retry_and_fallback_rows_by_event_kind() -> None:
    engine = OrchestrationEngine(offline="on", retry=FAST)
    primary = engine.resolve("gpt-4").split(":", 1)[1]
    engine.simulator.script("server_error", model=primary, times=None)
    pipeline = engine.create_pipeline(
        """
steps:
  - name: draft
    model: gpt-4
    fallbacks: [claude-3]
    prompt: "Draft a note about {input}"
  - name: review
    model: gemini-pro
    prompt: "Review: {draft}"
"""
    )
    result = await pipeline.execute("the audit")
    rows = engine.audit.to_dataframe(run=result.run_id)  # committed before execute returned
    counts = rows.event.value_counts().to_dict()
    assert counts["run_start"] == 1 and counts["run_end"] == 1
    assert counts["step"] >= 2
    calls = rows[rows.event == "call"]
    assert list(zip(calls.step, calls.status, strict=True)) == [
        ("draft", "error"),
        ("draft", "error"),
        ("draft", "ok"),
        ("review", "ok"),
    ]
    assert counts["route"] == 4 and counts.get("handoff", 0) >= 1
    assert rows.seq.is_monotonic_increasing
    assert result.head_hash == engine.audit.verify().head_hash


async def test_replay_answers_identical_requests_from_the_audit() -> None:
    first = OrchestrationEngine(offline="on")
    original = await first.complete("gpt-4", "replay me", temperature=0.0)
    await first.audit.aflush()
    calls_before = first.simulator.calls

    replaying = OrchestrationEngine(offline="on", replay=True)
    again = await replaying.complete("gpt-4", "replay me", temperature=0.0)
    assert again.replayed and again.text == original.text and again.cost_usd == 0.0
    assert replaying.simulator.calls == 0 and first.simulator.calls == calls_before
    different = await replaying.complete("gpt-4", "not seen before", temperature=0.0)
    assert not different.replayed and replaying.simulator.calls == 1
    await replaying.audit.aflush()
    rows = replaying.audit.to_dataframe(event="call")
    assert bool(rows.replayed.fillna(False).astype(bool).any())


async def test_content_logging_off_keeps_hashes_and_sizes_only() -> None:
    engine = OrchestrationEngine(offline="on", content_logging=False)
    await engine.complete("gpt-4", "a private prompt", run_id="r-private")
    await engine.audit.aflush()
    rows = engine.audit.to_dataframe(run="r-private", event="call")
    assert "a private prompt" not in str(rows.to_dict())
    assert rows.request_hash.notna().all()
