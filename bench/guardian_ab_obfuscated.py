"""``python -m bench.guardian_ab_obfuscated BASE [--texts 3000] [--seed 1]``: does the
injection detector at ``BASE`` and in the working tree find the same evidence on texts
dense with obfuscation (issue 20's speed target: a speed change moves no verdict)?

``scripts/guardian_equivalence.py`` compares whole verdicts on ~19k texts, few of which mix
several tricks in one text. Speed changes to the de-obfuscated and look-alike readings
(which pieces are read, which readings are made, what a pass may skip) go wrong where
tricks meet: a look-alike letter next to leetspeak, a zero-width character inside a
spaced-out word, a chunk edge that a dropped character moved. Here the project's labelled
prompts (``tests/guardian_eval``) are joined into texts of 300 to 4,400 characters (around
the detector's one-chunk limit) and one to five words of each are rewritten, seeded: with
Cyrillic look-alikes, zero-width characters or soft hyphens inside, leetspeak, letters
spaced out, letters split by dashes, or look-alikes and leetspeak together. Each text goes
through both sides' ``InjectionDetector.find`` in one process (the base's
``orchestration_kernel/`` extracted under another package name, as
:mod:`bench.guardian_ab_inproc` does; the prefilter databases loaded); the score and every
finding (entity, span, weight) must be the same.

Prints the number of texts that differ and the first few (the text's number, what only
one side found). Exit status 1 when any differs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.compare import _extract

__all__ = ["main", "obfuscated_texts"]

_BASE_PACKAGE = "guardian_ab_base"
#: Cyrillic letters that look like Latin ones.
_LOOK_ALIKE = dict(zip("aeoicpxy", "аеоісрху", strict=True))
_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u00ad")
_LEET = dict(zip("oieast", "013457", strict=True))
_SIZES = (300, 1000, 2500, 4000, 4352, 4400)


def _rewrite(word: str, rng: random.Random) -> str:
    """``word`` with one obfuscation trick (or two together)."""
    kind = rng.randrange(6)
    if kind == 0:
        return "".join(_LOOK_ALIKE.get(c, c) if rng.random() < 0.4 else c for c in word)
    if kind == 1:
        cut = len(word) // 2
        if rng.random() < 0.3:
            return rng.choice(_INVISIBLE).join(word)
        return word[:cut] + rng.choice(_INVISIBLE) + word[cut:]
    if kind == 2:
        return "".join(_LEET.get(c, c) if rng.random() < 0.5 else c for c in word)
    if kind == 3:
        return " ".join(word)
    if kind == 4:
        mixed = (_LOOK_ALIKE.get(c) or _LEET.get(c) or c for c in word)
        return "".join(m if rng.random() < 0.5 else c for m, c in zip(mixed, word, strict=True))
    return "-".join(word[i : i + 2] for i in range(0, len(word), 2))


def obfuscated_texts(n: int, seed: int) -> list[str]:
    """``n`` seeded texts: labelled prompts joined, a few words rewritten."""
    from tests.guardian_eval.generator import build_cases

    prompts = [c.text for c in build_cases()]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        size = rng.choice(_SIZES)
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < size:
            parts.append(rng.choice(prompts))
        words = "\n".join(parts)[:size].split(" ")
        for _ in range(rng.randrange(1, 6)):
            at = rng.randrange(len(words))
            words[at] = _rewrite(words[at], rng)
        out.append(" ".join(words))
    return out


def _finders(base_root: Path) -> dict[str, Callable[[str], Any]]:
    sys.path.insert(0, str(base_root))
    out = {}
    for label, package in (("base", _BASE_PACKAGE), ("now", "orchestration_kernel")):
        injection = importlib.import_module(f"{package}.guardian.injection")
        out[label] = injection.InjectionDetector().find
    return out


def _evidence(found: tuple[float, list[Any]]) -> tuple[float, list[tuple[Any, ...]]]:
    score, findings = found
    return score, [(f.entity, f.start, f.end, f.score) for f in findings]


def main(argv: list[str] | None = None) -> int:
    """Compare both sides' findings on the obfuscated texts; 1 when any differ."""
    p = argparse.ArgumentParser(prog="python -m bench.guardian_ab_obfuscated", description=__doc__)
    p.add_argument("base", help="the git commit to compare against")
    p.add_argument("--texts", type=int, default=3000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    os.environ["ORCHESTRATION_GUARDIAN_PREFILTER"] = "wait"
    texts = obfuscated_texts(args.texts, args.seed)
    with tempfile.TemporaryDirectory(prefix="guardian-ab-obfuscated-") as tmp:
        _extract(args.base, Path(tmp) / "tree")
        shutil.move(str(Path(tmp) / "tree" / "orchestration_kernel"), Path(tmp) / _BASE_PACKAGE)
        finders = _finders(Path(tmp))
        differ = []
        for i, text in enumerate(texts):
            base, now = (_evidence(finders[side](text)) for side in ("base", "now"))
            if base != now:
                differ.append((i, base, now))
    print(
        f"`python -m bench.guardian_ab_obfuscated {args.base} --texts {args.texts} "
        f"--seed {args.seed}`: {len(differ)} of {len(texts)} texts differ"
    )
    for i, (b_score, b_found), (n_score, n_found) in differ[:10]:
        print(
            f"  text {i}: score {b_score:.4f} -> {n_score:.4f}; "
            f"base only {[f for f in b_found if f not in n_found]}, "
            f"now only {[f for f in n_found if f not in b_found]}"
        )
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
