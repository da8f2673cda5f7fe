"""Chat completions sent through the OpenAI SDK's own ``client.post``, skipping the one
step of ``chat.completions.create`` that our requests do not need.

``create`` walks its whole keyword set through ``async_maybe_transform`` (a recursive,
annotation-driven rewrite of TypedDict params: aliases, dates, files) before it calls
``client.post``. Our bodies are plain JSON already — strings, numbers, lists of strings,
``{"type": "json_object"}`` — for which that walk is the identity, and it is the largest
single cost of a call in the SDK: a third of its CPU time for a 1 KB prompt (issue 24).
:func:`post_chat` builds the very body ``create`` would (the same keys, in ``create``'s
order, so the bytes on the wire are identical: tests/integration/test_openai_post.py
compares them) and hands it to ``client.post`` with the same options ``create`` passes:
the same request building, auth, Azure deployment routing, error handling and parsing
into ``ChatCompletion`` / ``AsyncStream[ChatCompletionChunk]`` (or, for a non-streamed
body, into what ``cast_to`` builds: the adapter's :mod:`.openai_reply`).

Anything outside what is known to be plain (a key ``create`` does not send in this
order, a ``response_format`` that is not a dict, an SDK without these names) goes
through ``create`` itself, unchanged.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

__all__ = ["post_chat"]

#: The body keys in the order ``AsyncCompletions.create`` writes them (openai 3.x):
#: ``json.dumps`` keeps insertion order, so the same order gives the same bytes.
_BODY_ORDER = (
    "model", "stream", "service_tier", "messages", "audio", "frequency_penalty",
    "function_call", "functions", "logit_bias", "logprobs", "max_completion_tokens",
    "max_tokens", "metadata", "modalities", "moderation", "n", "parallel_tool_calls",
    "prediction", "presence_penalty", "prompt_cache_key", "prompt_cache_options",
    "prompt_cache_retention", "reasoning_effort", "response_format", "safety_identifier",
    "seed", "stop", "store", "stream_options", "temperature", "tool_choice", "tools",
    "top_logprobs", "top_p", "user", "verbosity", "web_search_options",
)  # fmt: skip
_RANK = {key: i for i, key in enumerate(_BODY_ORDER)}
#: Keys whose values we send as plain JSON (anything else goes through ``create``).
_PLAIN = frozenset(
    {
        "model", "stream", "messages", "max_completion_tokens", "max_tokens",
        "response_format", "safety_identifier", "stop", "stream_options", "temperature",
        "user",
    }
)  # fmt: skip


#: The request options whose defaults are ``NotGiven()`` instances: pydantic deep-copies
#: such a default each time a request's options are built without it (``copy.deepcopy``
#: of an object, about a third of ``FinalRequestOptions.construct``'s time), so
#: :func:`post_chat` passes the SDK's own ``NOT_GIVEN`` for them, which is the same value.
_NOT_GIVEN_OPTIONS = ("headers", "max_retries", "post_parser")


@functools.cache
def _sdk_parts() -> tuple[Any, Any, Any, Any, Any] | None:
    """``make_request_options``, ``ChatCompletion``, ``ChatCompletionChunk``,
    ``AsyncStream`` and ``NOT_GIVEN`` from the installed SDK (``None``: not there;
    ``create`` then)."""
    try:
        from openai import NOT_GIVEN, AsyncStream
        from openai._base_client import make_request_options
        from openai.types.chat import ChatCompletion, ChatCompletionChunk
    except ImportError:  # pragma: no cover - another SDK layout
        return None
    # Private names: take them only while they take what ``create`` passes them, so a
    # later SDK that changes them falls back to ``create`` instead of failing calls.
    try:
        takes = inspect.signature(make_request_options).parameters
    except (TypeError, ValueError):  # pragma: no cover - not introspectable
        return None
    if not {"extra_body", "timeout", "security"} <= takes.keys():  # pragma: no cover
        return None
    return make_request_options, ChatCompletion, ChatCompletionChunk, AsyncStream, NOT_GIVEN


def _plain(params: dict[str, Any]) -> bool:
    """True when ``create``'s transform would leave every value as it is."""
    for key, value in params.items():
        if key not in _PLAIN:
            return False
        if key == "messages":
            if not all(type(m) is dict and _plain_message(m) for m in value):
                return False
        elif key in ("response_format", "stream_options"):
            if type(value) is not dict or not all(type(v) in (str, bool) for v in value.values()):
                return False
        elif key == "stop":
            if not (type(value) is list and all(type(s) is str for s in value)):
                return False
        elif not (value is None or type(value) in (str, int, float, bool)):
            return False
    return True


def _plain_message(message: dict[str, Any]) -> bool:
    return all(type(v) is str for v in message.values())


async def post_chat(
    client: Any,
    params: dict[str, Any],
    *,
    timeout: Any,
    stream: bool = False,
    cast_to: Any = None,
) -> Any:
    """``client.chat.completions.create(**params, stream=stream, timeout=timeout)``, the
    same request on the wire and the same result, without the transform when ``params``
    are plain. ``params`` may hold ``extra_body`` as ``create`` takes it. ``cast_to``:
    what a non-streamed body is parsed into on that path (default ``ChatCompletion``;
    ``create`` always gives a ``ChatCompletion``)."""
    parts = _sdk_parts()
    body = {k: v for k, v in params.items() if k != "extra_body"}
    if stream:
        body["stream"] = True
    if parts is None or not _plain(body):
        more: dict[str, Any] = {"stream": True} if stream else {}
        return await client.chat.completions.create(**params, **more, timeout=timeout)
    make_request_options, completion, chunk, stream_cls, not_given = parts
    ordered = dict(sorted(body.items(), key=lambda item: _RANK[item[0]]))
    extra = params.get("extra_body")
    options = make_request_options(
        extra_body=extra, timeout=timeout, security={"bearer_auth": True}
    )
    for key in _NOT_GIVEN_OPTIONS:
        options.setdefault(key, not_given)
    return await client.post(
        "/chat/completions",
        body=ordered,
        options=options,
        cast_to=completion if cast_to is None or stream else cast_to,
        stream=stream,
        stream_cls=stream_cls[chunk],
    )
