"""A call whose audit row is refused still gives its deployment back.

The audit can refuse a row in the middle of a call (the trail was closed under it, or its
writer is stuck and the queue reached its bound). Whichever row is refused -- the route,
a Guardian verdict, or the attempt's ``call`` row after a reply or after an error -- the
router's in-flight count and the limiter's slot for the deployment go back to 0, and the
next call on that deployment is routed and served normally. The pool has one member with
``max_in_flight=1``: a leaked slot would make the next call wait for ever (the hang guard).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from orchestration_kernel import Guardian, OrchestrationEngine, RetryPolicy
from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.errors import OrchestrationError
from tests.conftest import fake_key
from tests.servers import Fault, OpenAIServer

pytestmark = pytest.mark.timeout(60)

REFUSED = "the audit trail is closed"


def make_engine(srv: Any, trail: AuditTrail, guardian: Guardian | None) -> Any:
    engine = OrchestrationEngine(
        offline="off",
        keys={"openai": fake_key("openai")},
        retry=RetryPolicy(max_attempts=1),
        audit=trail,
        guardian=guardian,
    )
    engine.add_pool(
        "one",
        [
            {
                "id": "only",
                "model": "gpt-4o-mini",
                "base_url": srv.base_url,
                "api_key": fake_key("only"),
                "max_in_flight": 1,
            }
        ],
    )
    return engine


@pytest.mark.parametrize(
    "where", ["route", "input verdict", "call after reply", "call after error"]
)
async def test_a_refused_audit_row_releases_the_deployment(tmp_path: Path, where: str) -> None:
    trail = AuditTrail(tmp_path / "refuses.sqlite", session_id="s")
    guardian = None
    if where == "input verdict":
        guardian = Guardian()

        def closes_the_trail(text: str, ctx: object) -> None:
            trail.close()  # the verdict row this check produces is refused

        guardian.add_policy(closes_the_trail, name="closer", stages=("input",))

    def on_delta(delta: object) -> None:
        trail.close()  # the reply is under way: its call row will be refused

    with OpenAIServer() as srv:
        engine = make_engine(srv, trail, guardian)
        kwargs: dict[str, Any] = {}
        if where == "route":
            trail.close()
        elif where.startswith("call"):
            kwargs["on_delta"] = on_delta
        if where == "call after error":
            srv.script(Fault.drop_mid_stream(after_chunks=2))
        with pytest.raises(OrchestrationError, match=REFUSED):
            await engine.complete("one", "hello", **kwargs)
        assert engine.router.in_flight("only") == 0
        # No limiter gate yet (refused before the limits) counts as no slot held.
        assert engine.router.limiter.snapshot().get("only", {}).get("in_flight", 0) == 0
        served = len(srv.requests)

        # The next call, on a writable trail, is routed to the same deployment and answered.
        engine.audit = AuditTrail(tmp_path / "fresh.sqlite", session_id="s")
        if guardian is not None:
            engine.guardian = None
        reply = await asyncio.wait_for(engine.complete("one", "again"), 30)
        assert reply.deployment == "only" and reply.text
        assert len(srv.requests) == served + 1
        assert engine.router.in_flight("only") == 0
        engine.audit.close()
