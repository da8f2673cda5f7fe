"""A call row's ``request_hash`` covers the request's canonical text (issue 24).

The call path hands the audit a :class:`RequestMaterial` and the writer makes the text
(``material_for``) when it encodes the row, off the call's path. These tests hold it to
the text ``material_for`` gives for the request as it was sent: in the stored rows, as a
string, in an f-string (what ``request_hash`` formats) and once pickled (a cluster
worker's captured rows travel pickled).
"""

from __future__ import annotations

import pickle
import random

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.calls import RequestMaterial, material_for
from orchestration_kernel.models import ChatRequest, Message

_ALPHABET = "abc XYZ 123 \"'\\\n\t\u00e9\u4e2d\U0001f680{}[]:,"


def _requests(n: int, seed: int = 24) -> list[tuple[str, ChatRequest]]:
    rng = random.Random(seed)

    def text(k: int) -> str:
        return "".join(rng.choice(_ALPHABET) for _ in range(k))

    out = []
    for _ in range(n):
        messages = [
            Message(
                role=rng.choice(["user", "assistant", "system"]), content=text(rng.randrange(60))
            )
            for _ in range(rng.randrange(1, 4))
        ]
        request = ChatRequest(
            model="m",
            messages=messages,
            system=rng.choice([None, text(10)]),
            temperature=rng.choice([None, 0.0, 0.7, 1]),
            max_tokens=rng.choice([None, 1, 500]),
            stop=rng.choice([None, [], ["x"], [text(3), text(2)]]),
            json_output=rng.random() < 0.3,
        )
        out.append((rng.choice(["openai:gpt-4o-mini", "anthropic:claude-3"]), request))
    return out


def test_the_material_is_material_for_as_text_formatted_and_pickled() -> None:
    for ref, request in _requests(3000):
        want = material_for(ref, request)
        material = RequestMaterial(ref, request)
        assert str(material) == want
        assert str(material) == want  # the second read: the text made once
        assert f"request|{RequestMaterial(ref, request)}" == f"request|{want}"
        copied = pickle.loads(pickle.dumps(RequestMaterial(ref, request)))
        assert type(copied) is str and copied == want
        shown = repr(material)
        assert all(m.content not in shown for m in request.messages if len(m.content) > 3)


def test_the_material_is_the_request_when_it_was_checked() -> None:
    # Taken when made: a list changed afterwards does not change the text.
    messages = [Message(role="user", content="first")]
    request = ChatRequest(model="m", messages=messages, stop=["a"])
    want = material_for("openai:gpt-4o-mini", request)
    material = RequestMaterial("openai:gpt-4o-mini", request)
    request.messages.append(Message(role="user", content="later"))
    assert request.stop is not None
    request.stop.append("b")
    assert str(material) == want


_CASES = [
    ({"system": None}, "plain"),
    ({"system": "Be brief.", "temperature": 0.2, "max_tokens": 64}, "options"),
    ({"stop": ["END", "\n\n"], "json_output": True}, "stop and json"),
]


@pytest.mark.parametrize(("options", "label"), _CASES)
async def test_each_call_row_hashes_the_request_it_sent(options: dict, label: str) -> None:
    engine = OrchestrationEngine(
        offline="on", retry=RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01)
    )
    try:
        primary = engine.resolve("gpt-4").split(":", 1)[1]
        engine.simulator.script("server_error", model=primary, times=1)  # one retry
        prompts = [f'{label} {i}: caf\u00e9 \u4e2d "q" \\ {i * 7}' for i in range(12)]
        replies = [
            await engine.complete("gpt-4", p, run_id=f"r-{label}", **options) for p in prompts
        ]
        await engine.audit.aflush()
        rows = engine.audit.to_dataframe(run=f"r-{label}")
        calls = rows[rows.event == "call"]
        assert len(calls) == len(prompts) + 1  # the failed first attempt has its row too
        expected = []
        for prompt, reply in zip(prompts, replies, strict=True):
            request = ChatRequest(
                model="any",  # not part of the text: the ref is
                messages=[Message(role="user", content=prompt)],
                system=options.get("system"),
                temperature=options.get("temperature"),
                max_tokens=options.get("max_tokens"),
                stop=options.get("stop"),
                json_output=options.get("json_output", False),
            )
            text = material_for(reply.resolved_model, request)
            expected.append(engine.audit.request_hash(text))
        assert list(calls.request_hash) == [expected[0], *expected]
    finally:
        engine.close()
