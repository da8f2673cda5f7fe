"""The session holds shared services by key and imports none of them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from orchestration_kernel import AuditTrail, ContextBus, OrchestrationEngine, Session


def test_importing_the_session_loads_no_engine_audit_or_bus() -> None:
    code = (
        "import sys, orchestration_kernel.session as s; s.Session('x');"
        "print(sorted(m for m in sys.modules if m.startswith('orchestration_kernel.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout
    for module in ("engine", "audit", "bus", "calls"):
        assert f"'orchestration_kernel.{module}" not in loaded


def test_defaults_live_in_the_session_by_key() -> None:
    session = Session.current()
    assert session.peek("engine") is None
    engine = OrchestrationEngine.default()
    assert engine is session.engine is session.peek("engine")
    assert AuditTrail.default() is session.audit is engine.audit
    bus = ContextBus.default()
    assert session.peek("bus_broker") is bus._broker


def test_a_service_is_made_once_and_remade_once_closed() -> None:
    session = Session("services-test")
    made: list[object] = []

    class Thing:
        closed = False

    def factory() -> Thing:
        made.append(Thing())
        return made[-1]  # type: ignore[return-value]

    first = session.service("thing", factory)
    assert session.service("thing", factory) is first and len(made) == 1
    first.closed = True
    assert session.service("thing", factory) is not first and len(made) == 2
    session.close()


def test_closing_the_session_closes_its_services() -> None:
    session = Session("closing-test")
    engine = OrchestrationEngine.default(session)
    trail = session.audit
    session.close()
    assert trail.closed and engine._closed


def test_a_service_without_a_default_needs_a_factory() -> None:
    session = Session("no-default")
    with pytest.raises(KeyError, match="nothing"):
        session.service("nothing")
    session.close()


def test_a_failing_close_does_not_leave_the_other_services_open() -> None:
    session = Session("failing-close")
    closed: list[str] = []

    class Service:
        closed = False

        def __init__(self, name: str, fails: bool) -> None:
            self.name, self.fails = name, fails

        def close(self) -> None:
            closed.append(self.name)
            if self.fails:
                raise OSError(f"{self.name} could not commit")

    session.service("first", lambda: Service("first", fails=False))
    session.service("second", lambda: Service("second", fails=True))
    with pytest.raises(OSError, match="second could not commit"):
        session.close()
    assert sorted(closed) == ["first", "second"]
