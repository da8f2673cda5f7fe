"""The de-obfuscated readings with the hint gates are the readings without them (issue
20, speed): a gate that matches nowhere in a text lets ``_deobfuscate`` skip that hint,
the leetspeak hint's also once spacing, split or chopped words were undone (none of
them puts a digit, "@" or "$" next to a letter).

The gates here are the regexes themselves (the Hyperscan pass answers the same or
more), so a wrong skip shows as a reading lost.
"""

from __future__ import annotations

import random

import pytest

from orchestration_kernel.guardian import injection
from tests.guardian_eval.generator import build_cases


def _gates(low: str) -> set[int]:
    return {k for k, gate in enumerate(injection._HINT_GATES) if gate.search(low)}


_PIECES = [
    "1 g n 0 r e",
    "s h 0 w",
    "$ a b c",
    "a b c@",
    "$a b c d",
    "p-r-0-m-p-t",
    "ign-0re",
    "ru1es.",
    "all",
    "previous",
    "instructions",
    "your",
    "system",
    "prompt",
    "role-play",
    "os.path",
    "e.g.",
    "by.",
    "rule.",
    "x",
    "a",
    "i",
    "g",
    "n",
    "r",
    "e",
    "0",
    "3",
    "10am",
    "utf8",
]


def _texts(n: int = 3000, seed: int = 16) -> list[str]:
    rng = random.Random(seed)
    out = [" ".join(rng.choice(_PIECES) for _ in range(rng.randrange(1, 14))) for _ in range(n)]
    alphabet = "ab0 1-. e!"
    out += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60))) for _ in range(n)]
    return out


@pytest.mark.parametrize("source", ["pieces", "labelled"])
def test_gated_readings_are_the_ungated_ones(source: str) -> None:
    texts = _texts() if source == "pieces" else [c.text for c in build_cases()]
    lows = [t.lower() for t in texts]
    differ = [
        low
        for low in lows
        if injection._deobfuscate(low, gates=_gates(low)) != injection._deobfuscate(low)
    ]
    assert differ == []
    # the texts reach the hints past a rewrite: chopped words once split ones are joined,
    # leetspeak once spacing is undone
    made = {k for low in lows for k in _gates(low) if injection._deobfuscate(low)}
    assert made >= {0, 1, 3, injection._CHOPPED_AFTER_SPLIT} or source == "labelled"
