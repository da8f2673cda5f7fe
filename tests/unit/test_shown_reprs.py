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


def test_repr_and_str_of_every_result_mask_an_echoed_key_and_keep_the_data() -> None:
    # pydantic's and the dataclasses' own reprs printed every field in full: repr(reply)
    # (and a notebook's text/plain of a Reply, without %load_ext) showed the key.

    from orchestration_kernel.batch import BatchJob
    from orchestration_kernel.pipeline_matrix import PipelineMatrixResult

    key = openai_shaped_key()
    engine = OrchestrationEngine(offline="on", guardian=False)
    engine.providers.set_offline_model("sim")
    try:
        reply = engine.complete_sync("gpt-4o", f"Repeat {key}")
        table = engine.compare_sync(["gpt-4o", "claude-3"], f"Repeat {key}")
        matrix = engine.matrix_sync(["gpt-4o"], "Say {item}", [f"it is {key}"])
        result = engine.create_pipeline([{"name": "a", "model": "gpt-4o", "prompt": key}]).run()
        rows = engine.pipeline_matrix_sync(
            [{"name": "a", "model": "gpt-4o", "prompt": "{input}"}], [key]
        )
        assert isinstance(rows, PipelineMatrixResult)
        objects = [reply, table, matrix, result, result.steps[0], rows, reply.attempts[0]]
        for obj in objects:
            for text in (repr(obj), str(obj)):
                assert key not in text and key[8:40] not in text, type(obj).__name__
        for obj in (reply, table, matrix, result, rows):  # the key is there to be masked
            assert "OPENAI_API_KEY" in repr(obj), type(obj).__name__
        assert key not in reply._repr_markdown_() and key in reply.text  # the data is kept
        assert key in result.output and key in matrix.reply(0, "gpt-4o").text
        assert key in rows.runs[0].output
        assert "OPENAI_API_KEY" in str(reply) and str(reply) != reply.text
        # What a notebook shows of a Reply left as a cell's value, without %load_ext.
        from IPython.core.formatters import DisplayFormatter

        data, _ = DisplayFormatter().format(reply)
        assert {"text/plain", "text/markdown"} <= set(data)
        assert not any(key in str(v) or key[8:40] in str(v) for v in data.values())
        # A BatchJob's repr names no content, and goes through the floor as well.
        assert getattr(BatchJob.__repr__, "__masked__", False)
    finally:
        engine.close()
