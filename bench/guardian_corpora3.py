"""The Guardian's secrets and PII detection on a third set of public test corpora.

    python -m bench.guardian_corpora3                  # tune and held, per source and family
    python -m bench.guardian_corpora3 --misses tune    # tune's misses and false positives

The earlier corpora benches read gitleaks', detect-secrets' and Presidio's tests
(``bench.guardian_secret_corpora``, ``bench.guardian_pii_corpora``) and whispers' and
scrubadub's (``bench.guardian_corpora2``). This one reads what none of them did, from a
cache outside the repository, ``~/.cache/orchestration-kernel-bench/corpora3/``
(``--cache DIR``):

- ``trufflehog/cases.jsonl``: trufflesecurity/trufflehog's detector tests
  (``pkg/detectors/<name>/<name>_test.go``, the ``Test<Name>_Pattern`` tables), transcribed
  from the public code index, one JSON line per test input: ``{"family" (the detector),
  "label", "text"}``. An input whose ``want`` lists a secret is a positive; an input the
  test marks "invalid pattern" (the value broken by a character outside the vendor's
  alphabet, a wrong length, a wrong path) is a negative. Inputs labelled "key out of
  prefix range" are not transcribed: their ``want`` is empty only because the detector
  wants its keyword within N characters, which says nothing about the text. The
  integration tests (``//go:build detectors``) hold no literal secrets and are skipped.
- ``detect-secrets-new/cases.jsonl``: Yelp/detect-secrets' plugin tests
  (``tests/plugins/<plugin>_test.py``) that ``bench.guardian_secret_corpora``'s cache does
  not hold (plugins added later: Aiven, Grafana, HashiCorp Vault, AWS secret access keys,
  Okta, GCP, Amazon Bedrock, Azure connection strings, ...), one JSON line per
  ``(payload, should_flag)`` parameter, in the same shape; a test that asserts a finding
  for every payload makes each a positive.
- ``presidio-tests/test_*recognizer*.py``: Presidio recognizer tests that the
  ``guardian_pii_corpora`` cache does not hold (recognizers added to Presidio later),
  parsed exactly as that bench parses its own (:mod:`ast`, never imported), with its
  :data:`~bench.guardian_pii_corpora.EXCLUDED` entity types left out and its "weak"
  cases (expected score below 0.5) left out. Optional: missing, it is skipped. (A
  negative there is one recognizer's: the Korean FRN file's negatives include valid
  citizen RRNs, which the Guardian rightly finds; they count as false positives here.)

Nothing of these projects is stored in the repository.

Every case falls in ``tune`` or ``held`` by ``sha256(SEED:source:text)``, fixed before any
verdict was read; tune on ``tune`` only (``--misses held`` refuses without
``--i-am-done-tuning``).

Scoring is the development set's: ``Guardian().check_input`` with the built-in policies at
their defaults; a positive is caught when the action is ``warn``, ``redact`` or ``block``;
a negative so flagged is a false positive.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from bench.guardian_corpora2 import cli
from bench.guardian_pii_corpora import EXCLUDED, _presidio_cases

__all__ = ["CACHE", "SEED", "load_cases", "main", "split_of"]

CACHE = Path.home() / ".cache" / "orchestration-kernel-bench" / "corpora3"
#: Fixed before any case of this cache was scored.
SEED = "secrec-corpora3-2026-12-07"


def split_of(source: str, text: str) -> str:
    """``tune`` or ``held``, fixed by the source, the text and :data:`SEED`."""
    digest = hashlib.sha256(f"{SEED}:{source}:{text}".encode()).digest()
    return "tune" if digest[0] % 2 == 0 else "held"


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _presidio(folder: Path) -> list[dict[str, Any]]:
    """The newer Presidio tests as cases (``weak`` ones and excluded types left out)."""
    if not folder.is_dir():
        return []
    out = []
    for case in _presidio_cases(folder):
        if case.label == "weak":
            continue
        if case.label == "positive" and any(e in EXCLUDED for e in case.entities):
            continue
        out.append(
            {
                "text": case.text,
                "label": case.label,
                "family": ",".join(case.entities),
                "source": "presidio-new",
                # (Presidio files a cloud key with its PII recognizers: here a secret.)
                "category": "secrets" if "AMAZON_S3_KEY" in case.entities else "pii",
            }
        )
    return out


def load_cases(cache: Path = CACHE) -> list[dict[str, Any]]:
    """Every case of the cache with ``id``, ``source``, ``family``, ``category``, ``split``."""
    cases: list[dict[str, Any]] = []
    for source in ("trufflehog", "detect-secrets-new"):
        for row in _read_jsonl(cache / source / "cases.jsonl"):
            cases.append({**row, "source": source, "category": "secrets"})
    cases += _presidio(cache / "presidio-tests")
    if not cases:
        raise SystemExit(f"{cache}: no cases (see this module's docstring to fill it)")
    seen: set[str] = set()
    unique = []
    for case in cases:
        key = f"{case['source']}:{case['text']}"
        if key in seen:  # the same input in two tests is one case
            continue
        seen.add(key)
        case["id"] = hashlib.sha256(key.encode()).hexdigest()[:12]
        case["note"] = case["family"]
        case["split"] = split_of(case["source"], case["text"])
        unique.append(case)
    return unique


def main(argv: list[str] | None = None) -> int:
    """Print the tables; optionally one split's misses and false positives."""
    return cli(argv, doc=__doc__, cache=CACHE, load=load_cases)


if __name__ == "__main__":
    raise SystemExit(main())
