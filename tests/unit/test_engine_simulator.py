"""The engine's call machinery, end to end on the offline simulator."""

from __future__ import annotations

import asyncio
import threading

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy, SimulatorConfig
from orchestration_kernel.errors import (
    AllAttemptsFailed,
    BadRequestError,
    ConfigurationError,
    MissingKeyError,
    ProviderTimeout,
    UnknownModelError,
)

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)


def make_engine(**kw) -> OrchestrationEngine:
    kw.setdefault("offline", "on")
    kw.setdefault("retry", FAST)
    kw.setdefault("audit", False)
    return OrchestrationEngine(**kw)


async def test_offline_call_is_simulated_and_labelled() -> None:
    engine = make_engine()
    reply = await engine.complete("gpt-4", "Hello there")
    assert reply.simulated and reply.provider == "sim"
    assert reply.resolved_model.startswith("openai:")
    assert reply.extras["stands_in_for"] == reply.resolved_model
    assert "simulated" in reply.text and "Hello there" in reply.text
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0
    assert reply.cost_usd == 0.0
    assert [a.status for a in reply.attempts] == ["ok"]


async def test_simulator_is_deterministic() -> None:
    engine = make_engine()
    first = await engine.complete("claude-3", "same prompt")
    second = await engine.complete("claude-3", "same prompt")
    other = await engine.complete("claude-3", "another prompt")
    assert first.text == second.text != other.text


async def test_missing_key_names_the_variable_before_any_request() -> None:
    engine = make_engine(offline="off")
    with pytest.raises(MissingKeyError) as info:
        await engine.complete("gpt-4", "hi")
    message = str(info.value)
    assert "OPENAI_API_KEY" in message and "ORCHESTRATION_OFFLINE" in message
    assert engine.simulator.calls == 0


async def test_auto_mode_simulates_only_providers_without_keys(monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-" + "k" * 10)
    engine = make_engine(offline="auto")
    assert engine.is_simulated("gpt-4")
    assert not engine.is_simulated("claude-3")


async def test_unknown_model_suggests_near_names() -> None:
    engine = make_engine()
    with pytest.raises(UnknownModelError) as info:
        await engine.complete("claud-3", "hi")
    assert "claude-3" in info.value.suggestions


async def test_retryable_errors_are_retried_then_succeed() -> None:
    engine = make_engine()
    engine.simulator.script("server_error", times=2)
    reply = await engine.complete("gpt-4", "retry me")
    assert [a.status for a in reply.attempts] == ["error", "error", "ok"]
    assert reply.attempts[0].error_type == "ServerError"


async def test_retries_are_bounded() -> None:
    engine = make_engine()
    engine.simulator.script("rate_limit", times=None)
    with pytest.raises(AllAttemptsFailed) as info:
        await engine.complete("gpt-4", "never")
    assert len(info.value.attempts) == FAST.max_attempts
    assert all(a.error_type == "RateLimitError" for a in info.value.attempts)


async def test_bad_request_is_not_retried() -> None:
    engine = make_engine()
    engine.simulator.script("bad_request", times=None)
    with pytest.raises(BadRequestError):
        await engine.complete("gpt-4", "bad")
    assert engine.simulator.calls == 1


async def test_fallback_after_retries_are_exhausted() -> None:
    engine = make_engine()
    target = engine.resolve("gpt-4").split(":", 1)[1]
    engine.simulator.script("server_error", model=target, times=None)
    reply = await engine.complete("gpt-4", "fail over", fallbacks=["claude-3"])
    assert reply.model == "claude-3"
    assert [(a.model, a.status) for a in reply.attempts] == [
        ("gpt-4", "error"),
        ("gpt-4", "error"),
        ("gpt-4", "error"),
        ("claude-3", "ok"),
    ]


@pytest.mark.parametrize("fault", ["context_window", "content_policy"])
async def test_fallback_at_once_on_context_or_policy_refusal(fault: str) -> None:
    engine = make_engine()
    target = engine.resolve("gpt-4").split(":", 1)[1]
    engine.simulator.script(fault, model=target, times=None)
    reply = await engine.complete("gpt-4", "too long", fallbacks=["gemini-pro"])
    assert [a.status for a in reply.attempts] == ["error", "ok"]
    assert reply.model == "gemini-pro"


async def test_stream_deltas_add_up_to_the_reply() -> None:
    engine = make_engine(simulator=SimulatorConfig(chunks=5))
    stream = engine.stream("gemini-pro", "stream this please")
    kinds, text = [], ""
    async for delta in stream:
        kinds.append(delta.kind)
        text += delta.text
    assert set(kinds) == {"text"} and len(kinds) >= 3
    assert text == stream.reply.text == stream.text
    assert stream.reply.ttft_ms is not None


@pytest.mark.parametrize("fault", ["drop", "no_finish"])
async def test_broken_stream_resets_and_retries(fault: str) -> None:
    engine = make_engine(simulator=SimulatorConfig(chunks=4))
    engine.simulator.script(fault, times=1, after_chunks=2)
    stream = engine.stream("gpt-4", "a broken stream")
    deltas = [d async for d in stream]
    assert "reset" in [d.kind for d in deltas]
    after_reset = deltas[[d.kind for d in deltas].index("reset") + 1 :]
    assert "".join(d.text for d in after_reset) == stream.reply.text
    assert [a.status for a in stream.reply.attempts] == ["error", "ok"]
    assert stream.reply.attempts[0].error_type == "IncompleteStreamError"


def test_blocking_twins_from_a_plain_thread() -> None:
    engine = make_engine()
    reply = engine.complete_sync("gpt-4", "sync call")
    assert reply.simulated
    stream = engine.stream("claude-3", "sync stream")
    assert "".join(d.text for d in stream) == stream.reply.text
    table = engine.compare_sync(["gpt-4", "claude-3"], "compare sync")
    assert set(table.ok) == {"gpt-4", "claude-3"}


def test_complete_from_asyncio_run_in_other_threads() -> None:
    engine = make_engine()
    texts: list[str] = []

    def worker(i: int) -> None:
        texts.append(asyncio.run(engine.complete("gpt-4", f"thread {i}")).text)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(texts) == 4 and all("thread" in t for t in texts)


async def test_compare_keeps_one_error_without_cancelling_others() -> None:
    engine = make_engine()
    target = engine.resolve("claude-3").split(":", 1)[1]
    engine.simulator.script("bad_request", model=target, times=None)
    table = await engine.compare(["gpt-4", "claude-3", "gemini-pro"], "compare me")
    assert set(table.ok) == {"gpt-4", "gemini-pro"}
    assert isinstance(table.errors["claude-3"], BadRequestError)
    frame = table.to_dataframe()
    assert list(frame["model"]) == ["gpt-4", "claude-3", "gemini-pro"]
    assert table.fastest() in table.ok and "error" in table._repr_markdown_()


async def test_overall_timeout_is_a_clear_error() -> None:
    engine = make_engine(simulator=SimulatorConfig(latency=5.0), retry=RetryPolicy(max_attempts=1))
    with pytest.raises(ProviderTimeout) as info:
        await engine.complete("gpt-4", "slow", timeout=0.05)
    assert info.value.phase == "overall"


async def test_first_token_timeout_when_streaming() -> None:
    engine = make_engine(
        simulator=SimulatorConfig(latency=5.0, ttft_fraction=1.0),
        retry=RetryPolicy(max_attempts=1),
        timeouts=None,
    )
    with pytest.raises(ProviderTimeout) as info:
        await engine.stream("gpt-4", "slow first token", timeout=0.05).collect()
    assert info.value.phase in ("first_token", "overall")


async def test_cancelling_a_call_cancels_the_provider_call() -> None:
    engine = make_engine(simulator=SimulatorConfig(latency=10.0))
    task = asyncio.ensure_future(engine.complete("gpt-4", "cancel me"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_bad_prompt_shapes_are_configuration_errors() -> None:
    engine = make_engine()
    with pytest.raises(ConfigurationError):
        await engine.complete("gpt-4", [])
    with pytest.raises(ConfigurationError):
        await engine.complete("gpt-4", [{"text": "no role"}])


async def test_messages_and_system_prompt_reach_the_provider() -> None:
    engine = make_engine()
    reply = await engine.complete(
        "gpt-4",
        [{"role": "user", "content": "first"}, {"role": "assistant", "content": "ok"},
         {"role": "user", "content": "second question"}],
        system="be brief",
    )  # fmt: skip
    assert "second question" in reply.text


async def test_json_output_from_simulator_follows_schema() -> None:
    import json

    engine = make_engine()
    schema = {"type": "object", "properties": {"verdict": {"type": "string"}}}
    reply = await engine.complete("gpt-4", "judge", json_output=True, json_schema=schema)
    assert set(json.loads(reply.text)) == {"verdict"}


def test_engine_repr_has_no_secrets() -> None:
    key = "test-" + "q" * 24
    engine = make_engine(keys={"openai": key})
    assert key not in repr(engine) and key not in repr(engine.providers.key_for("openai"))


async def test_auto_offline_picks_a_vendor_model_served_by_the_simulator() -> None:
    engine = make_engine()
    assert engine.is_simulated("auto")
    reply = await engine.complete("auto", "pick something sensible")
    assert reply.simulated and not reply.resolved_model.startswith("sim:")
    assert reply.route["auto"]["model"] == reply.resolved_model


async def test_auto_with_one_real_key_is_not_simulated(monkeypatch) -> None:
    monkeypatch.setenv("PERPLEXITY_API_KEY", "test-" + "p" * 12)
    engine = make_engine(offline="auto")
    assert not engine.is_simulated("auto")


async def test_auto_without_any_key_or_offline_mode_says_what_to_set() -> None:
    engine = make_engine(offline="off")
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        await engine.complete("auto", "anything")


async def test_builtin_compatible_servers_resolve_without_registration() -> None:
    engine = make_engine()
    assert engine.resolve("ollama:llama3.2:3b") == "ollama:llama3.2:3b"
    reply = await engine.complete("ollama:llama3.2:3b", "local model")
    assert reply.simulated  # offline: even a local server is simulated, visibly


def test_model_note_flags_names_the_catalogue_does_not_know() -> None:
    engine = make_engine()
    note = engine.model_note("gpt-44")
    assert note and "not in the model catalogue" in note and "gpt-4" in note
    assert engine.model_note("gpt-4") is None and engine.model_note("auto") is None
    assert engine.model_note("ollama:llama3") is None  # compatible servers serve any name
    plan = engine.create_pipeline([{"name": "a", "model": "gpt-44", "prompt": "x"}]).plan()
    assert plan.steps[0].problems == [note]
    assert "note: " in str(plan)
