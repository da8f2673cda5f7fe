"""The Guardian's PII detection on a fourth public corpus: piisa's regex PII tests.

    python -m bench.guardian_corpora4                  # tune and held, per source and family
    python -m bench.guardian_corpora4 --families       # ... a row per family
    python -m bench.guardian_corpora4 --misses tune    # tune's misses and false positives

No corpora bench before this one reads piisa/pii-extract-plg-regex: the PII tasks of the
PIISA project, national IDs, phone numbers, bank accounts, cards and e-mails for a dozen
countries in their own languages (French, Spanish, Portuguese, Romanian, Chinese, ...).
Its cases come from a cache outside the repository,
``~/.cache/orchestration-kernel-bench/corpora4/`` (``--cache DIR``):

- ``piisa/cases.jsonl``: the ``TESTCASES`` of ``test/unit/B_modules/**/test_*.py``,
  transcribed from the public code index, one JSON line per input: ``{"family" (country
  and task, e.g. ``fr-govid``), "label", "text"}``. A positive when the expected output
  tags a span (``<GOV_ID:…>``); a negative when the test says the value is invalid (a
  bad check digit, a wrong length or form). Inputs left untagged only for want of a
  context word ("Missing context") or because the number is another country's (a +34
  number in the US phone test) are not transcribed: they hold real personal data,
  which the Guardian rightly redacts wherever it stands.

Nothing of piisa's is stored in the repository.

Every case falls in ``tune`` or ``held`` by ``sha256(SEED:source:text)``, fixed before any
verdict was read; tune on ``tune`` only (``--misses held`` refuses without
``--i-am-done-tuning``). Scoring is the development set's: ``Guardian().check_input``
with the built-in policies at their defaults; a positive is caught when the action is
``warn``, ``redact`` or ``block``; a negative so flagged is a false positive.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from bench.guardian_corpora2 import cli

__all__ = ["CACHE", "SEED", "load_cases", "main", "split_of"]

CACHE = Path.home() / ".cache" / "orchestration-kernel-bench" / "corpora4"
#: Fixed before any case of this cache was scored.
SEED = "secrec-corpora4-2026-12-08"
_SOURCES = ("piisa",)


def split_of(source: str, text: str) -> str:
    """``tune`` or ``held``, fixed by the source, the text and :data:`SEED`."""
    digest = hashlib.sha256(f"{SEED}:{source}:{text}".encode()).digest()
    return "tune" if digest[0] % 2 == 0 else "held"


def load_cases(cache: Path = CACHE) -> list[dict[str, Any]]:
    """Every case of the cache with ``id``, ``source``, ``family``, ``category``, ``split``."""
    cases: list[dict[str, Any]] = []
    seen: set[str] = set()
    for source in _SOURCES:
        path = cache / source / "cases.jsonl"
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            key = f"{source}:{row['text']}"
            if key in seen:  # the same input in two tests is one case
                continue
            seen.add(key)
            cases.append(
                {
                    **row,
                    "source": source,
                    "category": "pii",
                    "id": hashlib.sha256(key.encode()).hexdigest()[:12],
                    "note": row["family"],
                    "split": split_of(source, row["text"]),
                }
            )
    if not cases:
        raise SystemExit(f"{cache}: no cases (see this module's docstring to fill it)")
    return cases


def main(argv: list[str] | None = None) -> int:
    """Print the tables; optionally one split's misses and false positives."""
    return cli(argv, doc=__doc__, cache=CACHE, load=load_cases)


if __name__ == "__main__":
    raise SystemExit(main())
