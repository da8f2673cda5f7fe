"""Specs the user writes by hand, checked by pydantic, failing as our :class:`ConfigurationError`.

pydantic reports a bad field with its own ``ValidationError``: outside our hierarchy, with
a link to pydantic's docs and no hint for a misspelled name. Every model a user builds
directly (``Identity(...)``, ``Message(...)``, ``GuardianConfig(...)``, ``PipelineSpec(...)``)
derives from :class:`UserSpec`, and options given as a mapping go through
:func:`validate_spec`: both raise a :class:`ConfigurationError` naming each field, what is
wrong with it and, for an unknown name, the nearest known ones. The value given is never
repeated (it may be a secret). Validation inside pydantic (a nested model, ``model_validate``)
is untouched, so loaders that place pydantic's errors at a YAML line keep doing so.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .errors import ConfigurationError
from .near_names import did_you_mean

__all__ = ["UserSpec", "check_concurrency", "check_number", "spec_error", "validate_spec"]

M = TypeVar("M", bound=BaseModel)


class UserSpec(BaseModel):
    """Base of the pydantic models a user constructs: a bad field is a
    :class:`ConfigurationError` (also a ``ValueError``), not pydantic's own error."""

    def __init__(self, /, **data: object) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise spec_error(type(self), exc) from None

    # pydantic calls a model's own ``__init__`` when it validates the model nested in
    # another (or in ``model_validate``) unless the method is marked as the base one; so
    # marked, only a direct call converts, and nested errors keep pydantic's location
    # (the pipeline loader turns those into YAML lines and columns).
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


def validate_spec(model: type[M], data: Mapping[str, object]) -> M:
    """``model.model_validate(data)``, failing as :func:`spec_error` describes."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise spec_error(model, exc) from None


def spec_error(model: type[BaseModel], exc: ValidationError) -> ConfigurationError:
    """pydantic's error as one :class:`ConfigurationError`: ``Invalid Identity: 'user_id' is
    required; unknown option 'usr'. Did you mean 'user_id'?``."""
    problems = [_problem(model, error) for error in exc.errors(include_url=False)]
    return ConfigurationError(f"Invalid {model.__name__}: " + "; ".join(problems))


def _problem(model: type[BaseModel], error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        known = _fields_at(model, error["loc"][:-1])
        return f"unknown option {where!r}.{did_you_mean(str(error['loc'][-1]), known)}".rstrip(".")
    if error["type"] == "missing":
        return f"{where!r} is required"
    return f"{where or model.__name__}: {error['msg']}"


def _fields_at(model: type[BaseModel], path: tuple[int | str, ...]) -> list[str]:
    """The field names of the model at ``path`` (nested models followed; list indexes
    skipped), or none when the path leaves the models."""
    current: object = model
    for part in path:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        field = fields.get(part)
        if field is None:
            return []
        current = _model_in(field.annotation)
    return list(getattr(current, "model_fields", {}))


def _model_in(annotation: object) -> object:
    """The pydantic model an annotation holds (``X``, ``list[X]``, ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def check_number(
    owner: str,
    name: str,
    value: object,
    *,
    low: float,
    high: float = math.inf,
    open_low: bool = False,
) -> None:
    """For the plain dataclasses a user fills in (``RetryPolicy``, ``Timeouts``,
    ``SimulatorConfig``): ``value`` must be a real number from ``low`` (excluded with
    ``open_low``) to ``high``, else a :class:`ConfigurationError` naming the field."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    number = float(value) if ok else math.nan  # type: ignore[arg-type]
    if ok and (number > low if open_low else number >= low) and number <= high:
        return
    bound = f"above {low:g}" if open_low else f"at least {low:g}"
    bound += f" and at most {high:g}" if high != math.inf else ""
    raise ConfigurationError(f"{owner}: {name} must be a number {bound}, not {value!r}")


def check_concurrency(value: object) -> None:
    """``concurrency=`` must be a whole number of 1 or more (``"4"`` or ``2.5`` are not)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= 1:
        return
    raise ConfigurationError(f"concurrency must be a whole number of 1 or more, not {value!r}")
