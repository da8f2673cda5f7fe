"""Tab completion on the ``%orchestrate`` / ``%%orchestrate`` line.

Without a completer, Tab after ``%orchestrate`` offered every magic of the kernel, and
Jedi's Python names after ``--compare``. A matcher of IPython's completion API (version 2,
the one ``Completer.completions`` and so a Jupyter frontend reach) now answers on that
line alone, and only it: the commands and options, the models after ``--compare``, your
variables after ``--input`` and ``--over``, the formats after ``-f``, the modes after
``offline``, the providers after ``key`` (and as a ``models`` filter), the named pipelines
after ``run`` and the batch jobs after ``jobs``.

Each list is built when asked, from what the kernel already has; nothing here runs at
``%load_ext`` but the matcher's registration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .args import COMMANDS, FORMATS, OFFLINE_MODES, split_line

__all__ = ["complete_orchestrate", "register_completion", "unregister_completion"]

#: The magic's names, as the first word of a line.
KEYS = ("%orchestrate", "%%orchestrate")


def register_completion(ipython: Any, magics: Any) -> Any:
    """Add the matcher to ``ipython``'s completer; returns it (for
    :func:`unregister_completion`)."""
    from IPython.core.completer import SimpleCompletion, context_matcher

    @context_matcher()  # type: ignore[misc]
    def orchestrate_matcher(context: Any) -> dict[str, Any]:
        line = context.text_until_cursor
        if context.cursor_line != 0 or line.split(" ", 1)[0] not in KEYS:
            return {"completions": [], "suppress": False}
        # The whole word at the cursor: IPython's token stops at '-' and ':' ("gpt-4o-m"
        # is token "m"), and a model's name has both.
        word = line.rsplit(" ", 1)[-1] if " " in line else ""
        found = complete_orchestrate(line, word, magics)
        return {
            "completions": [SimpleCompletion(text=c, type="orchestrate") for c in found],
            "matched_fragment": word,
            "suppress": True,  # on our line, Python names and other magics do not fit
        }

    ipython.Completer.custom_matchers.append(orchestrate_matcher)
    return orchestrate_matcher


def unregister_completion(ipython: Any, matcher: Any) -> None:
    """Remove what :func:`register_completion` added (if still there)."""
    matchers = ipython.Completer.custom_matchers
    if matcher in matchers:
        matchers.remove(matcher)


def complete_orchestrate(line: str, symbol: str, magics: Any) -> list[str]:
    """The completions of ``symbol`` (the word at the cursor) on ``line``."""
    try:
        words = split_line(line)
    except ValueError:  # an unclosed quote: nothing sensible to offer
        return []
    cell = bool(words) and words[0].startswith("%%")
    # The words before the one being typed (an empty symbol: a new word starts).
    before = words[1:-1] if symbol and len(words) > 1 else words[1:]
    previous = before[-1] if before else ""
    if symbol.startswith("-"):  # an option, wherever it starts
        choices = _options(magics)
    else:
        choices = _values_for(previous, before, magics, cell)
        if choices is None:
            choices = _first_words(before, cell)
    return sorted(c for c in dict.fromkeys(choices) if c.startswith(symbol))


def _first_words(before: list[str], cell: bool) -> list[str]:
    """A command (on a line, first) or the options."""
    positional = [w for w in before if not w.startswith("-")]
    if not cell and not positional:
        return list(COMMANDS)
    return []


def _options(magics: Any) -> list[str]:
    parser = magics.orchestrate.parser
    return [s for action in parser._actions for s in action.option_strings]


def _values_for(previous: str, before: list[str], magics: Any, cell: bool) -> list[str] | None:
    """What may follow ``previous`` (an option or a command), or None: anything."""
    by_option: dict[str, Callable[[], list[str]]] = {
        "--compare": lambda: _models(magics),
        "--input": lambda: _variables(magics),
        "--over": lambda: _variables(magics),
        "-f": lambda: list(FORMATS),
        "--format": lambda: list(FORMATS),
        "-m": lambda: _models(magics),
        "--model": lambda: _models(magics),
    }
    if previous in by_option:
        return by_option[previous]()
    if "--compare" in before and previous not in _options(magics) and not previous.startswith("-"):
        # --compare takes several: the models after the first one too
        index = len(before) - 1 - before[::-1].index("--compare")
        if all(not w.startswith("-") for w in before[index + 1 :]):
            return _models(magics)
    if cell or len(before) != 1:
        return None
    by_command: dict[str, Callable[[], list[str]]] = {
        "offline": lambda: list(OFFLINE_MODES),
        "key": lambda: _providers(magics),
        "run": lambda: _pipelines(magics),
        "jobs": _jobs,
        "models": lambda: _providers(magics),  # a filter: a provider, or part of an id
    }
    make = by_command.get(previous)
    return make() if make is not None else None


def _models(magics: Any) -> list[str]:
    """Every catalogue id, its bare name where that resolves to it (``gpt-4o-mini``), the
    aliases and the pools."""
    engine = magics.engine
    ids = [info.id for info in engine.catalogue if not info.id.endswith(":*")]
    names = list(ids)
    for full in ids:
        bare = full.partition(":")[2]
        try:
            if engine.resolve(bare) == full:
                names.append(bare)
        except Exception:  # a bare name that infers no provider: only its full id
            continue
    names += list(engine.router.resolver.aliases) + list(engine.router.pools)
    return names


def _variables(magics: Any) -> list[str]:
    from ..near_names import data_names

    return data_names(magics.shell.user_ns)


def _providers(magics: Any) -> list[str]:
    return sorted(magics.engine.providers.registry.table)


def _pipelines(magics: Any) -> list[str]:
    return list(magics.manager.list())


def _jobs() -> list[str]:
    from ..batch.job import BatchJob

    return BatchJob.names()
