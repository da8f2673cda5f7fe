"""The secrets and PII scans' units (:mod:`orchestration_kernel.guardian.scan_gate`)
change their speed, never their answer.

A part of the scan whose unit matches nowhere in a text is skipped. The units are
regular expressions Python reads too: run with the units Python's ``re`` finds (the
Hyperscan database's answer is a superset of that: its expressions widen the patterns),
the scan finds exactly what the scan with every part finds, on the labelled prompts,
text built around every literal a part starts from (in altered case, with the Kelvin
sign and the dotted capital I that lower-case to ASCII letters), and random slices.
With the database loaded, ``scan`` agrees with the pure-Python path too. The same for
the PII detector's parts (on short texts: see ``pii.GATED_CHARS``).
"""

from __future__ import annotations

import functools
import random
import re
import string

import pytest

from orchestration_kernel.guardian import assignments, pii, scan_gate, secrets
from orchestration_kernel.guardian._scan import skeleton
from orchestration_kernel.guardian.pii import PIIDetector
from orchestration_kernel.guardian.redaction import Finding
from orchestration_kernel.guardian.secrets import SecretDetector
from tests.guardian_eval.generator import build_cases

_ALPHABET = string.ascii_letters + string.digits + "-_.:/=@ '\"\t\n" + "ſİı\u212aé"


@functools.cache
def _cases() -> tuple[str, ...]:
    """The labelled prompts' texts (built once: three tests and both text sets read them)."""
    return tuple(c.text for c in build_cases())


@functools.cache
def _texts(n: int = 4000) -> list[str]:
    rng = random.Random(11)
    cases = list(_cases())
    literals = sorted(
        {t for r in secrets._RULES for t in r.anchor.triggers} | set(assignments.KEYWORDS)
    )
    literals += ["-----BEGIN ", ":AA", "-us", "://", "-u ", "--user ", "BUNDLE_", "."]
    out = list(cases)
    pad = lambda k: "".join(rng.choice(_ALPHABET) for _ in range(k))  # noqa: E731
    for lit in literals:
        for _ in range(4):
            v = pad(rng.randint(0, 8)) + lit + pad(rng.randint(0, 80))
            out += [v, v.upper(), v.swapcase(), v.replace("k", "\u212a"), v.replace("i", "İ")]
    joined = "\n".join(cases)
    while len(out) < n:
        start = rng.randrange(len(joined))
        out.append(joined[start : start + rng.randint(1, 700)])
    return out


def _python_units(text: str) -> set[int]:
    """The units Python's ``re`` finds in ``text``."""
    return {i for i, unit in enumerate(_COMPILED) if unit.search(text)}


_COMPILED = [re.compile(u) for u in secrets._UNITS]


@functools.cache
def _full_scan(text: str) -> list[tuple[object, ...]]:
    """Every part run (the database's answer taken away). Remembered per text: the first
    two tests below compare it with two other paths over many of the same texts."""
    return _key(secrets._scan_units(text, set(range(len(secrets._UNITS))), ()))


def _key(found: list[Finding]) -> list[tuple[object, ...]]:
    return [(f.entity, f.start, f.end, f.score) for f in found]


def test_a_part_whose_unit_matches_nowhere_finds_nothing() -> None:
    texts = _texts()
    skipped = 0
    for text in texts:
        units = _python_units(text)
        skipped += len(secrets._UNITS) - len(units)
        assert _key(secrets._scan_units(text, units, ())) == _full_scan(text), text
    assert skipped > len(texts) * 10  # the units do turn parts away
    # and the scan still finds credentials (a gate that skipped all would agree only here)
    assert sum(bool(_full_scan(t)) for t in texts) > 100


def test_every_part_run_is_the_python_path() -> None:
    for text in _texts(1500):
        assert _full_scan(text) == _key(secrets._scan_all(text)), text


def test_a_unit_the_database_does_not_cover_runs_its_part() -> None:
    key = "AKIA" + "".join(random.Random(3).choice(string.ascii_uppercase) for _ in range(16))
    aws = next(i for i, r in enumerate(secrets._RULES) if r.entity == "AWS_ACCESS_KEY_ID")
    assert secrets._scan_units(f"id {key} here", set(), ()) == []
    found = secrets._scan_units(f"id {key} here", set(), (aws,))
    assert [(f.entity, f.start) for f in found] == [("AWS_ACCESS_KEY_ID", 3)]


@pytest.mark.parametrize(
    ("literal", "text"),
    [
        ("key", "API_\u212aEY = 'x'"),  # the Kelvin sign lower-cases to "k"
        ("secret", "SECRET"),
        ("authorization", "AuthorİZATION"),  # the dotted capital I: "i" and a dot
        ("contraseña", "CONTRASEÑA"),
    ],
)
def test_a_caseless_literal_matches_what_lower_casing_makes_of_it(literal: str, text: str) -> None:
    pattern = re.compile(scan_gate.caseless(literal))
    assert (literal in text.lower()) <= bool(pattern.search(text))
    assert pattern.search(text.upper()) and pattern.search(literal)


def test_a_short_text_with_a_dot_is_answered_without_a_scan_unless_a_token_fits() -> None:
    from orchestration_kernel.guardian.secrets import may_hold_secret

    reply = ("The answer, in short: " + "the figures hold up under scrutiny. " * 12)[:500]
    assert not may_hold_secret(reply)
    assert SecretDetector().scan(reply) == []
    rng = random.Random(5)
    part = lambda n: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))  # noqa: E731
    token = f"M{part(23)}.{part(6)}.{part(38)}"  # Discord's bot-token shape, built here
    text = f"the bot uses {token} to log in."
    assert may_hold_secret(text)
    assert [f.entity for f in SecretDetector().find(text)] == ["DISCORD_TOKEN"]


def test_a_remembered_verdict_is_the_validators_own() -> None:
    """The rule and assignment verdicts are remembered per value: the memo answers what
    the validator answers, for every candidate the labelled prompts hold, asked twice."""
    from orchestration_kernel.guardian.assignments import find_assignments
    from orchestration_kernel.guardian.secrets import _closing_trimmed

    texts = _cases()
    checked = 0
    for _ in range(2):
        for text in texts:
            for i, rule in enumerate(secrets._RULES):
                if rule.validate is None:
                    continue
                for m in rule.anchor.finditer(text.lower() if rule.fold_case else text, text):
                    value = m.group(rule.group)
                    assert secrets._accepts(i, value) == rule.validate(value), value
                    checked += 1
            for a in find_assignments(text, text.lower()):
                value = _closing_trimmed(text[a.start : a.end])
                remembered = secrets._assignment_accepts(a.name, a.keyword, a.quoted, value)
                assert remembered == secrets._assignment_ok(a, value), value
                checked += 1
    assert checked > 200


@functools.cache
def _pii_texts(n: int = 4000) -> list[str]:
    """The labelled prompts, each PII unit's shapes in altered settings, and slices."""
    rng = random.Random(13)
    cases = list(_cases())
    shapes = ["@", " at ", "[at]", "(AT)", "<at>", "{at}", "SSN 123456780",
              "Social Security number: 123456780", "+4", "jo at gmail.com", "a [at] b [dot] org",
              "(555) 867-5309", "123-45-6789", "1.2.3.4", "fe80::1", "2001:db8::8a2e:370:7334",
              "DE89 3704 0044 0532 0130 00", "gb82west12345698765432", "4111 1111 1111 1111",
              "06 12 34 56 78", "0490 75 40 81"]  # fmt: skip
    alphabet = string.ascii_letters + string.digits + " .-/()+:@[]<>{}\n" + "İ\u212aſ٣"
    pad = lambda k: "".join(rng.choice(alphabet) for _ in range(k))  # noqa: E731
    out = list(cases)
    for shape in shapes:
        for _ in range(20):
            v = pad(rng.randint(0, 12)) + shape + pad(rng.randint(0, 40))
            out += [v, v.upper(), v.replace("i", "İ")]
    joined = "\n".join(cases)
    while len(out) < n:
        start = rng.randrange(len(joined))
        out.append(joined[start : start + rng.randint(1, 1500)])
    return out


def test_a_pii_part_whose_unit_matches_nowhere_finds_nothing() -> None:
    detector = PIIDetector()
    compiled = [re.compile(u) for u in pii._UNITS]
    everything = frozenset(range(len(pii._UNITS)))
    skipped = found = 0
    for text in _pii_texts():
        units = {i for i, unit in enumerate(compiled) if unit.search(text)}
        skipped += len(compiled) - len(units)
        full = _key(detector._find_parts(text, skeleton(text), set(everything), everything))
        assert _key(detector._find_parts(text, skeleton(text), units, everything)) == full, text
        found += bool(full)
    assert skipped > 10_000 and found > 500


@pytest.mark.parametrize("family", ["secrets", "pii"])
def test_with_the_database_loaded_the_scan_agrees_with_the_python_path(
    family: str, monkeypatch
) -> None:
    monkeypatch.setenv("ORCHESTRATION_GUARDIAN_PREFILTER", "wait")
    units, scan, texts = (
        (secrets._UNITS, SecretDetector().scan, _texts(2000))
        if family == "secrets"
        else (pii._UNITS, PIIDetector().find, _pii_texts(2000))
    )
    gate = scan_gate.gate(units)
    if not gate.wait():
        pytest.skip("no Hyperscan database here")
    with_units = [_key(scan(t)) for t in texts]
    monkeypatch.setattr(type(gate), "matching", lambda self, text: None)
    assert [_key(scan(t)) for t in texts] == with_units
