"""The Guardian: runs its policies, in order, on every call's input and output.

The strictest decision wins (allow < warn < redact < block). ``block`` means the call is
not sent (or the reply not shown); ``redact`` means the redacted text is sent (or shown).
A policy that raises fails closed by default: a ``block`` marked ``guardian_failure``.
A text above ``max_text_chars`` is blocked unchecked (policy ``size``); one of
``offload_chars`` or more is checked in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import overload

from ..errors import ConfigurationError, UnknownNameError
from ..models import Action, ChatRequest, Decision, EvidenceSpan, Message
from ..secrets import Secret
from ..user_spec import validate_spec
from .builtins import PolicyFactory, PolicyRegistry, PolicySetup, pii_policy
from .config import BUILTIN_POLICIES, OPT_IN_POLICIES, GuardianConfig
from .context import GuardContext, Stage, Verdict, strictest
from .identity import AccessPolicy, AccessRule, Identity
from .injection_prefilter import builds_pending, start_pending
from .limits import SpendLedger
from .memo import RedactionMemo
from .monitor import OutputMonitor
from .pii import PIIPolicy
from .policy import BasePolicy, Outcome, as_policy, to_outcome
from .redact_values import redact_value
from .redaction import Finding, apply_findings
from .secrets import SecretsPolicy

__all__ = ["Guardian"]

_REDACTING = ("redact", "block")
#: What a policy that returned ``None`` (nothing to say) stands for: one shared outcome,
#: never changed (the Guardian only reads outcomes; its findings list is copied when
#: kept), instead of a new one per policy and check (~1 µs each: a dozen per model call).
_ALLOW = Outcome()


@dataclass(frozen=True, slots=True)
class _Redactors:
    """The detectors :meth:`Guardian.redact` uses and the memo of what they found, swapped
    as one (a single attribute store), so a reader on another thread never pairs new
    detectors with the old memo or the reverse."""

    secrets: SecretsPolicy
    pii: PIIPolicy
    memo: RedactionMemo
    #: Whether a check's findings from these very policies may stand in for ``redact``'s:
    #: only when their ``check`` is the built-in one, which reports ``find(text)`` as is.
    reusable: bool


class Guardian:
    """Checks every model call before it is sent and after it returns.

    ``policies``: ``None`` for the defaults (access, limits, secrets, injection, pii, terms,
    and, when enabled, moderation and the model-backed injection check), or a list of
    built-in names and/or policy objects and callables. Other keyword options are
    :class:`GuardianConfig` fields.
    ``session_key`` keys the ``hash`` redaction operator (stable within a session).
    ``registry``: the policy table names resolve in (default: the built-ins; see
    :meth:`register_policy`).
    """

    def __init__(
        self,
        policies: Sequence[object] | None = None,
        *,
        fail_closed: bool | None = None,
        pii_operator: str | None = None,
        session_key: bytes | None = None,
        config: GuardianConfig | None = None,
        ledger: SpendLedger | None = None,
        moderation_api_key: str | Secret | None = None,
        injection_model_api_key: str | Secret | None = None,
        registry: PolicyRegistry | None = None,
        **options: object,
    ) -> None:
        base = dict(config) if config is not None else {}
        # A keyword given here wins over the config; one left out keeps the config's value
        # (or the default: fail closed, replace).
        given = {"fail_closed": fail_closed, "pii_operator": pii_operator}
        base.update({k: v for k, v in given.items() if v is not None}, **options)
        self.config = validate_spec(GuardianConfig, base)
        self.ledger = ledger or SpendLedger()
        self._key = session_key or os.urandom(32)
        self._moderation_key = (
            Secret(moderation_api_key)
            if isinstance(moderation_api_key, str)
            else moderation_api_key
        )
        self._injection_model_key = (
            Secret(injection_model_api_key)
            if isinstance(injection_model_api_key, str)
            else injection_model_api_key
        )
        self._builtin: dict[str, BasePolicy] = {}
        #: The policies this Guardian can build by name: the built-ins plus registered ones.
        self.registry = PolicyRegistry() if registry is None else registry
        names = policies if policies is not None else self._default_names()
        self._policies: list[BasePolicy] = [self._resolve(p) for p in names]
        self._refresh_redactors()

    # -- policy management ---------------------------------------------------------------

    def _default_names(self) -> list[str]:
        on = {"moderation": self.config.moderation, "injection_model": self.config.injection_model}
        return [n for n in BUILTIN_POLICIES if n not in OPT_IN_POLICIES or on[n]]

    def _resolve(self, item: object) -> BasePolicy:
        if isinstance(item, str):
            policy = self._build(item)  # unknown: a ConfigurationError naming the known
            self._builtin[item] = policy
            return policy
        return as_policy(item)

    def _setup(self) -> PolicySetup:
        return PolicySetup(
            config=self.config,
            ledger=self.ledger,
            session_key=self._key,
            moderation_key=self._moderation_key,
            injection_model_key=self._injection_model_key,
        )

    def _build(self, name: str) -> BasePolicy:
        return self.registry.build(name, self._setup())

    def register_policy(self, name: str, factory: PolicyFactory) -> None:
        """Make ``name`` a policy this Guardian can build (``factory(setup)`` returns it),
        for ``policies=[...]``, :meth:`add_policy` and :meth:`configure` rebuilds."""
        self.registry.register(name, factory)

    def _is_builtin(self, policy: BasePolicy) -> bool:
        return self._builtin.get(policy.name) is policy

    def _refresh_redactors(self) -> None:
        """The detectors :meth:`redact` uses: the configured ones, or fresh defaults."""
        pii = self._builtin.get("pii")
        # The built-in detector, not whatever "pii" names in the registry: redact needs find().
        pii = pii if isinstance(pii, PIIPolicy) else pii_policy(self._setup())
        secrets = self._builtin.get("secrets")
        secrets = secrets if isinstance(secrets, SecretsPolicy) else SecretsPolicy()
        reusable = type(pii).check is PIIPolicy.check and (
            type(secrets).check is SecretsPolicy.check
        )
        # A new memo: what the old detectors made is forgotten.
        self._redactors = _Redactors(secrets, pii, RedactionMemo(), reusable)

    @property
    def policies(self) -> tuple[BasePolicy, ...]:
        """The policies, in the order they run."""
        return tuple(self._policies)

    @property
    def access(self) -> AccessPolicy | None:
        """The configured :class:`AccessPolicy`, or ``None``."""
        return self.config.access

    def add_policy(
        self,
        policy: object,
        *,
        name: str | None = None,
        stages: Iterable[Stage] | None = ("input", "output"),
        index: int | None = None,
    ) -> BasePolicy:
        """Register a policy in one line: a callable ``(text, ctx) -> action | Decision |
        None`` (sync or async), a class, or an object with ``check``. Runs after the
        existing policies unless ``index`` is given. Returns the registered policy."""
        if isinstance(policy, str):
            made = self._resolve(policy)
            self._refresh_redactors()
        else:
            made = as_policy(policy, name=name, stages=stages)
        if any(p.name == made.name for p in self._policies):
            raise ConfigurationError(
                f"a policy named {made.name!r} is already registered; pass name=... or "
                f"remove_policy({made.name!r}) first"
            )
        self._policies.insert(len(self._policies) if index is None else index, made)
        return made

    def remove_policy(self, name: str) -> BasePolicy:
        """Unregister the policy called ``name`` and return it."""
        for i, policy in enumerate(self._policies):
            if policy.name == name:
                del self._policies[i]
                if self._is_builtin(policy):
                    del self._builtin[name]
                    self._refresh_redactors()
                return policy
        raise UnknownNameError.of("policy", name, [p.name for p in self._policies])

    def configure(self, **options: object) -> GuardianConfig:
        """Change options (:class:`GuardianConfig` fields) and rebuild the built-in
        policies in place; custom policies stay as they are. Returns the new config."""
        self.config = validate_spec(GuardianConfig, {**dict(self.config), **options})
        for i, policy in enumerate(self._policies):
            if self._is_builtin(policy):
                self._policies[i] = self._builtin[policy.name] = self._build(policy.name)
        for name in OPT_IN_POLICIES:
            wanted, present = bool(getattr(self.config, name)), name in self._builtin
            if wanted and not present:
                self._policies.append(self._resolve(name))
            elif not wanted and present:
                self.remove_policy(name)
        self._refresh_redactors()
        return self.config

    def limits_for(self, identity: Identity | None) -> AccessRule:
        """The rate and budget limits the engine's limiter should enforce for ``identity``."""
        access = self.config.access
        return access.limits_for(identity) if access is not None else AccessRule()

    def record_spend(
        self, cost_usd: float | None, session_id: str | None, identity: Identity | str | None
    ) -> None:
        """Feed the spend ledger after a call (unknown costs are ignored)."""
        self.ledger.record(cost_usd, session_id, identity)

    # -- checks --------------------------------------------------------------------------

    async def check_input(self, text: str, ctx: GuardContext | None = None) -> Verdict:
        """Check a prompt before it is sent. ``verdict.text`` is what may be sent. ``ctx``
        says which call it is (model, identity …); without it, a call with no facts."""
        verdict, _ = await self._evaluate(text, ctx or GuardContext(), "input")
        return verdict

    async def check_output(self, text: str, ctx: GuardContext | None = None) -> Verdict:
        """Check a reply before it is shown or stored (``ctx`` as for :meth:`check_input`)."""
        verdict, _ = await self._evaluate(text, ctx or GuardContext(), "output")
        return verdict

    async def check_request(
        self, request: ChatRequest, ctx: GuardContext
    ) -> tuple[Verdict, ChatRequest]:
        """Check a whole request (system prompt and every message, as one text) and return
        the verdict and the request with each part redacted."""
        parts = ([request.system] if request.system else []) + [m.content for m in request.messages]
        joined = "\n".join(parts)
        verdict, findings = await self._evaluate(joined, ctx, "input")
        if not findings:
            return verdict, request
        redacted = _redact_parts(parts, findings)
        offset = 1 if request.system else 0
        update: dict[str, object] = {
            "messages": [
                Message(role=m.role, content=redacted[offset + i])
                for i, m in enumerate(request.messages)
            ]
        }
        if request.system:
            update["system"] = redacted[0]
        return verdict, request.model_copy(update=update)

    def output_monitor(self, ctx: GuardContext, *, placeholder: str = "") -> OutputMonitor:
        """A monitor for one streamed reply: feed it chunks, then ``await finish()``."""
        return OutputMonitor(self, ctx, placeholder=placeholder)

    @overload
    def redact(self, text: str) -> str: ...

    @overload
    def redact(self, text: object) -> object: ...

    def redact(self, text: object) -> object:
        """``text`` with every credential and personal datum replaced (the audit's fast
        path: no policy decisions, no timing).

        In a notebook it also takes a pandas Series or DataFrame (each cell redacted, so
        ``df.notes.map(guardian.redact)`` and ``guardian.redact(df)`` both work), leaves a
        missing value (``None``, NaN) as it is, and redacts a number by its digits (a
        number with nothing to redact is returned unchanged)."""
        if not isinstance(text, str):
            return redact_value(text, self.redact)
        if not text:
            return text
        # The audit redacts the same short strings (model names, route reasons) row after
        # row, and the prompt or reply the input or output check has just scanned with
        # these detectors: the result is a pure function of the text and the detectors
        # (pseudonyms are keyed HMACs), so it is kept until _refresh_redactors builds new
        # detectors (and a new memo).
        r = self._redactors
        known = r.memo.get(text)
        if known is not None:
            if isinstance(known, str):
                return known
            return apply_findings(text, known) if known else text
        findings = r.secrets.find(text)
        findings.extend(r.pii.find(text))
        redacted = apply_findings(text, findings) if findings else text
        r.memo.put(text, redacted)
        return redacted

    # The audit may store "[user] " + redact(text) for redact("[user] " + text): a role
    # label changes nothing these detectors find and they find nothing in one
    # (scripts/audit_writer_equivalence.py compares the two; see prompt_text.LABELS_APART).
    redact.redacts_labels_apart = True  # type: ignore[attr-defined]

    def check_sync(self, text: str, ctx: GuardContext, stage: Stage) -> Verdict:
        """Run the synchronous policies only (async ones, like moderation, are skipped).
        The streaming monitor uses this on every chunk."""
        t0 = perf_counter()
        too_large = self._too_large(text, stage, t0)
        if too_large is not None:
            return too_large
        decisions: list[Decision] = []
        findings: list[Finding] = []
        for policy in self._policies:
            if stage not in policy.stages or policy.is_async:
                continue
            start, result = self._start(policy, text, ctx, stage)
            if type(result) is not Outcome and inspect.isawaitable(result):
                _discard(result)
                continue
            self._collect(policy, stage, start, result, decisions, findings)
        verdict = self._verdict(text, stage, decisions, findings, t0)
        if builds_pending():  # a prefilter database was missing: built from now on
            start_pending()
        return verdict

    def _too_large(self, text: str, stage: Stage, t0: float) -> Verdict | None:
        """A block for a text above ``max_text_chars`` (checked by no policy: nothing of
        it is sent, shown or stored), or ``None``."""
        limit = self.config.max_text_chars
        if len(text) <= limit:
            return None
        reason = (
            f"the {stage} text has {len(text):,} characters, above the Guardian's limit of "
            f"{limit:,} (GuardianConfig.max_text_chars); it was not checked or sent"
        )
        decision = Decision(
            action="block",
            policy="size",
            stage=stage,
            reasons=[reason],
            elapsed_ms=(perf_counter() - t0) * 1000,
        )
        verdict = self._verdict(
            f"<TEXT TOO LARGE: {len(text)} characters>", stage, [decision], [], t0
        )
        return verdict

    async def _evaluate(
        self, text: str, ctx: GuardContext, stage: Stage
    ) -> tuple[Verdict, list[Finding]]:
        t0 = perf_counter()
        too_large = self._too_large(text, stage, t0)
        if too_large is not None:
            return too_large, []
        decisions: list[Decision] = []
        findings: list[Finding] = []
        # What redact's own detectors found in this text, when they ran here as policies.
        r = self._redactors
        scans: dict[BasePolicy, list[Finding]] = {}
        # A long text is checked in a worker thread, policy by policy, so that other calls
        # on the event loop are not held up while the patterns run.
        offload = len(text) >= self.config.offload_chars
        for policy in self._policies:
            if stage not in policy.stages:
                continue
            if offload and not policy.is_async:
                start, result = await asyncio.to_thread(self._start, policy, text, ctx, stage)
            else:
                start, result = self._start(policy, text, ctx, stage)
            if type(result) is not Outcome and inspect.isawaitable(result):
                result = await self._await(policy, result)
            if (policy is r.secrets or policy is r.pii) and not result.failure:
                scans[policy] = result.findings
            if result.action != "allow" or result.record:  # most policies allow: no call
                self._collect(policy, stage, start, result, decisions, findings)
        if len(scans) == 2 and r.reusable and not _patched(r):
            _remember(r, text, scans)
        if builds_pending():  # a prefilter database was missing: built once this returns
            asyncio.get_running_loop().call_soon(start_pending)
        return self._verdict(text, stage, decisions, findings, t0), findings

    def _start(
        self, policy: BasePolicy, text: str, ctx: GuardContext, stage: Stage
    ) -> tuple[float, Outcome | Awaitable[object]]:
        start = perf_counter()
        try:
            result = policy.check(text, ctx, stage)
            # What the built-in policies return (nothing, or an Outcome) is never
            # awaitable: the costlier isawaitable test is for the rest.
            if result is None:
                return start, _ALLOW
            if type(result) is Outcome:
                return start, result
            if inspect.isawaitable(result):
                return start, result
            return start, to_outcome(result)
        except Exception as exc:  # a broken policy must not let the call through
            return start, self._failure(policy, exc)

    async def _await(self, policy: BasePolicy, pending: Awaitable[object]) -> Outcome:
        try:
            return to_outcome(await pending)
        except Exception as exc:
            return self._failure(policy, exc)

    def _failure(self, policy: BasePolicy, exc: Exception) -> Outcome:
        detail = self.redact(str(exc))[:200]
        mode = "failed closed" if self.config.fail_closed else "failed open"
        return Outcome(
            "block" if self.config.fail_closed else "warn",
            [f"policy {policy.name!r} raised {type(exc).__name__}: {detail} ({mode})"],
            failure=True,
        )

    def _collect(
        self,
        policy: BasePolicy,
        stage: Stage,
        start: float,
        outcome: Outcome,
        decisions: list[Decision],
        findings: list[Finding],
    ) -> None:
        if outcome.action == "allow" and not outcome.record:
            return
        # Validated from plain data in one call: each span becomes an EvidenceSpan inside
        # the validator (the same models and fields as building each one first, at half
        # the cost: a dense prompt has dozens of findings).
        decision = {
            "action": outcome.action,
            "policy": policy.name,
            "stage": stage,
            "reasons": outcome.reasons or [f"{policy.name} decided {outcome.action}"],
            "spans": [
                {"entity": f.entity, "start": f.start, "end": f.end, "score": f.score}
                for f in outcome.findings
            ],
            "elapsed_ms": (perf_counter() - start) * 1000,
            "score": outcome.score,
            "threshold": outcome.threshold,
            "guardian_failure": outcome.failure,
        }
        decisions.append(Decision.model_validate(decision))
        if outcome.redacts and outcome.action in _REDACTING:
            findings.extend(outcome.findings)

    @staticmethod
    def _verdict(
        text: str,
        stage: Stage,
        decisions: list[Decision],
        findings: list[Finding],
        t0: float,
    ) -> Verdict:
        if not decisions:  # every policy allowed (most calls): nothing to gather
            overall = _overall(
                "allow", stage, ["no policy objected"], [], (perf_counter() - t0) * 1000, False
            )
            checked = apply_findings(text, findings) if findings else text
            return Verdict(action="allow", stage=stage, text=checked, decisions=[overall])
        action = strictest([d.action for d in decisions])
        reasons = [f"{d.policy}: {r}" for d in decisions for r in d.reasons]
        overall = _overall(
            action,
            stage,
            reasons or ["no policy objected"],
            [s for d in decisions for s in d.spans],
            (perf_counter() - t0) * 1000,
            any(d.guardian_failure for d in decisions),
        )
        checked = apply_findings(text, findings) if findings else text
        return Verdict(action=action, stage=stage, text=checked, decisions=[overall, *decisions])

    async def aclose(self) -> None:
        """Release what policies hold (the moderation and injection-model HTTP clients)."""
        for policy in self._policies:
            close = getattr(policy, "aclose", None)
            if close is not None:
                await close()

    def __repr__(self) -> str:
        names = ", ".join(p.name for p in self._policies)
        mode = "fail-closed" if self.config.fail_closed else "fail-open"
        return f"Guardian([{names}], {mode})"


#: The fields a stage's overall decision is made with (``score`` and ``threshold`` are
#: left at their defaults): what ``Decision(...)`` with them records as set.
_OVERALL_SET = frozenset(
    ("action", "policy", "stage", "reasons", "spans", "elapsed_ms", "guardian_failure")
)
_new_object = object.__new__
_set_attribute = object.__setattr__


def _overall(
    action: Action,
    stage: Stage,
    reasons: list[str],
    spans: list[EvidenceSpan],
    elapsed_ms: float,
    failure: bool,
) -> Decision:
    """The stage's overall decision, the model ``Decision(action=..., policy="guardian",
    ...)`` makes, without its validation: every value here is the Guardian's own and of
    its field's type already (strings it chose, the validated decisions' reasons and
    spans, a float, a bool), and every check makes one (validating it was about half the
    framework's cost of a check that allows). The state is set as pydantic sets it:
    fields in declared order, the fields given as set, no extra or private values
    (tests/unit/test_guardian_overall_decision.py compares the two)."""
    decision = _new_object(Decision)
    _set_attribute(
        decision,
        "__dict__",
        {
            "action": action,
            "policy": "guardian",
            "stage": stage,
            "reasons": reasons,
            "spans": spans,
            "elapsed_ms": elapsed_ms,
            "score": None,
            "threshold": None,
            "guardian_failure": failure,
        },
    )
    _set_attribute(decision, "__pydantic_fields_set__", set(_OVERALL_SET))
    _set_attribute(decision, "__pydantic_extra__", None)
    _set_attribute(decision, "__pydantic_private__", None)
    return decision


def _patched(r: _Redactors) -> bool:
    """Whether either policy's ``check`` was replaced on the instance (then its findings
    need not be what ``find`` reports)."""
    return "check" in vars(r.secrets) or "check" in vars(r.pii)


def _remember(r: _Redactors, text: str, scans: dict[BasePolicy, list[Finding]]) -> None:
    """Keep the findings a check's secrets and PII policies reported for ``text``, in the
    order :meth:`Guardian.redact` gathers them (ties between overlapping findings go to
    the first), so ``redact(text)`` applies them instead of scanning again."""
    secrets, pii = scans[r.secrets], scans[r.pii]
    r.memo.put(text, (*secrets, *pii))


def _discard(pending: Awaitable[object]) -> None:
    close = getattr(pending, "close", None)
    if close is not None:
        close()


def _redact_parts(parts: list[str], findings: list[Finding]) -> list[str]:
    """Redact each part of a text that was the parts joined by newlines. A finding that
    spans a boundary is cut at it: its first piece gets the stand-in, the rest vanish."""
    out: list[str] = []
    offset = 0
    for part in parts:
        end = offset + len(part)
        local = []
        for f in findings:
            if f.start < end and f.end > offset:
                replacement = f.placeholder() if f.start >= offset else ""
                local.append(
                    Finding(
                        f.entity,
                        max(f.start, offset) - offset,
                        min(f.end, end) - offset,
                        f.score,
                        replacement,
                    )
                )
        out.append(apply_findings(part, local))
        offset = end + 1
    return out
