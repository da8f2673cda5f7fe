"""The injection readings' shortcuts answer as the plain searches they replace.

- the split-word cuts found in a byte mapping are the places ``_SPLIT_WORD`` matches;
- the spacing pattern that opens with its first letter matches where the form that opens
  with the look-behind does;
- the leetspeak hint read from the mapping answers as ``_LEET_HINT``;
- what a reading's second look is handed as its words (the text's words and those
  around its changes) holds every word of the reading.
"""

from __future__ import annotations

import random
import re

from orchestration_kernel.guardian import injection
from orchestration_kernel.guardian._scan import TextWords, words

_ALPHABET = "abcxyz019@$-_.* \n'éİ\u200bAZ"


def _random_strings(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(0, 14))) for _ in range(count)
    ]


def test_spaced_letters_match_as_the_look_behind_form() -> None:
    # The form the regex engine tries at every position (look-behind first).
    reference = re.compile(r"(?<![\w])(?:[a-z] ){3,}[a-z](?![\w])")
    rng = random.Random(3)
    texts = [
        "".join(rng.choice("ab _1é\nx.") for _ in range(rng.randrange(0, 20)))
        for _ in range(30_000)
    ]
    texts += ["a b c d", "xa b c d", "_a b c d", "éa b c d", "a b c d1", "i g n o r e all", "a b c"]
    for text in texts:
        assert [m.span() for m in injection._SPACED.finditer(text)] == [
            m.span() for m in reference.finditer(text)
        ], text


def test_split_cuts_are_the_split_word_matches() -> None:
    texts = _random_strings(1, 20_000)
    # Past the cap both give up the same way: a long run of cuts.
    texts += ["a-b" * 100, "a.b_c*d-e " * 20, "x-" * 70 + "x"]
    for text in texts:
        assert injection._split_cuts(text) == injection._few_matches(injection._SPLIT_WORD, text), (
            repr(text)
        )
    assert injection._split_cuts("a-" * 70 + "a") is None
    assert injection._split_cuts("ign-ore pre.vious") == [3, 11]


def test_leet_hint_from_the_mapping_is_the_regex_hint() -> None:
    for text in [*_random_strings(2, 20_000), "1gn0re", "2024 and 10:30", "user@host", "$5"]:
        expected = injection._LEET_HINT.search(text) is not None
        assert injection._leet_hint(injection._leet_classes(text)) == expected, repr(text)


def _obfuscated(rng: random.Random) -> str:
    words_ = [
        "ignore", "previous", "instructions", "system", "prompt", "reveal", "git@github",
        "sha256", "user@localhost", "4a1b", "don't", "'quoted'", "rules", "file.txt",
    ]  # fmt: skip
    out = []
    for _ in range(rng.randrange(3, 40)):
        word = rng.choice(words_)
        how = rng.random()
        if how < 0.3:
            word = word.translate(str.maketrans("aeiost", "431057"))
        elif how < 0.5 and len(word) > 2:
            cut = rng.randrange(1, len(word))
            word = word[:cut] + rng.choice("-_.*") + word[cut:]
        out.append(word)
    return " ".join(out)


def test_words_around_a_reading_hold_every_word_of_it() -> None:
    rng = random.Random(3)
    checked = 0
    for _ in range(1500):
        low = _obfuscated(rng).lower()
        read: dict[str, object] = {}
        known = TextWords(low, words(low))
        for reading, _new in injection._deobfuscate(low, known.all(), read=read):  # type: ignore[arg-type]
            given = read.get(reading)
            if not isinstance(given, injection._WordsAround):
                continue
            checked += 1
            every = words(reading)
            assert all(w in given for w in every), (low, reading)
            assert not given.isdisjoint(every) or not every
    assert checked > 100  # the shortcut was taken often enough to be tested
