"""What a call leaves behind: its audit rows, its spend, and (with ``replay``) answers
read back from the audit instead of asked again.

:class:`AuditRecorder` is the :class:`~orchestration_kernel.calls.CallRecorder` the engine
gives its :class:`~orchestration_kernel.calls.CallRunner`. Every row carries the call's
labels (run, pipeline, step, session), the provider and model, and the identity.
"""

from __future__ import annotations

from typing import Any

from .calls import CallSpec, RequestMaterial, Target
from .models import Attempt, Reply, Usage
from .prompt_text import LabelledText

__all__ = ["AuditRecorder"]


class AuditRecorder:
    """Writes a call's rows to ``audit`` (or nothing when it is ``None``).

    ``guardian`` books spend against its budgets; ``replay`` answers a request the audit
    has already seen answered.
    """

    def __init__(
        self,
        audit: Any,
        *,
        identity: Any = None,
        guardian: Any = None,
        replay: bool = False,
        content_logging: bool = True,
    ) -> None:
        self.audit = audit
        #: the engine's ``content_logging``: written with each row (the trail may be shared)
        self.content_logging = content_logging
        self.identity = identity
        self.guardian = guardian
        self.replay_enabled = replay

    @property
    def records(self) -> bool:
        """True while there is an audit to write to (and so to replay from)."""
        return self.audit is not None

    def record(self, event: str, spec: CallSpec | None, target: Target | None, **cols: Any) -> None:
        """One audit row of kind ``event``, labelled from ``spec`` and ``target``."""
        audit = self.audit
        if audit is None:
            return
        # The columns given win over the labels (as ``setdefault`` would have it).
        cols = {**_labels(spec, target), **cols}
        if self.identity is not None:
            cols.setdefault("identity", _identity_label(self.identity))
        guardian = self.guardian  # the engine's, not the trail's last engine's (shared trail)
        redactor = None if guardian is None else guardian.redact
        audit.record(event, content_logging=self.content_logging, redactor=redactor, **cols)

    def route(self, spec: CallSpec, target: Target) -> None:
        """The routing decision for one attempt."""
        self.record("route", spec, target, detail=target.route, status="chosen")

    def attempt(
        self,
        attempt: Attempt,
        spec: CallSpec,
        target: Target,
        material: str | RequestMaterial,
        reply: Reply | None,
    ) -> None:
        """One attempt's ``call`` row: its outcome, and the reply when there is one."""
        if self.audit is None:
            return
        detail: dict[str, Any] = {"deployment": target.deployment_id, "simulated": target.simulated}
        if reply is not None and reply.extras.get("cost_if_real_usd") is not None:
            # The real model's price for this usage; views show it as "est. if real".
            detail["cost_if_real_usd"] = reply.extras["cost_if_real_usd"]
        if attempt.error:
            detail["error"] = attempt.error
        cols: dict[str, Any] = {
            "attempt": attempt.number,
            "status": attempt.status,
            "error_type": attempt.error_type,
            "latency_ms": attempt.latency_ms,
            "ttft_ms": attempt.ttft_ms,
            "detail": detail,
            "request_material": material,
            "prompt": _prompt_text(spec),
        }
        if reply is not None:
            cols.update(
                response_model=reply.response_model,
                input_tokens=reply.usage.input_tokens,
                output_tokens=reply.usage.output_tokens,
                cost_usd=reply.cost_usd,
                response=reply.text,
                guardian_action=reply.guardian_action,
            )
        self.record("call", spec, target, **cols)

    def verdict(self, stage: str, verdict: Any, spec: CallSpec, target: Target) -> None:
        """A Guardian verdict: one summary row, and one row per policy that acted."""
        if self.audit is None:
            return
        decisions = list(getattr(verdict, "decisions", []) or [])
        top = max(decisions, key=lambda d: d.rank) if decisions else None
        # The Guardian's own decision already says every policy's reason, each prefixed
        # with its policy: listing the policies' reasons beside it said each one twice.
        overall = next((d for d in decisions if d.policy == "guardian"), None)
        reasons = list(overall.reasons) if overall else [r for d in decisions for r in d.reasons]
        self.record(
            "guardian", spec, target,
            stage=stage,
            status="blocked" if verdict.action == "block" else "ok",
            guardian_action=verdict.action,
            guardian_policy=top.policy if top else None,
            guardian_reasons=reasons,
            detail={"stage": stage, "policies": [d.policy for d in decisions]},
        )  # fmt: skip
        for decision in decisions:
            if decision.action == "allow" or decision.policy == "guardian":
                continue
            self.record(
                "guardian", spec, target,
                stage=stage,
                status="blocked" if decision.action == "block" else "ok",
                guardian_action=decision.action,
                guardian_policy=decision.policy,
                guardian_reasons=decision.reasons,
                detail={
                    "stage": stage,
                    "spans": [s.model_dump() for s in decision.spans],
                    "elapsed_ms": decision.elapsed_ms,
                    "guardian_failure": decision.guardian_failure,
                },
            )  # fmt: skip

    def replay(
        self, material: str | RequestMaterial, target: Target, spec: CallSpec
    ) -> Reply | None:
        """The audit's earlier answer to the same request, when replay is on and it has one."""
        if not self.replay_enabled or self.audit is None:
            return None
        found = self.audit.find_replay(self.audit.request_hash(str(material)))
        if not found:
            return None
        usage = Usage(
            input_tokens=int(found.get("input_tokens") or 0),
            output_tokens=int(found.get("output_tokens") or 0),
        )
        reply = Reply(
            text=found.get("response") or "",
            model=target.name,
            resolved_model=target.ref,
            provider=target.provider,
            deployment=target.deployment_id,
            response_model=found.get("response_model"),
            finish_reason="stop",
            usage=usage,
            cost_usd=0.0,
            replayed=True,
            run_id=spec.run_id,
            route=target.route,
        )
        self.record(
            "call", spec, target, status="replayed", replayed=True, response=reply.text,
            request_material=material, input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens, cost_usd=0.0,
        )  # fmt: skip
        return reply

    def spend(self, reply: Reply, spec: CallSpec) -> None:
        """Book a reply's cost against the Guardian's budgets."""
        if self.guardian is not None and reply.cost_usd:
            self.guardian.record_spend(reply.cost_usd, spec.session_id, self.identity)


def _labels(spec: CallSpec | None, target: Target | None) -> dict[str, Any]:
    """The labels of a row about ``spec``'s call on ``target``: its run, pipeline, step
    and session, and who served it."""
    labels = {} if spec is None else _spec_labels(spec)
    if target is not None:
        labels["provider"] = target.served_by
        labels["model"] = target.ref
    return labels


def _spec_labels(spec: CallSpec) -> dict[str, Any]:
    return {
        "run_id": spec.run_id,
        "pipeline": spec.pipeline,
        "step": spec.step,
        "session_id": spec.session_id,
    }


def _identity_label(identity: Any) -> str:
    label = getattr(identity, "label", None)
    return str(label if label is not None else identity)


def _prompt_text(spec: CallSpec) -> LabelledText:
    """``[system] …`` and ``[role] …`` one part a line: a text that also keeps its parts,
    so the audit redacts the user's text (what the Guardian just checked) and adds our
    labels outside it (see :mod:`orchestration_kernel.prompt_text`)."""
    parts = [("[system] ", spec.system)] if spec.system else []
    parts.extend((f"[{m.role}] ", m.content) for m in spec.messages)
    return LabelledText(parts)
