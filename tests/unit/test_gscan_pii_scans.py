"""PII scans rewritten for speed find what the plain patterns they replace find
(issue 20, speed): each is compared with the plain pattern over random strings of the
characters it reads, scanned in windows as the detector scans them."""

from __future__ import annotations

import random
import re

from orchestration_kernel.guardian import data_numbers

#: The run of dotted numbers as first written: a look-behind first, tried everywhere.
_PLAIN_DOTTED_RUN = re.compile(r"(?<![\w.])\d+(?:\.\d+)+(?:[ ,]+\d+(?:\.\d+)+){4,}(?![\w.])")


def test_dotted_runs_are_the_plain_pattern_s() -> None:
    rng = random.Random(16)
    # dotted numbers, blanks, commas and what may stand around a run (an Arabic-Indic
    # digit is a digit too)
    pieces = ["1.2", "10.0.3", "7.7.7.7", "4", "\u0663.1", ".", " ", " ", ", ", ",", "a", "_"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 80))) for _ in range(3000)]
    found = 0
    for text in texts:
        for lo in range(0, len(text), 37):
            hi = lo + rng.randrange(1, 200)
            fast = [m.span() for m in data_numbers._DOTTED_RUN.finditer(text, lo, hi)]
            assert fast == [m.span() for m in _PLAIN_DOTTED_RUN.finditer(text, lo, hi)], text
            found += bool(fast)
    assert found > 50  # the strings do hold runs, at window edges too
