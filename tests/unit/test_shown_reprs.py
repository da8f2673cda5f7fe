"""With the Guardian off, the results' own displays (what a notebook shows of a
``CompareTable``, a ``MatrixResult`` or a ``PipelineResult`` left as a cell's value) mask a
key a model echoed; the results themselves keep the text. The simulator echoes the prompt."""

from __future__ import annotations

from orchestration_kernel import OrchestrationEngine
from tests.unit.test_secrets_floor import openai_shaped_key


def test_result_displays_mask_an_echoed_key_and_keep_the_text() -> None:
    key = openai_shaped_key()
    engine = OrchestrationEngine(offline="on", guardian=False)
    engine.providers.set_offline_model("sim")
    try:
        table = engine.compare_sync(["gpt-4o", "claude-3"], f"Repeat {key}")
        matrix = engine.matrix_sync(["gpt-4o"], "Say {item}", [f"it is {key}"])
        result = engine.create_pipeline([{"name": "a", "model": "gpt-4o", "prompt": key}]).run()
        shown = [table._repr_markdown_(), matrix._repr_markdown_()]
        shown += [result._repr_markdown_(), result._repr_html_()]
        for text in shown:
            assert key not in text and key[8:40] not in text and "OPENAI_API_KEY" in text
        assert key in table.replies["gpt-4o"].text and key in result.output  # kept as written
        assert key in matrix.reply(0, "gpt-4o").text
    finally:
        engine.close()
