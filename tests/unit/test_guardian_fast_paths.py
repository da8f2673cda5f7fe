"""The PII and secret scans' fast paths (issue 20, speed) answer as the plain code they
replace.

Each fast path is checked against the straightforward code it stands in for (kept here
as the reference), over the project's labelled prompts and random strings drawn from the
characters it cares about. ``scripts/guardian_equivalence.py`` compares whole verdicts
with main's Guardian; these pin each shortcut on its own.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from collections.abc import Iterator

from orchestration_kernel.guardian import assignments, phones, pii, placeholders, secrets
from orchestration_kernel.guardian._scan import TOKEN_LOOKUPS, TokenSet, fold, skeleton, tokens
from tests.guardian_eval.generator import build_cases

LABELLED = [c.text for c in build_cases()]


def _texts(alphabet: str, n: int = 3000, longest: int = 70, seed: int = 23) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, longest))) for _ in range(n)
    ]


# -- placeholders -------------------------------------------------------------------------

#: "ſ", "ı", "İ" and the Kelvin sign: letters a case-insensitive pattern reads as ASCII.
_CASE_TRAPS = "ſıİ\u212a"


def test_sequence_run_is_the_case_insensitive_pattern() -> None:
    runs = ["abcdef", "ABCDEF", "0123456", "stuvwxyz", "hİjklm", "ſtuvwx", "ijklmn", "jK\u212almno"]
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEF0123456789-_" + _CASE_TRAPS
    rng = random.Random(5)
    values = _texts(alphabet, n=4000, longest=30)
    values += [v[: len(v) // 2] + rng.choice(runs) + v[len(v) // 2 :] for v in values[:2000]]
    for value in values + LABELLED:
        assert placeholders.has_sequence_run(value) == bool(placeholders._RUN_OF_6.search(value)), (
            value
        )


def test_placeholder_words_are_found_as_substring_tests_find_them() -> None:
    words = placeholders._PLACEHOLDER_WORDS
    for low in [*_texts("yourexamplxdumy.…* ", n=4000, longest=20), "ab\ud800your"]:
        assert placeholders._holds_any(low, words) == any(w in low for w in words), low


def test_mask_share_is_counted_as_a_tally_counts_it() -> None:
    for value in _texts("xX*#0._-•ab1", n=4000, longest=24):
        counts = Counter(value)
        expected_max = max(
            (n for ch, n in counts.items() if ch in placeholders._MASK_CHARS), default=0
        )
        expected = (
            len(set(value)) <= 1
            if len(value) < 8
            else expected_max >= 0.4 * len(value) or bool(placeholders._MASK_RUN.search(value))
        )
        assert placeholders.mask_dominated(value) == expected, value


# -- token gates --------------------------------------------------------------------------


def test_token_lookups_answer_as_the_whole_token_set() -> None:
    gates = [b"sk", b"glpat", b"xoxb", b"AK9", b"s", b"k", b"9", b"glpatx"]
    for text in _texts("skglpatxoxb-_ 0é.AK9\n", n=4000, longest=40) + LABELLED:
        lazy, full = TokenSet(text), tokens(text)
        assert [g in lazy for g in gates] == [g in full for g in gates], text


def test_token_set_reads_every_token_past_its_lookup_budget() -> None:
    text = " ".join(f"t{i}" for i in range(TOKEN_LOOKUPS + 10))
    lazy = TokenSet(text)
    asked = [f"t{i}".encode() for i in range(TOKEN_LOOKUPS + 10)] + [b"t", b"nope", b"t1 "]
    assert [t in lazy for t in asked] == [t in tokens(text) for t in asked]
    assert lazy.get() == tokens(text)


# -- secrets: key words, basic credentials, Discord tokens ----------------------------------


def _assignments_per_keyword(text: str, lower: str) -> Iterator[assignments.Assignment]:
    """The key-word scan as it was: one ``str.find`` walk per key word."""
    for keyword in assignments._KEYWORDS:
        pos = lower.find(keyword)
        while pos >= 0:
            end = pos + len(keyword)
            if assignments._part_start(text, pos, lower) and assignments._part_end(
                text, end, keyword
            ):
                span = assignments._identifier(text, pos, end)
                value = assignments._value_at(text, *span) if span is not None else None
                if span is not None and value is not None:
                    yield assignments.Assignment(text[span[0] : span[1]], keyword, *value)
                    end = max(end, value[1])
            pos = lower.find(keyword, end)


_KEYISH = "keyKEYpasswordPwdtokenSecret_=:'\" \nabc123-"


def test_key_words_found_in_one_pass_are_the_per_word_scans() -> None:
    texts = _texts(_KEYISH, n=3000, longest=60) + LABELLED
    texts.append("key=" * 30_000)  # past the one-pass size: the per-literal way
    for text in texts:
        lower = fold(text)
        got = list(assignments.find_assignments(text, lower))
        assert got == list(_assignments_per_keyword(text, lower)), text[:80]


def test_basic_credentials_skip_only_literals_that_occur_nowhere() -> None:
    texts = _texts("://-u --user BUNDLE_a:b@x\t.", n=3000, longest=60) + LABELLED
    texts += ["curl -u admin:hunter22 https://x", "BUNDLE_GEMS__X__COM=u:p", "https://u:pw@h.io"]
    for text in texts:
        seen = secrets._ONE_PASS.occurrences(text)
        got = list(assignments.find_basic_credentials(text, seen))
        assert got == list(assignments.find_basic_credentials(text)), text


def test_discord_scan_from_its_middle_is_the_whole_scan() -> None:
    rng = random.Random(9)
    token_chars = string.ascii_letters + string.digits + "_-"

    def token() -> str:
        part = lambda n: "".join(rng.choice(token_chars) for _ in range(n))  # noqa: E731
        return rng.choice("MNO") + part(rng.randint(23, 25)) + "." + part(6) + "." + part(30)

    texts = [f"{a} {token()} x.abcdef.y {token()}" for a in _texts("ab. ", n=200, longest=40)]
    texts += _texts("MNab._-.", n=2000, longest=80) + LABELLED
    for text in texts:
        whole = [m.span() for m in secrets.DISCORD_TOKEN.finditer(text)]
        middle = secrets._DISCORD_MIDDLE.search(text)
        fast = (
            []
            if middle is None
            else [
                m.span() for m in secrets.DISCORD_TOKEN.finditer(text, max(0, middle.start() - 26))
            ]
        )
        assert fast == whole, text


# -- PII ----------------------------------------------------------------------------------


def test_digit_count_gates_hold_no_match_of_their_shapes() -> None:
    """A shape skipped for too few digits has no match in such a text."""
    for text in _texts("0123456789 ()-.+/", n=6000, longest=30):
        sk = skeleton(text)
        zeros = sk.count(b"0")
        if zeros < 13:
            assert not list(pii._card_matches(sk)), text
        if zeros < 10:
            assert not any(p.search(sk) for p in pii._PHONE_NANP), text
        if zeros < 9:
            assert not pii._SSN.search(sk), text


def test_phone_context_searches_are_skipped_only_without_their_letters() -> None:
    texts = _texts("ABxX ext.0123-", n=6000, longest=45) + LABELLED
    # Endings the extension pattern may match: blanks of every kind, a last newline.
    texts += _texts("extnsioEXTNSIO.x ſ\n\t\u2003\x85", n=6000, longest=14, seed=31)
    for before in texts:
        sk = skeleton(before)
        if b"AA" not in sk:
            assert not phones._IBAN_HEAD.search(before), before
        if "x" not in before and "X" not in before:
            assert not phones._EXTENSION.search(before), before
        if not before.rstrip().endswith(phones._EXTENSION_ENDS):
            assert not phones._EXTENSION.search(before), before


def _iban_valid_by_character(iban: str) -> bool:
    if pii._IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _iban(country: str, rng: random.Random) -> str:
    body = "".join(rng.choice(string.digits + string.ascii_uppercase) for _ in range(30))
    body = body[: pii._IBAN_LENGTHS[country] - 4]
    check = 98 - int("".join(str(int(c, 36)) for c in body + country + "00")) % 97
    return f"{country}{check:02d}{body}"


def test_iban_checksum_is_the_character_by_character_one() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        value = _iban(rng.choice(sorted(pii._IBAN_LENGTHS)), rng)
        for candidate in (value, value.lower(), value[:-1] + "7", value[:6] + "٣" + value[7:]):
            try:
                expected: bool | str = _iban_valid_by_character(candidate)
            except ValueError:
                expected = "error"
            try:
                got: bool | str = pii.iban_valid(candidate)
            except ValueError:
                got = "error"
            assert got == expected, candidate


def test_iban_end_is_the_countrys_length_of_characters() -> None:
    for text in _texts("A0 -", n=4000, longest=45):
        if text[:1] in (" ", "-"):
            continue  # an IBAN match never starts with a separator
        for want in sorted(set(pii._IBAN_LENGTHS.values())):
            count, end = 0, None
            for i, ch in enumerate(text):
                if ch not in " -":
                    count += 1
                if count == want:
                    end = i + 1
                    break
            cut = pii._IBAN_CHARS[want].match(text, 0, len(text))
            assert (cut.end() if cut else None) == end, (text, want)


def test_spelt_at_and_position_kept_copy_come_from_one_lowered_copy() -> None:
    texts = ["SSN 123-45-6789", "Socİal Securıty no. 123456789", "jane AT gmail.com", "x [At] y"]
    texts += _texts("sSſnNoOcCiIıİaAlLtT[]() 0123456789@.K\u212a", n=3000, longest=50)
    for text in texts + LABELLED:
        low = text.lower()
        assert fold(text, low) == fold(text), text
        assert pii._may_spell_at(low) == (
            " at " in low or any(b in low for b in ("at]", "at)", "at>", "at}"))
        ), text


def test_pii_scan_still_finds_every_kind_on_the_labelled_prompts() -> None:
    """Not a shortcut check: the detectors still find each kind (a gate that skipped
    everything would pass the equivalences above only by luck)."""
    detector = pii.PIIDetector()
    found = {f.entity for text in LABELLED for f in detector.find(text)}
    # (The labelled prompts hold no identity numbers, whose findings are named per
    # format: test_guardian_presidio_national_ids covers them.)
    assert set(pii.PII_ENTITIES) - {"NATIONAL_ID"} <= found
    (email,) = pii.PIIPolicy().find("mail jane@example.org today")
    assert (email.entity, email.start, email.end, email.placeholder()) == (
        "EMAIL",
        5,
        21,
        "<EMAIL>",
    )


def test_luhn_sum_is_the_digit_by_digit_one() -> None:
    values = _texts(string.digits, n=6000, longest=24) + _texts("0123456789 a٣-", n=2000)
    for value in values:
        assert pii.luhn_valid(value) == pii._luhn_by_digit(value), value


def test_ipv4_check_is_what_ipaddress_accepts() -> None:
    import ipaddress

    rng = random.Random(8)
    octets = ["0", "00", "01", "9", "10", "99", "100", "199", "200", "249", "250", "255", "256"]
    octets += ["299", "300", "999", "010", "001", "000"]
    values = [".".join(rng.choice(octets) for _ in range(4)) for _ in range(6000)]
    values += _texts("0123456789.", n=4000, longest=16)
    for value in values:
        try:
            ipaddress.IPv4Address(value)
            expected = True
        except ValueError:
            expected = False
        assert bool(pii._IPV4_VALID.fullmatch(value)) == expected, value


def test_closed_at_search_is_the_substring_tests() -> None:
    for low in _texts("at])>}( [x", n=6000, longest=30) + [t.lower() for t in LABELLED]:
        expected = any(b in low for b in pii._CLOSED_AT)
        assert (pii._AT_CLOSED.search(low) is not None) == expected, low


def test_finding_built_slot_by_slot_is_the_plain_frozen_dataclass() -> None:
    import dataclasses

    import pytest

    from orchestration_kernel.guardian.redaction import Finding

    @dataclasses.dataclass(frozen=True, slots=True)
    class Plain:
        entity: str
        start: int
        end: int
        score: float | None = None
        replacement: str | None = None

    calls: list[tuple[tuple[object, ...], dict[str, object]]] = [
        (("EMAIL", 1, 9), {}),
        (("IBAN", 0, 22, 0.95), {}),
        (("US_SSN", 3, 14, 0.8, "<US_SSN>"), {}),
        (("X", 2), {"end": 5, "replacement": "r"}),
        ((), {"entity": "E", "start": 0, "end": 0, "score": 0.5}),
    ]
    for args, kwargs in calls:
        got, plain = Finding(*args, **kwargs), Plain(*args, **kwargs)  # type: ignore[arg-type]
        assert dataclasses.astuple(got) == dataclasses.astuple(plain)
        assert repr(got) == "Finding" + repr(plain).split("Plain", 1)[1]
        assert got == Finding(*args, **kwargs) and hash(got) == hash(Finding(*args, **kwargs))  # type: ignore[arg-type]
        assert dataclasses.replace(got, start=7).start == 7
        with pytest.raises(dataclasses.FrozenInstanceError):
            got.start = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        Finding("E", 1)  # type: ignore[call-arg]
    assert Finding.__match_args__ == Plain.__match_args__


def test_ipv6_check_is_what_ipaddress_accepts_of_the_scans_matches() -> None:
    import ipaddress

    rng = random.Random(4)
    groups = ["0", "1", "ab", "fff", "FfFf", "12345", "", "g"]
    octets = ["1", "0", "01", "255", "256", "99", "1234"]
    values = []
    for _ in range(60_000):
        parts = [rng.choice(groups) for _ in range(rng.randrange(1, 10))]
        if rng.random() < 0.3:
            parts[-1] = ".".join(rng.choice(octets) for _ in range(rng.choice([3, 4, 4, 5])))
        values.append(":".join(parts))
    values += _texts("0123456789abcdef:.\u0661", n=20_000, longest=40)
    checked = valid = 0
    for value in values:
        if not pii._IPV6.fullmatch(value):
            continue  # the check only ever sees what the scan found
        try:
            ipaddress.IPv6Address(value)
            expected = True
        except ValueError:
            expected = False
        checked, valid = checked + 1, valid + expected
        assert bool(pii._IPV6_VALID.fullmatch(value)) == expected, value
    assert checked > 5000 and valid > 1000  # both answers were put to the test


def test_phone_word_search_on_the_folded_window_is_the_case_blind_search() -> None:
    words = ["phone", "tel", "Call", "SMS", "text  me", "my No.", "work #", "ring", "Cn number"]
    words += ["ſmſ", "wor\u212a #", "mobİle", "mobıle", "TEL", "Tel.", "telx", "hİs  no."]
    rng = random.Random(12)
    texts = _texts("phonetlcaMSX #.\t\n" + _CASE_TRAPS, n=3000, longest=60)
    texts += [
        "".join(rng.choice([*words, " ", "x", "İ", "ſ", "\u212a", "é"]) for _ in range(12))
        for _ in range(3000)
    ]
    for text in texts + LABELLED[:400]:
        for start in range(0, len(text) + 1, 3):
            expected = bool(phones._PHONE_WORDS.search(text, max(0, start - 40), start))
            window = text[max(0, start - 40) : start]
            assert phones._phone_word_before(window) == expected, (text, start)


def test_iban_head_search_is_skipped_only_where_it_cannot_match() -> None:
    rng = random.Random(13)
    texts = _texts("AB09 -\n\u0663xZ", n=8000, longest=45)
    texts += [
        f"IBAN {_iban('DE', rng)[:k]}{rng.choice(['', ' ', '-', chr(10), ' ' + chr(10)])}"
        for k in range(4, 23)
        for _ in range(20)
    ]
    matched = 0
    for before in texts + LABELLED:
        if phones._IBAN_HEAD.search(before):
            matched += 1
            assert phones._may_end_iban(before), before
    assert matched > 50  # the gate was put to the test where the pattern matches
