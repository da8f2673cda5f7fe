"""``python -m bench.placeholder_precision [--n 100000] [--seed 20]``.

How often a random token is taken for a placeholder (issue 20): for several alphabets
(alphanumeric, one case with digits, base64, base64url, hex, printable ASCII) and two
lengths, ``n`` seeded random tokens each are judged by
:func:`orchestration_kernel.guardian.placeholders.is_placeholder`, with every test on
(``all``: as a vendor token's body is judged) and as a password is (``password``:
``sequences=False, fill=False``). A real credential that is taken for a placeholder is
let through, so the figure is a recall loss; run it at two commits to compare.
"""

from __future__ import annotations

import argparse
import random
import string

from orchestration_kernel.guardian.placeholders import is_placeholder

ALPHABETS = {
    "alnum": string.ascii_letters + string.digits,
    "lower+digits": string.ascii_lowercase + string.digits,
    "upper+digits": string.ascii_uppercase + string.digits,
    "base64": string.ascii_letters + string.digits + "+/",
    "base64url": string.ascii_letters + string.digits + "-_",
    "hex": string.hexdigits[:16],
    "printable": string.ascii_letters + string.digits + "!@#$%^&*()-_=+[]{};:,.<>?/",
}
LENGTHS = (24, 40)


def main() -> None:
    """Print, per alphabet and length, how many of ``n`` random tokens are placeholders."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"| alphabet | length | all tests | as a password | (of {args.n}) |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, alphabet in ALPHABETS.items():
        for length in LENGTHS:
            tokens = ["".join(rng.choices(alphabet, k=length)) for _ in range(args.n)]
            every = sum(is_placeholder(t) for t in tokens)
            password = sum(is_placeholder(t, sequences=False, fill=False) for t in tokens)
            print(f"| {name} | {length} | {every} | {password} | |")


if __name__ == "__main__":
    main()
