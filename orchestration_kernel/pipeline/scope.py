"""The names a prompt or a ``when:`` condition can see, and the safe rules for reaching into them.

Resolution order (CONTRACT.md): ``input``, step names, session context, user namespace.
Access is data access only: mapping keys, sequence indexes, a step's public fields and
the public attributes of plain objects. Names starting with ``_`` are refused everywhere,
so nothing can walk from a value to ``__class__``, ``__globals__`` or ``__import__``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Protocol, SupportsIndex, SupportsInt, TypeGuard, cast

from ..formatting import with_article
from ..near_names import data_names, nearest
from .result import StepResult

__all__ = [
    "STEP_FIELDS",
    "AccessError",
    "Scope",
    "format_value",
    "get_item",
    "nearest",
    "step_field",
]

#: The fields of a step visible as ``{step.field}`` and ``step.field`` in ``when:``.
STEP_FIELDS = frozenset(
    {
        "output",
        "outputs",
        "data",
        "status",
        "model",
        "provider",
        "guardian",
        "decisions",
        "latency_ms",
        "ttft_ms",
        "cost_usd",
        "error",
        "reason",
        "simulated",
    }
)


class AccessError(LookupError):
    """A field, key or index does not exist, or is not allowed. The message says which."""


def _hint(name: str, candidates: Iterable[str]) -> str:
    close = nearest(name, candidates)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _parsed_output(step: StepResult) -> object:
    if step.data is not None:
        return step.data
    if step.output:
        try:
            return json.loads(step.output)
        except ValueError:
            return None
    return None


def step_field(step: StepResult, field: str) -> object:
    """``step.field``: a public step field, else a key of the step's JSON output."""
    if field in STEP_FIELDS:
        if field == "decisions":
            return [
                d.model_dump(include={"action", "policy", "stage", "reasons"})
                for d in step.decisions
            ]
        return getattr(step, field)
    parsed = _parsed_output(step)
    if isinstance(parsed, dict) and field in parsed:
        return parsed[field]
    raise AccessError(f"step {step.name!r} has no field {field!r}{_hint(field, STEP_FIELDS)}")


def _step_item(step: StepResult, key: object) -> object:
    if step.outputs is not None and key in step.outputs:
        return step.outputs[key]
    parsed = _parsed_output(step)
    if isinstance(parsed, dict | list):
        return get_item(parsed, key)
    if step.outputs is not None:
        raise AccessError(
            f"step {step.name!r} has no output for model {key!r}{_hint(str(key), step.outputs)}"
        )
    raise AccessError(f"step {step.name!r} has no key {key!r} (its output is not a JSON object)")


def get_item(value: object, key: object) -> object:
    """``value[key]`` for steps, mappings and sequences; digit strings index sequences."""
    if isinstance(value, StepResult):
        return _step_item(value, key)
    if isinstance(value, Mapping):
        if key in value:
            return value[key]
        if isinstance(key, str) and key.lstrip("-").isdigit() and int(key) in value:
            return value[int(key)]
        keys = [str(k) for k in value]
        raise AccessError(f"no key {key!r}{_hint(str(key), keys)}")
    if isinstance(value, list | tuple | str):
        try:
            return value[_as_index(key)]
        except (ValueError, TypeError):
            raise AccessError(f"index {key!r} is not a number") from None
        except IndexError:
            raise AccessError(f"index {key} is out of range (length {len(value)})") from None
    getter = getattr(type(value), "__getitem__", None)
    if getter is None:
        raise AccessError(f"{with_article(type(value).__name__)} cannot be indexed")
    try:
        # The type's own __getitem__, which is what value[key] calls.
        return getter(value, key)
    except Exception as exc:  # a user's container: any failure is a missing key to us
        raise AccessError(f"no key {key!r} in the {type(value).__name__}") from exc


def _as_index(key: object) -> int:
    """``int(key)`` for what ``int`` takes; a TypeError (as ``int`` would raise) else."""
    if isinstance(key, str | bytes | bytearray | SupportsInt | SupportsIndex):
        return int(key)
    raise TypeError(f"int() argument must be a string or a number, not {type(key).__name__!r}")


def get_attr(value: object, name: str) -> object:
    """``value.name``: step fields, mapping keys, or a plain object's public attribute."""
    if name.startswith("_"):
        raise AccessError(f"private names like {name!r} are not allowed")
    if isinstance(value, StepResult):
        return step_field(value, name)
    if isinstance(value, Mapping):
        if name in value:
            return value[name]
        raise AccessError(f"no key {name!r}{_hint(name, [str(k) for k in value])}")
    try:
        return getattr(value, name)
    except AttributeError:
        raise AccessError(
            f"{with_article(type(value).__name__)} has no attribute {name!r}"
        ) from None


def format_value(value: object) -> str:
    """A value as prompt text: steps give their output, structures become JSON, a pandas
    DataFrame or Series becomes CSV (a row, ``df.iloc[0]``, a JSON record) and a NumPy
    array a JSON list, whole: their ``str()`` cuts long ones to ``...``, which would send
    the model part of the data unnoticed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, StepResult):
        return _format_step(value)
    if isinstance(value, list | tuple) and all(map(_is_scalar, value)):
        return _json(value)  # ``[3, 4]``, ``["pos", "neg"]``: one line, as it is typed
    if isinstance(value, dict | list | tuple | bool | int | float):
        return _json(value, indent=2)
    if _is_table(value):
        return _record(value) if _is_record(value) else _csv(value)
    if _is_numpy(value):
        items = value.tolist()
        return _json(items) if isinstance(items, list) else str(value)  # a scalar: its str
    return str(value)


class _Table(Protocol):
    """A pandas DataFrame or Series, as far as a prompt needs one."""

    @property
    def index(self) -> object: ...

    def to_csv(self, *, index: bool) -> str: ...

    def to_dict(self, *args: object, **kwargs: object) -> object: ...


class _NumPy(Protocol):
    def tolist(self) -> object: ...


def _is_table(value: object) -> TypeGuard[_Table]:
    # pandas by its shape: the core does not import pandas to render a prompt.
    return hasattr(value, "to_csv") and hasattr(value, "index") and hasattr(value, "to_dict")


def _is_record(table: _Table) -> bool:
    """A Series labelled by names (``df.iloc[0]``, ``df.loc["x"]``): one record, which
    reads as ``{"column": value}``; as CSV it opened with a junk header (``,0``)."""
    if hasattr(table, "columns"):
        return False
    labels: list[object] = getattr(table.index, "tolist", list)()
    return bool(labels) and all(isinstance(label, str) for label in labels)


def _record(table: _Table) -> str:
    """A row as a JSON record, a missing cell (NaN, NaT, ``pd.NA``) as ``null``."""
    cells = cast("dict[str, object]", table.to_dict())
    return _json({name: None if _missing(cell) else cell for name, cell in cells.items()}, 2)


def _missing(cell: object) -> bool:
    try:
        return bool(cell != cell)  # NaN and NaT are the values unequal to themselves
    except (TypeError, ValueError):  # pd.NA refuses a truth value
        return type(cell).__name__ == "NAType"


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


def _is_numpy(value: object) -> TypeGuard[_NumPy]:
    return type(value).__module__ == "numpy" and hasattr(value, "tolist")


def _json(value: object, indent: int | None = None) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, indent=indent, default=_json_default)
    except (TypeError, ValueError):
        return str(value)


def _json_default(value: object) -> object:
    """NumPy numbers as numbers (not ``"3"``), dates in ISO form, tables as records."""
    if _is_numpy(value):
        plain = value.tolist()
        return float(str(value)) if isinstance(plain, float) else plain  # float32 0.1 → 0.1
    if _is_table(value):
        return value.to_dict(orient="records") if hasattr(value, "columns") else value.to_dict()
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


def _csv(table: _Table) -> str:
    index = table.index
    plain = type(index).__name__ == "RangeIndex" and getattr(index, "start", None) == 0
    plain = plain and getattr(index, "step", None) == 1
    return table.to_csv(index=not plain).rstrip("\n")


def _format_step(step: StepResult) -> str:
    # A fan-out step's output is already its models' outputs, labelled.
    return step.output or ""


_MISSING = object()


class Scope:
    """The names visible to one step: input, steps, session context, namespace (in that order)."""

    __slots__ = ("context", "has_input", "input", "namespace", "steps")

    def __init__(
        self,
        *,
        input: object = None,
        has_input: bool = True,
        steps: Mapping[str, StepResult] | None = None,
        context: Mapping[str, object] | None = None,
        namespace: Mapping[str, object] | None = None,
    ) -> None:
        self.input = input
        self.has_input = has_input
        self.steps = steps if steps is not None else {}
        self.context = context if context is not None else {}
        self.namespace = namespace if namespace is not None else {}

    def get(self, name: str, default: object = _MISSING) -> object:
        """The value of a root name, by the resolution order."""
        if name == "input" and self.has_input:
            return self.input
        if name in self.steps:
            return self.steps[name]
        if name in self.context:
            return self.context[name]
        if name in self.namespace:
            return self.namespace[name]
        if default is _MISSING:
            raise AccessError(f"unknown name {name!r}{_hint(name, self.names())}")
        return default

    def __contains__(self, name: str) -> bool:
        return (
            (name == "input" and self.has_input)
            or name in self.steps
            or name in self.context
            or name in self.namespace
        )

    def names(self) -> list[str]:
        """Every visible root name (public namespace names only, IPython's own left out)."""
        names = ["input"] if self.has_input else []
        names += list(self.steps) + [str(k) for k in self.context]
        names += data_names(self.namespace)  # not a module, class or function either
        return names
