"""The OpenAI adapter's reply read straight from the body (providers/openai_reply.py)
against the reply read from the SDK's ``ChatCompletion`` of the same body (what the
adapter did before): over thousands of bodies, plain and odd, the same reply or the
same error."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from openai._models import construct_type
from openai.types.chat import ChatCompletion

from orchestration_kernel.models import ProviderReply
from orchestration_kernel.providers.openai_reply import (
    chat_reply_cast,
    completion_reply,
    plain_reply,
)

#: Values a field may take, plain or not: the builder must agree with the SDK on all.
ODD: list[Any] = [None, 0, 7, -1, 2.0, 1.5, True, False, "12", "", "text", [], {}, [1], {"a": 1}]
TEXTS: list[Any] = ["", "hello", "naïve 日本語 🙂", 'quote " \\ \n', None, 5, ["x"], {"t": 1}]
FINISH: list[Any] = ["stop", "length", "content_filter", "tool_calls", "odd", None, 3, ""]


def _pick(rng: random.Random, usual: list[Any], odd: list[Any]) -> Any:
    """Mostly one of ``usual``; now and then (1 in 25) one of ``odd``."""
    return rng.choice(odd if rng.random() < 0.04 else usual)


def _maybe(
    rng: random.Random, key: str, out: dict[str, Any], usual: list[Any], odd: list[Any], p: float
) -> None:
    """Set ``key`` (with probability ``p``; else leave it out) to a value from ``_pick``."""
    if rng.random() < p:
        out[key] = _pick(rng, usual, odd)


def _count(rng: random.Random) -> Any:
    return _pick(rng, [rng.randint(0, 5000), None], ODD)


def _usage(rng: random.Random) -> Any:
    if rng.random() < 0.04:
        return rng.choice(ODD)
    usage: dict[str, Any] = {}
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        if rng.random() < 0.9:
            usage[key] = _count(rng)
    if rng.random() < 0.2:
        usage["reasoning_tokens"] = _count(rng)
    if rng.random() < 0.5:
        usage["prompt_tokens_details"] = (
            {"cached_tokens": _count(rng), "audio_tokens": 0}
            if rng.random() < 0.96
            else rng.choice(ODD)
        )
    if rng.random() < 0.5:
        usage["completion_tokens_details"] = (
            {"reasoning_tokens": _count(rng), "accepted_prediction_tokens": 0}
            if rng.random() < 0.96
            else rng.choice(ODD)
        )
    return usage


def _body(rng: random.Random) -> Any:
    """A chat-completion body: mostly as servers send it, often with a field odd."""
    if rng.random() < 0.03:
        return rng.choice(ODD + TEXTS)
    message: dict[str, Any] = {"role": "assistant"}
    _maybe(rng, "content", message, TEXTS[:5], TEXTS[5:], 0.97)
    _maybe(rng, "refusal", message, [None, None, *TEXTS[:4]], TEXTS[5:], 0.5)
    if rng.random() < 0.1:
        message["tool_calls"] = [{"id": "t", "type": "function"}]
    choice: dict[str, Any] = {"index": 0, "logprobs": None}
    _maybe(rng, "finish_reason", choice, FINISH[:6], FINISH[6:], 0.97)
    if rng.random() < 0.97:
        choice["message"] = message if rng.random() < 0.97 else rng.choice(ODD + TEXTS)
    choices: Any = [choice] + ([dict(choice, index=1)] if rng.random() < 0.1 else [])
    if rng.random() < 0.03:
        choices = rng.choice([[], None, "x", {"0": choice}, [None], ["x"]])
    body: dict[str, Any] = {"object": "chat.completion", "created": 1700000000}
    _maybe(rng, "id", body, ["chatcmpl-1"], ODD, 0.98)
    _maybe(rng, "model", body, ["gpt-4o-mini"], ODD, 0.98)
    _maybe(rng, "choices", body, [choices], [choices], 0.98)
    if rng.random() < 0.85:
        body["usage"] = _usage(rng)
    if rng.random() < 0.2:
        body["system_fingerprint"] = "fp"
    # Round-trip through JSON: what the SDK's decoder hands the builder.
    return json.loads(json.dumps(body))


def _outcome(make: Any) -> tuple[str, Any]:
    try:
        reply = make()
    except Exception as exc:  # the same class and message either way
        return ("error", (type(exc).__name__, str(exc)))
    assert isinstance(reply, ProviderReply)
    return ("reply", reply.model_dump())


def _via_builder(data: Any) -> ProviderReply:
    built = chat_reply_cast().build(response=None, data=data)
    return built if type(built) is ProviderReply else completion_reply(built)


def _via_sdk_model(data: Any) -> ProviderReply:
    return completion_reply(construct_type(type_=ChatCompletion, value=data))


@pytest.mark.parametrize("seed", range(4))
def test_the_builder_gives_the_reply_the_sdk_model_gives(seed: int) -> None:
    rng = random.Random(seed)
    plain = 0
    for _ in range(1500):
        data = _body(rng)
        assert _outcome(lambda d=data: _via_builder(d)) == _outcome(
            lambda d=data: _via_sdk_model(d)
        ), data
        plain += plain_reply(data) is not None
    # Most bodies take the direct path; the rest prove the fallback agrees.
    assert 700 < plain < 1300


def test_a_server_body_takes_the_direct_path() -> None:
    data = {
        "id": "chatcmpl-9",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Hi.", "refusal": None},
            }
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 3,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 1},
        },
    }
    reply = plain_reply(data)
    assert reply is not None
    assert reply == _via_sdk_model(data)
    assert (reply.text, reply.finish_reason, reply.response_model) == (
        "Hi.",
        "stop",
        "gpt-4o-mini-2024-07-18",
    )
    assert reply.usage is not None
    assert (reply.usage.input_tokens, reply.usage.cached_input_tokens) == (12, 4)
    assert reply.usage.reasoning_tokens == 1
    assert reply.extras == {"id": "chatcmpl-9"}
