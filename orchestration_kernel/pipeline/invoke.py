"""One model call of one step: the prompt, the engine call, and the JSON contract.

``format: json`` asks the model for JSON (and, with ``schema:``, validates it with
``jsonschema``, imported only then). An invalid reply is retried once, with the error
shown to the model; a second invalid reply fails the step with both errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from ..errors import GuardianBlocked, OrchestrationError, PipelineError
from ..models import Delta, Message, Reply
from .engine_face import PipelineEngine, StepCallOptions
from .result import ModelCall, assign
from .spec import StepSpec

__all__ = ["CallFailed", "call_model", "default_prompt", "json_instruction", "parse_json_reply"]

_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n(.*?)\n?```\s*$", re.DOTALL)


class CallFailed(Exception):
    """A model call of a step failed; ``call`` records it, ``error`` is the cause."""

    def __init__(self, call: ModelCall, error: BaseException) -> None:
        self.call = call
        self.error = error
        super().__init__(str(error))


def default_prompt(task: str, input_text: str | None, upstream: Sequence[tuple[str, str]]) -> str:
    """The prompt of a step given only a ``task``: the task, the input, the previous output."""
    parts = [f"Task: {task}"]
    if input_text:
        parts.append(f"Input:\n{input_text}")
    for name, text in upstream:
        parts.append(f"Output of the previous step ({name}):\n{text}")
    what = "the input" if not upstream else "the material above"
    parts.append(f"Carry out the {task} of {what} and reply with the result only.")
    return "\n\n".join(parts)


def json_instruction(schema: dict[str, object] | None) -> str:
    """What a ``format: json`` step adds to its prompt."""
    if schema is None:
        return "\n\nReply with a single JSON value and nothing else."
    return (
        "\n\nReply with a single JSON value and nothing else, valid against this JSON Schema:\n"
        + json.dumps(schema, ensure_ascii=False)
    )


def parse_json_reply(text: str, schema: dict[str, object] | None) -> tuple[object, str | None]:
    """``(value, None)`` for valid JSON (matching ``schema``), else ``(None, why)``."""
    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text
    try:
        value = json.loads(body)
    except ValueError as exc:
        return None, f"the reply is not valid JSON: {exc}"
    if schema is None:
        return value, None
    import jsonschema  # lazily: only JSON steps with a schema need it

    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        return None, f"the JSON does not match the schema at {where}: {exc.message}"
    except jsonschema.SchemaError as exc:
        raise PipelineError(
            f"the step's 'schema' is not a valid JSON Schema: {exc.message}"
        ) from None
    return value, None


def _record(call: ModelCall, reply: Reply) -> None:
    if call.latency_ms is None:  # no reply recorded yet: a fresh call
        _record_first(call, reply)
        return
    prior = 0.0 if call.latency_ms is None else call.cost_usd  # None: unknown stays unknown
    assign(call, {
        "cost_usd": None if prior is None or reply.cost_usd is None else prior + reply.cost_usd,
        "resolved_model": reply.resolved_model or None,
        "provider": reply.provider or None,
        "latency_ms": (call.latency_ms or 0.0) + reply.latency_ms,
        "ttft_ms": reply.ttft_ms if call.ttft_ms is None else call.ttft_ms,
        "usage": call.usage + reply.usage,
        "attempts": call.attempts + reply.attempts,
        "decisions": call.decisions + reply.decisions,
        "simulated": call.simulated or reply.simulated,
        "cost_if_real_usd": _if_real(call.cost_if_real_usd, reply),
    })  # fmt: skip


def _record_first(call: ModelCall, reply: Reply) -> None:
    """:func:`_record` for a call's first reply: the reply's own figures (nothing to add)."""
    assign(call, {
        "cost_usd": reply.cost_usd,
        "resolved_model": reply.resolved_model or None,
        "provider": reply.provider or None,
        "latency_ms": reply.latency_ms,
        "ttft_ms": reply.ttft_ms,
        "usage": reply.usage,
        "attempts": list(reply.attempts),
        "decisions": list(reply.decisions),
        "simulated": reply.simulated,
        "cost_if_real_usd": _if_real(call.cost_if_real_usd, reply),
    })  # fmt: skip


def _if_real(prior: float | None, reply: Reply) -> float | None:
    """What the real model would have charged, summed over the call's replies."""
    extra = (reply.extras or {}).get("cost_if_real_usd")
    if extra is None:
        return prior
    return (prior or 0.0) + float(extra)


async def call_model(
    engine: PipelineEngine,
    model: str,
    prompt: str | list[Message],
    step: StepSpec,
    *,
    system: str | None,
    on_delta: Callable[[Delta], None] | None,
    extra: StepCallOptions,
) -> ModelCall:
    """Call ``model`` for ``step``; raises :class:`CallFailed` (with the record) on failure."""
    call = ModelCall(model=model)
    json_mode = step.format == "json"
    try:
        reply = await engine.complete(
            model, prompt, system=system, fallbacks=step.fallbacks or None,
            json_output=json_mode, timeout=step.timeout, on_delta=on_delta,
            temperature=step.temperature, max_tokens=step.max_tokens, **extra,
        )  # fmt: skip
        _record(call, reply)
        if json_mode:
            reply = await _ensure_json(engine, model, prompt, step, call, reply, system, extra)
    except GuardianBlocked as exc:
        call.status, call.decisions = "blocked", call.decisions + list(exc.decisions)
        raise _failed(call, exc) from exc
    except (OrchestrationError, ValueError, TypeError) as exc:
        raise _failed(call, exc) from exc
    call.output = reply.text
    return call


def _failed(call: ModelCall, exc: BaseException) -> CallFailed:
    if call.status != "blocked":
        call.status = "failed"
    call.error, call.error_type = str(exc), type(exc).__name__
    if call.latency_ms is None:
        call.cost_usd = 0.0  # no reply came back: a failed request is not billed
    attempts = getattr(exc, "attempts", None)
    if isinstance(attempts, list) and not call.attempts:
        call.attempts = [a for a in attempts if hasattr(a, "model_dump")]
    return CallFailed(call, exc)


async def _ensure_json(
    engine: PipelineEngine,
    model: str,
    prompt: str | list[Message],
    step: StepSpec,
    call: ModelCall,
    reply: Reply,
    system: str | None,
    extra: StepCallOptions,
) -> Reply:
    """Validate a JSON reply; retry once with the error shown to the model."""
    value, why = parse_json_reply(reply.text, step.json_schema)
    if why is None:
        call.output = reply.text
        call.data = value
        return reply
    why = _cut_off(reply, step.max_tokens) or why
    # A reply cut at the token limit would be cut again with the same budget: the retry
    # gets more room, and the error says which setting to raise.
    budget = _retry_budget(step.max_tokens) if _was_cut(reply) else step.max_tokens
    retry = _with_correction(prompt, reply.text, why)
    second: Reply = await engine.complete(
        model, retry, system=system, fallbacks=step.fallbacks or None, json_output=True,
        timeout=step.timeout, temperature=step.temperature, max_tokens=budget, **extra,
    )  # fmt: skip
    _record(call, second)
    value, why2 = parse_json_reply(second.text, step.json_schema)
    if why2 is not None:
        why2 = _cut_off(second, budget) or why2
        hint = " Raise the step's max_tokens." if _was_cut(second) else ""
        raise PipelineError(
            f"step {step.name!r}: {model} did not return valid JSON after one retry "
            f"(first reply: {why}; second reply: {why2}).{hint}"
        )
    call.data = value
    return second


#: How much more room a JSON retry gets when the first reply was cut at the token limit.
_RETRY_GROWTH = 4
#: The budget a cut-off retry gets when the step set no limit (the provider's default cut it).
_RETRY_DEFAULT_BUDGET = 1024


def _was_cut(reply: Reply) -> bool:
    """True when the provider stopped the reply at the token limit."""
    return reply.finish_reason in ("length", "max_tokens")


def _cut_off(reply: Reply, budget: int | None) -> str | None:
    """Why a cut-off reply is not JSON, in words that name the limit."""
    if not _was_cut(reply):
        return None
    limit = f"max_tokens={budget}" if budget else "the model's default token limit"
    return f"the reply was cut off at {limit} before the JSON was complete"


def _retry_budget(max_tokens: int | None) -> int:
    return max_tokens * _RETRY_GROWTH if max_tokens else _RETRY_DEFAULT_BUDGET


def _with_correction(prompt: str | list[Message], bad: str, why: str) -> list[Message]:
    messages = [Message(role="user", content=prompt)] if isinstance(prompt, str) else list(prompt)
    note = (
        f"Your previous reply was not accepted: {why}. Reply again with only the corrected "
        "JSON value, and nothing else."
    )
    return [*messages, Message(role="assistant", content=bad), Message(role="user", content=note)]
