"""Do the audit reads of this tree return what another checkout's return, on many trails?

    python scripts/audit_reads_equivalence.py                      # this tree vs faaa7d8
    python scripts/audit_reads_equivalence.py --base REV --trails N --seed S

Issue 24 made the whole-trail reads faster (``to_dataframe()``, ``export()``, ``verify()``);
nothing they return may change. This script writes trails once, with this tree's writer
(the reads are under test, not the writer), each a seeded mix of every event kind:
missing values in every column, unicode (accents, emoji, NUL, lone surrogates), integers
at and beyond int64's edges inside ``detail``, floats at their edges (NaN, infinities,
-0.0, subnormals), JSON lists and objects, redacted rows and rows written with content
logging off. Most are long enough for the fast paths (the private snapshot read into
Arrow from 5,000 rows, the snapshot walk of ``verify()`` from 20,001); a few are short
(the stdlib paths). Copies of some are then damaged with raw SQL as an attacker or a
stray tool would (an edited value, a deleted or reordered row, a truncated tail, an
upper-cased hash, a deleted anchor, text where a number belongs, a blob, an invalid
UTF-8 text) so that the fallbacks and the tamper reports are compared too.

Every trail also gets this tree's columnar sidecar (``audit/sidecar.py``), built after
all its rows or (every fourth trail) after 60% of them, so that later rows are read from
SQLite after it; the damaged copies keep the sidecar of the trail they were copied from
(which no longer matches them), and further copies damage the sidecar instead of the
database (a flipped byte, a truncated file, an edited record) or prune the trail after
the sidecar was built.

Each checkout (the base's ``orchestration_kernel`` unpacked with ``git archive``, and
this tree twice: with the sidecar files and with them removed) then reads every trail
in a child process: ``to_dataframe()`` whole and
filtered, ``export()`` to Parquet, CSV and JSONL (the files' bytes, and ``read_back``),
``verify()`` (its whole report) and ``verify(expect_head=...)``. The parent compares:
the frames' columns, dtypes and values (object cells by ``repr``, so ``1`` and ``1.0``
and ``nan`` are told apart), the export files byte for byte, and the reports (without
their ``sidecar`` field). This tree with and without the sidecar must agree in every
byte; against the base, a Parquet file of a whole trail is compared by its contents
(schema, metadata and values), since this tree writes it in chunks of 1,024 rows
(``columnar.canonical_chunks``), which changes how its pages are cut, not what it holds.

Exit status 1 when anything differs (the first differences are printed).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AUDIT_KEY = bytes(range(32))
KINDS = ("run_start", "run_end", "step", "call", "route", "guardian", "handoff", "fold", "prune")
_TEXTS = [
    "plain ascii",
    "ünïcödé ñ and emoji 😀🎉 and CJK 漢字",
    "a lone surrogate \ud800 and \udfff",
    "NUL \x00 inside, DEL \x7f, tab\t and\nnewline",
    "",
    'quotes " and backslash \\ and </script>',
    "mail alice@example.com key sk-abcdefgh12345678",
    "x" * 900,
]
_INTS = [0, 1, -1, 57, 2**31, 2**53 + 1, 2**62, 2**63 - 1, -(2**63)]
_FLOATS = [0.0, -0.0, 0.1, 412.5, 1e-300, 5e-324, 1e300, 1.7976931348623157e308, 1e16, 1e-5,
           123456.789, float("nan"), float("inf"), float("-inf")]  # fmt: skip


def _redact(text: str) -> str:
    import re

    return re.sub(r"[\w.+-]+@[\w-]+\.[\w.]+|sk-[A-Za-z0-9]{8,}", "<REDACTED>", text)


def _json_value(rng: random.Random, depth: int = 0) -> object:
    choice = rng.randrange(9 if depth < 2 else 6)
    if choice == 0:
        return rng.choice(_TEXTS)[:60]
    if choice == 1:
        return rng.choice([*_INTS, 2**64, -(2**70), 10**30])
    if choice == 2:
        return rng.choice(_FLOATS)
    if choice == 3:
        return rng.choice([True, False, None])
    if choice == 4:
        return rng.randrange(1000)
    if choice == 5:
        return f"v{rng.randrange(10**6)}"
    if choice == 6:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {f"k{rng.randrange(20)}": _json_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def _columns(rng: random.Random, i: int, plain: bool) -> dict[str, Any]:
    """One row's columns: typical where ``plain`` (most rows), anything where not."""
    cols: dict[str, Any] = {
        "timestamp": 1_765_000_000.25 + i * 0.001,
        "run_id": f"run{i // 10:06d}",
        "step": f"s{i % 3}",
        "provider": "openai",
        "model": "openai:gpt-4o-mini",
        "attempt": 1,
        "status": "ok",
        "latency_ms": 412.5 + i % 7,
        "input_tokens": 57,
        "output_tokens": 80,
        "cost_usd": 0.000123,
        "detail": {"deployment": "openai:gpt-4o-mini#0", "n": i},
        "prompt": f"Summarise the report #{i}",
        "response": "Revenue grew 12%.",
        "request_material": f"m{i}",
    }
    if plain:
        return cols
    for name in list(cols):
        if name != "timestamp" and rng.random() < 0.3:
            del cols[name]  # a missing value
    pick = rng.random
    if pick() < 0.5:
        cols["prompt"] = rng.choice(_TEXTS) + f" #{i}"
    if pick() < 0.5:
        cols["response"] = rng.choice(_TEXTS)
    if pick() < 0.5:
        cols["detail"] = _json_value(rng) if pick() < 0.3 else {"a": _json_value(rng), "n": i}
    if pick() < 0.3:
        cols["guardian_reasons"] = [rng.choice(_TEXTS)[:40] for _ in range(rng.randrange(3))]
        cols["guardian_action"] = rng.choice(["allow", "warn", "redact", "block"])
        cols["guardian_policy"] = rng.choice(["pii", "secrets", None])
        cols["stage"] = rng.choice(["input", "output"])
    for name in ("latency_ms", "ttft_ms", "cost_usd"):
        if pick() < 0.3:
            cols[name] = rng.choice(_FLOATS)
    for name in ("input_tokens", "output_tokens", "attempt"):
        if pick() < 0.3:
            cols[name] = rng.choice(_INTS)
    if pick() < 0.2:
        cols["replayed"] = rng.choice([True, False])
    if pick() < 0.2:
        cols["error_type"] = rng.choice(["TimeoutError", "ProviderError", "ü"])
    if pick() < 0.2:
        cols["pipeline"] = rng.choice(["p", "ünï", ""])
    if pick() < 0.1:
        cols["response_model"] = rng.choice(_TEXTS)[:30]
    if pick() < 0.1:
        cols["timestamp"] = rng.choice([0.0, 1.5, 4_102_444_800.999999, 1_765_000_000.0])
    return cols


def write_trails(folder: Path, seed: int, trails: int, long_rows: int) -> list[str]:
    """Write the trails (this tree's writer) and their damaged copies; their names."""
    sys.path.insert(0, str(ROOT))
    from orchestration_kernel.audit import AuditTrail

    names = []
    for t in range(trails):
        rng = random.Random(seed * 1000 + t)
        rows = long_rows + rng.randrange(500) if t % 4 else rng.choice([3, 40, 4999, 6000])
        odd_share = rng.choice([0.0, 0.02, 0.3, 1.0])
        logging, redacted = t % 3 != 2, t % 2 == 0
        name = f"t{t:02d}.sqlite"
        trail = AuditTrail(
            folder / name,
            key_path=folder / "audit.key",
            content_logging=logging,
            redactor=_redact if redacted else None,
            identity="eq",
            session_id="eq",
        )
        stale_at = int(rows * 0.6) if t % 4 == 1 else rows
        for i in range(rows):
            kind = "call" if rng.random() > odd_share else rng.choice(KINDS)
            trail.record(kind, **_columns(rng, i, kind == "call" and rng.random() > odd_share))
            if i % 5000 == 4999 or i + 1 == stale_at:
                trail.flush()
            if i + 1 == stale_at:
                _build_sidecar(trail)
        trail.close()
        names.append(name)
        if rows >= 20:
            names += _damaged(folder, name, rng, rows)
            names += _sidecar_cases(folder, name, rng)
    return names


def _build_sidecar(trail: Any) -> None:
    """Bring the trail's sidecar up to date with everything committed."""
    from orchestration_kernel.audit.sidecar import bring_up_to_date

    trail.flush()
    checkpointer = trail._store._checkpointer
    hooks = checkpointer.after if checkpointer is not None else []
    # The checkpoint's own append (the rows this writer committed, where they are taken
    # as given), then from SQLite whatever that left.
    while any([hook() for hook in hooks]) or bring_up_to_date(trail._store):
        pass


_SIDECAR = (".cols", ".cols.json")


def _copy_trail(folder: Path, name: str, copy: str) -> None:
    for suffix in ("", ".mark", *_SIDECAR):
        if (folder / f"{name}{suffix}").exists():
            shutil.copy(folder / f"{name}{suffix}", folder / f"{copy}{suffix}")


def _sidecar_cases(folder: Path, name: str, rng: random.Random) -> list[str]:
    """Copies of ``name`` whose sidecar is damaged (the database is not), and one
    pruned after its sidecar was built."""
    if not (folder / f"{name}.cols").exists():
        return []
    out = []
    for kind in ("side_flip", "side_truncate", "side_record", "pruned"):
        copy = f"{name[:-7]}-{kind}.sqlite"
        _copy_trail(folder, name, copy)
        data, record = folder / f"{copy}.cols", folder / f"{copy}.cols.json"
        if kind == "side_flip":
            raw = bytearray(data.read_bytes())
            at = rng.randrange(len(raw) // 2, len(raw))
            raw[at] ^= 0x01
            data.write_bytes(bytes(raw))
        elif kind == "side_truncate":
            os.truncate(data, data.stat().st_size // 2)
        elif kind == "side_record":
            fields = json.loads(record.read_text())
            fields["last"] += 1
            record.write_text(json.dumps(fields))
        else:
            from datetime import timedelta

            from orchestration_kernel.audit import AuditTrail

            pruned = AuditTrail(folder / copy, key_path=folder / "audit.key")
            pruned.prune(timedelta(days=1))
            pruned.close()
        out.append(copy)
    return out


#: Raw SQL damage (``{seq}`` is a row picked at random).
_DAMAGE = {
    "edit": "UPDATE audit_events SET model = 'other' WHERE seq = {seq}",
    "edit_float": "UPDATE audit_events SET latency_ms = 1.25 WHERE seq = {seq}",
    "delete": "DELETE FROM audit_events WHERE seq = {seq}",
    "swap": "UPDATE audit_events SET seq = -1 WHERE seq = {seq}; "
    "UPDATE audit_events SET seq = {seq} WHERE seq = {seq} + 1; "
    "UPDATE audit_events SET seq = {seq} + 1 WHERE seq = -1",
    "truncate": "DELETE FROM audit_events WHERE seq > {seq}",
    "upper_hash": "UPDATE audit_events SET hash = upper(hash) WHERE seq = {seq}",
    "no_anchor": "DELETE FROM audit_anchor",
    "text_int": "UPDATE audit_events SET input_tokens = 'many' WHERE seq = {seq}",
    "frac_int": "UPDATE audit_events SET output_tokens = 2.5 WHERE seq = {seq}",
    "blob_text": "UPDATE audit_events SET prompt = X'00ff' WHERE seq = {seq}",
    "bad_utf8": "UPDATE audit_events SET response = CAST(X'c328' AS TEXT) WHERE seq = {seq}",
    "blob_json": "UPDATE audit_events SET detail = X'7b7d' WHERE seq = {seq}",
    "text_float": "UPDATE audit_events SET cost_usd = 'free' WHERE seq = {seq}",
    "bad_json": "UPDATE audit_events SET detail = '{{not json' WHERE seq = {seq}",
    "bad_time": "UPDATE audit_events SET timestamp = '2026-02-30T00:00:00.000000+00:00' "
    "WHERE seq = {seq}",
}


def _damaged(folder: Path, name: str, rng: random.Random, rows: int) -> list[str]:
    """Copies of ``name``, each damaged one way (three ways picked per trail)."""
    out = []
    for kind in rng.sample(sorted(_DAMAGE), 3):
        copy = f"{name[:-7]}-{kind}.sqlite"
        _copy_trail(folder, name, copy)  # the sidecar too: it no longer matches
        seq = rng.randrange(1, rows - 1)
        conn = sqlite3.connect(folder / copy)
        conn.executescript(
            "DROP TRIGGER IF EXISTS audit_events_no_update; "
            f"DROP TRIGGER IF EXISTS audit_events_no_delete; {_DAMAGE[kind].format(seq=seq)}"
        )
        conn.close()
        out.append(copy)
    return out


# -- one side: read every trail -------------------------------------------------------------


def _frame_cells(frame: Any) -> dict[str, Any]:
    """What is compared of a frame: columns, dtypes, and each column's values."""
    cells: dict[str, Any] = {}
    for name in frame.columns:
        col = frame[name]
        if col.dtype == object:
            cells[name] = [repr(v) for v in col.tolist()]
        else:
            cells[name] = col
    return {"columns": list(frame.columns), "dtypes": [str(d) for d in frame.dtypes],
            "cells": cells}  # fmt: skip


def read_trails(folder: Path, names: list[str], out: Path) -> None:
    """Read each trail every way; pickle what came back into ``out``, one file a trail."""
    import warnings

    from orchestration_kernel.audit import AuditTrail

    for name in names:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            trail = AuditTrail(folder / name, key_path=folder / "audit.key")
            got = _read_one(trail, out / name)
            trail.close()
        got["warnings"] = sorted(str(w.message) for w in caught)
        (out / f"{name}.pickle").write_bytes(pickle.dumps(got))


def _read_one(trail: Any, stem: Path) -> dict[str, Any]:
    """Everything compared of one trail (exports written next to ``stem``)."""
    from orchestration_kernel.audit.export import read_back

    got: dict[str, Any] = {}
    for label, filters in (
        ("frame", {}),
        ("frame_run", {"run": "run000002"}),
        ("frame_limit", {"limit": 7}),
    ):
        got[label] = _outcome(lambda filters=filters: _frame_cells(trail.to_dataframe(**filters)))
    for suffix in ("parquet", "csv", "jsonl"):
        path = stem.with_name(f"{stem.name}.{suffix}")
        got[suffix] = _outcome(lambda path=path: trail.export(path) and path.read_bytes())
        got[f"{suffix}_back"] = _outcome(lambda path=path: _frame_cells(read_back(path)))
    report = _outcome(trail.verify)
    got["verify"] = _without_sidecar_field(report)
    got["sidecar"] = getattr(report, "sidecar", None)
    head = getattr(report, "head_hash", None) or "0" * 64
    got["verify_head"] = _without_sidecar_field(_outcome(lambda: trail.verify(expect_head=head)))
    return got


def _without_sidecar_field(report: Any) -> Any:
    """A verify report as the base writes it (this tree's adds ``sidecar``)."""
    import dataclasses

    if dataclasses.is_dataclass(report) and hasattr(report, "sidecar"):
        fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
        fields.pop("sidecar")
        return ("VerifyReport", fields)
    if dataclasses.is_dataclass(report):
        return ("VerifyReport", dataclasses.asdict(report))  # type: ignore[arg-type]
    return report


def _outcome(read: Any) -> Any:
    try:
        return read()
    except Exception as exc:  # the same error on both sides is the same behaviour
        return ("raised", type(exc).__name__, str(exc))


def _run_side(root: Path, folder: Path, names: list[str], out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0"}
    env.update(ORCHESTRATION_NO_DOTENV="1", ORCHESTRATION_NO_KEYRING="1")
    args = ["--read", str(folder), str(out), json.dumps(names), str(root)]
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, cwd=root
    )
    if done.returncode:
        raise SystemExit(f"reading with {root} failed:\n{done.stderr[-3000:]}")


def _parquet_contents(data: object) -> object:
    """A Parquet file's schema (with its metadata) and values, from its bytes."""
    if not isinstance(data, bytes):
        return data
    import io

    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    return (table.schema.to_string(show_schema_metadata=True), table.to_pydict())


def _differences(
    name: str, old: dict[str, Any], new: dict[str, Any], by_contents: tuple[str, ...] = ()
) -> list[str]:
    import pandas as pd

    found = []
    for label in old:
        if label == "sidecar":
            continue  # only this tree's reports say it
        a, b = old[label], new.get(label)
        if label in by_contents:
            a, b = _parquet_contents(a), _parquet_contents(b)
        if isinstance(a, dict) and "cells" in a and isinstance(b, dict):
            if a["columns"] != b["columns"] or a["dtypes"] != b["dtypes"]:
                found.append(f"{name} {label}: columns or dtypes differ")
                continue
            for col, values in a["cells"].items():
                other = b["cells"][col]
                if isinstance(values, list):
                    same = values == other
                else:
                    try:
                        pd.testing.assert_series_equal(values, other, check_exact=True)
                        same = True
                    except AssertionError:
                        same = False
                if not same:
                    found.append(f"{name} {label}: column {col} differs")
        elif repr(a) != repr(b):
            found.append(f"{name} {label}: {repr(a)[:200]} != {repr(b)[:200]}")
    return found


def main() -> int:
    """Write the trails, read them with both checkouts, compare."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="faaa7d8")
    parser.add_argument("--trails", type=int, default=16)
    parser.add_argument("--rows", type=int, default=20_050, help="rows of a long trail")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--read", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        folder, out, names, root = args.read
        sys.path.insert(0, root)
        read_trails(Path(folder), json.loads(names), Path(out))
        return 0
    with tempfile.TemporaryDirectory(prefix="audit-reads-eq-") as tmp:
        work = Path(tmp)
        sys.path.insert(0, str(ROOT))
        from bench.compare import _extract  # its orchestration_kernel/, from git

        base, folder = work / "base", work / "trails"
        _extract(args.base, base)
        folder.mkdir(mode=0o700)
        (folder / "audit.key").write_text(AUDIT_KEY.hex())
        (folder / "audit.key").chmod(0o600)
        names = write_trails(folder, args.seed, args.trails, args.rows)
        sides = {"base": base, "head": ROOT, "plain": ROOT}
        reading, out = work / "reading", work / "out"
        for side, root in sides.items():
            # Each side reads a fresh copy at the same path (reports name the files; a
            # read may index or mend, which must not change what the other side sees).
            shutil.copytree(folder, reading)
            if side == "plain":  # this tree without the sidecar
                for found in list(reading.iterdir()):
                    if found.name.endswith(_SIDECAR):
                        found.unlink()
            out.mkdir()
            _run_side(root, reading, names, out)
            out.rename(work / f"{side}-out")
            shutil.rmtree(reading)
        failures: list[str] = []
        broken, used = 0, 0
        for name in names:
            old = pickle.loads((work / "base-out" / f"{name}.pickle").read_bytes())
            new = pickle.loads((work / "head-out" / f"{name}.pickle").read_bytes())
            plain = pickle.loads((work / "plain-out" / f"{name}.pickle").read_bytes())
            verdict = old["verify"]
            broken += not (isinstance(verdict[1], dict) and verdict[1].get("ok", False))
            used += str(new.get("sidecar", "")).startswith("matches")
            failures += _differences(name, old, new, by_contents=("parquet",))
            failures += [f"{d} (sidecar vs none)" for d in _differences(name, plain, new)]
        print(f"{len(names)} trails ({broken} not intact; the sidecar matched in {used}), read "
              f"by {args.base} and by this tree with and without the sidecar: "
              f"{len(failures)} differences")  # fmt: skip
    for line in failures[:20]:
        print("DIFFERENCE", line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
