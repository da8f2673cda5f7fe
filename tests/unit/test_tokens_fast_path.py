"""The token estimator's fast path (issue 24) gives exactly the counts of the plain one.

The estimator runs on every call, so it matches letters in runs and prices each distinct
piece once (a cache). These tests price every piece afresh, with the pre-split pattern
written the original way (one alternation per letter), and ask for identical counts.
"""

from __future__ import annotations

import random
import re

import pytest

from orchestration_kernel.routing import tokens
from orchestration_kernel.routing.tokens import Family, estimate_tokens, family_for

#: The pre-split pattern as first written: one alternation per letter.
_PLAIN = re.compile(
    r"""'(?:[sdmtSDMT]|ll|ve|re|LL|VE|RE)
    |(?:[^\r\n\w]|_)?(?:[^\W\d_]|[\u0300-\u036f\u0900-\u0dff\u0e00-\u0e7f])+
    |\d{1,3}
    |\ ?(?:[^\s\w]|_)+[\r\n]*
    |\s*[\r\n]+
    |\s+(?!\S)
    |\s+""",
    re.VERBOSE,
)

TEXTS = [
    "The router chooses a deployment for every call, and cools down one that fails. " * 12,
    "def f(x):\n    return {'a': [x, x ** 2], \"b\": x_1}\n\n\t# done\r\n" * 6,
    "Die Pipeline ruft nacheinander drei Modelle auf und prüft die Zusammenfassung. " * 5,
    "Le modèle répond en français, avec des accents: été, où, garçon, naïve. " * 5,
    "该流水线依次调用三个模型, 然后检查结果。" * 8,
    "Привет, мир! Это проверка токенов 12345 и 6789." * 4,
    "नमस्ते दुनिया, यह एक परीक्षण है। ضبط العربية 🚀🚀 emoji ✓ — “quotes” …" * 4,
    "don't won't I'll we've they're YOU'RE it'S 1,234,567.89 $100 50% ---- ==== ****",
    "a\u0301e\u0301 combining marks and ZWJ 👩‍👩‍👧 family, tabs\t\tand   spaces   \n\n",
    "",
    " ",
    "x" * 300,
]


def _plain_estimate(text: str, model: object = None) -> int:
    """The estimate computed the original way: no cache, letters one at a time."""
    if not text:
        return 0
    family = family_for(model)
    pieces = _PLAIN.findall(text)
    if not any(0xC0 <= ord(c) <= 0x24F for c in text):
        base = 1.0
    else:
        base = family.foreign_word if tokens._foreign_latin(text, pieces) else 1.0
    return max(1, round(sum(tokens._piece_tokens(p, family, base) for p in pieces)))


@pytest.mark.parametrize("model", [None, "openai:gpt-4", "openai:gpt-4o", "anthropic:claude-3"])
@pytest.mark.parametrize("text", TEXTS)
def test_the_fast_path_counts_exactly_what_the_plain_one_does(text: str, model: str | None):
    assert tokens._PIECES.findall(text) == _PLAIN.findall(text)
    assert estimate_tokens(text, model) == _plain_estimate(text, model)
    assert estimate_tokens(text, model) == _plain_estimate(text, model)  # now from the cache


def test_the_ascii_split_is_the_full_split_on_ascii_text():
    rng = random.Random(24)
    texts = [t for t in TEXTS if t.isascii()]
    texts += [
        "".join(chr(rng.randrange(128)) for _ in range(rng.randrange(1, 300))) for _ in range(500)
    ]
    for text in texts:
        assert tokens._ASCII_PIECES.findall(text) == _PLAIN.findall(text), repr(text)


def test_a_family_made_elsewhere_is_priced_directly(monkeypatch: pytest.MonkeyPatch):
    mine = Family("mine", spaced_word_rate=1.0, bare_word_rate=1.0, script_rates={"other": 1})
    text = TEXTS[0]
    pieces = tokens._PIECES.findall(text)
    expected = max(1, round(sum(tokens._piece_tokens(p, mine, 1.0) for p in pieces)))
    default = estimate_tokens(text)
    monkeypatch.setattr(tokens, "family_for", lambda model=None: mine)
    assert estimate_tokens(text) == expected
    assert expected != default  # the custom rates did count
