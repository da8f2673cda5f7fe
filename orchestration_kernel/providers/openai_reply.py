"""A chat completion's reply read straight from the response's JSON, skipping the SDK's
``ChatCompletion`` object when the body is plain.

``client.post(..., cast_to=ChatCompletion)`` turns the decoded body into nested SDK
models (``construct_type``: the completion, each choice, its message, the usage and its
details) only for the adapter to read six values out of them: on the path of every
call, for a 500-character reply, it costs about as much as the rest of the adapter's
own work (issue 24). :func:`chat_reply_cast` is a ``cast_to`` the SDK accepts in its
place: the SDK still sends, checks the status, maps errors and decodes the JSON exactly
as before, and hands the decoded body to :meth:`_ChatReply.build` (its
``ModelBuilderProtocol`` hook), which returns

- the :class:`ProviderReply` itself (:func:`plain_reply`), when every value the adapter
  reads has the JSON type that ``construct_type`` leaves as it is, so the reply is the
  one the ``ChatCompletion`` would have given (tests/unit/test_openai_reply.py compares
  the two over thousands of bodies, odd ones included);
- otherwise the very ``ChatCompletion`` the SDK would have made
  (``construct_type(type_=ChatCompletion, value=data)``, what its non-strict parse does),
  which :func:`completion_reply` reads as the adapter always did.

Our clients never turn on the SDK's strict response validation (whose parse would
validate instead of construct); without these SDK names the adapter keeps ``ChatCompletion``.
"""

from __future__ import annotations

import functools
from typing import Any

from ..errors import IncompleteStreamError
from ..models import ProviderReply, Usage
from ._sdk import chat_usage

__all__ = ["chat_reply_cast", "completion_reply", "plain_reply"]


def completion_reply(completion: Any) -> ProviderReply:
    """The reply in an SDK ``ChatCompletion`` (what ``create`` returns)."""
    if not completion.choices:
        raise IncompleteStreamError("the response has no choices")
    choice = completion.choices[0]
    message = choice.message
    extras: dict[str, Any] = {"id": completion.id}
    if getattr(message, "refusal", None):
        extras["refusal"] = message.refusal
    return ProviderReply(
        text=message.content or "",
        finish_reason=choice.finish_reason,
        usage=chat_usage(completion.usage),
        response_model=completion.model,
        extras=extras,
    )


def _count(value: object) -> bool:
    """A token count the SDK keeps as it is: absent, null or a JSON integer."""
    return value is None or type(value) is int


def _details(value: object, name: str) -> bool:
    """A ``*_tokens_details`` object whose ``name`` count is plain (or no object)."""
    return value is None or (type(value) is dict and _count(value.get(name)))


def _plain_usage(usage: object) -> Usage | bool | None:
    """The :class:`Usage` of a plain ``usage`` value (``None`` for none), or ``False``
    when a value the adapter reads is not plain."""
    if usage is None:
        return None
    if type(usage) is not dict:
        return False
    get = usage.get
    prompt, completion, top_reasoning = (
        get("prompt_tokens"),
        get("completion_tokens"),
        get("reasoning_tokens"),
    )
    details_in = get("prompt_tokens_details")
    details_out = get("completion_tokens_details")
    if not (
        _count(prompt)
        and _count(completion)
        and _count(top_reasoning)
        and _details(details_in, "cached_tokens")
        and _details(details_out, "reasoning_tokens")
    ):
        return False
    cached = details_in.get("cached_tokens") if details_in is not None else None
    reasoning = (details_out.get("reasoning_tokens") if details_out is not None else None) or (
        top_reasoning
    )
    # chat_usage's arithmetic, on the same values.
    return Usage(
        input_tokens=prompt or 0,
        output_tokens=completion or 0,
        cached_input_tokens=cached or 0,
        reasoning_tokens=reasoning or 0,
    )


def plain_reply(data: object) -> ProviderReply | None:
    """The reply in a decoded chat-completion body, or ``None`` when some value the
    adapter reads is not of the plain JSON type the SDK's models keep unchanged (then
    the SDK's ``ChatCompletion`` is made and read instead)."""
    if type(data) is not dict:
        return None
    ident, model, choices = data.get("id"), data.get("model"), data.get("choices")
    if type(ident) is not str or type(model) is not str:
        return None
    if type(choices) is not list or not choices or type(choices[0]) is not dict:
        return None
    choice = choices[0]
    if "finish_reason" not in choice or "message" not in choice:
        return None
    finish, message = choice["finish_reason"], choice["message"]
    if not (finish is None or type(finish) is str) or type(message) is not dict:
        return None
    content, refusal = message.get("content"), message.get("refusal")
    if not (content is None or type(content) is str):
        return None
    if not (refusal is None or type(refusal) is str):
        return None
    usage = _plain_usage(data.get("usage"))
    if usage is False:
        return None
    extras: dict[str, Any] = {"id": ident}
    if refusal:
        extras["refusal"] = refusal
    return ProviderReply(
        text=content or "",
        finish_reason=finish,
        usage=usage,
        response_model=model,
        extras=extras,
    )


@functools.cache
def chat_reply_cast() -> Any:
    """The ``cast_to`` that builds replies from the body (``None``: the SDK has no
    builder hook or no ``ChatCompletion``; pass ``ChatCompletion`` then)."""
    try:
        from openai import BaseModel
        from openai._models import construct_type
        from openai._types import ModelBuilderProtocol
        from openai.types.chat import ChatCompletion
    except ImportError:  # pragma: no cover - another SDK layout
        return None

    class _ChatReply(BaseModel):
        """A ``cast_to`` (never instantiated): the SDK calls :meth:`build` with the body."""

        @classmethod
        def build(cls, *, response: object, data: object) -> object:
            reply = plain_reply(data)
            if reply is not None:
                return reply
            return construct_type(type_=ChatCompletion, value=data)

    if not issubclass(_ChatReply, ModelBuilderProtocol):  # pragma: no cover - SDK changed
        return None
    return _ChatReply
