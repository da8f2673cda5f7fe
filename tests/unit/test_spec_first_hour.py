"""Spec messages met in a first hour (session 10, fixes): an empty ``%%orchestrate`` body
said only "(got empty)"; it now shows what a step looks like."""

from __future__ import annotations

import pytest

from orchestration_kernel.errors import SpecError
from orchestration_kernel.pipeline.loader import load_pipeline


@pytest.mark.parametrize("body", ["", "\n  \n", "# just a comment\n"])
def test_an_empty_spec_shows_what_a_step_looks_like(body: str) -> None:
    with pytest.raises(SpecError) as caught:
        load_pipeline(body)
    message = str(caught.value)
    assert "(got empty)" in message
    assert "One step is '- {name: answer, model: gpt-4o, prompt: \"...\"}'" in message
    spec = "- {name: answer, model: gpt-4o, prompt: hello}"  # the example itself loads
    assert load_pipeline(spec).spec.steps[0].name == "answer"
