"""A flat list or tuple in a prompt (``{df.shape}``, ``{labels}``) reads on one line, as it
is typed; nested structures and mappings keep their indented JSON."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration_kernel.pipeline.scope import format_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ((3, 3), "[3, 3]"),
        (["positive", "negative", None], '["positive", "negative", null]'),
        ([1.5, True], "[1.5, true]"),
        ([], "[]"),
        (("café",), '["café"]'),
    ],
)
def test_a_flat_sequence_is_one_line_of_json(value: object, text: str) -> None:
    assert format_value(value) == text


def test_the_shape_of_a_frame_reads_on_one_line() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]})
    assert format_value(frame.shape) == "[3, 2]"
    assert format_value(list(frame.columns)) == '["a", "b"]'


@pytest.mark.parametrize("value", [[[1, 2], [3, 4]], [{"a": 1}], {"a": [1, 2]}, ({"k": "v"}, 2)])
def test_nested_structures_keep_indented_json(value: object) -> None:
    assert "\n  " in format_value(value)
