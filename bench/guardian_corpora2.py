"""The Guardian's secrets and PII detection on public test corpora not benched before.

    python -m bench.guardian_corpora2                  # tune and held, per source and family
    python -m bench.guardian_corpora2 --misses tune    # tune's misses and false positives

The other corpora benches (``bench.guardian_secret_corpora``, ``bench.guardian_pii_corpora``)
read gitleaks', detect-secrets' and Presidio's tests. This one reads two more, from a cache
outside the repository, ``~/.cache/orchestration-kernel-bench/corpora2/`` (``--cache DIR``):

- ``whispers/files.jsonl``: Skyscanner/whispers' ``tests/fixtures/*`` (one JSON line per
  fixture: ``{"path", "text"}``, transcribed from the public code index or a checkout; its
  PyPI sdist ships no tests). whispers' fixtures mark their sections ``compliant`` and
  ``noncompliant`` (a comment, a YAML/JSON key, an XML element, an INI section, or a name on
  the line itself). Each line after a marker is a case: ``noncompliant`` makes it a positive
  (a secret whispers must report), ``compliant`` a negative (a placeholder, an empty value, a
  variable); a marker on a line with other values labels that line alone, and one named
  after an ``=`` is a reference and changes nothing. Fixtures whose markers name a
  parameter rather than a section (``cloudformation.*``) are not transcribed. Shell lines
  continued with a backslash are one case. Lines that carry no value are skipped whatever
  their label: blank lines, bare brackets and tags, YAML parent keys (``key:`` alone), and
  code with neither a string literal nor an assignment (``auth = True``, ``main() {``). A
  fixture without a marker is left out.
- ``scrubadub/cases.jsonl``: the ``BEFORE:`` texts of LeapBeyond/scrubadub's
  ``tests/test_*.py`` (emails, phones, credentials, credit cards, SSNs, NINOs), one JSON
  line each ``{"family", "label", "text", "file"}``: a text whose ``AFTER:`` replaces a
  person's detail is a positive; URLs (scrubadub's ``{{URL}}``) are negatives here, since a
  public web address is not personal data under the Guardian's policy (as in
  ``bench.guardian_pii_corpora``'s exclusions).

Nothing of either project is stored in the repository.

Every case falls in ``tune`` or ``held`` by ``sha256(SEED:source:case id)`` (the case id is
the fixture path and line number, or the scrubadub file and row), fixed before any case was
read; tune on ``tune`` only (``--misses held`` refuses without ``--i-am-done-tuning``).

Scoring is the development set's: ``Guardian().check_input`` with the built-in policies at
their defaults; a positive is caught when the action is ``warn``, ``redact`` or ``block``;
a negative so flagged is a false positive.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.guardian_corpus import CorpusTally, score_corpus

__all__ = ["CACHE", "SEED", "cli", "load_cases", "main", "report", "split_of", "whispers_cases"]

CACHE = Path.home() / ".cache" / "orchestration-kernel-bench" / "corpora2"
#: The split's key. Never change it after reading misses.
SEED = "seccorp-corpora2-2026-12-07"

_NONCOMPLIANT = re.compile(r"(?:non|in)[-_ ]?compliant", re.IGNORECASE)
_COMPLIANT = re.compile(r"compliant", re.IGNORECASE)
#: An XML tag opened and not closed on the line (its attributes go on below).
_OPEN_TAG = re.compile(r"<[A-Za-z][\w:.-]*(?:\s[^<>]*)?$")
_TAG_NAME = re.compile(r"</?[\w:.-]+")
_REFERENCE = re.compile(r"([^=]*)=[ \t]*(?![\"'])")
_ANY_MARKER = re.compile(r"(?:(?:non|in)[-_ ]?)?compliant", re.IGNORECASE)
#: A value other than a marker: a non-empty literal, an assignment, an element's text.
_STRICT_VALUE = re.compile(r"\"[^\"]+\"|'[^']+'|[=:]\s*[^\s\[{(]{6,}|>\s*[^<\s][^<]*</")
#: Lines that hold no value: blank, brackets only, a lone tag, a YAML parent key, a
#: JSON key opening an object or a list.
_NO_VALUE = re.compile(
    r"^\s*(?:[\[\]{}(),;]*|</?[\w:.-]+>|[\w.-]+:|<\?xml[^>]*>|<\?php|\?>|#!.*"
    r"|[\w.-]+\s*:\s*[\[{]|\"[^\"]*\"\s*:\s*[\[{])\s*$"
)
_LITERAL = re.compile(r"\"[^\"]*\"|'[^']*'")
_ASSIGNED = re.compile(r"[=:]\s*[^\s\[{(]{6,}")
_EMPTY = re.compile(r"[=:]\s*$")
_ELEMENT_TEXT = re.compile(r">\s*[^<\s][^<]*</")


def split_of(source: str, case_id: str) -> str:
    """``tune`` or ``held``, fixed by the source, the case id and :data:`SEED`."""
    digest = hashlib.sha256(f"{SEED}:{source}:{case_id}".encode()).digest()
    return "tune" if digest[0] % 2 == 0 else "held"


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """``(first line number, line)`` with continuations joined: a shell command's lines
    ending in a backslash, and an XML tag whose attributes span lines."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        pending = (pending[0], pending[1] + " " + raw.strip()) if pending is not None else (n, raw)
        open_tag = _OPEN_TAG.search(pending[1]) is not None
        if not raw.rstrip().endswith("\\") and not open_tag:
            out.append(pending)
            pending = None
    if pending is not None:
        out.append(pending)
    return out


def _has_value(line: str) -> bool:
    """A string literal, an assignment of a 6+ character value, an empty assignment, or an
    XML element's text."""
    return bool(
        _LITERAL.search(line)
        or _ASSIGNED.search(line)
        or _EMPTY.search(line)
        or _ELEMENT_TEXT.search(line)
    )


def _marker(line: str) -> str | None:
    """The label a marker on ``line`` names, unless it is only referenced after an ``=``
    (``x = NONCOMPLIANT_TOKEN;``: a variable; ``id="noncompliant"`` still names one)."""
    ref = _REFERENCE.match(line)
    head = ref.group(1) if ref else line
    if _NONCOMPLIANT.search(head):
        return "positive"
    if _COMPLIANT.search(head):
        return "negative"
    return None


def _section(line: str) -> str | None:
    """The label a section marker sets: a marker on a line with no other value
    (``# Compliant``, ``noncompliant:``, ``<compliant>``, ``<x id="noncompliant">``)."""
    label = _marker(line)
    bare = _TAG_NAME.sub("<", _ANY_MARKER.sub("", line))  # ss:user is a tag, not a value
    if label is None or _STRICT_VALUE.search(bare):
        return None
    return label


def whispers_cases(path: str, text: str) -> list[dict[str, Any]]:
    """One case per value line of a whispers fixture: a line naming a marker among other
    values is labelled by it (``noncompliant1:$apr1$…``, ``<compliantApiToken>…``); any
    other line by the last section marker above it."""
    cases: list[dict[str, Any]] = []
    state: str | None = None
    family = Path(path).name
    for n, line in _logical_lines(text):
        section = _section(line)
        if section is not None:
            state = section
            continue
        label = _marker(line) or state
        if label is None or _NO_VALUE.match(line) or not _has_value(line):
            continue
        cases.append({"id": f"{path}:{n}", "text": line, "label": label, "family": family})
    return cases


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _category(source: str, family: str) -> str:
    if source == "whispers":
        return "pii" if family.startswith("creditcards") else "secrets"
    return "secrets" if family == "credentials" else "pii"


def load_cases(cache: Path = CACHE) -> list[dict[str, Any]]:
    """Every case of the cache with ``id``, ``source``, ``family``, ``category``, ``split``."""
    cases: list[dict[str, Any]] = []
    for row in _read_jsonl(cache / "whispers" / "files.jsonl"):
        for case in whispers_cases(row["path"], row["text"]):
            case["source"] = "whispers"
            cases.append(case)
    for n, row in enumerate(_read_jsonl(cache / "scrubadub" / "cases.jsonl")):
        cases.append(
            {
                "id": f"{row['file']}#{n}",
                "text": row["text"],
                "label": row["label"],
                "family": row["family"],
                "source": "scrubadub",
            }
        )
    if not cases:
        raise SystemExit(f"{cache}: no cases (see this module's docstring to fill it)")
    for case in cases:
        case["category"] = _category(case["source"], case["family"])
        case["note"] = case["family"]
        case["split"] = split_of(case["source"], case["id"])
    return cases


def _row(name: str, t: CorpusTally) -> str:
    rec = "–" if t.recall is None else f"{t.recall:.3f} ({t.caught}/{t.positives})"
    fpr = "–" if t.fpr is None else f"{t.fpr:.3f} ({t.flagged}/{t.negatives})"
    return f"| {name} | {rec} | {fpr} |"


def report(cases: list[dict[str, Any]], *, families: bool, misses: str | None) -> str:
    """Recall and FPR per split, source, category (and family); one split's errors."""
    result = score_corpus(cases)
    pooled: CorpusTally = result["pooled"]
    missed = {cid for cid, _ in pooled.missed}
    flagged = {cid for cid, _ in pooled.false_alarms}
    groups: dict[str, CorpusTally] = {}
    for case in cases:
        hit = case["id"] in flagged or (case["label"] == "positive" and case["id"] not in missed)
        split, src, cat = case["split"], case["source"], case["category"]
        keys = [split, f"{split} / {cat}", f"{split} / {src}", f"{split} / {src} / {cat}"]
        if families:
            keys.append(f"{split} / {src} / {case['family']}")
        for key in keys:
            groups.setdefault(key, CorpusTally()).add(case, hit)
    lines = [f"{len(cases)} cases", "", "| split / group | recall | FPR |", "| --- | ---: | ---: |"]
    for key in sorted(groups, key=lambda k: (k.split(" / ")[0] != "tune", k)):
        lines.append(_row(key, groups[key]))
    if misses:
        lines.append("")
        for case in cases:
            if case["split"] != misses:
                continue
            if case["id"] in missed or case["id"] in flagged:
                kind = "MISS" if case["id"] in missed else "FP  "
                lines.append(f"{kind} {case['source']}/{case['family']}: {case['text'][:160]!r}")
    return "\n".join(lines)


def cli(
    argv: list[str] | None,
    *,
    doc: str | None,
    cache: Path,
    load: Callable[[Path], list[dict[str, Any]]],
) -> int:
    """A corpora bench's command line: the tables of ``load(cache)``'s cases, optionally
    one split's misses (``held`` only with ``--i-am-done-tuning``)."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=cache)
    parser.add_argument("--families", action="store_true", help="a row per fixture / type")
    parser.add_argument("--misses", choices=("tune", "held"), help="list one split's errors")
    parser.add_argument("--i-am-done-tuning", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.misses == "held" and not args.i_am_done_tuning:
        print("held misses are not shown while tuning", file=sys.stderr)
        return 2
    print(report(load(args.cache), families=args.families, misses=args.misses))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Print the tables; optionally one split's misses and false positives."""
    return cli(argv, doc=__doc__, cache=CACHE, load=load_cases)


if __name__ == "__main__":
    raise SystemExit(main())
