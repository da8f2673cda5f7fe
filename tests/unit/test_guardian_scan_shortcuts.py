"""The Guardian's scanning shortcuts (issue 20, speed) give the same answer as the plain
scans they replace.

Each shortcut is checked against the straightforward regex scan it stands in for, over
the project's labelled prompts and over random strings drawn from the characters each
scan cares about (property-style: a shortcut that ever skips a place where the plain
scan matches fails here).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from orchestration_kernel.guardian import injection, phones, pii
from orchestration_kernel.guardian._scan import (
    HIT_BUDGET,
    ONE_PASS_CHARS,
    Occurrences,
    OnePass,
    TokenSet,
    fold,
    matches_from,
    skeleton,
)
from tests.guardian_eval.generator import build_cases

LABELLED = [c.text for c in build_cases()]


def _random_texts(alphabet: str, n: int = 3000, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 70))) for _ in range(n)]


def _spans(matches: object) -> list[tuple[int, int]]:
    return [m.span() for m in matches]  # type: ignore[attr-defined]


# -- Occurrences: trigger positions shared by the injection signals ----------------------


@pytest.mark.parametrize("literal", ["what", "aa", "a", "ignore the", "zzz"])
def test_occurrences_are_every_position_of_the_literal(literal: str) -> None:
    text = "what aaa a what's aaaa ignore the ignore the zz"
    expected = [m.start() for m in re.finditer(f"(?={re.escape(literal)})", text)]
    seen = Occurrences(text)
    assert seen.of(literal) == expected
    assert list(seen.every(literal)) == expected
    assert seen.of(literal) is seen.of(literal)  # looked up once


def test_occurrences_keep_a_budget_and_every_goes_on_past_it() -> None:
    text = "ab" * (HIT_BUDGET + 500)
    seen = Occurrences(text)
    assert len(seen.of("ab")) == HIT_BUDGET + 1
    assert list(seen.every("ab")) == list(range(0, len(text), 2))


# -- OnePass: every trigger found in one pass ------------------------------------------------


def test_one_pass_finds_what_find_finds() -> None:
    rng = random.Random(17)
    for _ in range(300):
        literals = [
            "".join(rng.choice("abé-") for _ in range(rng.randrange(1, 4))) for _ in range(8)
        ]
        one_pass = OnePass(literals)
        for text in _random_texts("abé- ", n=20, seed=rng.randrange(10**6)):
            seen, plain = one_pass.occurrences(text), Occurrences(text)
            for literal in [*literals, "zz", "b-"]:  # "zz", "b-": not (all) in the set
                assert seen.of(literal) == plain.of(literal), (literals, text, literal)
                assert list(seen.every(literal)) == list(plain.every(literal))


def test_one_pass_reads_a_lone_surrogate_with_find() -> None:
    text = "ignore \ud800 ai"  # not UTF-8: the automaton cannot read it
    assert OnePass(["ai", "ignore"]).occurrences(text).of("ai") == [text.index("ai")]


def test_one_pass_keeps_the_budget_and_leaves_long_texts_to_find() -> None:
    flood = "ai" * (HIT_BUDGET + 50)
    seen = OnePass(["ai", "ia"]).occurrences(flood)
    assert seen.of("ai") == Occurrences(flood).of("ai")
    assert list(seen.every("ia")) == list(range(1, len(flood) - 1, 2))
    long_text = "x" * ONE_PASS_CHARS + " ai"
    assert OnePass(["ai"]).occurrences(long_text).of("ai") == [ONE_PASS_CHARS + 1]


# -- TriggerIndex: which secret rules have a trigger in a text ----------------------------


def _secret_texts() -> list[str]:
    from orchestration_kernel.guardian.secrets import _RULES

    rng = random.Random(13)
    triggers = [t for r in _RULES for t in r.anchor.triggers]
    texts = []
    for _ in range(1500):
        picks = [rng.choice(triggers) for _ in range(rng.randrange(1, 4))]
        body = "".join(rng.choice("AZaz09_-.") for _ in range(rng.randrange(0, 60)))
        glue = rng.choice(["", "", "x", "_", "9"])  # glued on: a token gate must hold
        texts.append(" ".join(glue + p + body for p in picks))
    return texts + LABELLED


def test_trigger_index_names_exactly_the_rules_with_a_trigger() -> None:
    from orchestration_kernel.guardian._scan import fold, tokens
    from orchestration_kernel.guardian.secrets import _FOLDED_GATES, _ONE_PASS, _RULES, _TRIGGERS

    for text in _secret_texts():
        lower = fold(text)
        present = {False: tokens(text), True: tokens(lower) if _FOLDED_GATES else None}
        expected = []
        for i, r in enumerate(_RULES):
            haystack, there = (lower if r.fold_case else text), present[r.fold_case]
            gates = r.anchor.token_gates
            if any(
                t in haystack and (g is None or there is None or g in there)
                for t, g in zip(r.anchor.triggers, gates, strict=True)
            ):
                expected.append(i)
        got = _TRIGGERS.rules_in(text, lower, present)
        assert got == expected, text
        assert _TRIGGERS.rules_in(text, lower, present, _ONE_PASS.occurrences(text)) == got
        lazy = {False: TokenSet(text), True: TokenSet(lower) if _FOLDED_GATES else None}
        assert _TRIGGERS.rules_in(text, lower, lazy, _ONE_PASS.occurrences(text)) == got
        assert _TRIGGERS.rules_in(text, lower, lazy, Occurrences(text)) == got  # not one pass
        for i, r in enumerate(_RULES):  # a rule left out has no match (as find scans)
            if i not in got:
                haystack = lower if r.fold_case else text
                found = r.anchor.finditer(haystack, text, present[r.fold_case])
                assert next(found, None) is None, (text, r.entity)


# -- matches_from: a pattern tried only where one of its literal starts occurs -----------


#: Where an IBAN match can start, on the skeleton.
_IBAN_STARTS = (b"AA00", b"aa00")


def test_iban_scan_from_its_starts_is_finditer() -> None:
    for text in _random_texts("AaAA00 -0a", n=4000) + LABELLED:
        sk = skeleton(text)
        expected = _spans(pii._IBAN.finditer(sk))
        assert _spans(matches_from(pii._IBAN, sk, _IBAN_STARTS)) == expected, text
        assert _spans(pii._iban_matches(sk)) == expected, text


def test_matches_from_hands_a_flood_to_the_regex_engine() -> None:
    sk = skeleton("GB82 " * (HIT_BUDGET + 10) + "DE89 3704 0044 0532 0130 00")
    got = _spans(matches_from(pii._IBAN, sk, _IBAN_STARTS))
    assert got == _spans(pii._IBAN.finditer(sk)) == _spans(pii._iban_matches(sk))
    assert got  # the real IBAN at the end is still found


# -- PII scans that no longer run over the whole text -------------------------------------

_HEXISH = "0123456789abcdefABCDEFg:.x_ é/"


def test_ipv6_scan_from_hints_is_finditer() -> None:
    for text in _random_texts(_HEXISH, n=4000) + LABELLED:
        expected = _spans(pii._IPV6.finditer(text)) if pii._IPV6_HINT.search(text) else []
        assert _spans(pii._ipv6_matches(text)) == expected, text


def test_bare_ssn_scan_from_its_words_is_finditer() -> None:
    # "ſ", "ı", "İ" and the Kelvin sign are letters a case-insensitive pattern reads as
    # ASCII ones: the shortcut must find them too.
    texts = _random_texts("sSſnNoOcCiIıİaAlLeEuUrRtTyYK\u212a :#-0123456789é", n=6000)
    texts += [
        f"{w} {d}"
        for w in ("SSN", "ſſn", "Social Securıty no.", "xssn")
        for d in ("123456789", "078-05-1120")
    ]
    for text in texts + LABELLED:
        got = _spans(pii._ssn_bare_matches(text, text.lower()))
        assert got == _spans(pii._SSN_BARE.finditer(text)), text


def test_phone_candidates_match_the_optional_prefix_pattern() -> None:
    plain = re.compile(rb"[+(]?0(?:[ .\-/]{0,2}\(?0\)?){6,15}")
    texts = _random_texts("0123456789 +().-/a", n=4000) + LABELLED
    texts += _random_texts("0123456789 +(", n=3000, seed=12)  # "+(" and "(+" runs
    for text in texts:
        sk = skeleton(text)
        assert list(phones._candidates(sk)) == _spans(plain.finditer(sk)), text


# -- the injection detector's second (de-obfuscated) look ---------------------------------

_LEETISH = "abcdeilost01345789@$2-_.* '!\nAIé’"


def test_leet_runs_are_the_leet_word_matches() -> None:
    for text in _random_texts(_LEETISH, n=4000) + LABELLED:
        low = text.lower()
        assert injection._leet_runs(low) == _spans(injection._LEET_WORD.finditer(low)), text


def _rewrite(
    chars: list[tuple[str, bool]],
    pattern: re.Pattern[str],
    repl: Callable[[str], str],
    only: set[tuple[int, int]] | None = None,
) -> tuple[list[tuple[str, bool]], int]:
    """``pattern.sub(repl)`` on a text kept as (character, changed) pairs: what a match
    becomes is marked changed, and where a match is removed the characters on both
    sides of it are. Also the number of matches. ``only``: the spans of the matches to
    rewrite (``None``: all)."""
    text = "".join(c for c, _ in chars)
    out: list[tuple[str, bool]] = []
    last = count = 0
    for m in pattern.finditer(text):
        if only is not None and m.span() not in only:
            continue
        count += 1
        out += chars[last : m.start()]
        made = repl(m.group())
        if made:
            out += [(c, True) for c in made]
        else:
            if out:
                out[-1] = (out[-1][0], True)
            if m.end() < len(chars):
                chars = [*chars[: m.end()], (chars[m.end()][0], True), *chars[m.end() + 1 :]]
        last = m.end()
    out += chars[last:]
    return out, count


def _changed_words(chars: list[tuple[str, bool]]) -> set[bytes]:
    """The words (as :func:`words` reads them) that hold a changed character."""
    mapped = injection.word_bytes("".join(c for c, _ in chars)).decode()
    pieces = re.finditer(r"\S+", mapped)
    return injection.words(
        " ".join(m.group() for m in pieces if any(ch for _, ch in chars[m.start() : m.end()]))
    )


#: A whole run of letters and leet characters, 2 to 24 long, with a letter and a leet
#: character (the runs rewritten once a text is read as leetspeak).
_ANY_LEET_RUN = re.compile(
    r"(?<![a-z0-9@$])(?=[a-z0-9@$]{2,24}(?![a-z0-9@$]))(?=[0-9@$]*[a-z])[a-z]*[0-9@$][a-z0-9@$]*"
)


def _plain_deobfuscate(low: str) -> list[tuple[str, frozenset[bytes] | None]]:
    """The second look without its shortcuts: every rewrite applied with ``sub`` on the
    text marked character by character, and a reading kept for the words at the places
    it changed (every word of it once spacing is undone or past the changes tracked)."""
    words, trigger_words = injection.words, injection._TRIGGER_WORDS
    chars = [(c, False) for c in low]
    chars, spaced = _rewrite(chars, injection._SPACED, lambda g: g.replace(" ", ""))
    chars, cuts = _rewrite(chars, injection._SPLIT_WORD, lambda g: "")
    text = "".join(c for c, _ in chars)
    joined = injection._CHOPPED.sub(lambda m: re.sub(r"[.!]\s+", " ", m.group()), text)
    if joined != text:
        chars = [(c, True) for c in joined]
    chopped = joined != text
    readings = {joined: chars}
    runs = list(injection._LEET_WORD.finditer(joined))
    # the gate: a long run that reads as a trigger word of three letters or more
    brings = any(
        len(w) >= 3 and w in trigger_words
        for m in runs
        for t in (injection._LEET, injection._LEET_L)
        for w in words(m.group().translate(t))
    )
    if brings:
        # once a text is read as leetspeak, every run with a letter and a leet character
        # that reads as a trigger word, near a long one that does, is rewritten too ("m3",
        # "y0u": .injection_leet)
        near = [
            (m.start() - 24, m.end() + 24)
            for m in runs
            if any(
                not words(m.group().translate(t)).isdisjoint(trigger_words)
                for t in (injection._LEET, injection._LEET_L)
            )
        ][:16]
        runs = [
            m
            for m in _ANY_LEET_RUN.finditer(joined)
            if injection._LEET_WORD.fullmatch(m.group())
            or (
                any(lo <= m.start() and m.end() <= hi for lo, hi in near)
                and any(
                    not words(m.group().translate(t)).isdisjoint(trigger_words)
                    for t in (injection._LEET, injection._LEET_L)
                )
            )
        ]
        kept_runs = {m.span() for m in runs}
        # both readings of "1" when a long run holds one (the short runs read alike)
        ones = any("1" in m.group() for m in injection._LEET_WORD.finditer(joined))
        tables = (injection._LEET, injection._LEET_L) if ones else (injection._LEET,)
        readings = {}
        for t in tables:
            leet, _ = _rewrite(chars, _ANY_LEET_RUN, lambda g, t=t: g.translate(t), kept_runs)
            readings["".join(c for c, _ in leet)] = leet
    else:
        runs = []
    readings.pop(low, None)
    if not readings or chopped:
        return [(r, None) for r in sorted(readings)]
    whole = spaced or cuts + len(runs) > injection._FEW_CHANGES
    kept = []
    for r in sorted(readings):
        found = words(r) if whole else _changed_words(readings[r])
        if not found.isdisjoint(trigger_words):
            kept.append((r, injection._stems(found)))
    return kept


_OBFUSCATED = [
    "ignore",
    "all",
    "previous",
    "instructions",
    "reveal",
    "your",
    "system",
    "prompt",
    "1gn0re",
    "pr3vious",
    "i",
    "g",
    "n",
    "o",
    "r",
    "e",
    "role-play",
    "d-a-n",
    "sy5tem",
    "r0le",
    "wh@t",
    "don't",
    "'quoted'",
    "x.y.z",
    "rule.",
    "by.",
    "rule.",
    "10am",
    "mp3",
]


def _obfuscated_texts(n: int = 3000, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(_OBFUSCATED) for _ in range(rng.randrange(1, 14))) for _ in range(n)
    ]


def _long_obfuscated_texts() -> list[str]:
    """Texts with more rewrites than the second look tracks place by place."""
    parts = _obfuscated_texts(n=3000, seed=8)
    return [" ".join(parts[i : i + 150]) for i in range(0, len(parts), 150)]


@pytest.mark.parametrize("source", ["obfuscated", "long", "random", "labelled"])
def test_second_look_is_the_plain_one(source: str) -> None:
    texts = {
        "obfuscated": _obfuscated_texts,
        "long": _long_obfuscated_texts,
        "random": lambda: _random_texts(_LEETISH, n=2000, seed=3),
        "labelled": lambda: LABELLED,
    }[source]()
    differ = [
        t for t in texts if injection._deobfuscate(t.lower()) != _plain_deobfuscate(t.lower())
    ]
    assert differ == []
    if source == "obfuscated":  # the texts do reach every rewrite and keep readings
        assert sum(bool(injection._deobfuscate(t.lower())) for t in texts) > len(texts) // 4


def test_hidden_spans_from_one_pass_are_the_three_scans() -> None:
    alphabet = "a é\U000e0041\U000e0042\u202e\u2066\u200b\u200d\ufeff\u180e\U0001f600"
    texts = _random_texts(alphabet, n=3000, seed=21)
    texts.append("\u200b" * (HIT_BUDGET + 5) + "\U000e0041\U000e0042 \u202e")  # past the budget
    for text in texts:
        spans = injection._hidden_spans(text)
        assert spans["tag"] == _spans(injection._TAGS.finditer(text)), text
        assert spans["bidi"] == _spans(injection._BIDI.finditer(text)), text
        assert spans["zero"] == _spans(injection._ZERO_WIDTH.finditer(text)), text


def test_hidden_characters_are_still_found_past_the_one_pass_gate() -> None:
    detector = injection.InjectionDetector()
    for hidden, entity in [
        ("\U000e0041\U000e0042", "HIDDEN_TEXT"),
        ("\u202e", "BIDI_CONTROL"),
        ("\u200b", "ZERO_WIDTH"),
    ]:
        _, findings = detector.find(f"café {hidden} menu")
        assert entity in {f.entity for f in findings}
    assert detector.find("café crème, “quoted”")[1] == []


def test_remembered_phone_answers_are_the_fresh_ones() -> None:
    """``_valid_digits`` remembers its answers and reads the regions' metadata once per
    region list: the answers are those of a fresh call, per region list."""
    import phonenumbers

    regions = phones.DEFAULT_PHONE_REGIONS
    for region, code, trunk, lengths in phones._region_table((*regions, "ZZ")):
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        assert meta is not None and meta.general_desc is not None
        assert (code, trunk) == (meta.country_code, meta.national_prefix)
        assert lengths == tuple(meta.general_desc.possible_length)
    rng = random.Random(5)
    numbers = ["0" + "".join(rng.choice("0123456789") for _ in range(rng.randrange(7, 15)))]
    numbers += ["".join(rng.choice("0123456789") for _ in range(10)) for _ in range(1500)]
    numbers += ["0490754081", "07880981119", "13812345678", "0612345678", "2025550143"]
    phones._valid_digits.cache_clear()
    for subset in (regions, ("FR",), ("JP", "ZZ"), ()):
        for _ in range(2):  # the second round is answered from the cache
            for digits in numbers:
                assert phones._valid_digits(digits, subset) == phones._valid_digits.__wrapped__(
                    digits, subset
                ), (digits, subset)
    assert phones._valid("0490 75 40 81", ("FR",)) and not phones._valid("0490 75 40 81", ("JP",))


def test_fold_is_str_lower_or_ascii_lowering_when_a_character_would_grow() -> None:
    """``fold`` keeps every position: ``str.lower`` unless a character would grow."""
    texts = [*LABELLED[:200], "İSTANBUL ſecret KELVIN \u212a", "Ignore ALL", "Ignore ALL"]
    rng = random.Random(9)
    for _ in range(2000):
        text = rng.choice(texts)
        if rng.random() < 0.3:
            text = "".join(list(text))  # an equal text, another object
        assert fold(text) == (
            text.lower() if len(text.lower()) == len(text) else text.translate(_ASCII_UPPER)
        )


_ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
