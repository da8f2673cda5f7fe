"""The evaluation set and its bench script stay runnable (figures live in docs/)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.guardian_eval.generator import CATEGORY_POLICY, build_cases

ROOT = Path(__file__).resolve().parents[2]


def test_eval_set_is_deterministic_labelled_and_split() -> None:
    cases = build_cases()
    assert cases == build_cases() and len(cases) >= 200
    assert {c.split for c in cases} == {"tune", "heldout"}
    assert {c.category for c in cases} == set(CATEGORY_POLICY)
    assert all(c.sensitive for c in cases if c.positive)
    assert len({c.id for c in cases}) == len(cases)


def test_heldout_is_fresh_material_covering_every_category() -> None:
    tune, held = build_cases(split="tune"), build_cases(split="heldout")
    assert {c.origin for c in held} == {"heldout-v3"}
    assert {c.origin for c in tune} == {
        "tune-v1",
        "retired-heldout-v1",
        "tune-v3",
        "retired-heldout-v2",
    }
    assert all(c.id.startswith("h3-") for c in held)
    assert {c.category for c in held} == set(CATEGORY_POLICY)
    # Positives and negatives of every policy's categories are held out.
    assert {c.category for c in held if c.positive} == set(CATEGORY_POLICY) - {"benign"}
    assert not {c.text for c in held} & {c.text for c in tune}
    assert build_cases(split="other") == []


def test_no_key_shaped_string_is_committed() -> None:
    shapes = re.compile(r"sk-ant-api03-|T3BlbkFJ|AIza[0-9A-Za-z_-]{35}")
    for path in (ROOT / "tests" / "guardian_eval").iterdir():
        if path.suffix in (".py", ".yaml"):
            assert not shapes.search(path.read_text(encoding="utf-8")), path


@pytest.mark.timeout(60)
def test_bench_script_runs_on_the_eval_set(tmp_path: Path) -> None:
    out = tmp_path / "eval.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "guardian_eval.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    report = out.read_text(encoding="utf-8")
    assert "python bench/guardian_eval.py" in report
    for category in CATEGORY_POLICY:
        assert f"| {category} |" in report
