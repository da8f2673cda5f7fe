"""A ``Reply`` in a plain-text frontend (terminal IPython, jupyter console, the text/plain
of a saved notebook) shows its text and summary line, as a compare, a matrix and a step
do, not the repr of every attempt and decision (1,700 characters for "hi")."""

from __future__ import annotations

from IPython.lib.pretty import pretty

from orchestration_kernel.engine import OrchestrationEngine


def test_a_reply_in_text_plain_is_its_text_and_summary() -> None:
    engine = OrchestrationEngine(offline="on", simulator={"latency": 0.0})
    engine.providers.set_offline_model("sim")
    reply = engine.complete_sync("gpt-4o", "Say hello")
    shown = pretty(reply)
    assert shown == reply._repr_markdown_()
    assert shown.startswith(reply.text)
    assert "openai:gpt-4o (simulated)" in shown and "tokens" in shown
    assert "Attempt(" not in shown and "Usage(" not in shown
    assert repr(reply).startswith("Reply(text=")  # the full repr is still there


def test_a_key_in_a_replys_text_plain_is_masked() -> None:
    engine = OrchestrationEngine(offline="on", simulator={"latency": 0.0}, guardian=False)
    engine.providers.set_offline_model("sim")
    key = "sk-proj-" + "Vb6Nm3Qw8Ze2" * 4  # built at run time, never a literal
    reply = engine.complete_sync("gpt-4o", f"echo {key}")
    assert "Vb6Nm3" in reply.text  # the value itself is the model's
    assert "Vb6Nm3" not in pretty(reply)
