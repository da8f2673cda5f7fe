"""A run's audit rows queued before a step's call is under way are encoded while the call
waits (issue 24), so the run's end has less to encode before the commit it waits for;
what is stored is the same (``scripts/audit_writer_equivalence.py`` checks the bytes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail

pytestmark = pytest.mark.timeout(120)

TWO_STEPS = [
    {"name": "a", "model": "gpt-4", "prompt": "first {input}"},
    {"name": "b", "model": "claude-3", "prompt": "second {a}"},
]


async def test_rows_queued_before_each_steps_call_are_encoded_while_it_waits(
    tmp_path: Path,
) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s")
    engine = OrchestrationEngine(offline="on", audit=trail, simulator={"latency": 0.02})
    pipeline = engine.create_pipeline(TWO_STEPS)
    await pipeline.execute("warm-up")
    left: list[int] = []  # records still unencoded once each call-time encoding ran
    original = trail.encode_pending

    def encode_pending() -> None:
        original()
        left.append(len(trail._writer._unencoded))

    trail.encode_pending = encode_pending  # type: ignore[method-assign]

    result = await pipeline.execute("go", run_id="encoded-early")

    assert result.status == "done"
    assert len(left) == 2  # once per step
    assert left == [0, 0]  # everything queued by then was encoded (no long texts here)
    frame = trail.to_dataframe()
    frame = frame[frame.run_id == "encoded-early"]
    assert {"run_start", "route", "call", "step", "run_end"} <= set(frame.event)
    assert trail.verify().ok
    engine.close()
    trail.close()
