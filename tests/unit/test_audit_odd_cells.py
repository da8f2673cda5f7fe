"""Reading a trail that holds cells its writer never writes (another program's row, a
damaged file): text that is not valid UTF-8, a fraction in an INTEGER column. Reads go on,
say which rows, and cut nothing; ``verify()`` reports the bad row as its finding."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.odd_cells import AuditReadWarning


def _trail_with_a_foreign_row(tmp_path: Path, **cells: str | float) -> AuditTrail:
    """A trail of two rows, then a third appended by another program: a copy of the
    first with ``cells`` (SQL expressions or values) in place of its own."""
    path = tmp_path / "audit.sqlite"
    trail = AuditTrail(path)
    trail.record("call", run_id="r1", input_tokens=3, prompt="hello")
    trail.record("call", run_id="r2", input_tokens=4, prompt="again")
    trail.flush()
    with sqlite3.connect(path) as conn:
        names = [r[1] for r in conn.execute("PRAGMA table_info(audit_events)")]
        values = []
        for name in names:
            if name == "seq":
                values.append("3")
            elif name in cells:
                value = cells[name]
                values.append(value if isinstance(value, str) else repr(value))
            else:
                values.append(name)
        conn.execute(
            f"INSERT INTO audit_events ({', '.join(names)}) "
            f"SELECT {', '.join(values)} FROM audit_events WHERE seq = 1"
        )
    return AuditTrail(path)


def test_text_that_is_not_utf8_is_read_with_a_warning_and_verify_names_the_row(
    tmp_path: Path,
) -> None:
    trail = _trail_with_a_foreign_row(tmp_path, prompt="CAST(X'6869FF' AS TEXT)", run_id="'odd'")
    with pytest.warns(AuditReadWarning, match=r"not valid UTF-8.*seq 3 \(prompt\)"):
        frame = trail.to_dataframe()
    assert frame["prompt"].tolist() == ["hello", "again", "hi\ufffd"]
    with pytest.warns(AuditReadWarning, match=r"seq 3 \(prompt\)"):
        assert trail.to_dataframe(run="odd")["prompt"].tolist() == ["hi\ufffd"]
    report = trail.verify()
    assert not report and report.first_broken == 3 and report.rows == 2
    assert "not valid UTF-8 (prompt)" in report.reason


def test_a_fraction_in_an_integer_column_reads_back_whole(tmp_path: Path) -> None:
    trail = _trail_with_a_foreign_row(tmp_path, input_tokens=2.5)
    with pytest.warns(AuditReadWarning, match=r"'input_tokens' is INTEGER.*fractions.*seq 3"):
        frame = trail.to_dataframe()
    assert frame["input_tokens"].tolist() == [3.0, 4.0, 2.5]  # not cut to 2
    assert frame["output_tokens"].dtype == "Int64"  # the other columns as ever
    assert not trail.verify()  # a foreign row does not link: verify says so, as before


def test_a_trail_the_writer_wrote_reads_without_a_warning(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite")
    trail.record("call", run_id="r", input_tokens=3, prompt="caf\u00e9 \u2603")
    trail.flush()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = trail.to_dataframe()
        assert trail.verify()
    assert frame["input_tokens"].dtype == "Int64" and frame["prompt"][0] == "caf\u00e9 \u2603"
