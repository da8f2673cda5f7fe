"""The Guardian's secrets detection on a larger slice of the corpora the dev set samples.

    python -m bench.guardian_secret_corpora                  # tune and held halves, per source
    python -m bench.guardian_secret_corpora --families       # ... and per rule / plugin family
    python -m bench.guardian_secret_corpora --misses tune    # the misses and false alarms of tune

The development set (``../shared/guardian-dev``) takes a few cases from gitleaks' rule
tests and detect-secrets' plugin tests. This reads many more of the same kind from a
cache outside the repository, ``~/.cache/orchestration-kernel-bench/secret-corpora/``:

- ``gitleaks.jsonl``: each rule's true positives (``tps``) and false positives (``fps``)
  from gitleaks' ``cmd/generate/config/rules/*.go``, with ``GenerateSampleSecrets``'
  shapes (``cmd/generate/config/utils/generate.go``) expanded one case per shape;
- ``detect-secrets.jsonl``: the ``(payload, should_flag)`` parameters of detect-secrets'
  ``tests/plugins/*_test.py`` (its sdist on PyPI ships no tests).

Fill it by transcribing those files from a source checkout into JSON lines, one case a
line: ``{"source", "family" (rule id or plugin), "label": "positive"|"negative", and
"text"}`` or, for a value gitleaks draws with ``secrets.NewSecret(regex)``, ``"parts"``: a
list of ``["lit", text]`` and ``["gen", regex, plausible]``. A ``gen`` part is rendered
here by a small random sampler of the regex, seeded by the case's id, so every run reads
the same strings; ``plausible`` asks for a digit 1-9 as gitleaks' ``newPlausibleSecret``.
Nothing from either project is stored in the repository.

Cases are split once by a fixed seed into ``tune`` and ``held`` halves (by a hash of
each case's id, so adding cases never moves old ones); only ``tune``'s misses may be read
while tuning (``--misses held`` refuses unless ``--i-am-done-tuning`` is given).

Scoring is the dev set's: the Guardian's ``check_input`` with the built-in policies at
their defaults; a positive is caught when the action is ``warn``, ``redact`` or ``block``;
a negative so flagged is a false positive.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

from bench.guardian_corpus import CorpusTally, score_corpus

CACHE = Path.home() / ".cache" / "orchestration-kernel-bench" / "secret-corpora"
SPLIT_SEED = "secret-corpora-2026-12-07"
_WORD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

try:  # Python 3.11+
    import re._constants as _sre_c  # type: ignore[import-not-found]
    import re._parser as _sre_p  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_p  # type: ignore[no-redef]


def sample_regex(pattern: str, rng: random.Random) -> str:
    """A random string matching ``pattern`` (classes, repeats, groups, alternations)."""
    return _walk(_sre_p.parse(pattern), rng)


def _walk(items: Any, rng: random.Random) -> str:
    out: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "ANY":
            out.append(rng.choice(_WORD[:36]))
        elif name == "IN":
            out.append(rng.choice(_charset(av)))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = av
            hi = lo + 4 if hi == _sre_c.MAXREPEAT else hi
            out.append("".join(_walk(sub, rng) for _ in range(rng.randint(lo, hi))))
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            out.append(_walk(av[-1], rng))
        elif name == "BRANCH":
            out.append(_walk(rng.choice(av[1]), rng))
        elif name == "CATEGORY":
            out.append(rng.choice(_category(av)))
        elif name not in ("AT", "GROUPREF", "ASSERT", "ASSERT_NOT"):
            raise ValueError(f"cannot sample regex op {name}")
    return "".join(out)


def _category(cat: Any) -> str:
    name = str(cat)
    if "DIGIT" in name:
        return "0123456789"
    if "SPACE" in name:
        return " "
    return _WORD


def _charset(items: Any) -> str:
    chars: list[str] = []
    negate = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            chars.append(chr(av))
        elif name == "RANGE":
            chars.extend(chr(c) for c in range(av[0], av[1] + 1))
        elif name == "CATEGORY":
            chars.extend(_category(av))
    if negate:
        chars = [c for c in _WORD[:-1] if c not in set(chars)]
    return "".join(dict.fromkeys(chars))


def render(case: dict[str, Any]) -> str:
    """The case's text, its generated parts drawn with a generator seeded by its id."""
    if "text" in case:
        return str(case["text"])
    rng = random.Random(int(hashlib.sha256(case["id"].encode()).hexdigest()[:16], 16))
    out: list[str] = []
    for part in case["parts"]:
        if part[0] == "lit":
            out.append(part[1])
            continue
        for _ in range(200):
            value = sample_regex(part[1], rng)
            if not part[2] or re.search("[1-9]", value):
                break
        out.append(value)
    return "".join(out)


def split_of(case_id: str) -> str:
    """``tune`` or ``held``, fixed by the case id and :data:`SPLIT_SEED`."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{case_id}".encode()).digest()
    return "tune" if digest[0] % 2 == 0 else "held"


def load_cases(cache: Path = CACHE) -> list[dict[str, Any]]:
    """Every case of the cache, rendered, with ``id``, ``split`` and ``category``."""
    cases: list[dict[str, Any]] = []
    files = sorted(cache.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"{cache}: no *.jsonl (see this module's docstring to fill it)")
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if not line.strip():
                continue
            case = json.loads(line)
            case["id"] = f"{path.stem}-{n:05d}"
            case["text"] = render(case)
            case["category"] = "secrets"
            case["note"] = case["family"]
            case["split"] = split_of(case["id"])
            cases.append(case)
    return cases


def _row(name: str, t: CorpusTally) -> str:
    rec = "–" if t.recall is None else f"{t.recall:.3f} ({t.caught}/{t.positives})"
    fpr = "–" if t.fpr is None else f"{t.fpr:.3f} ({t.flagged}/{t.negatives})"
    return f"| {name} | {rec} | {fpr} |"


def _detected_ids(result: dict[str, Any]) -> set[str]:
    pooled: CorpusTally = result["pooled"]
    missed = {cid for cid, _ in pooled.missed}
    flagged = {cid for cid, _ in pooled.false_alarms}
    return flagged | (result["_positive_ids"] - missed)


def main(argv: list[str] | None = None) -> int:
    """Print the tables; optionally the misses of one split."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--families", action="store_true", help="a row per rule/plugin")
    parser.add_argument("--misses", choices=("tune", "held"), help="list one split's errors")
    parser.add_argument("--i-am-done-tuning", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.misses == "held" and not args.i_am_done_tuning:
        print("held misses are not shown while tuning", file=sys.stderr)
        return 2
    cases = load_cases(args.cache)
    print(report_with_misses(cases, families=args.families, misses=args.misses))
    return 0


def report_with_misses(cases: list[dict[str, Any]], *, families: bool, misses: str | None) -> str:
    """:func:`report`, plus the texts of one split's misses and false alarms."""
    result = score_corpus(cases)
    result["_positive_ids"] = {c["id"] for c in cases if c["label"] == "positive"}
    detected = _detected_ids(result)
    groups: dict[str, CorpusTally] = {}
    for case in cases:
        keys = [case["split"], f"{case['split']} / {case['source']}"]
        if families:
            keys.append(f"{case['split']} / {case['source']} / {case['family']}")
        for key in keys:
            groups.setdefault(key, CorpusTally()).add(case, case["id"] in detected)
    lines = [f"{len(cases)} cases from {CACHE if misses is None else 'the cache'}", ""]
    lines += ["| split / source | recall | FPR |", "| --- | ---: | ---: |"]
    for key in sorted(groups, key=lambda k: (k.split(" / ")[0] != "tune", k)):
        lines.append(_row(key, groups[key]))
    if misses:
        lines.append("")
        for case in cases:
            if case["split"] != misses:
                continue
            hit = case["id"] in detected
            if (case["label"] == "positive") != hit:
                kind = "MISS" if case["label"] == "positive" else "FP  "
                lines.append(f"{kind} {case['source']}/{case['family']}: {case['text'][:160]!r}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
