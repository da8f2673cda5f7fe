"""Session 13's PII speed paths (issue 20) answer as the plain code they replace.

- The bracketed spelt "at" (``jane [at] example [dot] org``) is tried only at an opening
  bracket before a closed "at", or the blank before it: the same matches as the pattern's
  own scan of every position, floods past the hit budget included.
- The national phone rules read only the candidate and the 40 characters before it, and
  their verdict is remembered per such window: the scan finds what the straightforward
  code (kept here as the reference) finds, with the memo cold or warm.
- A long text whose digits are sparse is first read by the units' Hyperscan pass: the
  detector finds what it finds with every part run.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import pytest

from orchestration_kernel.guardian import phones, pii, scan_gate
from orchestration_kernel.guardian._scan import CASELESS_ASCII, HIT_BUDGET, skeleton
from orchestration_kernel.guardian.redaction import Finding
from tests.guardian_eval.generator import build_cases

LABELLED = [c.text for c in build_cases()]


def _spans(matches: Iterator[re.Match[str]]) -> list[tuple[int, int, str | None]]:
    return [(m.start(), m.end(), m.group("domain")) for m in matches]


def _bracket_texts(n: int = 3000) -> list[str]:
    rng = random.Random(31)
    pieces = ["[at]", "(at)", "<at>", "{at}", "[at)", " at ", "at]", "at", "[", "(", " "]
    pieces += ["\u2003", "\x1c", "\n", "\t", "jane", "gmail", ".com", " dot ", "[dot]", "-"]
    pieces += ["format)", "data]", "x.y", "İ", "ſ", "é", "a1"]
    out = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30))) for _ in range(n)]
    out += [t for t in LABELLED if "at" in t]
    return out


def test_bracketed_at_is_found_where_the_pattern_scan_finds_it() -> None:
    found = 0
    for text in _bracket_texts():
        low = text.lower()
        expected = _spans(pii._BRACKET_AT.finditer(low))
        found += bool(expected)
        assert _spans(pii._bracketed(low, 0)) == expected, text
        mark = pii._SPELT_AT_MARK.search(low)
        if mark is not None:  # what the detector passes: no closed "at" before the mark
            assert _spans(pii._bracketed(low, mark.start())) == expected, text
    assert found > 300  # the matches were put to the test, not only their absence


def test_a_flood_of_bracketed_at_is_left_to_the_pattern_scan() -> None:
    low = "jane [at] example.org " * (HIT_BUDGET // 2 + 10) + "bob (at) mail.com"
    expected = _spans(pii._BRACKET_AT.finditer(low))
    assert len(expected) > HIT_BUDGET // 2
    assert _spans(pii._bracketed(low, 0)) == expected


# -- national phones ----------------------------------------------------------------------


def _reference_not_a_phone(text: str, start: int, candidate: str) -> bool:
    """The shape rules as first written: every pattern searched, no gate."""
    if phones._SSN_SHAPE.fullmatch(candidate) or phones._DOTTED_QUAD.fullmatch(candidate):
        return True
    if phones._DATE.search(candidate):
        return True
    before = text[max(0, start - 40) : start]
    return bool(phones._IBAN_HEAD.search(before) or phones._EXTENSION.search(before))


def _reference_phones(text: str, regions: tuple[str, ...]) -> list[Finding]:
    sk = skeleton(text)
    out, checked = [], 0
    for start, end in phones._candidates(sk):
        if (start and sk[start - 1] in b"Aa0_.-/:") or sk[end : end + 1] in (b"0", b"A", b"a"):
            continue
        if not 8 <= sk.count(b"0", start, end) <= 15:
            continue
        candidate = text[start:end].rstrip(" .-/")
        if _reference_not_a_phone(text, start, candidate):
            continue
        groups = len(re.findall(r"\d+", candidate))
        shaped = candidate[0] == "+" or bool(phones._AREA_CODE.search(candidate))
        shaped = shaped or (candidate[0] == "0" and groups >= 3)
        abroad = candidate.startswith("00")
        said = phones._PHONE_WORDS.search(text, max(0, start - 40), start) is not None
        if not shaped and not ((groups >= 2 or len(candidate) <= 12 or abroad) and said):
            continue
        checked += 1
        if (
            checked > phones.MAX_VALIDATED
            or phones._valid(candidate, regions)
            or (abroad and phones._valid_international(candidate))
        ):
            out.append(Finding("PHONE_NUMBER", start, start + len(candidate), 0.7))
    return out


def _phone_texts(n: int = 2500) -> list[str]:
    rng = random.Random(37)
    shapes = ["0490 75 40 81", "078 8098 1119", "13812345678", "(020) 7946 0958"]
    shapes += ["00420 702 914 177"]
    shapes += ["447-00-6662", "172.204.119.112", "2024-03-15", "15/03/2024", "06 12 34 56 78"]
    shapes += ["+44 20 7946 0958", "030 1234567", "555-0100x1234", "1432 6557 9829 85"]
    lead = ["call me on ", "Phone: ", "TEL ", "my No. ", "IBAN DE44 5001 ", "ext. ", "x"]
    lead += ["mobİle ", "ſmſ ", "wor\u212a # ", "version ", "", " ", "ab", "-", "\n"]
    out = []
    for _ in range(n):
        parts = [rng.choice(lead) + rng.choice(shapes) for _ in range(rng.randrange(1, 5))]
        out.append(rng.choice([" ", ", ", "\n", "; "]).join(parts))
    out += LABELLED
    return out


def _spans_of(text: str, regions: tuple[str, ...]) -> list[tuple[int, int]]:
    return [(f.start, f.end) for f in phones.national_phones(text, skeleton(text), regions)]


def test_national_phones_are_what_the_plain_rules_find_with_the_memo_cold_or_warm() -> None:
    regions = phones.DEFAULT_PHONE_REGIONS
    texts = _phone_texts()
    expected = [[(f.start, f.end) for f in _reference_phones(t, regions)] for t in texts]
    assert sum(map(bool, expected)) > 1000
    phones._shaped_length.cache_clear()
    cold = [_spans_of(t, regions) for t in texts]
    warm = [_spans_of(t, regions) for t in texts]
    assert cold == expected
    assert warm == expected
    assert phones._shaped_length.cache_info().hits > 0


def test_the_phone_memo_keys_on_the_words_before_the_number() -> None:
    # The same digits with and without a phone word before them: the window differs,
    # so the remembered verdict of one is never the other's.
    phones._shaped_length.cache_clear()
    number = "5551234567"
    said, bare = f"call {number}", f"item {number}"
    regions = phones.DEFAULT_PHONE_REGIONS
    first = [f.entity for f in phones.national_phones(said, skeleton(said), regions)]
    assert [f.entity for f in phones.national_phones(bare, skeleton(bare), regions)] == []
    assert [f.entity for f in phones.national_phones(said, skeleton(said), regions)] == first
    assert first == ["PHONE_NUMBER"]


def test_phone_word_window_is_the_case_blind_search_of_the_text() -> None:
    text = "reach me: MOBİLE 0490 75 40 81 or ſmſ 078 8098 1119"
    for start in range(len(text) + 1):
        window = text[max(0, start - 40) : start]
        expected = bool(phones._PHONE_WORDS.search(text, max(0, start - 40), start))
        assert phones._phone_word_before(window) == expected
        assert bool(phones._PHONE_WORDS_FOLDED.search(window.translate(CASELESS_ASCII))) == expected


# -- the unit gate on long texts ------------------------------------------------------------


def _long_sparse_texts(n: int = 60) -> list[str]:
    from pydoc_data.topics import topics

    prose = "\n\n".join(topics[name] for name in sorted(topics))
    rng = random.Random(41)
    shapes = ["jane.doe@example.com", "4111 1111 1111 1111", "+44 20 7946 0958"]
    shapes += ["DE89 3704 0044 0532 0130 00", "123-45-6789", "10.0.0.1", "fe80::1:2:3"]
    shapes += ["AB123456C", "jane [at] example [dot] org", "bob at gmail.com", "passport 12345678"]
    out = []
    for _ in range(n):
        start = rng.randrange(len(prose) - 20000)
        text = prose[start : start + rng.choice([2100, 4096, 9000, 16384])]
        for _ in range(rng.randrange(0, 4)):
            at = rng.randrange(len(text))
            text = text[:at] + " " + rng.choice(shapes) + " " + text[at:]
        out.append(text)
    return out


def test_a_long_text_with_sparse_digits_is_gated_and_finds_what_every_part_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORCHESTRATION_GUARDIAN_PREFILTER", "wait")
    gate = scan_gate.gate(pii._UNITS)
    if not gate.wait():
        pytest.skip("no Hyperscan database here")
    detector = pii.PIIDetector()
    texts = _long_sparse_texts()
    key = lambda fs: [(f.entity, f.start, f.end, f.score) for f in fs]  # noqa: E731
    gated = 0
    asked: list[str] = []
    matching = type(gate).matching

    def counted(self: object, text: str) -> set[int] | None:
        asked.append(text)
        return matching(self, text)  # type: ignore[arg-type]

    monkeypatch.setattr(type(gate), "matching", counted)
    with_gate = [key(detector.find(t)) for t in texts]
    gated = sum(1 for t in texts if len(t) > pii.GATED_CHARS and t in asked)
    monkeypatch.setattr(type(gate), "matching", lambda self, text: None)
    assert [key(detector.find(t)) for t in texts] == with_gate
    assert gated > 40 and sum(map(bool, with_gate)) > 20


# -- IPv6 and Maestro shortcuts ---------------------------------------------------------------


def test_an_ipv6_value_turned_away_by_its_colons_is_one_no_form_accepts() -> None:
    rng = random.Random(43)
    alphabet = "0123456789abcdefABCDEF:::..."
    values = ["10:15:00", "2024-03-02T10:15:00Z", "a:b:c:d:e:f", "1:2:3:4:5:6:1.2.3.4"]
    values += [
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(3, 40))) for _ in range(6000)
    ]
    values += [m.group() for t in LABELLED for m in pii._ipv6_matches(t)]
    turned_away = 0
    for value in values:
        if "::" not in value and value.count(":") < 6:
            turned_away += 1
            assert pii._IPV6_VALID.fullmatch(value) is None, value
    assert turned_away > 2000


def test_the_maestro_prefix_read_from_the_first_group_is_the_digits_prefix() -> None:
    # Every four-digit head, with every tail: the first group holds the longest prefix.
    for head in range(10_000):
        text = f"{head:04d} 1234 5678"
        digits = text.replace(" ", "")
        assert bool(pii._MAESTRO_IIN.match(text, 0, 4)) == bool(pii._MAESTRO_IIN.match(digits))


def test_maestro_numbers_are_what_the_plain_rule_finds() -> None:
    rng = random.Random(47)
    heads = ["5018", "5020", "5038", "5612", "5893", "6304", "6759", "6761", "0604", "6011", "4111"]
    lead = ["debit card ", "Maestro: ", "card no ", "", "ref ", "x", "-"]
    texts = []
    for _ in range(3000):
        body = rng.choice(heads) + "".join(rng.choice("0123456789") for _ in range(8))
        sep = rng.choice(["", " ", "-"])
        grouped = sep.join([body[:4], body[4:8], body[8:]])
        texts.append(rng.choice(lead) + grouped + rng.choice(["", " ", "0", " 1234", "x"]))

    def plain(text: str) -> list[tuple[int, int]]:
        sk, out = skeleton(text), []
        for m in pii._MAESTRO_12.finditer(sk):
            if m.start() and sk[m.start() - 1] in b"Aa0_-":
                continue
            digits = text[m.start() : m.end()].replace(" ", "").replace("-", "")
            if not (pii._MAESTRO_IIN.match(digits) and pii.luhn_valid(digits)):
                continue
            window = text[max(0, m.start() - 60) : m.start()].lower()
            if any(word in window for word in ("card", "debit", "maestro")):
                out.append((m.start(), m.end()))
        return out

    found = 0
    for text in texts:
        expected = plain(text)
        found += bool(expected)
        got = [(f.start, f.end) for f in pii._maestro_12s(text, skeleton(text), text.lower())]
        assert got == expected, text
    assert found > 30  # (a tenth pass the Luhn check)
