"""Score the Guardian's PII detection on Presidio's own test data (no one here wrote it).

    python -m bench.guardian_pii_corpora                 # tune and held, per source and type
    python -m bench.guardian_pii_corpora --split tune --misses   # what tuning may read

Two public corpora, read from a cache outside the repository
(``~/.cache/orchestration-kernel-bench/``, or ``--cache DIR``):

* ``presidio-tests/test_*recognizer*.py``: microsoft/presidio's
  ``presidio-analyzer/tests/test_<entity>_recognizer.py`` files (from a checkout or the
  public code index). Each ``@pytest.mark.parametrize`` case is a text with the number of
  entities the recognizer must find there: ``0`` is a negative (a look-alike that must be
  allowed), more is a positive. Cases whose expected score is below 0.5 (Presidio's
  "weak" pattern-only matches: a bare nine-digit number as a passport, a bank number at
  0.05) say the text alone does not show personal data: they are counted apart as
  ``weak`` and left out of recall and FPR. Only the entity fixture and the parametrize
  blocks are read (parsed with :mod:`ast`, never imported).
* ``presidio-research/synth_dataset_v2.json``: presidio-research's synthetic sentences
  (``data/synth_dataset_v2.json`` in the ``presidio-evaluator`` sdist:
  ``pip download --no-deps --no-binary :all: presidio-evaluator``). A sentence with a span
  of a type in :data:`IN_POLICY` is a positive; one without any span is a negative; one
  whose spans are all of :data:`EXCLUDED` types is left out (counted).

Scoring is the development set's (``/work/shared/guardian-dev/README.md``):
``Guardian().check_input`` with the built-in policies at their defaults; a positive is
caught when the decision is ``warn``, ``redact`` or ``block``, a negative is a false
positive on the same terms.

Every case falls in ``tune`` or ``held`` by a keyed hash of its source and text
(:data:`SEED`), fixed before anyone read a miss: tune on ``tune`` only; ``--misses``
lists ``tune``'s misses and false positives and never ``held``'s.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import hashlib
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration_kernel.guardian import GuardContext, Guardian

__all__ = ["EXCLUDED", "IN_POLICY", "SEED", "Case", "load_cases", "main"]

DEFAULT_CACHE = Path.home() / ".cache" / "orchestration-kernel-bench"
#: The split's key: a case is ``held`` when the first byte of
#: ``sha256(SEED:source:text)`` is odd. Never change it after reading misses.
SEED = "s12-presidio-split"

#: Entity types a user expects stopped before a prompt goes to a vendor: what
#: identifies a person or opens their money, and that a pattern can see.
IN_POLICY = frozenset(
    {
        "CREDIT_CARD",
        "IBAN_CODE",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "IP_ADDRESS",
        "US_SSN",
        "US_ITIN",
        "US_PASSPORT",
        "US_DRIVER_LICENSE",
        "US_BANK_NUMBER",
        "US_MBI",
        "UK_NHS",
        "UK_NINO",
        "UK_PASSPORT",
        "ES_NIF",
        "ES_NIE",
        "IT_FISCAL_CODE",
        "IN_AADHAAR",
        "IN_PAN",
        "SG_NRIC_FIN",
        "AU_TFN",
        "AU_MEDICARE",
        "PL_PESEL",
        "FI_PERSONAL_IDENTITY_CODE",
        "KR_RRN",
        "CA_SIN",
        "SE_PERSONNUMMER",
        "ZA_ID_NUMBER",
        "TR_NATIONAL_ID",
    }
)
#: Entity types left out, with the reason.
EXCLUDED = {
    "PERSON": "a name needs NER (a model), not a pattern",
    "LOCATION": "needs NER",
    "GPE": "needs NER; a city or country alone identifies no one",
    "NRP": "nationality/religion/politics: needs NER",
    "ORGANIZATION": "needs NER, and a company is not a person",
    "STREET_ADDRESS": "free-form; needs NER (a house number alone is no address)",
    "TITLE": "a job title identifies no one",
    "DATE_TIME": "a date alone identifies no one; blocking dates breaks most prompts",
    "AGE": "an age alone identifies no one",
    "ZIP_CODE": "a postcode alone identifies no one (and five digits are everywhere)",
    "DOMAIN_NAME": "a web site is public, not personal",
    "AU_ABN": "a business number on a public register, not a person's",
    "AU_ACN": "a company number on a public register, not a person's",
    "ABA_ROUTING_NUMBER": "names a bank branch (public), not an account holder",
    "IN_VOTER": "three letters and seven digits, no checksum: any product code",
}

_TEXT_ARGS = ("text", "iban")
_SCORE_ARGS = ("expected_score_ranges", "expected_score", "score", "expected_scores")


@dataclass(frozen=True)
class Case:
    """One labelled text."""

    source: str
    #: ``positive``, ``negative`` or ``weak`` (left out of recall and FPR).
    label: str
    #: The entity types the case is about (its expected findings, or the recognizer's).
    entities: tuple[str, ...]
    text: str
    #: Where it came from: the test file or the synthetic template's id.
    origin: str

    @property
    def split(self) -> str:
        """``tune`` or ``held``, by the keyed hash (see :data:`SEED`)."""
        digest = hashlib.sha256(f"{SEED}:{self.source}:{self.text}".encode()).digest()
        return "held" if digest[0] & 1 else "tune"


def _literal(node: ast.AST) -> Any:
    """``ast.literal_eval`` that also folds ``[x] * n`` (a form the test files use)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return _literal(node.left) * _literal(node.right)
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    return ast.literal_eval(node)


def _fixture_entities(tree: ast.Module) -> list[str]:
    """The list ``def entities(): return [...]`` returns, or none."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "entities":
            for stmt in node.body:
                if isinstance(stmt, ast.Return) and stmt.value is not None:
                    return list(_literal(stmt.value))
    return []


def _top_score(value: Any) -> float | None:
    """The highest score a case's score column allows (None: not given, i.e. the max)."""
    if value in ((), [], None):
        return None
    if value == "max":
        return 1.0
    if isinstance(value, (int, float)):
        return float(value)
    scores = [_top_score(v) for v in value]
    known = [s for s in scores if s is not None]
    return max(known) if known else None


def _parametrized(tree: ast.Module) -> list[dict[str, Any]]:
    """Every parametrize case with a text and an expected count, as a dict by arg name."""
    rows = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if not (isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "parametrize"):
                continue
            names = [n.strip() for n in _literal(deco.args[0]).split(",")]
            if names[0] not in _TEXT_ARGS or "expected_len" not in names:
                continue
            for values in _literal(deco.args[1]):
                rows.append(dict(zip(names, values, strict=False)))
    return rows


def _presidio_cases(folder: Path) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("test_*recognizer*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        fixture = _fixture_entities(tree)
        for row in _parametrized(tree):
            text = row.get("text", row.get("iban"))
            entities = tuple(row.get("entities") or fixture) or (path.stem,)
            score_col = next((row[k] for k in _SCORE_ARGS if k in row), None)
            top = _top_score(score_col)
            if row["expected_len"] == 0:
                label = "negative"
            elif top is not None and top < 0.5:
                label = "weak"
            else:
                label = "positive"
            cases.append(Case("presidio", label, tuple(dict.fromkeys(entities)), text, path.stem))
    return cases


def _research_cases(path: Path) -> tuple[list[Case], Counter[str]]:
    cases = []
    left_out: Counter[str] = Counter()
    for i, record in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        types = tuple(dict.fromkeys(s["entity_type"] for s in record["spans"]))
        origin = f"template {record.get('template_id', i)}"
        kept = tuple(t for t in types if t in IN_POLICY)
        if kept:
            cases.append(Case("presidio-research", "positive", kept, record["full_text"], origin))
        elif not types:
            cases.append(Case("presidio-research", "negative", (), record["full_text"], origin))
        else:
            left_out.update(types)
    return cases, left_out


def load_cases(cache: Path) -> tuple[list[Case], dict[str, Any]]:
    """Every case found in ``cache``, and what was left out (by entity type and why)."""
    tests = cache / "presidio-tests"
    synth = cache / "presidio-research" / "synth_dataset_v2.json"
    if not tests.is_dir() and not synth.is_file():
        raise SystemExit(f"{cache}: neither presidio-tests/ nor {synth.name}; see the docstring")
    cases = _presidio_cases(tests) if tests.is_dir() else []
    left_out: Counter[str] = Counter()
    if synth.is_file():
        research, left_out = _research_cases(synth)
        cases += research
    excluded = [c for c in cases if any(e in EXCLUDED for e in c.entities)]
    kept = [c for c in cases if c not in excluded or c.label == "negative"]
    for c in excluded:
        if c.label != "negative":
            left_out.update(c.entities)
    return kept, {"left_out_by_type": dict(left_out)}


async def _detect(texts: list[str]) -> list[bool]:
    guardian = Guardian()
    ctx = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="pii-corpora")
    out = []
    for text in texts:
        out.append((await guardian.check_input(text, ctx)).action != "allow")
    return out


def _rate(hit: int, n: int) -> str:
    return f"{hit / n:.3f} ({hit}/{n})" if n else "–"


def _table(cases: list[Case], detected: dict[str, bool], key: str) -> list[str]:
    groups: dict[str, list[Case]] = {}
    for c in cases:
        names = [c.source] if key == "source" else (list(c.entities) or ["(none)"])
        for name in names:
            groups.setdefault(name, []).append(c)
    lines = [f"| {key} | recall | FPR | weak caught |", "| --- | ---: | ---: | ---: |"]
    for name, group in sorted(groups.items()):
        by = Counter((c.label, detected[c.text]) for c in group)
        pos, neg = (
            by["positive", True] + by["positive", False],
            by["negative", True] + by["negative", False],
        )
        weak = by["weak", True] + by["weak", False]
        lines.append(
            f"| {name} | {_rate(by['positive', True], pos)} | {_rate(by['negative', True], neg)} "
            f"| {_rate(by['weak', True], weak)} |"
        )
    return lines


def render(cases: list[Case], detected: dict[str, bool], split: str) -> str:
    """Tables per source and per entity type for one split (``all``: both)."""
    chosen = [c for c in cases if split == "all" or c.split == split]
    lines = [f"### {split}: {len(chosen)} cases", ""]
    lines += [*_table(chosen, detected, "source"), "", *_table(chosen, detected, "entity")]
    pooled = Counter((c.label, detected[c.text]) for c in chosen)
    pos = pooled["positive", True] + pooled["positive", False]
    neg = pooled["negative", True] + pooled["negative", False]
    lines += [
        "",
        f"pooled: recall {_rate(pooled['positive', True], pos)}, "
        f"FPR {_rate(pooled['negative', True], neg)}",
        "",
    ]
    return "\n".join(lines)


def _misses(cases: list[Case], detected: dict[str, bool]) -> str:
    lines = ["### tune: missed positives and false positives", ""]
    for c in cases:
        if c.split != "tune" or c.label == "weak":
            continue
        if (c.label == "positive") != detected[c.text]:
            kind = "MISS" if c.label == "positive" else "FP"
            lines.append(f"- {kind} [{','.join(c.entities) or '-'}] {c.origin}: {c.text!r}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the figures (and, with ``--misses``, tune's misses)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--split", choices=("tune", "held", "all", "both"), default="both")
    parser.add_argument("--misses", action="store_true", help="list tune's misses (never held's)")
    args = parser.parse_args(argv)
    cases, meta = load_cases(args.cache)
    texts = list(dict.fromkeys(c.text for c in cases))
    detected = dict(zip(texts, asyncio.run(_detect(texts)), strict=True))
    splits = ("tune", "held") if args.split == "both" else (args.split,)
    counts = Counter((c.split, c.label) for c in cases)
    print(f"cases by split and label: {dict(sorted(counts.items()))}")
    print(f"left out (entity types outside the policy): {meta['left_out_by_type']}\n")
    for split in splits:
        print(render(cases, detected, split))
    if args.misses:
        print(_misses(cases, detected))
    return 0


if __name__ == "__main__":
    sys.exit(main())
