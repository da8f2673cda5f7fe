"""The pipeline spec a user writes: pydantic models for one step and the whole pipeline.

The same models back a Python list of dicts, a mapping with ``steps:`` and the YAML body
of ``%%orchestrate``. Extra keys are forbidden so a typo (``modle:``) is an error, never
silently ignored. Cross-step checks (placeholders, cycles, ``when:``, models) need the
whole spec and live in :mod:`.loader`.
"""

from __future__ import annotations

import keyword
import re
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from ..errors import UnknownNameError
from ..near_names import did_you_mean
from ..user_spec import UserSpec

__all__ = ["IDENTIFIER", "RESERVED_NAMES", "PipelineSpec", "StepSpec"]

#: Step names must be identifier-shaped so ``{name}`` and ``when: name == ...`` can use them.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Names a step may not take: the input, IPython's history and the ``when:`` keywords.
RESERVED_NAMES = frozenset(
    {"input", "In", "Out", "Err", "and", "or", "not", "in", "true", "false", "null", "None"}
)


def _as_list(value: object) -> object:
    """Accept a single string where a list of names is expected (``depends_on: triage``)."""
    return [value] if isinstance(value, str) else value


class StepSpec(UserSpec):
    """One step: which model(s) to call, with what prompt, under which conditions."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    name: str | None = Field(None, description="Unique, identifier-shaped step name.")
    model: str | list[str] | None = Field(
        None, description="A model, alias, pool or 'auto'; a list fans out, one call per model."
    )
    prompt: str | None = Field(None, description="The prompt template ({input}, {step}, ...).")
    task: str | None = Field(None, description="What the step does; enough on its own.")
    system: str | None = Field(None, description="A system prompt (also a template).")
    fallbacks: list[str] = Field(default_factory=list, description="Tried in order on failure.")
    when: str | None = Field(None, description="A safe condition; false skips the step.")
    depends_on: list[str] | None = Field(
        None, description="Explicit upstream steps; [] means none. Default: the step before."
    )
    on_error: Literal["fail", "skip"] = "fail"
    default: str | None = Field(None, description="The output when the step is skipped.")
    timeout: float | None = Field(None, gt=0, description="Seconds for the whole step.")
    format: Literal["text", "json"] = "text"
    json_schema: dict[str, object] | None = Field(None, alias="schema")
    context: Literal["none", "session"] = "none"
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, gt=0)
    stream: bool | None = Field(None, description="Stream deltas to the observer (default on).")

    @field_validator("fallbacks", "depends_on", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _as_list(value)

    @field_validator("model")
    @classmethod
    def _check_model(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, str) and ("," in value or " " in value.strip()):
            # 'model: gpt-4, claude-3' is one string to YAML, and offline it would run as
            # a model of that name; no model id holds a comma or a space.
            names = [n for n in re.split(r"[,\s]+", value) if n]
            raise ValueError(
                f"{value!r} is not a model name; for a fan-out, one call per model, write a "
                f"list: model: [{', '.join(names)}]"
            )
        if isinstance(value, list):
            if not value:
                raise ValueError("a fan-out model list needs at least one model")
            if len(set(value)) != len(value):
                raise ValueError("a fan-out model list names a model twice")
            if len(value) == 1:
                return value[0]
        return value

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not IDENTIFIER.fullmatch(value) or keyword.iskeyword(value):
            raise ValueError(
                f"step name {value!r} must be identifier-shaped (letters, digits, '_'; "
                "not starting with a digit), e.g. 'analysis' or 'step_2'"
            )
        if value in RESERVED_NAMES:
            raise ValueError(f"step name {value!r} is reserved; pick another")
        return value

    @field_validator("json_schema")
    @classmethod
    def _schema_is_valid(cls, value: dict[str, object] | None) -> dict[str, object] | None:
        # Checked when the spec loads, naming its line: found only once the reply came
        # back, the call had been made and billed for nothing.
        if value is None:
            return value
        import jsonschema  # lazily: only JSON steps with a schema need it

        try:
            jsonschema.validators.validator_for(value).check_schema(value)
        except jsonschema.SchemaError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            at = f" at {where}" if where else ""
            raise ValueError(f"not a valid JSON Schema{at}: {_schema_problem(exc)}") from None
        return value

    @model_validator(mode="after")
    def _needs_work(self) -> StepSpec:
        if self.prompt is None and self.task is None:
            raise ValueError("a step needs a 'prompt' or a 'task'")
        if self.json_schema is not None and self.format != "json":
            raise ValueError("'schema' needs 'format: json'")
        return self

    @property
    def models(self) -> list[str]:
        """The step's model names as a list (one element unless it fans out)."""
        if self.model is None:
            return []
        return list(self.model) if isinstance(self.model, list) else [self.model]

    @property
    def fans_out(self) -> bool:
        """True when the step calls several models."""
        return isinstance(self.model, list)


class PipelineSpec(UserSpec):
    """A whole pipeline: its steps and the options that apply to all of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, description="The pipeline's name (for the manager, audit).")
    description: str | None = None
    input: object = Field(None, description="The default input when execute() is given none.")
    session: str | None = Field(None, description="The session id (default: the kernel's).")
    model: str | None = Field(None, description="The model for steps that name none.")
    output: str | None = Field(None, description="The step whose output is the result.")
    fold: Literal["truncate", "summarize"] = Field(
        "truncate", description="How context: session fits a long conversation to the window."
    )
    fold_model: str | None = Field(None, description="The model that summarises folded turns.")
    remember: bool = Field(
        True, description="Append each step's prompt and reply to the session conversation."
    )
    steps: list[StepSpec] = Field(min_length=1)

    @property
    def step_names(self) -> list[str]:
        """Step names in spec order (filled in by the loader for unnamed steps)."""
        return [s.name or "" for s in self.steps]

    def step(self, name: str) -> StepSpec:
        """The step called ``name`` (:class:`UnknownNameError`, a ``KeyError``, if none)."""
        for s in self.steps:
            if s.name == name:
                return s
        raise UnknownNameError.of("step", name, self.step_names)


#: JSON Schema's type names (a misspelt one is the commonest invalid schema).
_SCHEMA_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")


def _schema_problem(exc: Exception) -> str:
    """jsonschema's reason, or for a misspelt ``type:`` the names it may take."""
    path = list(getattr(exc, "absolute_path", ()))
    value = getattr(exc, "instance", None)
    if path and path[-1] == "type" and isinstance(value, str):
        hint = did_you_mean(value, _SCHEMA_TYPES)
        return f"{value!r} is not a type ({', '.join(_SCHEMA_TYPES)}).{hint}"
    return str(getattr(exc, "message", exc))
