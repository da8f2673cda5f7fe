"""Offline token estimates, for limits, context fit and ``auto`` before a call is made.

tiktoken downloads its encodings on first use, which fails without a network, so this
module estimates instead. It splits text the way OpenAI's tokenizers pre-split it
(words with their leading space, digit groups of up to three, punctuation runs,
whitespace runs) and prices each piece: short common words are one token, longer
words a little more, and letters of other scripts by measured per-script rates.
``bench/tokens_eval.py`` measures it against the real cl100k/o200k tokenizers; the
figures are in ``docs/token_estimation.md``. Usage reported by a provider always
replaces an estimate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Family", "estimate_request_tokens", "estimate_tokens", "family_for"]

#: The pre-split OpenAI tokenizers use (cl100k's pattern, in ``re`` syntax). Letters are
#: matched in runs (``[...]+``), not one alternation per character: the same pieces,
#: in about half the time.
_PIECES = re.compile(
    r"""'(?:[sdmtSDMT]|ll|ve|re|LL|VE|RE)
    |(?:[^\r\n\w]|_)?(?:[^\W\d_]+|[\u0300-\u036f\u0900-\u0dff\u0e00-\u0e7f]+)+
    |\d{1,3}
    |\ ?(?:[^\s\w]|_)+[\r\n]*
    |\s*[\r\n]+
    |\s+(?!\S)
    |\s+""",
    re.VERBOSE,
)

#: The same split for ASCII-only text (most prompts), in plain ASCII classes: ``\w`` is
#: ``[A-Za-z0-9_]`` there and no combining marks occur, so the pieces are identical and
#: the match takes a third of the time. ``\s`` keeps its meaning (it covers \x1c-\x1f).
#: The possessive quantifiers change no match (what they keep, backtracking could not use)
#: and save the engine a tenth of its time.
_ASCII_PIECES = re.compile(
    r"""'(?:[sdmtSDMT]|ll|ve|re|LL|VE|RE)
    |[^\r\nA-Za-z0-9]?+[A-Za-z]++
    |[0-9]{1,3}
    |\ ?[^\sA-Za-z0-9]++[\r\n]*+
    |\s*[\r\n]+
    |\s+(?!\S)
    |\s+""",
    re.VERBOSE,
)

#: Unicode ranges -> script name, for per-script token rates.
_SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x00C0, 0x024F, "latin"),
    (0x0370, 0x03FF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0900, 0x0DFF, "indic"),
    (0x0E00, 0x0E7F, "thai"),
    (0x1100, 0x11FF, "hangul"),
    (0x2000, 0x2BFF, "symbol"),
    (0x3040, 0x30FF, "cjk"),
    (0x3400, 0x4DBF, "cjk"),
    (0x4E00, 0x9FFF, "cjk"),
    (0xAC00, 0xD7AF, "hangul"),
    (0xF900, 0xFAFF, "cjk"),
    (0xFF00, 0xFFEF, "cjk"),
    (0x1F000, 0x1FAFF, "emoji"),
)


@dataclass(frozen=True)
class Family:
    """Token rates of one tokenizer family. ``script_rates`` are tokens per character."""

    name: str
    #: Extra tokens per letter beyond ``word_free`` letters, for words after a space.
    spaced_word_rate: float
    #: The same for words not after a space (code identifiers, line starts).
    bare_word_rate: float
    word_free_spaced: int = 8
    word_free_bare: int = 5
    #: Extra tokens per punctuation character beyond three in a run.
    punct_rate: float = 0.18
    #: Tokens of an ordinary word in Latin-script text that is not English (more splits).
    foreign_word: float = 1.0
    script_rates: dict[str, float] = field(default_factory=dict)


_CL100K = Family(
    "cl100k",
    spaced_word_rate=0.13,
    bare_word_rate=0.2,
    foreign_word=1.55,
    script_rates={
        "latin": 0.5, "greek": 0.6, "cyrillic": 0.45, "hebrew": 0.75, "arabic": 0.75,
        "indic": 1.2, "thai": 1.0, "hangul": 1.0, "cjk": 1.0, "symbol": 1.0, "emoji": 2.0,
        "other": 1.0,
    },
)  # fmt: skip
_O200K = Family(
    "o200k",
    spaced_word_rate=0.12,
    bare_word_rate=0.18,
    foreign_word=1.25,
    script_rates={
        "latin": 0.3, "greek": 0.3, "cyrillic": 0.22, "hebrew": 0.3, "arabic": 0.28,
        "indic": 0.33, "thai": 0.4, "hangul": 0.55, "cjk": 0.72, "symbol": 0.8, "emoji": 1.5,
        "other": 0.6,
    },
)  # fmt: skip

#: Legacy OpenAI models on cl100k; every other OpenAI model is on o200k.
_CL100K_MODELS = re.compile(r"^(gpt-4(-\d|-turbo|-32k)?$|gpt-4-\d|gpt-3\.5|text-embedding)")
_O200K_MODELS = re.compile(r"^(gpt-|o\d|chatgpt-)")


def family_for(model: object = None) -> Family:
    """The rates for ``model`` (``provider:model``, a bare id, a ModelRef or None).

    Current OpenAI models and ``None`` use o200k. Legacy OpenAI models use cl100k, and
    so do Anthropic, Gemini, Perplexity and unknown models: their tokenizers are not
    available offline, and cl100k's higher counts are the cautious guess.
    """
    if model is None:
        return _O200K
    provider, sep, name = str(model).partition(":")
    if not sep:
        provider, name = "", provider
    name = name.lower()
    if provider in ("", "openai"):
        if _CL100K_MODELS.match(name):
            return _CL100K
        if _O200K_MODELS.match(name):
            return _O200K
    return _O200K if provider == "sim" else _CL100K


@lru_cache(maxsize=4096)
def _script(char: str) -> str:
    code = ord(char)
    for low, high, name in _SCRIPTS:
        if low <= code <= high:
            return name
    return "other"


def _word_tokens(piece: str, family: Family, base: float = 1.0) -> float:
    """A run of letters, with its optional leading space or symbol."""
    spaced = piece[0] == " "
    letters = piece[1:] if not piece[0].isalpha() else piece
    extra = 0.0
    foreign = [c for c in letters if ord(c) > 127]
    if foreign:
        rates = [family.script_rates[_script(c)] for c in foreign]
        if any(_script(c) != "latin" for c in foreign):
            # A non-Latin word: priced by its characters, ASCII letters at ~4 per token.
            ascii_letters = len(letters) - len(foreign)
            return max(1.0, sum(rates) + ascii_letters / 4 + (0 if spaced else 0.3))
        extra = sum(rates)  # accented Latin: a word, plus its accents
    free = family.word_free_spaced if spaced else family.word_free_bare
    rate = family.spaced_word_rate if spaced else family.bare_word_rate
    prefix = 0 if spaced or piece[0].isalpha() else 1
    return base + prefix * 0.5 + max(0, len(letters) - free) * rate + extra


def _piece_tokens(piece: str, family: Family, word_base: float) -> float:
    head = piece.lstrip(" ")[:1]
    if not head or head in "\r\n\t" or piece.isspace():
        return 1.0
    if head.isdigit() and head.isascii():
        return 1.0
    if any(c.isalpha() for c in piece) and not piece.startswith("'"):
        return _word_tokens(piece, family, word_base)
    foreign = [c for c in piece if ord(c) > 127]
    if foreign:
        return max(1.0, sum(family.script_rates[_script(c)] for c in foreign))
    return 1.0 + max(0, len(piece.strip()) - 3) * family.punct_rate


#: The families defined here by name: only their pieces' prices are remembered.
_FAMILIES: dict[str, Family] = {f.name: f for f in (_CL100K, _O200K)}


#: Distinct pieces remembered per (family, word base) before a price table starts afresh.
_PRICE_LIMIT = 65_536


class _Prices(dict[str, float]):
    """Each distinct piece's price for one (family, word base), made on first sight.

    Words repeat (Zipf): pricing each distinct piece once takes a 1 KB prompt from
    ~700 µs to a few tens, on the path of every call. A plain dict looked up from C
    (``map(prices.__getitem__, pieces)``) costs a third of a memoised function of three
    arguments. Same values, same order: the sum is bit-for-bit what pricing each piece
    afresh gives.
    """

    __slots__ = ("base", "family")

    def __init__(self, family: Family, base: float) -> None:
        super().__init__()
        self.family = family
        self.base = base

    def __missing__(self, piece: str) -> float:
        if len(self) >= _PRICE_LIMIT:  # bounded: an endless stream of new words starts afresh
            self.clear()
        price = self[piece] = _piece_tokens(piece, self.family, self.base)
        return price


#: Price tables by (family name, word base), for the families defined here.
_PRICES: dict[tuple[str, float], _Prices] = {}


def _prices(family: Family, base: float) -> _Prices:
    table = _PRICES.get((family.name, base))
    if table is None:
        table = _PRICES[(family.name, base)] = _Prices(family, base)
    return table


def estimate_tokens(text: str, model: object = None) -> int:
    """Estimated tokens of ``text`` for ``model`` (``None``: current OpenAI tokenizer).

    Works offline and never fails; 0 for empty text, at least 1 otherwise.
    """
    if not text:
        return 0
    family = family_for(model)
    pieces = (_ASCII_PIECES if text.isascii() else _PIECES).findall(text)
    base = family.foreign_word if _foreign_latin(text, pieces) else 1.0
    if _FAMILIES.get(family.name) is family:
        total = sum(map(_prices(family, base).__getitem__, pieces))
    else:  # a family made elsewhere: price it directly
        total = sum(_piece_tokens(piece, family, base) for piece in pieces)
    return max(1, round(total))


#: Frequent English words: their absence from accented Latin text marks another language.
_ENGLISH = frozenset(
    {
        "the", "and", "of", "to", "is", "in", "a", "that", "for", "it", "with", "as", "on",
        "be", "this", "are", "or", "by", "not", "an", "from", "at", "which", "you", "can",
        "if", "will",
    }
)  # fmt: skip


def _foreign_latin(text: str, pieces: list[str]) -> bool:
    """Latin-script prose in a language other than English (its words split more)."""
    if text.isascii() or not any(0xC0 <= ord(c) <= 0x24F for c in text):
        return False
    words = [p.strip().lower() for p in pieces if p[:1] == " " and p[1:].isalpha()]
    if len(words) < 8:
        return False
    return sum(w in _ENGLISH for w in words) / len(words) < 0.08


#: Tokens a chat API adds per message (role markers) and per request (reply priming).
PER_MESSAGE_TOKENS = 4
PER_REQUEST_TOKENS = 3


def estimate_request_tokens(
    messages: Iterable[str], system: str | None = None, model: object = None
) -> int:
    """Estimated input tokens of a chat request: its texts plus role framing."""
    texts = [system, *messages] if system else list(messages)
    return PER_REQUEST_TOKENS + sum(
        estimate_tokens(text, model) + PER_MESSAGE_TOKENS for text in texts
    )
