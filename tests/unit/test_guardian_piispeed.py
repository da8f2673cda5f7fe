"""The PII and redaction shortcuts of issue 20's speed work read as what they replace:
the merge of overlapping findings as its definition orders them, the digit count kept per
skeleton, the replace operator's stand-ins, the date and 'at' searches started late."""

from __future__ import annotations

import random

from orchestration_kernel.guardian import phones, pii
from orchestration_kernel.guardian._scan import skeleton
from orchestration_kernel.guardian.redaction import Finding, _merge, apply_findings


def _merge_by_definition(findings: list[Finding]) -> list[tuple[int, int, str]]:
    """Ordered by (start, longer first), stable; an overlap joins the last edit and
    takes the longer finding's placeholder."""
    merged: list[tuple[int, int, str, int]] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if f.end <= f.start:
            continue
        if merged and f.start < merged[-1][1]:
            start, end, text, length = merged[-1]
            if f.end - f.start > length:
                text, length = f.placeholder(), f.end - f.start
            merged[-1] = (start, max(end, f.end), text, length)
        else:
            merged.append((f.start, f.end, f.placeholder(), f.end - f.start))
    return [(s, e, t) for s, e, t, _ in merged]


def test_merge_is_the_definition_on_random_overlaps() -> None:
    rng = random.Random(20)
    for _ in range(20_000):
        findings = []
        for _ in range(rng.randint(0, 8)):
            start = rng.randint(-3, 30)  # a custom policy's span may start before 0
            end = start + rng.randint(-2, 10)
            replacement = rng.choice([None, "x", "yy", "<LONG>"])
            findings.append(Finding(rng.choice("ABCDE"), start, end, None, replacement))
        assert _merge(findings) == _merge_by_definition(findings), findings


def test_merge_ties_keep_the_given_order() -> None:
    same = [Finding("A", 2, 6, None, "first"), Finding("B", 2, 6, None, "second")]
    assert apply_findings("0123456789", same) == "01first6789"
    assert apply_findings("0123456789", same[::-1]) == "01second6789"
    # The longer of two starting together stands in, whichever came first.
    nested = [Finding("A", 2, 4, None, "short"), Finding("B", 2, 7, None, "long")]
    assert apply_findings("0123456789", nested) == "01long789"


def test_digit_count_follows_each_skeleton() -> None:
    texts = ["card 4111 1111 1111 1111", "no digits here", "12", "", "٣٤ 5"]
    for text in texts * 2:
        sk = skeleton(text)
        assert pii._digits(sk) == sum(ch in "0123456789" for ch in text), text
    # An equal skeleton built again is counted again (identity, not equality, is kept).
    a, b = skeleton("call 555 0100"), skeleton("call 555 0100")
    assert pii._digits(a) == pii._digits(b) == 7


def test_replace_operator_stands_in_as_the_entity() -> None:
    text = "mail jane@example.org or call +44 20 7946 0958, card 4111 1111 1111 1111"
    policy = pii.PIIPolicy()
    found = policy.find(text)
    assert {f.entity for f in found} >= {"EMAIL", "PHONE_NUMBER", "CREDIT_CARD"}
    assert all(f.placeholder() == f"<{f.entity}>" for f in found)
    assert apply_findings(text, found) == (
        "mail <EMAIL> or call <PHONE_NUMBER>, card <CREDIT_CARD>"
    )
    masked = apply_findings(text, pii.PIIPolicy(operator="mask").find(text))
    assert "1111" in masked and "jane@" not in masked


def test_date_gate_keeps_every_date_shape() -> None:
    for sep in "-/.":
        for date in (f"2024{sep}03{sep}15", f"15{sep}03{sep}2024", f"1{sep}3{sep}1999"):
            assert phones._not_a_phone("", date, sum(c.isdigit() for c in date)), date
    # Grouped by blanks: no date, so the gate lets the other checks decide.
    assert not phones._not_a_phone("", "0490 75 40 81", 10)


def test_spelt_and_bracketed_at_found_after_the_first_mark() -> None:
    # The first mark is a plain " at "; the bracketed address comes later in the text.
    text = "meet at noon, then write to jane [at] example [dot] org or bob at gmail.com"
    found = [text[f.start : f.end] for f in pii.PIIDetector(["EMAIL"]).find(text)]
    assert found == ["bob at gmail.com", "jane [at] example [dot] org"]
    # An "İ" lower-cases to two characters: the folded copy is searched from its start.
    text = "İİ jane (at) example (dot) org"
    found = [text[f.start : f.end] for f in pii.PIIDetector(["EMAIL"]).find(text)]
    assert found == ["jane (at) example (dot) org"]


def test_ipv6_found_after_an_earlier_hint() -> None:
    text = "at 10:30:15 the host 2001:db8:85a3::8a2e:370:7334 was up"
    found = [text[f.start : f.end] for f in pii.PIIDetector(["IP_ADDRESS"]).find(text)]
    assert found == ["2001:db8:85a3::8a2e:370:7334"]
