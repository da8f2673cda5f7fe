"""What a Guardian policy is, the base class the built-ins share, and how a user's plain
callable or class becomes a policy in one line.

A policy's ``check(text, ctx, stage)`` returns (or, if async, resolves to) one of:

- ``None`` or ``"allow"``: nothing to say;
- an action string (``"warn"``, ``"redact"``, ``"block"``);
- an :class:`Outcome`: action, reasons, findings (which redaction removes), score;
- a :class:`~orchestration_kernel.models.Decision` (its spans are redacted as ``<ENTITY>``).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeAlias, TypeGuard, runtime_checkable

from ..errors import ConfigurationError, UsageError
from ..models import ACTION_RANK, Action, Decision
from .context import GuardContext, Stage
from .redaction import Finding

if TYPE_CHECKING:
    from typing_extensions import TypeIs

__all__ = [
    "BasePolicy",
    "FunctionPolicy",
    "Outcome",
    "Policy",
    "PolicyResult",
    "as_policy",
    "to_outcome",
]

ALL_STAGES: tuple[Stage, ...] = ("input", "output")


@dataclass
class Outcome:
    """A policy's full answer. The Guardian adds the policy name, stage and timing."""

    action: Action = "allow"
    reasons: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    score: float | None = None
    threshold: float | None = None
    #: Whether a ``redact``/``block`` removes the findings from the text (False: evidence only).
    redacts: bool = True
    #: Set by the Guardian when the policy raised and this outcome stands in for it.
    failure: bool = False
    #: Keep even an ``allow`` as a decision, so its reasons (a model check's cost) reach
    #: the verdict and the audit.
    record: bool = False


PolicyResult: TypeAlias = Outcome | Decision | str | None


class _TextCheck(Protocol):
    """``fn(text, ctx)``: a policy function that does not ask for the stage."""

    def __call__(
        self, text: str, ctx: GuardContext, /
    ) -> PolicyResult | Awaitable[PolicyResult]: ...


class _StageCheck(Protocol):
    """``fn(text, ctx, stage)``: a policy function that asks for the stage."""

    def __call__(
        self, text: str, ctx: GuardContext, stage: Stage, /
    ) -> PolicyResult | Awaitable[PolicyResult]: ...


#: A user's policy function (or ``check`` method): ``(text, ctx)`` or ``(text, ctx, stage)``,
#: sync or async. Which one it is is read from its signature once (``_positional_arity``).
PolicyFunction: TypeAlias = _TextCheck | _StageCheck


class _HasCheck(Protocol):
    """An object whose ``check`` is a policy function (a user's policy class)."""

    @property
    def check(self) -> PolicyFunction: ...


@runtime_checkable
class Policy(Protocol):
    """Anything with a name, the stages it runs at, and a ``check`` method."""

    name: str
    stages: tuple[Stage, ...]

    def check(
        self, text: str, ctx: GuardContext, stage: Stage
    ) -> PolicyResult | Awaitable[PolicyResult]:
        """Judge ``text`` at ``stage``."""
        ...


class BasePolicy:
    """Shared plumbing for policies: a name, stages, and whether ``check`` is async.

    Subclasses implement :meth:`check`. ``is_async`` tells the streaming monitor which
    policies it can run synchronously on every chunk (the rest run at the end).
    """

    name: str = "policy"
    stages: tuple[Stage, ...] = ALL_STAGES
    is_async: bool = False

    def __init__(self, *, name: str | None = None, stages: Iterable[Stage] | None = None):
        if name is not None:
            self.name = name
        if stages is not None:
            self.stages = _validate_stages(stages)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, stages={self.stages!r})"

    def check(
        self, text: str, ctx: GuardContext, stage: Stage
    ) -> PolicyResult | Awaitable[PolicyResult]:
        """Judge ``text`` at ``stage``. Subclasses override this."""
        raise NotImplementedError


def _validate_stages(stages: Iterable[Stage] | str) -> tuple[Stage, ...]:
    if isinstance(stages, str):
        stages = (stages,)  # type: ignore[assignment]
    out = tuple(stages)
    bad = [s for s in out if s not in ALL_STAGES]
    if bad or not out:
        raise ConfigurationError(
            f"stages must be a non-empty subset of ('input', 'output'), got {out!r}"
        )
    return out  # type: ignore[return-value]


class FunctionPolicy(BasePolicy):
    """A plain callable as a policy: ``fn(text, ctx)`` or ``fn(text, ctx, stage)``, sync or
    async, returning anything a policy may return."""

    def __init__(
        self,
        fn: PolicyFunction,
        *,
        name: str | None = None,
        stages: Iterable[Stage] | None = None,
    ) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "custom"), stages=stages)
        self.fn = fn
        self.is_async = inspect.iscoroutinefunction(fn)
        self._wants_stage = _positional_arity(fn) >= 3

    def check(
        self, text: str, ctx: GuardContext, stage: Stage
    ) -> PolicyResult | Awaitable[PolicyResult]:
        """Call the wrapped function."""
        return _call(self.fn, self._wants_stage, text, ctx, stage)


class _ObjectPolicy(BasePolicy):
    """An object with ``check`` but without our name/stages attributes (or overridden)."""

    def __init__(self, obj: _HasCheck, *, name: str, stages: Iterable[Stage]) -> None:
        super().__init__(name=name, stages=stages)
        self.obj = obj
        self.is_async = inspect.iscoroutinefunction(obj.check) or bool(
            getattr(obj, "is_async", False)
        )
        self._wants_stage = _positional_arity(obj.check) >= 3

    def check(
        self, text: str, ctx: GuardContext, stage: Stage
    ) -> PolicyResult | Awaitable[PolicyResult]:
        """Delegate to the wrapped object."""
        return _call(self.obj.check, self._wants_stage, text, ctx, stage)


def _call(
    fn: PolicyFunction, wants_stage: bool, text: str, ctx: GuardContext, stage: Stage
) -> PolicyResult | Awaitable[PolicyResult]:
    """Call ``fn`` with the stage when its signature takes one (``wants_stage``)."""
    if _takes_stage(fn, wants_stage):
        return fn(text, ctx, stage)
    return fn(text, ctx)


def _takes_stage(fn: PolicyFunction, wants_stage: bool) -> TypeIs[_StageCheck]:
    """Which of the two shapes ``fn`` has, as its signature said when it was wrapped."""
    return wants_stage


def _has_check(obj: object) -> TypeGuard[_HasCheck]:
    return callable(getattr(obj, "check", None))


def _positional_arity(fn: PolicyFunction) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: assume (text, ctx)
        return 2
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 3
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in params if p.kind in kinds)


def as_policy(
    obj: object, *, name: str | None = None, stages: Iterable[Stage] | None = None
) -> BasePolicy:
    """Make a policy of a :class:`BasePolicy`, a class, an object with ``check`` or a
    plain callable. ``name`` and ``stages`` override the object's own."""
    if isinstance(obj, type):
        obj = obj()
    if isinstance(obj, BasePolicy):
        if name is not None:
            obj.name = name
        if stages is not None:
            obj.stages = _validate_stages(stages)
        return obj
    if _has_check(obj):
        return _ObjectPolicy(
            obj,
            name=name or getattr(obj, "name", None) or type(obj).__name__,
            stages=stages or getattr(obj, "stages", None) or ALL_STAGES,
        )
    if callable(obj):
        return FunctionPolicy(obj, name=name, stages=stages)
    raise UsageError(
        f"a policy must be a callable (text, ctx) -> action, or an object with a "
        f"check(text, ctx[, stage]) method; got {type(obj).__name__}"
    )


def to_outcome(result: object) -> Outcome:
    """Normalise whatever a policy returned into an :class:`Outcome`."""
    if result is None:
        return Outcome()
    if isinstance(result, Outcome):
        return result
    if isinstance(result, Decision):
        findings = [Finding(s.entity, s.start, s.end, s.score) for s in result.spans]
        return Outcome(
            result.action, list(result.reasons), findings, result.score, result.threshold
        )
    if isinstance(result, str) and result in ACTION_RANK:
        reasons = [] if result == "allow" else [f"returned {result!r}"]
        return Outcome(result, reasons)  # type: ignore[arg-type]
    raise UsageError(
        f"a policy returned {type(result).__name__} {result!r:.40}; expected None, "
        f"'allow', 'warn', 'redact', 'block', an Outcome or a Decision"
    )
