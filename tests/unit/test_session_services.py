"""The session holds shared services by key and imports none of them."""

from __future__ import annotations

import subprocess
import sys

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
