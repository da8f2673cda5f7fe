"""Which engine a cell runs on: the session's, or the one ``--engine VAR`` names.

A notebook commonly makes its own engine (``engine = OrchestrationEngine()``, as the
contract's first lines do) and configures it: a pool, an alias, an OpenAI-compatible
server. The magics run on the session's engine (``OrchestrationEngine.default()``), so a
cell that names that pool met "Unknown model 'fast'" with no word about why. A cell can
now say which engine it means (``--engine engine``), and an unknown name that another
engine in the notebook does know says so, with the option to add.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import UnknownModelError
from ..near_names import did_you_mean
from .context import KernelState
from .errors import usage

__all__ = ["cell_engine", "note_other_engines", "other_engine_hint"]


def cell_engine(user_ns: Mapping[str, Any], name: str | None, default: Any) -> Any:
    """The engine in the user's variable ``name`` (``--engine``), or ``default``."""
    if name is None:
        return default
    from ..engine import OrchestrationEngine

    if name not in user_ns:
        near = did_you_mean(name, _engine_names(user_ns) or _public_names(user_ns))
        raise usage(f"--engine {name}: no variable {name!r} in this notebook.{near}")
    held = user_ns[name]
    if not isinstance(held, OrchestrationEngine):
        raise usage(
            f"--engine {name}: {name} is a {type(held).__name__}, not an OrchestrationEngine."
        )
    return held


@contextlib.contextmanager
def other_engine_hint(user_ns: Mapping[str, Any], used: Any) -> Iterator[None]:
    """Add to an unknown-model error which of the notebook's other engines knows the
    name, and how to run the cell on it."""
    try:
        yield
    except UnknownModelError as exc:
        knowing = [var for var in _engine_names(user_ns, but=used) if _knows(user_ns[var], exc)]
        if knowing:
            var = knowing[0]
            # The generic advice (name it as PROVIDER:MODEL) would mislead: the name is
            # right, the engine is not.
            exc.args = (
                f"Unknown model {exc.name!r} on the engine this cell ran on, but the engine "
                f"in {var!r} knows it: add --engine {var} to the magic's line. (The magics "
                f"use the session's engine, OrchestrationEngine.default(), unless told.)",
            )
        raise


def note_other_engines(user_ns: Mapping[str, Any], used: Any, kernel: KernelState) -> None:
    """Once per variable: a notebook engine configured unlike the one this cell runs on
    (its pools, aliases, servers, Guardian, Redis) is not used unless the cell says so.

    Nothing fails in that case (a pool name would, and says so), so a Redis quota or a
    Guardian setting the user made on their engine would be silently left out."""
    for var in _engine_names(user_ns, but=used):
        key = f"engine:{var}"
        if key not in kernel.noted and _differs(user_ns[var], used):
            kernel.note_once(
                key,
                f"this cell runs on the session's engine (OrchestrationEngine.default()), "
                f"not on the one in {var!r}, which is configured differently: add "
                f"--engine {var} to run on it.",
            )


#: Settings that change no answer a user relies on: the simulator's latency and seed
#: (the quickstart slows its own engine's simulator down to show streaming).
_INCIDENTAL = ("simulator",)


def _differs(engine: Any, used: Any) -> bool:
    try:
        mine, theirs = engine.config(), used.config()
        same = engine.redis == used.redis and all(
            mine.get(k) == theirs.get(k) for k in {*mine, *theirs} - set(_INCIDENTAL)
        )
    except Exception:  # a closed engine, or one config() cannot describe: say nothing
        return False
    return not same


def _knows(engine: Any, exc: UnknownModelError) -> bool:
    try:
        engine.resolve(exc.name)
    except Exception:  # this engine does not know it either (or is closed)
        return False
    return True


def _engine_names(user_ns: Mapping[str, Any], but: Any = None) -> list[str]:
    from ..engine import OrchestrationEngine

    return [
        var
        for var in _public_names(user_ns)
        if isinstance(user_ns[var], OrchestrationEngine) and user_ns[var] is not but
    ]


def _public_names(user_ns: Mapping[str, Any]) -> list[str]:
    # IPython's output history (_, __, _3, _i3, ...) holds the same objects again.
    return [var for var in list(user_ns) if not var.startswith("_")]
