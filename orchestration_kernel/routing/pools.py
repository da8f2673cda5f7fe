"""Deployments and pools: one name standing for several places a model can be called.

A :class:`Deployment` is one concrete endpoint (provider, model, key, base URL) with
its own limits; a :class:`Pool` is a named group of deployments and the strategy that
orders them. Pools come from code or from a config file::

    pools:
      fast:
        strategy: least_latency
        deployments:
          - id: east
            model: openai:gpt-4o-mini
            api_key_env: OPENAI_KEY_EAST      # keys never go in the file itself
            rpm: 600
          - id: west
            model: openai:gpt-4o-mini
            base_url: https://west.example/v1
            api_key_env: OPENAI_KEY_WEST
            weight: 2
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ConfigurationError
from ..jsontypes import JSONValue
from ..near_names import did_you_mean
from ..secrets import Secret, lookup_secret
from .config import read_config_file
from .names import ModelRef

__all__ = [
    "STRATEGIES",
    "Deployment",
    "DeploymentSpec",
    "Pool",
    "PoolSpec",
    "Strategy",
    "load_pools",
    "pools_from_mapping",
]

#: A strategy's name: a built-in (``STRATEGIES``) or one added to the router's
#: :class:`~.strategies.StrategyRegistry`; the router checks it when the pool is added.
Strategy = str
#: The built-in strategies' names (the router's registry may hold more).
STRATEGIES: tuple[str, ...] = (
    "round_robin",
    "weighted",
    "least_latency",
    "least_cost",
    "least_busy",
)


class Deployment(BaseModel):
    """One place a model is served. Its key never appears in a repr or a dump."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    id: str
    provider: str
    #: The provider's own model id (``gpt-4o-mini``).
    model: str
    api_key: Secret | None = Field(default=None, exclude=True)
    #: The variables a config file named for this deployment's key: when none is set, a
    #: real call fails naming them instead of quietly using the provider's default key.
    api_key_env: tuple[str, ...] = ()
    base_url: str | None = None
    weight: float = Field(default=1.0, gt=0)
    #: Requests per minute; ``None``: no limit.
    rpm: int | None = Field(default=None, gt=0)
    #: Tokens per minute; ``None``: no limit.
    tpm: int | None = Field(default=None, gt=0)
    #: Calls in flight at once; ``None``: no limit.
    max_in_flight: int | None = Field(default=None, gt=0)
    #: Request parameters this deployment adds (e.g. an API version); passed to the adapter.
    params: dict[str, object] = Field(default_factory=dict)

    @field_validator("api_key", mode="before")
    @classmethod
    def _wrap_key(cls, value: object) -> Secret | None:
        return _as_secret(value)

    @property
    def ref(self) -> ModelRef:
        """``provider:model`` of this deployment."""
        return ModelRef(self.provider, self.model)

    @property
    def limited(self) -> bool:
        """True when any rate or concurrency limit is configured."""
        return any(v is not None for v in (self.rpm, self.tpm, self.max_in_flight))

    def describe(self) -> dict[str, JSONValue]:
        """JSON-able facts for the audit (no key; whether one is set)."""
        info = self.model_dump(mode="json", exclude_none=True)
        info["has_key"] = self.api_key is not None
        return info


class DeploymentSpec(BaseModel):
    """A deployment as a config file writes it. ``model`` may be ``provider:model``.

    Files name the key's environment variable (``api_key_env``); ``api_key`` is for
    specs built in code.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    id: str | None = None
    model: str
    provider: str | None = None
    api_key: Secret | str | None = Field(default=None, repr=False)
    api_key_env: str | list[str] | None = None
    base_url: str | None = None
    weight: float = Field(default=1.0, gt=0)
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)
    max_in_flight: int | None = Field(default=None, gt=0)
    params: dict[str, object] = Field(default_factory=dict)

    @field_validator("api_key", mode="before")
    @classmethod
    def _wrap_key(cls, value: object) -> Secret | None:
        # One message for a wrong type, not pydantic's one per member of the union.
        return _as_secret(value)


def _as_secret(value: object) -> Secret | None:
    """An ``api_key`` as a :class:`Secret` (``None`` stays); else the error pydantic shows."""
    if value is None or isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(value)
    raise ValueError("api_key must be a str or a Secret")


class PoolSpec(BaseModel):
    """A pool as a config file writes it (code may also give :class:`Deployment` objects)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    strategy: Strategy = "round_robin"
    deployments: list[Deployment | DeploymentSpec] = Field(min_length=1)


class Pool(BaseModel):
    """A named group of deployments and the strategy that orders them."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    name: str
    deployments: tuple[Deployment, ...] = Field(min_length=1)
    strategy: Strategy = "round_robin"

    @model_validator(mode="after")
    def _unique_ids(self) -> Pool:
        ids = [d.id for d in self.deployments]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"pool {self.name!r} repeats deployment ids: {', '.join(dupes)}")
        return self

    def get(self, deployment_id: str) -> Deployment | None:
        """The member with this id, if any."""
        return next((d for d in self.deployments if d.id == deployment_id), None)


def _to_deployment(
    pool: str,
    index: int,
    spec: Deployment | DeploymentSpec,
    resolve: Callable[[str], ModelRef] | None,
) -> Deployment:
    if isinstance(spec, Deployment):
        return spec
    if spec.provider:
        ref = ModelRef(spec.provider.strip().lower(), spec.model)
    elif resolve is not None:
        ref = resolve(spec.model)
    else:
        ref = ModelRef.parse(spec.model)
    env = [spec.api_key_env] if isinstance(spec.api_key_env, str) else spec.api_key_env
    key = lookup_secret(env or [], spec.api_key) if env or spec.api_key else None
    return Deployment(
        id=spec.id or f"{pool}/{index}",
        provider=ref.provider,
        model=ref.model,
        api_key=key,
        api_key_env=tuple(env or ()),
        base_url=spec.base_url,
        weight=spec.weight,
        rpm=spec.rpm,
        tpm=spec.tpm,
        max_in_flight=spec.max_in_flight,
        params=spec.params,
    )


def pools_from_mapping(
    raw: Mapping[str, object], resolve: Callable[[str], ModelRef] | None = None
) -> list[Pool]:
    """Pools from ``{"pools": {name: spec}}`` (or a bare ``{name: spec}``).

    ``resolve`` turns bare model names into references (a Resolver's ``resolve``);
    without it each model must be ``provider:model`` or carry ``provider``.
    """
    section = raw.get("pools", raw) if isinstance(raw, Mapping) else None
    if not isinstance(section, Mapping):
        raise ConfigurationError("'pools' must map pool names to {strategy, deployments}.")
    pools = []
    for name, body in section.items():
        try:
            spec = PoolSpec.model_validate(body)
            members = tuple(
                _to_deployment(name, i, d, resolve) for i, d in enumerate(spec.deployments)
            )
            pools.append(Pool(name=name, deployments=members, strategy=spec.strategy))
        except ValidationError as exc:
            raise ConfigurationError(f"Pool {name!r} is invalid: {_brief(exc)}") from None
    return pools


def load_pools(path: str | Path, resolve: Callable[[str], ModelRef] | None = None) -> list[Pool]:
    """Pools from a JSON, YAML or TOML file (see the module docstring for the shape)."""
    return pools_from_mapping(read_config_file(path), resolve)


def _brief(exc: ValidationError) -> str:
    """Pydantic's errors as one line each, in the file's terms: ``deployments[0].weight:
    Input should be greater than 0``; an unknown key with the nearest allowed ones."""
    errors = exc.errors()
    # A deployment may be a Deployment built in code or a DeploymentSpec as a file writes
    # it; pydantic reports the mismatch against both. Only the spec's errors say what is
    # wrong with a mapping, and neither class name means anything to the file's author.
    written = [e for e in errors if "Deployment" not in e["loc"]] or errors
    parts = []
    for err in written:
        loc = [p for p in err["loc"] if p not in ("Deployment", "DeploymentSpec")]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        if err["type"] == "extra_forbidden" and loc:
            fields = DeploymentSpec.model_fields if len(loc) > 2 else PoolSpec.model_fields
            key = str(loc[-1])
            parts.append(
                f"{where or 'pool'}: unknown key {key!r}.{did_you_mean(key, fields)} "
                f"Allowed: {', '.join(fields)}"
            )
        else:
            parts.append(f"{where or 'pool'}: {err['msg']}")
    # The built-in strategies as a hint (a router's registry may hold more).
    return "; ".join(parts) + f" (strategies: {', '.join(STRATEGIES)})"
