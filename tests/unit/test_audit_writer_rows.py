"""Today's audit writer stores byte for byte the rows af88c2e's stored.

``audit_rows_af88c2e.json`` holds the rows (``seq``, every column, ``prev_hash``,
``hash``) that the writer at af88c2e stored for :mod:`audit_fixture_records` (fixed key,
timestamps and redactor; content logging on and off). The same rows, hashes included,
mean a trail written today verifies with that release's code and the reverse. To make
the file again with another checkout's ``orchestration_kernel`` (from this folder's
parent of ``tests``)::

    PYTHONPATH=<that checkout> python tests/unit/test_audit_writer_rows.py > \\
        tests/unit/audit_rows_af88c2e.json
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.calls import CallSpec
from orchestration_kernel.models import Message
from orchestration_kernel.recorder import _prompt_text

KEPT = Path(__file__).with_name("audit_rows_af88c2e.json")


def written_rows() -> dict[str, list[list[Any]]]:
    """Write the fixture's records (content logging on and off); the stored rows."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.unit.audit_fixture_records import KEY_HEX, RECORDS, redact

    out: dict[str, list[list[Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "audit.key"
        key.write_text(KEY_HEX)
        key.chmod(0o600)
        for logging in (True, False):
            path = Path(tmp) / f"{logging}.sqlite"
            trail = AuditTrail(
                path, key_path=key, content_logging=logging, redactor=redact,
                identity="fixture", session_id="fixture",
            )  # fmt: skip
            for event, given, parts in RECORDS:
                cols = dict(given)
                if parts is not None:
                    system, messages = parts
                    turns = [Message(role=r, content=c) for r, c in messages]  # type: ignore[arg-type]
                    cols["prompt"] = _prompt_text(
                        CallSpec(model="m", system=system, messages=turns)
                    )
                trail.record(event, **cols)
            trail.flush()
            assert trail.verify().ok
            trail.close()
            conn = sqlite3.connect(path)
            try:
                rows = conn.execute("SELECT * FROM audit_events ORDER BY seq").fetchall()
            finally:
                conn.close()
            out["on" if logging else "off"] = [list(r) for r in rows]
    return out


def test_the_rows_are_those_af88c2e_stored() -> None:
    kept = json.loads(KEPT.read_text(encoding="utf-8"))
    now = written_rows()
    assert now.keys() == kept.keys()
    for setting in kept:
        assert len(now[setting]) == len(kept[setting])
        for stored, expected in zip(now[setting], kept[setting], strict=True):
            assert stored == expected


if __name__ == "__main__":
    print(json.dumps(written_rows(), ensure_ascii=True, indent=0))
