"""faithful_markdown: the visible text is what the model wrote, outside code and inside it."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from orchestration_kernel.magics.faithful import faithful_markdown

MD = MarkdownIt("commonmark", {"html": True}).use(dollarmath_plugin)


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("From $5 to $10.", "<p>From $5 to $10.</p>\n"),
        ("Use <String> and <EMAIL>.", "<p>Use &lt;String&gt; and &lt;EMAIL&gt;.</p>\n"),
        ("AT&amp;T", "<p>AT&amp;amp;T</p>\n"),
        ("Run `a < b $x$` now", "<p>Run <code>a &lt; b $x$</code> now</p>\n"),
        ("``tick ` $y$``", "<p><code>tick ` $y$</code></p>\n"),
        ("an ` unmatched $1", "<p>an ` unmatched $1</p>\n"),
        ("**$5** off", "<p><strong>$5</strong> off</p>\n"),  # Markdown still renders
    ],
)
def test_visible_text_is_what_was_written(text: str, html: str) -> None:
    assert MD.render(faithful_markdown(text)) == html


def test_fenced_code_is_left_untouched() -> None:
    text = "Price: $5\n\n```python\nif a < b and cost == '$5':\n    pass\n```\nafter <x>\n"
    out = faithful_markdown(text)
    assert "if a < b and cost == '$5':" in out  # no backslash inside the fence
    html = MD.render(out)
    assert "if a &lt; b and cost == '$5':" in html and "math" not in html
    assert "after &lt;x&gt;" in html


def test_an_unclosed_fence_keeps_the_rest_as_code() -> None:
    text = "~~~\n$x$ <y>\n"
    assert faithful_markdown(text) == text
