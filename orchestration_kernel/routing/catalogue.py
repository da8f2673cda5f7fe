"""The model catalogue: context windows, prices and capabilities of known models.

The figures ship in ``orchestration_kernel/data/models.json``. Each entry records
``as_of`` and ``source`` because prices change and cannot be checked offline; a user
overrides or adds any entry with ``Catalogue.load(overrides=...)``.

Prices are USD per million tokens. ``None`` means *unknown*, and a cost that needs an
unknown price is ``None`` too: unknown is never reported as free.

Usage convention (what :meth:`Catalogue.cost` expects from adapters):
``input_tokens`` includes ``cached_input_tokens`` and ``output_tokens`` includes
``reasoning_tokens``, as OpenAI and Gemini report them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ConfigurationError
from ..models import Usage
from .config import read_config_file, section
from .names import ModelRef

__all__ = ["Catalogue", "ModelInfo", "PriceTier"]

_PER_MILLION = 1_000_000.0


class PriceTier(BaseModel):
    """Prices that apply instead when a prompt has more than ``above_input_tokens`` tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    above_input_tokens: int
    input_price: float | None = None
    output_price: float | None = None
    cached_input_price: float | None = None
    reasoning_price: float | None = None


class ModelInfo(BaseModel):
    """What the catalogue knows about one model. Unknown figures are ``None``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: ``provider:model``; ``provider:*`` is a provider-wide default entry.
    id: str
    context_window: int | None = None
    max_output_tokens: int | None = None
    #: USD per million input tokens (uncached).
    input_price: float | None = None
    #: USD per million output tokens.
    output_price: float | None = None
    #: USD per million cached input tokens (cache reads); ``None``: billed as input.
    cached_input_price: float | None = None
    #: USD per million reasoning tokens; ``None``: billed as output.
    reasoning_price: float | None = None
    #: USD per request on top of tokens (Perplexity's search fee).
    request_fee: float | None = None
    price_tiers: list[PriceTier] = Field(default_factory=list)
    #: Share taken off every price through the provider's Batch API (0.5: half price);
    #: ``None``: the model has no Batch API (a batch job runs it as concurrent calls).
    batch_discount: float | None = Field(default=None, ge=0.0, le=1.0)
    #: Tags such as ``json``, ``long_context``, ``search``, ``reasoning``, ``vision``.
    capabilities: frozenset[str] = frozenset()
    #: True for the offline simulator.
    simulated: bool = False
    #: True for models the vendor has retired or is retiring; ``auto`` skips them.
    deprecated: bool = False
    #: True once the vendor no longer serves it: its bare name then falls back to the
    #: alias table (a deprecated model still runs under its own name).
    retired: bool = False
    as_of: str | None = None
    source: str | None = None
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _provider_model(cls, value: str) -> str:
        if ":" not in value:
            raise ValueError(f"model id {value!r} must be 'provider:model'")
        return value

    @property
    def provider(self) -> str:
        """The provider part of the id."""
        return self.id.partition(":")[0]

    @property
    def model(self) -> str:
        """The provider's own model id."""
        return self.id.partition(":")[2]

    @property
    def has_price(self) -> bool:
        """True when both the input and the output price are known."""
        return self.input_price is not None and self.output_price is not None

    def prices_for(self, input_tokens: int) -> ModelInfo:
        """This entry with the prices of the tier a prompt of ``input_tokens`` falls in."""
        if not self.price_tiers:  # most models: one price, on every call's path
            return self
        tiers = [t for t in self.price_tiers if input_tokens > t.above_input_tokens]
        if not tiers:
            return self
        tier = max(tiers, key=lambda t: t.above_input_tokens)
        changes = tier.model_dump(exclude={"above_input_tokens"}, exclude_none=True)
        return self.model_copy(update=changes)

    def estimate_cost(self, input_tokens: int, output_tokens: int) -> float | None:
        """USD for a call of this size, or ``None`` when a needed price is unknown."""
        return self._cost(input_tokens, output_tokens, 0, 0)

    def cost(self, usage: Usage) -> float | None:
        """USD for ``usage``; ``None`` when a price the usage needs is unknown."""
        return self._cost(
            usage.input_tokens,
            usage.output_tokens,
            usage.cached_input_tokens,
            usage.reasoning_tokens,
        )

    def _cost(
        self, input_tokens: int, output_tokens: int, cached_tokens: int, reasoning_tokens: int
    ) -> float | None:
        priced = self.prices_for(input_tokens)
        cached = min(max(cached_tokens, 0), max(input_tokens, 0))
        reasoning = min(max(reasoning_tokens, 0), max(output_tokens, 0))
        parts = [
            (input_tokens - cached, priced.input_price),
            (cached, _or(priced.cached_input_price, priced.input_price)),
            (output_tokens - reasoning, priced.output_price),
            (reasoning, _or(priced.reasoning_price, priced.output_price)),
        ]
        total = 0.0
        counted = False
        for tokens, price in parts:
            if tokens <= 0:
                continue
            counted = True
            if price is None:
                return None
            total += tokens * price / _PER_MILLION
        if not counted and not priced.has_price:
            return None  # nothing counted and nothing known: still not "free"
        return total + (priced.request_fee or 0.0)

    def batch_cost(self, usage: Usage) -> float | None:
        """USD for ``usage`` at the Batch API price (the standard price without a Batch API)."""
        full = self.cost(usage)
        if full is None or self.batch_discount is None:
            return full
        return full * (1.0 - self.batch_discount)


def _or(price: float | None, fallback: float | None) -> float | None:
    """``price`` when known, else ``fallback`` (a cached or reasoning price falls back)."""
    return price if price is not None else fallback


def _builtin_data() -> dict[str, object]:
    text = resources.files("orchestration_kernel").joinpath("data/models.json").read_text("utf-8")
    data: dict[str, object] = json.loads(text)
    return data


def _entries(
    raw: Mapping[str, object],
) -> tuple[dict[str, dict[str, object]], dict[str, str]]:
    """Split a catalogue document (or a bare ``{id: fields}`` mapping) into models, aliases."""
    if "models" in raw or "aliases" in raw:
        models, aliases = section(raw, "models"), section(raw, "aliases")
    else:
        models, aliases = dict(raw), {}
    fields = {k: section(models, k, "models") for k in models if not k.startswith("_")}
    return fields, {name: _alias_target(name, target) for name, target in aliases.items()}


def _alias_target(name: str, target: object) -> str:
    if not isinstance(target, str):
        raise ConfigurationError(
            f"Catalogue alias {name!r} must name a model (a string), not {type(target).__name__}."
        )
    return target


class Catalogue:
    """Known models by ``provider:model``, with cost arithmetic.

    ``get`` falls back to a ``provider:*`` entry (the simulator's ``sim:*``), so a
    whole provider can be priced at once (``{"ollama:*": {"input_price": 0, ...}}``).
    """

    def __init__(self, models: Mapping[str, ModelInfo], aliases: Mapping[str, str] | None = None):
        self._models: dict[str, ModelInfo] = dict(models)
        #: Default aliases shipped with the data (the Resolver starts from these).
        self.aliases: dict[str, str] = dict(aliases or {})

    @classmethod
    def load(cls, overrides: str | Path | Mapping[str, object] | None = None) -> Catalogue:
        """The shipped catalogue, with ``overrides`` (a JSON/YAML/TOML file or a dict) merged.

        An override of an existing id changes only the fields it names; a new id adds
        an entry. Overrides may be ``{"models": {...}, "aliases": {...}}`` or ``{id: fields}``.
        """
        data = _builtin_data()
        models, aliases = _entries(data)
        if overrides is not None:
            raw = overrides if isinstance(overrides, Mapping) else read_config_file(overrides)
            extra_models, extra_aliases = _entries(raw)
            for model_id, fields in extra_models.items():
                models[model_id] = {**models.get(model_id, {}), **fields}
            aliases.update(extra_aliases)
        # The Batch API discount is per vendor: every model of the vendor gets it, unless
        # its entry says otherwise.
        discounts = section(data, "batch_discounts")
        for model_id, fields in models.items():
            vendor = model_id.partition(":")[0]
            if vendor in discounts and "batch_discount" not in fields:
                models[model_id] = {**fields, "batch_discount": discounts[vendor]}
        return cls({mid: _parse(mid, fields) for mid, fields in models.items()}, aliases)

    def get(self, model: str | ModelRef) -> ModelInfo | None:
        """The entry for ``provider:model`` (or the provider's ``provider:*``), else ``None``."""
        key = str(model)
        info = self._models.get(key)
        if info is not None:
            return info
        provider, _, name = key.partition(":")
        wildcard = self._models.get(f"{provider}:*")
        return wildcard.model_copy(update={"id": key}) if wildcard and name else None

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str | ModelRef) and self.get(model) is not None

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models)

    def ids(self) -> list[str]:
        """Every concrete ``provider:model`` id (wildcards left out)."""
        return [k for k in self._models if not k.endswith(":*")]

    def add(self, info: ModelInfo | Mapping[str, object], model_id: str | None = None) -> ModelInfo:
        """Add or replace one entry (a :class:`ModelInfo` or its fields)."""
        if not isinstance(info, ModelInfo):
            fields = dict(info)
            info = _parse(model_id or str(fields.get("id", "")), fields)
        self._models[info.id] = info
        return info

    def cost(self, model: str | ModelRef, usage: Usage | None) -> float | None:
        """USD for one call's ``usage``; ``None`` when the model or a needed price is unknown."""
        info = self.get(model)
        if info is None or usage is None:
            return None
        return info.cost(usage)

    def cost_if_real(self, model: str | ModelRef, usage: Usage | None) -> float | None:
        """USD the real model would charge for a stand-in's ``usage``.

        A simulator's name is priced as the real model it names (``sim:gpt-4o`` as
        ``openai:gpt-4o``, ``sim:claude-3`` through the alias); ``None`` when it names no
        model the catalogue prices, because the simulator's own 0 is no model's price.
        """
        real = self.priced_as(model)
        return None if real is None else self.cost(real, usage)

    def priced_as(self, model: str | ModelRef) -> str | None:
        """The catalogue id whose prices estimate ``model`` if it were real: itself for a
        real model, the real model a simulator's name names, ``None`` when there is none.

        A simulator's name resolves as the engine resolves a bare name: a catalogued
        model of that very name that is not retired first (``sim:gpt-4`` is the legacy
        ``openai:gpt-4``, as ``gpt-4`` is), then the shipped alias, then a retired model.
        """
        info = self.get(model)
        if info is None:
            return None
        if not info.simulated:
            return str(model)
        name = str(model).partition(":")[2]
        if ":" in name:  # sim:openai:gpt-4o-mini
            real = self._models.get(name)
            return name if real is not None and not real.simulated else None
        named = [
            (key, entry)
            for key, entry in self._models.items()
            if key.partition(":")[2].lower() == name.lower() and not entry.simulated
        ]
        running = [key for key, entry in named if not entry.retired]
        if len(running) == 1:
            return running[0]
        alias = self.aliases.get(name.lower())
        if alias is not None and not running:
            return self.priced_as(alias) if ":" in alias else None
        return named[0][0] if len(named) == 1 else None

    def batch_cost(self, model: str | ModelRef, usage: Usage | None) -> float | None:
        """USD for ``usage`` through the provider's Batch API (see ``ModelInfo.batch_cost``)."""
        info = self.get(model)
        if info is None or usage is None:
            return None
        return info.batch_cost(usage)

    def __repr__(self) -> str:
        return f"Catalogue({len(self._models)} models)"


def _parse(model_id: str, fields: Mapping[str, object]) -> ModelInfo:
    try:
        return ModelInfo.model_validate({**dict(fields), "id": model_id})
    except ValidationError as exc:
        raise ConfigurationError(f"Invalid catalogue entry {model_id!r}: {exc}") from None
