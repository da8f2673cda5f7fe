"""The checks on :class:`~orchestration_kernel.engine.OrchestrationEngine`'s arguments.

Each argument is checked before anything is built, against one table: what it takes,
and how to write it when it was given as something else. A wrong type used to surface
later as a bare ``AttributeError`` from deep inside (``offline=True``,
``timeouts=30``), or, worse, to be taken as meaning something else: ``content_logging="no"``
is a true value, so it kept content logging on. Now each is a
:class:`~orchestration_kernel.errors.ConfigurationError` naming the argument. A value
is never repeated in the message, since it may be a key.

A provider-keyed mapping (``keys=``, ``base_urls=``, ``provider_options=``,
``credentials=``) whose provider name is a near miss of a known one (``"opnai"``) is
refused with the nearest names; a name far from every known one is accepted, because
a compatible server may be registered under it later.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import ConfigurationError
from .near_names import did_you_mean

__all__ = [
    "check_engine_args",
    "check_model",
    "check_provider_names",
    "model_names",
    "split_commas",
]


@dataclass(frozen=True, slots=True)
class _Rule:
    """What one argument takes: a test, the words for it, and how to write it."""

    accepts: Callable[[object], bool]
    takes: str
    hint: str = ""
    #: For a mapping: the test each value must pass (its key must be text).
    each: Callable[[object], bool] | None = None


def _instance(*names: str) -> Callable[[object], bool]:
    """A test by class name, so this module imports none of the classes (no cycles)."""

    def test(value: object) -> bool:
        return any(cls.__name__ in names for cls in type(value).__mro__)

    return test


def _is_mapping(value: object) -> bool:
    return isinstance(value, Mapping)


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_text(value: object) -> bool:
    return isinstance(value, (str, Path))


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _is_key(value: object) -> bool:
    return value is None or isinstance(value, str) or _instance("Secret")(value)


def _any_of(*tests: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: any(test(value) for test in tests)


def _pools(value: object) -> bool:
    if _is_text(value) or isinstance(value, Mapping):
        return True
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        return all(_instance("Pool")(p) for p in value)
    return False


_RULES: dict[str, _Rule] = {
    "session": _Rule(
        _instance("Session"),
        "a Session",
        " The default is Session.current(); to pin its id, run %orchestrate session NAME "
        "or set ORCHESTRATION_SESSION_ID.",
    ),
    "offline": _Rule(_any_of(_is_bool, _is_str), '"on", "auto", "off", True or False'),
    "keys": _Rule(
        _is_mapping,
        "a mapping of provider name to key text",
        ' For example keys={"openai": os.environ["MY_OPENAI_KEY"]}.',
        _is_key,
    ),
    "base_urls": _Rule(
        _is_mapping,
        "a mapping of provider name to an http:// or https:// URL",
        ' For example base_urls={"openai": "http://localhost:8000/v1"}.',
        _is_url,
    ),
    "provider_options": _Rule(_is_mapping, "a mapping of provider name to a dict", "", _is_mapping),
    # Each credential is checked where it is turned into a token source (as_token_provider).
    "credentials": _Rule(_is_mapping, "a mapping of provider name to a token source"),
    "aliases": _Rule(
        _is_mapping,
        "a mapping of alias to model name",
        ' For example aliases={"fast": "gpt-4o-mini"}.',
        _is_str,
    ),
    "pools": _Rule(_pools, "a config file path, a mapping of pool definitions, or Pools"),
    "catalogue": _Rule(
        _any_of(_instance("Catalogue"), _is_text, lambda v: isinstance(v, Mapping)),
        "a Catalogue, a config file path or a mapping",
    ),
    "guardian": _Rule(
        _any_of(_instance("Guardian"), _is_bool),
        "a Guardian, True (the built-in policies) or False (no checks)",
        ' For example guardian=Guardian(pii="block").',
    ),
    "audit": _Rule(
        # Anything that records (a worker's CapturedAudit) stands in for a trail.
        _any_of(_is_text, _is_bool, lambda v: callable(getattr(v, "record", None))),
        "an AuditTrail, a file path, True (the session's trail) or False",
    ),
    "bus": _Rule(_instance("ContextBus"), "a ContextBus"),
    "retry": _Rule(
        _instance("RetryPolicy"), "a RetryPolicy", " For example retry=RetryPolicy(max_attempts=3)."
    ),
    "timeouts": _Rule(
        _instance("Timeouts"),
        "a Timeouts",
        " For example timeouts=Timeouts(total=30); one call's limit is complete(timeout=30).",
    ),
    "simulator": _Rule(
        _any_of(_instance("SimulatorConfig"), lambda v: isinstance(v, Mapping)),
        "a SimulatorConfig or a dict of its fields",
    ),
    "identity": _Rule(
        _instance("Identity"), "an Identity", ' For example identity=Identity(user="alice").'
    ),
    "content_logging": _Rule(_is_bool, "True or False"),
    "replay": _Rule(_is_bool, "True or False"),
    "stream": _Rule(_is_bool, "True or False"),
    "router": _Rule(_instance("Router"), "a Router"),
}

#: The arguments keyed by provider name.
_BY_PROVIDER = ("keys", "base_urls", "provider_options", "credentials")


def _simulator_fields() -> tuple[str, ...]:
    """The simulator's fields, for a misspelled key in ``simulator={...}``. Imported here,
    not at the top: ``%load_ext`` reaches this module (``split_commas``), and the
    simulator brings pydantic models and asyncio that loading must not pay for."""
    from .providers.sim import SimulatorConfig

    return tuple(f.name for f in fields(SimulatorConfig))


def check_engine_args(args: Mapping[str, object]) -> None:
    """Refuse any argument that is not what it takes, naming it (never its value).

    ``args`` maps argument names to values (``None`` means "not given").
    """
    for name, value in args.items():
        rule = _RULES.get(name)
        if rule is None or value is None:
            continue
        if not rule.accepts(value):
            raise ConfigurationError(
                f"OrchestrationEngine({name}=...) takes {rule.takes}, not "
                f"{type(value).__name__}.{rule.hint}"
            )
        if rule.each is not None and isinstance(value, Mapping):
            _check_entries(name, value, rule)
    simulator = args.get("simulator")
    if isinstance(simulator, Mapping):
        known = _simulator_fields()
        for key in simulator:
            if key not in known:
                raise ConfigurationError(
                    f"OrchestrationEngine(simulator=...) has no field {key!r}."
                    f"{did_you_mean(str(key), known)} "
                    f"Fields: {', '.join(known)}."
                )


def check_provider_names(args: Mapping[str, object], providers: Iterable[str]) -> None:
    """Refuse a provider name in ``keys=`` and the like that is a near miss of one of
    ``providers`` (the names the engine knows)."""
    known = list(providers)
    for name in _BY_PROVIDER:
        given = args.get(name)
        for provider in given if isinstance(given, Mapping) else ():
            _check_provider(name, str(provider), known)


def _kind(value: object) -> str:
    return "text that is not a URL" if isinstance(value, str) else type(value).__name__


def _check_entries(name: str, value: Mapping[object, object], rule: _Rule) -> None:
    for key, entry in value.items():
        if not isinstance(key, str):
            problem = f"a key is {type(key).__name__}, not text"
        elif rule.each is not None and not rule.each(entry):
            problem = f"the entry for {key!r} is {_kind(entry)}"
        else:
            continue
        raise ConfigurationError(
            f"OrchestrationEngine({name}=...): {problem}; it takes {rule.takes}.{rule.hint}"
        )


def _check_provider(argument: str, provider: str, known: list[str]) -> None:
    if provider in known or not difflib.get_close_matches(provider, known, n=1, cutoff=0.75):
        return
    raise ConfigurationError(
        f"OrchestrationEngine({argument}=...) names an unknown provider {provider!r}."
        f"{did_you_mean(provider, known)}"
    )


def check_model(model: object) -> None:
    """``complete()``'s ``model`` is one name, as text."""
    if not isinstance(model, str):
        raise ConfigurationError(
            f"complete() takes one model name as text, not {type(model).__name__}. To ask "
            "several models, use compare(models, prompt); to fall back, fallbacks=[...]."
        )


def model_names(models: object, what: str) -> list[str]:
    """``compare()``/``matrix()``'s ``models`` as a list: one name given as text is a list
    of one (it was read letter by letter, as models 'g', 'p', 't' ...), and
    ``"gpt-4o,claude-3"`` is two models (see :func:`split_commas`)."""
    if isinstance(models, str):
        return _check_names(split_commas([models]), what)
    if not isinstance(models, Iterable) or isinstance(models, (bytes, Mapping)):
        raise ConfigurationError(
            f"{what}() takes a list of model names, not {type(models).__name__}"
        )
    names = list(models)
    odd = [type(m).__name__ for m in names if not isinstance(m, str)]
    if odd:
        raise ConfigurationError(f"{what}() takes model names as text, not {odd[0]}")
    return _check_names(split_commas(names), what)


def split_commas(names: Iterable[str]) -> list[str]:
    """``names`` with each comma-separated name split in its parts: ``--compare a,b,c``
    (the way most command lines take a list) and ``"gpt-4o, claude-3"`` name three and
    two models. No provider's model name holds a comma, so it was sent as one unknown
    model and answered (offline) as if it were one."""
    return [part.strip() for name in names for part in name.split(",") if part.strip()]


def _check_names(names: list[str], what: str) -> list[str]:
    if not names:
        raise ConfigurationError(f"{what}() needs at least one model")
    twice = sorted({m for m in names if names.count(m) > 1})
    if twice:
        # One column per model: a second copy would be called, billed and then hidden.
        raise ConfigurationError(
            f"{what}() names {', '.join(repr(m) for m in twice)} more than once; "
            "each model is one column, so name it once"
        )
    return names
