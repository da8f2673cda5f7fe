"""Words a new user reads on the first one-step pipeline: counts agree with their nouns."""

from __future__ import annotations

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.formatting import counted

ONE = '- name: only\n  model: gpt-4o-mini\n  prompt: "Say hi to {input}"\n'


def test_counted_keeps_one_singular() -> None:
    assert [counted(n, "step") for n in (0, 1, 2)] == ["0 steps", "1 step", "2 steps"]


def test_a_one_step_plan_and_result_say_one_step() -> None:
    engine = OrchestrationEngine(offline="on")
    try:
        pipeline = engine.create_pipeline(ONE)
        plan = pipeline.plan("Ada")._repr_markdown_()
        assert "· 1 step ·" in plan and "1 steps" not in plan
        shown = pipeline.run("Ada")._repr_markdown_()
        assert "· 1 step ·" in shown and "1 steps" not in shown
        two = engine.create_pipeline(ONE + ONE.replace("only", "again"))
        assert "· 2 steps ·" in two.plan("Ada")._repr_markdown_()
    finally:
        engine.close()
