"""``python -m bench.audit_writer_body_ab [--rounds 12] [--rows 2000] [--guardian]``: the
JSON a row's hash covers made by orjson against the stdlib, in one process, thread CPU.

``chain.hashed_body`` makes a row's body with orjson when that gives the stdlib's bytes
(and with the stdlib otherwise). This switches that off and on (``chain._orjson``),
alternating which goes first each round, over the writer's work for typical ``call``
rows (``bench.audit._row``): encoding (``RowEncoder.encode``: redaction with the
credential floor, or a fresh Guardian's redactor with ``--guardian``; content hashes;
JSON) then ``AuditStore.append`` in commits of 500 rows (chain, insert, ``COMMIT`` under
``synchronous=FULL``), each side on a trail of its own. The first round is a warm-up.
It prints each side's median thread CPU µs per row, encoding and appending, and the
median of the per-round ratios. One process and thread CPU: what a busy machine
distorts least (compare with ``bench.audit_writer_ab``, whole processes and wall time).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

_SIDES = ("stdlib", "orjson")


def _measure(rounds: int, rows: int, guardian: bool, folder: Path) -> dict[str, list[float]]:
    from bench.audit import _row
    from orchestration_kernel.audit import chain
    from orchestration_kernel.audit.chain import ChainKey
    from orchestration_kernel.audit.rows import RowEncoder
    from orchestration_kernel.audit.store import AuditStore
    from orchestration_kernel.audit.trail import _secrets_only
    from orchestration_kernel.guardian import Guardian

    redactor: Any = Guardian().redact if guardian else _secrets_only
    compiled = chain._orjson
    if compiled is None:
        raise SystemExit("orjson is not installed: there is nothing to compare")
    key = ChainKey(b"k" * 32)
    encoder = RowEncoder(key, "bench-session", "bench")
    stores = {side: AuditStore(folder / f"{side}.sqlite", key) for side in _SIDES}
    got: dict[str, list[float]] = {f"{s} {p}": [] for s in _SIDES for p in ("encode", "append")}
    start = 0
    try:
        for r in range(rounds + 1):
            for side in _SIDES if r % 2 == 0 else _SIDES[::-1]:
                chain._orjson = compiled if side == "orjson" else None
                items = [
                    (time.time(), "call", _row(start + i), redactor, True) for i in range(rows)
                ]
                start += rows
                cpu = time.thread_time()
                encoded = [encoder.encode(item) for item in items]
                encoding = time.thread_time() - cpu
                cpu = time.thread_time()
                for at in range(0, rows, 500):
                    stores[side].append(encoded[at : at + 500])
                appending = time.thread_time() - cpu
                if r:  # round 0 warms both sides up
                    got[f"{side} encode"].append(encoding * 1e6 / rows)
                    got[f"{side} append"].append(appending * 1e6 / rows)
    finally:
        chain._orjson = compiled
        for store in stores.values():
            store.close()
    return got


def main(argv: list[str] | None = None) -> int:
    """Run the rounds, print the medians."""
    p = argparse.ArgumentParser(prog="python -m bench.audit_writer_body_ab", description=__doc__)
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--rows", type=int, default=2000)
    p.add_argument("--guardian", action="store_true", help="a fresh Guardian's redactor")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-body-") as tmp:
        got = _measure(args.rounds, args.rows, args.guardian, Path(tmp))
    mode = "Guardian redactor" if args.guardian else "credential floor"
    print(f"thread CPU µs per row ({mode}; median of {args.rounds} rounds of {args.rows})")
    for side in _SIDES:
        enc, app = got[f"{side} encode"], got[f"{side} append"]
        both = [e + a for e, a in zip(enc, app, strict=True)]
        print(f"  {side:7s} encode {statistics.median(enc):6.2f}  append "
              f"{statistics.median(app):6.2f}  both {statistics.median(both):6.2f}")  # fmt: skip
    ratios = [
        (oe + oa) / (se + sa)
        for oe, oa, se, sa in zip(
            got["orjson encode"], got["orjson append"], got["stdlib encode"],
            got["stdlib append"], strict=True,
        )
    ]  # fmt: skip
    shown = ", ".join(f"{x:.2f}" for x in ratios)
    print(f"  orjson / stdlib per round: median {statistics.median(ratios):.3f} ({shown})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
