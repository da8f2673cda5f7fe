"""The labels of a call's audit rows (run, pipeline, step, session, provider, model):
each row's from its own call and target, a column given explicitly winning."""

from __future__ import annotations

from typing import Any

from orchestration_kernel.calls import CallSpec, Target
from orchestration_kernel.models import Message
from orchestration_kernel.recorder import AuditRecorder


class _Rows:
    """An audit that keeps what it is given."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, dict[str, Any]]] = []

    def record(self, event: str, **cols: Any) -> None:
        cols.pop("content_logging")
        cols.pop("redactor")
        self.rows.append((event, cols))


def _spec(run: str, step: str) -> CallSpec:
    return CallSpec(
        model="m",
        messages=[Message(role="user", content="hi")],
        run_id=run,
        pipeline="p",
        step=step,
        session_id="s",
    )


def _target(provider: str, model: str, *, stand_in: bool = False) -> Target:
    adapter: Any = type("A", (), {"name": "sim"})()
    return Target(
        name="m", provider=provider, model=model, deployment_id=f"{provider}:{model}",
        adapter=adapter, simulated=False, stand_in=stand_in,
    )  # fmt: skip


def _labels(cols: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("run_id", "pipeline", "step", "session_id", "provider", "model")
    return tuple(cols.get(k) for k in keys)


def test_each_row_is_labelled_by_its_own_call_and_target() -> None:
    audit = _Rows()
    rec = AuditRecorder(audit)
    first, second = _spec("r1", "a"), _spec("r2", "b")
    real, stand_in = _target("openai", "x"), _target("openai", "y", stand_in=True)
    rec.route(first, real)
    rec.record("guardian", first, real, stage="input")
    rec.route(first, stand_in)  # a fallback: another target of the same call
    rec.route(second, real)  # the same target object with another call's spec
    rec.record("guardian", second, real, step="given", provider="given")
    rec.record("guardian", None, real)
    rec.record("guardian", second, None)
    assert [_labels(c) for _, c in audit.rows] == [
        ("r1", "p", "a", "s", "openai", "openai:x"),
        ("r1", "p", "a", "s", "openai", "openai:x"),
        ("r1", "p", "a", "s", "sim", "openai:y"),
        ("r2", "p", "b", "s", "openai", "openai:x"),
        ("r2", "p", "given", "s", "given", "openai:x"),  # a given column wins
        (None, None, None, None, "openai", "openai:x"),
        ("r2", "p", "b", "s", None, None),
    ]
