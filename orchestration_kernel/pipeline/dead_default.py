"""A step's ``default:`` that no run can ever use is a spec error, named at its line.

A step's output is its ``default`` only when the step is skipped: its own ``when:`` is
false, it fails under ``on_error: skip`` (for a fan-out, the models that failed), or every
step it depends on was skipped by a ``when:`` (skipping carries down the graph, see
:mod:`.runner`). A ``default:`` on a step with none of these was silently dead: the user
believed the run had a fallback it never had, and learned otherwise when the step failed
the run. So the loader refuses it, saying what would make it live.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .spec import StepSpec

__all__ = ["dead_default_message", "may_be_skipped_by_when", "unreachable_defaults"]


def may_be_skipped_by_when(
    order: Sequence[str], specs: Mapping[str, StepSpec], deps: Mapping[str, Sequence[str]]
) -> set[str]:
    """The steps a run may skip through ``when:``: those with a ``when:``, and those all of
    whose dependencies may be (``order``: a topological order of the steps)."""
    out: set[str] = set()
    for name in order:
        parents = deps.get(name, ())
        if specs[name].when is not None or (parents and all(p in out for p in parents)):
            out.add(name)
    return out


def unreachable_defaults(
    order: Sequence[str], specs: Mapping[str, StepSpec], deps: Mapping[str, Sequence[str]]
) -> list[str]:
    """The steps (in ``order``) whose ``default:`` no run can use."""
    skippable = may_be_skipped_by_when(order, specs, deps)
    return [
        name
        for name in order
        if specs[name].default is not None
        and specs[name].on_error != "skip"
        and name not in skippable
    ]


def dead_default_message(name: str) -> str:
    """Why step ``name``'s ``default:`` is refused, and what would make it used."""
    return (
        f"step {name!r}: 'default' is never used: a step's output is its default only when "
        "it is skipped (its 'when:' is false, or it fails under 'on_error: skip'), and this "
        "step never is. Add 'on_error: skip' (the default then stands in for a failure) or "
        "a 'when:', or remove 'default'."
    )
