"""Which engines keep content off disk, and the in-memory conversation of their runs."""

from __future__ import annotations

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.bus import ContextBus
from orchestration_kernel.guardian import Guardian
from orchestration_kernel.pipeline.private_turns import PrivateTurns, run_bus
from orchestration_kernel.privacy import keeps_content


def test_content_logging_off_is_known_with_or_without_an_audit(tmp_path) -> None:
    assert keeps_content(OrchestrationEngine(offline="on"))
    assert not keeps_content(OrchestrationEngine(offline="on", content_logging=False))
    # No audit to carry the switch: the engine still knows.
    assert not keeps_content(OrchestrationEngine(offline="on", audit=False, content_logging=False))
    assert keeps_content(OrchestrationEngine(offline="on", audit=False))
    # A trail whose content logging is off decides for every engine recording into it.
    trail = AuditTrail(tmp_path / "a.sqlite", content_logging=False)
    assert not keeps_content(OrchestrationEngine(offline="on", audit=trail))


def test_each_engine_on_a_shared_trail_logs_content_by_its_own_setting() -> None:
    """Engines record into the session's one trail: each row keeps its prompt and reply
    text, or only hashes and sizes, by the setting of the engine that made it — whichever
    engine was made first — and the trail's own setting stays as it was."""
    first = OrchestrationEngine(offline="on")
    private = OrchestrationEngine(offline="on", content_logging=False)
    later = OrchestrationEngine(offline="on")
    assert first.audit is private.audit is later.audit  # one trail
    runs = {}
    for engine, word in ((first, "first"), (private, "secret"), (later, "third")):
        engine.complete_sync("gpt-4o-mini", f"say {word}", run_id=f"call-{word}")
        step = [{"name": "answer", "model": "gpt-4o-mini", "prompt": "{input}"}]
        runs[word] = engine.create_pipeline(step).execute_sync(f"step {word}").run_id
    trail = first.audit
    trail.flush()
    assert trail.content_logging and keeps_content(later) and not keeps_content(private)
    rows = trail.to_dataframe()
    for word, logged in (("first", True), ("secret", False), ("third", True)):
        mine = rows[rows["run_id"].isin([f"call-{word}", runs[word]])]
        with_text = mine[mine["prompt_chars"].fillna(0) > 0]
        assert len(with_text) == 2, word  # the call, and the pipeline step's call
        for column in ("prompt", "response"):  # all text, or none
            assert with_text[column].notna().tolist() == [logged, logged], (word, column)


def test_each_engine_on_a_shared_trail_redacts_its_rows_with_its_own_guardian() -> None:
    """The Guardian's redaction of the audit is the engine's too: an engine made later
    with another Guardian (masking, which keeps an address's domain) does not change how
    an earlier engine's rows are stored on the shared trail."""
    replacing = OrchestrationEngine(offline="on")  # the default Guardian: <EMAIL>
    masking = OrchestrationEngine(offline="on", guardian=Guardian(["pii"], pii_operator="mask"))
    assert replacing.audit is masking.audit
    text = "write to alice@example.com"
    replacing.complete_sync("gpt-4o-mini", text, run_id="replacing")
    masking.complete_sync("gpt-4o-mini", text, run_id="masking")
    trail = replacing.audit
    trail.flush()
    calls = trail.to_dataframe(event="call").set_index("run_id")
    assert calls.loc["replacing", "prompt"] == "[user] write to <EMAIL>"
    assert calls.loc["masking", "prompt"] == "[user] write to a***@example.com"


def test_a_private_run_bus_keeps_turns_in_memory_after_the_stored_ones() -> None:
    engine = OrchestrationEngine(offline="on", content_logging=False)
    bus = ContextBus("memory", runtime=engine.runtime, session_id="s1")
    bus.append_turns_sync("s1", [("user", "stored before", None)])
    private = run_bus(engine, bus)
    assert isinstance(private, PrivateTurns)
    assert run_bus(engine, None) is None
    # Logging on: the bus itself (no audit here: the session's trail is off now, above).
    assert run_bus(OrchestrationEngine(offline="on", audit=False), bus) is bus

    async def go() -> list[str]:
        await private.append_turns("s1", [("user", "q", None), ("assistant", "a", "m")])
        private.record_handoff(1.5)
        await private.publish("run.x.step.y", {"ok": True}, session_id="s1")
        assert await private.get_context("s1") == await bus.get_context("s1")
        return [t["content"] for t in await private.conversation("s1")]

    assert engine.runtime.run_sync(go()) == ["stored before", "q", "a"]
    assert [t["content"] for t in bus.conversation_sync("s1")] == ["stored before"]
    assert bus.handoff_stats()["count"] == 1
    # The session keeps the turns: the next run's bus sees them.
    later = run_bus(engine, bus)
    assert isinstance(later, PrivateTurns) and later.turns is private.turns
    assert "s2" not in later.turns  # per session
