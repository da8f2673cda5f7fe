"""Costs read the same everywhere: unknown is never free, tiny is never zero."""

from __future__ import annotations

import pytest

from orchestration_kernel.formatting import format_cost


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "unknown"),
        (0.0, "$0.00"),
        (12.5, "$12.50"),
        (1234.5, "$1,234.50"),
        (0.0123, "$0.0123"),
        (0.000042, "$0.000042"),
        (0.0000123, "$0.000012"),
    ],
)
def test_format_cost(value: float | None, shown: str) -> None:
    assert format_cost(value) == shown


def test_unknown_text_is_the_callers() -> None:
    assert format_cost(None, unknown="") == ""


def test_format_ms() -> None:
    from orchestration_kernel.formatting import format_ms

    assert format_ms(None) == "" and format_ms(None, unknown="?") == "?"
    assert format_ms(0.0) == "0 ms" and format_ms(0.4) == "<1 ms"
    assert format_ms(12.4) == "12 ms" and format_ms(1234.5) == "1,234 ms"


@pytest.mark.parametrize(
    ("word", "read"),
    [
        ("int", "an int"),
        ("str", "a str"),
        ("object", "an object"),
        ("float", "a float"),
        ("UUID", "a UUID"),
        ("Element", "an Element"),
        ("NoneType", "a NoneType"),
    ],
)
def test_a_type_name_takes_its_article(word: str, read: str) -> None:
    from orchestration_kernel.formatting import with_article

    assert with_article(word) == read


def test_a_placeholder_error_names_the_type_with_its_article() -> None:
    from orchestration_kernel.errors import ConfigurationError
    from orchestration_kernel.matrix import matrix_prompts

    with pytest.raises(ConfigurationError, match="an int cannot be indexed"):
        matrix_prompts("{item[0]}", [5])
    with pytest.raises(ConfigurationError, match="an int has no attribute 'name'"):
        matrix_prompts("{item.name}", [5])
