"""A spec that reads {input} cannot run without one: it fails before any call."""

from __future__ import annotations

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import SpecError

SPEC = """\
steps:
  - name: analysis
    model: gpt-4o
    system: "You review {input.kind} documents."
    prompt: "Analyze: {input}"
  - name: plain
    model: gpt-4o
    prompt: "No input here"
"""


def test_running_without_an_input_names_each_use_and_sends_nothing() -> None:
    engine = OrchestrationEngine(offline="on", audit=False)
    pipeline = engine.create_pipeline(SPEC)
    with pytest.raises(SpecError) as info:
        pipeline.run()
    lines = sorted(p.line for p in info.value.errors)
    assert lines == [4, 5]  # the system prompt and the prompt
    assert "no input was given" in str(info.value) and "pipeline.run(text)" in str(info.value)
    assert engine.simulator.calls == 0
    assert pipeline.run({"kind": "legal"}).status == "done"


def test_a_default_input_or_no_use_needs_nothing() -> None:
    engine = OrchestrationEngine(offline="on", audit=False)
    with_default = engine.create_pipeline(SPEC.replace("steps:", "input: {kind: memo}\nsteps:"))
    assert with_default.run().status == "done"
    plain = engine.create_pipeline([{"model": "gpt-4o", "prompt": "hello"}])
    assert plain.run().status == "done"
