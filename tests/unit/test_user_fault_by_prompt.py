"""A fault scripted for one request's prompt is taken by that request only (session 16).

``test_interrupt_cancels_a_delayed_run`` failed once in five runs, the cell replying ``ok``:
the 60 s delay was scripted for "the next gpt-4o request", and a gpt-4o request an earlier
test left in flight could take it, so the cell's own request answered at once. A fault
can now name a text the request's prompt must contain (``Fault.for_prompt``), and the kernel tests'
``interrupt_in_flight`` scripts its delay for a marker only its own cell sends. Here a
request to the same model with another prompt goes first and must not take the fault.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestration_kernel import OrchestrationEngine
from tests.servers import Fault, OpenAIServer
from tests.servers.faults import FaultBook


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[OpenAIServer, OrchestrationEngine]]:
    with OpenAIServer() as srv:
        engine = OrchestrationEngine(
            keys={"openai": "sk-test-" + "x" * 20},
            base_urls={"openai": srv.base_url},
            audit=False,
            retry=None,
        )
        yield srv, engine


def test_a_request_with_another_prompt_does_not_take_the_fault(
    served: tuple[OpenAIServer, OrchestrationEngine],
) -> None:
    srv, engine = served
    srv.clear()
    srv.script(
        Fault.status(400, "scripted for the marked cell").for_prompt("markq"), model="gpt-4o"
    )
    stale = engine.complete_sync("gpt-4o", "a request left over from another test")
    assert stale.text  # answered: the fault was not its own
    with pytest.raises(Exception, match="scripted for the marked cell"):
        engine.complete_sync("gpt-4o", "the cell's own request markq")
    after = engine.complete_sync("gpt-4o", "the same marker again markq")  # used up (times=1)
    assert after.text
    assert [r.fault for r in srv.requests] == [None, "status", None]


def test_the_fault_book_matches_model_and_prompt_together() -> None:
    book = FaultBook()
    delay = Fault.delay(60).for_prompt("markq")
    book.add(delay, model="gpt-4o")
    assert book.take("gpt-4o", "no marker here") is None
    assert book.take("gpt-4o-mini", "markq, but another model") is None
    assert book.take("gpt-4o", "wait for me markq") is delay
    assert book.take("gpt-4o", "wait for me markq") is None  # taken once
    anyone = Fault.delay(60)
    book.add(anyone, model="gpt-4o")  # without a prompt: any prompt, as before
    assert book.take("gpt-4o", "anything") is anyone
