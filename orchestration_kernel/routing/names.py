"""Model names: ``provider:model`` references and how a name the user typed resolves.

Resolution order for a name:

1. an alias (case-insensitive), followed to its target: ``claude-3`` ->
   ``anthropic:claude-sonnet-4-6`` (a shipped alias never shadows a catalogued model
   of that name that is not retired: ``gpt-4`` is ``openai:gpt-4``);
2. ``provider:model`` with a known provider (or an id the catalogue lists), taken
   literally (aliases do not apply, so ``openai:gpt-4`` still means the legacy model);
3. a bare name a provider claims (``ProviderInfo.claims``, one table for the whole
   project, plugins included): ``gpt-*``, ``chatgpt-*``, ``o1``/``o3-mini``/``o4*`` ->
   openai; ``claude-*`` -> anthropic; ``gemini-*`` -> gemini; ``sonar*`` -> perplexity.

Anything else raises :class:`UnknownModelError` with the nearest known names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from ..errors import ConfigurationError, UnknownModelError
from ..offline import deprecated_local_name
from ..providers.registry import PROVIDERS, ProviderInfo, default_providers

__all__ = ["BUILTIN_PROVIDERS", "ModelCatalogue", "ModelRef", "Resolution", "Resolver"]

#: The providers every engine knows (the registry's own, not the common OpenAI-compatible
#: servers, which an engine adds by name); plugins' providers are added to these.
BUILTIN_PROVIDERS: tuple[str, ...] = tuple(
    name for name, info in PROVIDERS.items() if not info.adapter.endswith(":CompatibleProvider")
)


class CatalogueEntry(Protocol):
    """What the resolver reads of one catalogue model (``ModelInfo`` is one)."""

    @property
    def id(self) -> str: ...


class ModelCatalogue(Protocol):
    """What the resolver reads from a catalogue (:class:`~.catalogue.Catalogue` is one)."""

    def __iter__(self) -> Iterator[CatalogueEntry]: ...

    @property
    def aliases(self) -> Mapping[str, str]: ...

    def ids(self) -> list[str]: ...

    def __contains__(self, model_id: object) -> bool: ...


_PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")


def _served_bare_ids(catalogue: ModelCatalogue | None) -> set[str]:
    """The bare model ids (``gpt-4``) of catalogued models not marked retired."""
    if catalogue is None:
        return set()
    return {
        info.id.partition(":")[2].lower()
        for info in catalogue
        if not getattr(info, "retired", False) and not info.id.endswith(":*")
    }


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A resolved model: the provider's name and the provider's own model id."""

    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        """``"provider:model"`` -> ``ModelRef``; no alias or inference applied."""
        provider, sep, model = text.partition(":")
        if not sep or not provider or not model:
            raise ConfigurationError(f"{text!r} is not 'provider:model' (e.g. openai:gpt-4o).")
        return cls(provider.strip().lower(), model.strip())


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a name resolved: the reference, the rule used and whether the catalogue knows it."""

    name: str
    ref: ModelRef
    how: Literal["alias", "explicit", "inferred"]
    alias_chain: tuple[str, ...] = ()
    in_catalogue: bool = False

    def as_dict(self) -> dict[str, object]:
        """JSON-able form for the audit's ``detail``."""
        return {
            "name": self.name,
            "resolved": str(self.ref),
            "how": self.how,
            "alias_chain": list(self.alias_chain),
            "in_catalogue": self.in_catalogue,
        }


class Resolver:
    """Turns what a user typed into a :class:`ModelRef`.

    ``aliases`` extend (and may override) the catalogue's shipped aliases.
    ``providers`` are the provider names accepted as ``provider:model`` prefixes
    (default: the built-ins and the installed plugins'). ``infos``: the provider table
    bare names are inferred from and prefix synonyms read from (default: the same).
    """

    def __init__(
        self,
        catalogue: ModelCatalogue | None = None,
        aliases: Mapping[str, str] | None = None,
        providers: Iterable[str] | None = None,
        *,
        infos: Mapping[str, ProviderInfo] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self._infos = dict(default_providers() if infos is None else infos)
        if providers is None:
            plugins = [n for n in self._infos if n not in PROVIDERS]
            providers = (*BUILTIN_PROVIDERS, *plugins)
        self._providers: set[str] = {p.lower() for p in providers}
        self._synonyms = {s: i.name for i in self._infos.values() for s in i.synonyms}
        self._aliases: dict[str, str] = {}
        base = dict(catalogue.aliases) if catalogue is not None else {}
        # A shipped alias never hides a model the catalogue lists under that very name
        # and that still runs: "gpt-4" is the legacy GPT-4, not gpt-4o. Your own aliases
        # (``aliases=``, ``add_alias``) still win over everything.
        served = _served_bare_ids(catalogue)
        base = {k: v for k, v in base.items() if k.strip().lower() not in served}
        for name, target in {**base, **dict(aliases or {})}.items():
            self._aliases[name.strip().lower()] = target.strip()

    @property
    def providers(self) -> frozenset[str]:
        """Provider names accepted as prefixes."""
        return frozenset(self._providers)

    @property
    def aliases(self) -> dict[str, str]:
        """A copy of the alias table (lower-case name -> target)."""
        return dict(self._aliases)

    def add_provider(self, name: str) -> None:
        """Accept ``name:<any model>`` (an OpenAI-compatible server such as ``ollama``)."""
        clean = name.strip().lower()
        if not _PROVIDER_NAME.match(clean):
            raise ConfigurationError(
                f"Provider name {name!r} must be lower-case letters, digits, '-', '_' or '.', "
                "starting with a letter (e.g. 'ollama')."
            )
        self._providers.add(clean)

    def add_alias(self, name: str, target: str) -> ModelRef:
        """Make ``name`` mean ``target`` (itself any resolvable name). Returns the target."""
        key = name.strip().lower()
        if not key or ":" in key:
            raise ConfigurationError(
                f"Alias {name!r} must be a bare name without ':' (e.g. 'fast-model')."
            )
        ref = self.resolve(target)
        self._aliases[key] = target.strip()
        return ref

    def remove_alias(self, name: str) -> None:
        """Forget an alias (no error when absent)."""
        self._aliases.pop(name.strip().lower(), None)

    def resolve(self, name: str | ModelRef, *, also_known: Iterable[str] = ()) -> ModelRef:
        """The :class:`ModelRef` for ``name``; ``also_known`` adds names (pools) to suggestions."""
        return self.explain(name, also_known=also_known).ref

    def explain(self, name: str | ModelRef, *, also_known: Iterable[str] = ()) -> Resolution:
        """Like :meth:`resolve`, and says which rule applied."""
        if isinstance(name, ModelRef):
            return self._resolution(str(name), name, "explicit", ())
        original = name
        chain: list[str] = []
        current = name.strip()
        while current.lower() in self._aliases:
            if current.lower() in chain:
                raise ConfigurationError(f"Alias loop: {' -> '.join([*chain, current.lower()])}.")
            chain.append(current.lower())
            current = self._aliases[current.lower()]
        ref, how = self._direct(current)
        if ref is None:
            raise self._unknown(original, also_known)
        return self._resolution(original, ref, "alias" if chain else how, tuple(chain))

    def _direct(self, name: str) -> tuple[ModelRef | None, Literal["explicit", "inferred"]]:
        provider, sep, model = name.partition(":")
        if sep:
            provider = self._synonyms.get(provider.strip().lower(), provider.strip().lower())
            ref = ModelRef(provider, model.strip())
            if (
                provider == "local"
                and "sim" in self._providers
                and deprecated_local_name(ref.model)
            ):
                ref = ModelRef("sim", ref.model)  # the simulator's old name, for one release
            if model.strip() and (provider in self._providers or self._catalogued(ref)):
                return ref, "explicit"
            return None, "explicit"
        lowered = name.lower()
        for info in self._infos.values():
            if info.name in self._providers and info.claims(lowered):
                return ModelRef(info.name, lowered), "inferred"
        return None, "inferred"

    def _catalogued(self, ref: ModelRef) -> bool:
        """A catalogue entry of its own makes a model known, whatever its provider."""
        return self.catalogue is not None and str(ref) in self.catalogue.ids()

    def _unknown(self, name: str, also_known: Iterable[str]) -> UnknownModelError:
        error = UnknownModelError(name, self.suggest(name, also_known))
        provider, sep, _ = name.strip().partition(":")
        provider = self._synonyms.get(provider.lower(), provider.lower())
        if sep and provider not in self._providers:
            error.args = (
                f"{error} Provider {provider!r} is not configured (known: "
                f"{', '.join(sorted(self._providers))}); register an OpenAI-compatible server "
                "under that name first.",
            )
        elif not sep and provider in self._providers:
            # "local", "openai": a provider's name where one of its models was meant.
            example = self._example_model(provider)
            error.args = (f"{error} {provider!r} is a provider: name one of its models as "
                          f"'{provider}:MODEL' (e.g. {example}).",)  # fmt: skip
        elif not sep and not error.suggestions:
            error.args = (
                f"{error} Name it as PROVIDER:MODEL (providers: "
                f"{', '.join(sorted(self._providers))}): a model on a local server, say, as "
                f"'ollama:{name.strip()}'; engine.add_compatible(NAME, base_url=...) adds "
                "another OpenAI-compatible server.",
            )
        return error

    def _example_model(self, provider: str) -> str:
        ids = sorted(self.catalogue.ids()) if self.catalogue is not None else []
        found = [i for i in ids if i.startswith(provider + ":")]
        return found[0] if found else f"{provider}:MODEL"

    def _resolution(
        self,
        name: str,
        ref: ModelRef,
        how: Literal["alias", "explicit", "inferred"],
        chain: tuple[str, ...],
    ) -> Resolution:
        known = self.catalogue is not None and str(ref) in self.catalogue
        return Resolution(name, ref, how, chain, known)

    def known_names(self) -> list[str]:
        """Every name a suggestion may offer: aliases, catalogue ids and their bare ids."""
        names = set(self._aliases)
        if self.catalogue is not None:
            for model_id in self.catalogue.ids():
                names.add(model_id)
                names.add(model_id.partition(":")[2])
        return sorted(names)

    def suggest(self, name: str, also_known: Iterable[str] = (), n: int = 3) -> list[str]:
        """Up to ``n`` known names nearest to ``name`` (difflib similarity)."""
        pool = {*self.known_names(), *also_known}
        key = name.strip().lower()
        by_lower = {candidate.lower(): candidate for candidate in pool}
        close = difflib.get_close_matches(key, list(by_lower), n=n, cutoff=0.6)
        if not close and ":" in key:  # "opnai:gpt-4o": try the model part alone
            close = difflib.get_close_matches(key.partition(":")[2], list(by_lower), n, 0.6)
        return [by_lower[c] for c in close]

    def __repr__(self) -> str:
        return f"Resolver(providers={sorted(self._providers)}, aliases={len(self._aliases)})"
