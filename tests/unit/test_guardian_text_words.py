"""``TextWords`` (issue 20, speed): whether a word is one of a text's words, answered word
by word or from the whole set, is always what :func:`words` says; and the injection
detector's second look gives the same readings whichever way it learns the words."""

from __future__ import annotations

import random

from orchestration_kernel.guardian import injection
from orchestration_kernel.guardian._scan import WORD_LOOKUPS, TextWords, words
from tests.guardian_eval.generator import build_cases

#: Letters, apostrophes (inside, around and alone), separators and non-ASCII letters:
#: what words() splits, strips and keeps.
_ALPHABET = "ab'' .-x\u00e9\n"


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(0, 40))) for _ in range(n)]


def _asked(text: str) -> list[bytes]:
    """Words of the text, pieces and quoted forms of them, and a few never in it."""
    found = sorted(words(text))
    out = {b"a", b"b", b"ab", b"a'b", b"'a", b"a'", b"x", b"zz"}
    for w in found[:6]:
        out |= {w, w[:1], w + b"'", b"'" + w, w + b"a"}
    return sorted(out)


def test_each_answer_is_the_word_sets() -> None:
    for text in _texts(3000, seed=4) + [c.text.lower() for c in build_cases()[:200]]:
        known = words(text)
        lazy, given = TextWords(text), TextWords(text, known)
        for word in _asked(text):
            assert (word in lazy) == (word in known) == (word in given), (text, word)


def test_past_the_lookup_budget_the_set_answers_the_same() -> None:
    text = "don't 'quote' what's " + " ".join(f"w{chr(97 + i % 26)}x" for i in range(200))
    lazy = TextWords(text)
    asked = [f"w{chr(97 + i % 26)}x".encode() for i in range(WORD_LOOKUPS * 2)]
    asked += [b"don't", b"don", b"quote", b"what", b"what's", b"nope"]
    assert [w in lazy for w in asked] == [w in words(text) for w in asked]
    assert lazy.all() == words(text)


def test_second_look_is_the_same_with_the_words_given_or_looked_up() -> None:
    rng = random.Random(9)
    pieces = ["1gn0re", "pr3vious", "ins-truc-tions", "i g n o r e", "rule.", "by.", "you"]
    pieces += ["don't", "'quoted'", "10am", "mp3", "e-mail", "r0le", "sy5tem", "all"]
    texts = [" ".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12))) for _ in range(800)]
    for text in texts:
        low = text.lower()
        assert injection._deobfuscate(low) == injection._deobfuscate(low, words(low)), text
