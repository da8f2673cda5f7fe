"""The OrchestrationEngine: one object that names models, routes, retries, fails over,
rate-limits, checks, audits and costs every call.

```python
engine = OrchestrationEngine()                     # providers from the environment
reply = await engine.complete("claude-3", "Summarise: ...", fallbacks=["gpt-4"])
stream = engine.stream("gemini-pro", "...")
async for delta in stream: ...
table = await engine.compare(["gpt-4", "claude-3"], "prompt")
pipeline = engine.create_pipeline(yaml_text)
```

Every async method runs on the session's runtime loop (see :mod:`.runtime`) and can be
awaited from any loop; each has a blocking twin (``complete_sync`` …).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .calls import CallRunner, CallSpec, Target, usage_or_estimate
from .connections import ProviderSet
from .errors import ConfigurationError, GuardianBlocked, MissingKeyError
from .models import ChatRequest, Decision, Delta, Message, ProviderReply, Reply, Usage
from .providers.base import Timeouts
from .providers.local import SimulatorConfig
from .retry import RetryPolicy
from .secrets import Secret
from .session import Session
from .streaming import ReplyStream

if TYPE_CHECKING:
    from .batch import BatchJob
    from .compare import CompareTable
    from .matrix import MatrixResult

__all__ = ["OrchestrationEngine"]

#: The vendors the catalogue covers; other providers (compatible servers) serve any name.
BUILTIN_VENDORS = frozenset({"openai", "anthropic", "gemini", "perplexity"})

Prompt = str | Sequence[Message | Mapping[str, str]]


class OrchestrationEngine:
    """Multi-model orchestration: model choice, load balancing, failover, limits, cost.

    Arguments (all optional):
      ``offline``: ``"on"``/``"auto"``/``"off"``; default ``ORCHESTRATION_OFFLINE``.
      ``keys`` / ``base_urls``: per-provider keys and endpoints (keys are held as
      secrets). ``credentials``: per-provider refreshable tokens (OAuth2 and the like).
      ``aliases``: extra model aliases. ``pools``: pool definitions or a config file
      path. ``catalogue``: overrides of the model catalogue. ``guardian``: a
      Guardian, ``False`` to switch checks off, default the built-in policies.
      ``audit``: an AuditTrail, a path, or ``False``. ``bus``: a ContextBus.
      ``retry`` / ``timeouts``: reliability settings. ``simulator``: the offline
      simulator's latency and streaming. ``identity``: who is calling.
      ``replay``: answer identical requests from the audit instead of the provider.
      ``router``: a ready :class:`~orchestration_kernel.routing.Router` (its own clock,
      breaker policy, catalogue); ``aliases`` and ``pools`` are added to it, and
      ``catalogue`` must then be left unset.
    """

    def __init__(
        self,
        *,
        session: Session | None = None,
        offline: str | None = None,
        keys: Mapping[str, str | Secret] | None = None,
        base_urls: Mapping[str, str] | None = None,
        provider_options: Mapping[str, dict[str, Any]] | None = None,
        credentials: Mapping[str, Any] | None = None,
        aliases: Mapping[str, str] | None = None,
        pools: Any = None,
        catalogue: Any = None,
        guardian: Any = True,
        audit: Any = True,
        bus: Any = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        simulator: SimulatorConfig | Mapping[str, Any] | None = None,
        identity: Any = None,
        content_logging: bool = True,
        replay: bool = False,
        stream: bool = False,
        router: Any = None,
    ) -> None:
        self.session = session or Session.current()
        self.runtime = self.session.runtime
        if isinstance(simulator, Mapping):
            simulator = SimulatorConfig(**simulator)
        self.providers = ProviderSet(
            offline=offline,
            keys=keys,
            base_urls=base_urls,
            simulator=simulator,
            options=provider_options,
            credentials=credentials,
        )
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self.identity = identity if identity is not None else self.session.identity
        self.replay = replay
        self.default_stream = stream
        self._router = _make_router(catalogue, aliases, pools, router)
        for provider in self.providers.registry.names():  # "ollama:llama3" works at once
            if provider not in self._router.resolver.providers:
                self._router.resolver.add_provider(provider)
        self.guardian = _make_guardian(guardian)
        self.audit = _make_audit(audit, self.session, content_logging, self.guardian)
        self._bus = bus
        self._calls = CallRunner(self)
        self._closed = False
        self.runtime.add_closer(self.providers.aclose)

    # -- collaborators -------------------------------------------------------------
    @property
    def router(self) -> Any:
        """The :class:`~orchestration_kernel.routing.Router`: pools, breakers, limits, metrics."""
        return self._router

    @property
    def catalogue(self) -> Any:
        """The model catalogue (context windows, prices, capabilities)."""
        return self._router.catalogue

    @property
    def bus(self) -> Any:
        """The session's :class:`ContextBus` (created on first use)."""
        if self._bus is None:
            from .bus import ContextBus

            self._bus = ContextBus(session=self.session)
        return self._bus

    @property
    def session_id(self) -> str:
        """The default session id (the kernel's; stable across a restart)."""
        return self.session.id

    @property
    def simulator(self) -> Any:
        """The offline simulator provider (script faults on it in tests and demos)."""
        return self.providers.simulator

    # -- names ---------------------------------------------------------------------
    def resolve(self, name: str) -> str:
        """``provider:model`` for a model, alias or bare name; pools and ``auto`` pass through.

        Raises :class:`UnknownModelError` with the nearest known names.
        """
        if name == "auto" or self._router.is_pool(name):
            return name
        return str(self._router.resolve(name))

    def model_note(self, name: str) -> str | None:
        """A warning for a name that resolves but that the catalogue does not know — a typo,
        or a model newer than the catalogue — else ``None``. Unknown names still raise."""
        if name == "auto" or self._router.is_pool(name):
            return None
        how = self._router.resolver.explain(name, also_known=self._router.pools)
        if how.in_catalogue or how.ref.provider not in BUILTIN_VENDORS:
            return None
        near = [n for n in self._router.resolver.suggest(name) if n != name]
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        return (
            f"{name!r} is not in the model catalogue: it is sent to {how.ref.provider} as "
            f"{how.ref.model!r}, with unknown price and context window{hint}"
        )

    def known_model_names(self) -> list[str]:
        """Every name the engine would accept: aliases, catalogue ids, pools."""
        return sorted({*self._router.resolver.known_names(), *self._router.pools, "auto"})

    def add_alias(self, name: str, target: str) -> None:
        """Make ``name`` resolve to ``target`` (``provider:model``)."""
        self._router.resolver.add_alias(name, target)

    def add_pool(self, name: str, deployments: Sequence[Any], strategy: str = "round_robin") -> Any:
        """Define a pool: ``name`` stands for several deployments chosen by ``strategy``.

        Each deployment is a :class:`~orchestration_kernel.routing.Deployment` or a dict
        like a config file's (``model``, ``api_key``/``api_key_env``, ``base_url``,
        ``weight``, ``rpm``, ``tpm``, ``max_in_flight``).
        """
        from .routing import pools_from_mapping

        spec = {"pools": {name: {"strategy": strategy, "deployments": list(deployments)}}}
        (pool,) = pools_from_mapping(spec, self._router.resolve)
        return self._router.add_pool(pool)

    def add_compatible(self, name: str, base_url: str, api_key: str | None = None) -> None:
        """Register an OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio) as ``name``."""
        self.providers.registry.register_compatible(name, base_url, api_key=api_key)
        if api_key:
            self.providers.set_key(name, api_key)
        self._router.resolver.add_provider(name)

    def set_key(self, provider: str, key: str | Secret) -> None:
        """Keep a key for ``provider`` in memory for this engine's life."""
        self.providers.set_key(provider, key)

    def set_credential(self, provider: str, credential: Any) -> None:
        """Authenticate ``provider`` with a refreshable bearer token instead of a key.

        ``credential`` is a callable returning ``(token, expires_at)`` (or a ``Token``),
        or a :class:`~orchestration_kernel.providers.credentials.TokenProvider` such as
        ``OAuth2ClientCredentials``. It is refreshed before expiry and once after a 401.
        """
        self.providers.set_credential(provider, credential)

    def set_offline(self, mode: str) -> None:
        """``on``: every model is simulated; ``auto``: providers without a key are; ``off``."""
        self.providers.set_offline(mode)

    def is_simulated(self, name: str) -> bool:
        """Would ``name`` be served by the offline simulator right now?"""
        if name == "auto":
            return all(self.providers.is_simulated(p) for p in self._available_providers())
        deployments = self._router.plan(name)
        return all(self.providers.is_simulated(d.provider, d.api_key) for d in deployments)

    def context_window(self, name: str) -> int | None:
        """The context window of ``name`` in tokens, where the catalogue knows it."""
        if name == "auto":
            return None
        info = self.catalogue.get(self._first_ref(name))
        return getattr(info, "context_window", None) if info else None

    def estimate_tokens(self, text: str, model: str | None = None) -> int:
        """An offline token estimate (provider-reported usage always wins)."""
        from .routing.tokens import estimate_tokens

        return estimate_tokens(text, model)

    def estimate_cost(self, name: str, input_tokens: int, output_tokens: int) -> float | None:
        """Estimated USD for a call of ``name``; ``None`` when the price is unknown."""
        if name == "auto":
            return None
        usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens, estimated=True)
        return self.catalogue.cost(self._first_ref(name), usage)

    def _first_ref(self, name: str) -> str:
        return str(self._router.plan(name)[0].ref)

    # -- calls ---------------------------------------------------------------------
    async def complete(
        self,
        model: str,
        prompt: Prompt,
        *,
        system: str | None = None,
        fallbacks: Sequence[str] | None = None,
        json_output: bool = False,
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: Sequence[str] | None = None,
        timeout: float | None = None,
        stream: bool | None = None,
        on_delta: Callable[[Delta], Any] | None = None,
        run_id: str | None = None,
        pipeline: str | None = None,
        step: str | None = None,
        session_id: str | None = None,
        needs: Sequence[str] = (),
        **extra: Any,
    ) -> Reply:
        """One call with retries and fallbacks; returns the complete, checked :class:`Reply`."""
        spec = self._spec(
            model, prompt, system, fallbacks, json_output, temperature, max_tokens, stop,
            timeout, stream, run_id, pipeline, step, session_id, needs, extra,
        )  # fmt: skip
        return await self.runtime.run(self._calls.run(spec, on_delta))

    def complete_sync(self, model: str, prompt: Prompt, **kwargs: Any) -> Reply:
        """Blocking twin of :meth:`complete`, for plain scripts."""
        return self.runtime.run_sync(self.complete(model, prompt, **kwargs))

    def stream(self, model: str, prompt: Prompt, **kwargs: Any) -> ReplyStream:
        """Stream a reply: iterate for :class:`Delta` values; ``.reply`` holds the final reply."""
        kwargs.pop("stream", None)
        kwargs.pop("on_delta", None)

        async def produce(sink: Callable[[Delta], Any]) -> Reply:
            return await self.complete(model, prompt, stream=True, on_delta=sink, **kwargs)

        return ReplyStream(self.runtime, produce)

    async def compare(self, models: Sequence[str], prompt: Prompt, **kwargs: Any) -> CompareTable:
        """Run one prompt on several models concurrently: one reply or error per model."""
        from .compare import run_compare

        return await self.runtime.run(run_compare(self, list(models), prompt, kwargs))

    def compare_sync(self, models: Sequence[str], prompt: Prompt, **kwargs: Any) -> CompareTable:
        """Blocking twin of :meth:`compare`."""
        return self.runtime.run_sync(self.compare(models, prompt, **kwargs))

    async def matrix(
        self,
        models: Sequence[str],
        template: str,
        items: Any,
        *,
        concurrency: int = 8,
        mode: str = "interactive",
        cluster: Any = None,
        namespace: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> MatrixResult | BatchJob:
        """Run ``template`` once per item of ``items`` (a list, a pandas Series or
        DataFrame, any iterable) on every model: a :class:`~.matrix.MatrixResult` under
        one run id. ``{item}`` is each item; a DataFrame's columns fill ``{column}``.
        ``mode="batch"`` sends it through the providers' Batch APIs instead and returns a
        resumable :class:`~.batch.BatchJob` (``name=`` required; see :func:`.batch.submit`).
        ``cluster`` is reserved."""
        from .matrix import check_mode, matrix_prompts, run_matrix

        if mode == "batch":
            from .batch import submit

            return await submit(self, models, template, items, namespace=namespace, **kwargs)
        check_mode(mode, cluster)
        for model in models:
            self.resolve(model)  # an unknown model fails before any call
        prepared = matrix_prompts(template, items, namespace=namespace)
        return await self.runtime.run(
            run_matrix(self.compare, models, prepared, concurrency=concurrency, **kwargs)
        )

    def matrix_sync(
        self, models: Sequence[str], template: str, items: Any, **kwargs: Any
    ) -> MatrixResult | BatchJob:
        """Blocking twin of :meth:`matrix`."""
        return self.runtime.run_sync(self.matrix(models, template, items, **kwargs))

    # -- pipelines -----------------------------------------------------------------
    def create_pipeline(self, spec: Any, *, name: str | None = None, **options: Any) -> Any:
        """A :class:`Pipeline` from a list of step dicts, a dict, YAML text or a spec.

        ``options`` go to :class:`Pipeline` (``namespace``, ``context``, ``interpolate``,
        ``default_model``). Raises :class:`SpecError` naming the line of every problem.
        """
        from .pipeline import Pipeline

        return Pipeline(spec, engine=self, name=name, **options)

    # -- monitoring ----------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Latency percentiles, TTFT, error rate, tokens and cost per model and deployment."""
        return self._router.metrics.snapshot()

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        """Flush the audit and close provider clients. The runtime stays for others."""
        if self._closed:
            return
        self._closed = True
        if self.audit is not None:
            with contextlib.suppress(Exception):
                self.audit.flush()
        if self.runtime.running:
            with contextlib.suppress(Exception):
                self.runtime.run_sync(self.providers.aclose(), timeout=5)

    def __repr__(self) -> str:
        return (
            f"OrchestrationEngine(session={self.session.id!r}, offline={self.providers.offline!r})"
        )

    # -- internals used by CallRunner ----------------------------------------------
    def _spec(
        self,
        model: str,
        prompt: Prompt,
        system: str | None,
        fallbacks: Sequence[str] | None,
        json_output: bool,
        temperature: float | None,
        max_tokens: int | None,
        stop: Sequence[str] | None,
        timeout: float | None,
        stream: bool | None,
        run_id: str | None,
        pipeline: str | None,
        step: str | None,
        session_id: str | None,
        needs: Sequence[str],
        extra: dict[str, Any],
    ) -> CallSpec:
        timeouts = self.timeouts
        if timeout is not None:
            timeouts = Timeouts(
                connect=min(timeouts.connect, timeout),
                first_token=min(timeouts.first_token, timeout),
                idle=min(timeouts.idle, timeout),
                overall=timeout,
            )
        return CallSpec(
            model=model,
            messages=_messages(prompt),
            system=system,
            fallbacks=list(fallbacks or []),
            stream=self.default_stream if stream is None else stream,
            json_output=json_output,
            temperature=temperature,
            max_tokens=max_tokens,
            stop=list(stop) if stop else None,
            timeouts=timeouts,
            extra=extra,
            run_id=run_id,
            pipeline=pipeline,
            step=step,
            session_id=session_id or self.session.id,
            needs=set(needs) | ({"json"} if json_output else set()),
        )

    def _available_providers(self) -> set[str]:
        """Providers ``auto`` may pick: real ones when any are, else simulated vendors."""
        table = self.providers.registry.table
        vendors = [n for n, info in table.items() if info.key_required]  # the catalogued vendors
        real = {
            n for n in vendors if not self.providers.is_simulated(n) and self.providers.has_key(n)
        }
        if real:
            return real
        simulated = {n for n in vendors if self.providers.is_simulated(n)}
        if not simulated:
            names = [v for n in vendors for v in self.providers.registry[n].env_hint[:1]]
            raise ConfigurationError(
                "model 'auto' has no provider to pick from: set one of "
                f"{', '.join(names)}, or run offline with ORCHESTRATION_OFFLINE=auto"
            )
        return simulated

    def _input_tokens(self, spec: CallSpec) -> int:
        """The prompt's estimated tokens, counted once per call (routing, limits, checks)."""
        if spec.input_tokens is None:
            text = "\n".join(m.content for m in spec.messages)
            spec.input_tokens = self.estimate_tokens(
                f"{spec.system}\n{text}" if spec.system else text
            )
        return spec.input_tokens

    def _choose_target(self, name: str, spec: CallSpec) -> Target:
        """Take a deployment for the next attempt of ``name`` (pair with :meth:`_release`)."""
        tokens = self._input_tokens(spec)
        route: dict[str, Any] = {}
        chosen = name
        if name == "auto":
            ref, auto = self._router.choose_auto(
                input_tokens=tokens,
                needs=spec.needs,
                task=spec.step,
                available_providers=self._available_providers(),
            )
            route["auto"] = auto.as_detail()
            chosen = str(ref)
        deployment, decision = self._router.choose(chosen, input_tokens=tokens, needs=spec.needs)
        route.update(decision.as_detail())
        try:
            target = self._target(name, deployment, route)
        except BaseException as exc:
            self._router.report(deployment, ok=False, error=_released(exc))
            raise
        self._audit("route", spec, target, detail=target.route, status="chosen")
        return target

    def _release(self, target: Target, error: BaseException | None) -> None:
        """Free a chosen deployment that was not called (blocked, replayed)."""
        self._router.report(target.deployment, ok=False, error=_released(error))

    def _target(self, name: str, deployment: Any, route: dict[str, Any]) -> Target:
        simulated = self.providers.is_simulated(deployment.provider, deployment.api_key)
        if deployment.api_key_env and deployment.api_key is None and self.providers.offline != "on":
            # The config named this deployment's own key: never fall back to another one.
            raise MissingKeyError(deployment.provider, list(deployment.api_key_env), model=name)
        try:
            adapter = self.providers.adapter(
                deployment.provider, api_key=deployment.api_key, base_url=deployment.base_url
            )
        except MissingKeyError as exc:  # say which model needed the key
            raise MissingKeyError(exc.provider, exc.env_vars, model=name) from None
        return Target(
            name=name,
            provider=deployment.provider,
            model=deployment.model,
            deployment_id=deployment.id,
            adapter=adapter,
            simulated=adapter.simulated,
            deployment=deployment,
            route={**route, "deployment": deployment.id, "simulated": simulated},
        )

    @contextlib.asynccontextmanager
    async def _limit(self, target: Target, spec: CallSpec) -> AsyncIterator[_Permits]:
        """Wait for the identity's and the deployment's rate limits (queued, never failed)."""
        tokens = (spec.max_tokens or 0) + self._input_tokens(spec)
        limiter = self._router.limiter
        gate = self._identity_gate()
        permits = _Permits()
        async with contextlib.AsyncExitStack() as stack:
            if gate is not None:
                permits.add(await stack.enter_async_context(limiter.acquire(gate, tokens=tokens)))
            deployment = limiter.acquire(target.deployment, tokens=tokens)
            permits.add(await stack.enter_async_context(deployment))
            yield permits

    def _identity_gate(self) -> Any:
        """The identity's rpm/tpm as a limiter gate, when the access policy sets any."""
        if self.identity is None or self.guardian is None:
            return None
        rule = self.guardian.limits_for(self.identity)
        if rule.rpm is None and rule.tpm is None:
            return None
        from .routing import Deployment

        # The limiter keys gates by deployment id; an identity gets a gate of its own.
        return Deployment(
            id=f"identity:{self.identity.user_id}",
            provider="identity",
            model=str(self.identity.user_id),
            rpm=rule.rpm,
            tpm=rule.tpm,
        )

    def _request_metadata(self, spec: CallSpec) -> dict[str, str]:
        metadata = getattr(self.identity, "metadata", None)
        return dict(metadata()) if callable(metadata) else {}

    def _guard_context(self, target: Target, spec: CallSpec, request: ChatRequest) -> Any:
        from .guardian import GuardContext

        tokens = self._input_tokens(spec)
        return GuardContext(
            model=target.ref,
            provider=target.provider,
            session_id=spec.session_id,
            identity=self.identity,
            estimated_cost_usd=self.catalogue.cost(
                target.ref,
                Usage(input_tokens=tokens, output_tokens=request.max_tokens or 0, estimated=True),
            ),
            input_tokens=tokens,
            run_id=spec.run_id,
            step=spec.step,
        )

    def _replay(self, material: str, target: Target, spec: CallSpec) -> Reply | None:
        if not self.replay or self.audit is None:
            return None
        found = self.audit.find_replay(self.audit.request_hash(material))
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
        self._audit(
            "call", spec, target, status="replayed", replayed=True, response=reply.text,
            request_material=material, input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens, cost_usd=0.0,
        )  # fmt: skip
        return reply

    def _make_reply(
        self,
        target: Target,
        spec: CallSpec,
        request: ChatRequest,
        raw: ProviderReply,
        text: str,
        latency_ms: float,
        ttft_ms: float | None,
        decisions: list[Decision],
    ) -> Reply:
        usage = usage_or_estimate(raw, request, text, self.estimate_tokens)
        extras = dict(raw.extras)
        if target.simulated:
            cost: float | None = 0.0
            extras["stands_in_for"] = target.ref
            extras["cost_if_real_usd"] = self.catalogue.cost(target.ref, usage)
        else:
            cost = self.catalogue.cost(target.ref, usage)
        return Reply(
            text=text,
            model=target.name,
            resolved_model=target.ref,
            provider="local" if target.simulated else target.provider,
            deployment=target.deployment_id,
            response_model=raw.response_model,
            finish_reason=raw.finish_reason,
            usage=usage,
            latency_ms=latency_ms,
            ttft_ms=ttft_ms,
            cost_usd=cost,
            decisions=decisions,
            extras=extras,
            simulated=target.simulated,
            run_id=spec.run_id,
            route=target.route,
        )

    def _observe(self, target: Target, attempt: Any, reply: Reply | None, error: Any) -> None:
        if isinstance(error, GuardianBlocked):
            error = _released(error)  # a Guardian block is not the deployment's failure
        self._router.report(
            target.deployment,
            ok=error is None,
            latency_ms=attempt.latency_ms,
            ttft_ms=attempt.ttft_ms,
            usage=reply.usage if reply else None,
            cost_usd=reply.cost_usd if reply else None,
            error=error,
        )

    def _after_success(self, reply: Reply, spec: CallSpec) -> None:
        if self.guardian is not None and reply.cost_usd:
            self.guardian.record_spend(reply.cost_usd, spec.session_id, self.identity)

    # -- audit ---------------------------------------------------------------------
    def _audit(self, event: str, spec: CallSpec | None, target: Target | None, **cols: Any) -> None:
        if self.audit is None:
            return
        if spec is not None:
            cols.setdefault("run_id", spec.run_id)
            cols.setdefault("pipeline", spec.pipeline)
            cols.setdefault("step", spec.step)
            cols.setdefault("session_id", spec.session_id)
        if target is not None:
            cols.setdefault("provider", "local" if target.simulated else target.provider)
            cols.setdefault("model", target.ref)
        if self.identity is not None:
            cols.setdefault("identity", _identity_label(self.identity))
        self.audit.record(event, **cols)

    def _audit_attempt(
        self, attempt: Any, spec: CallSpec, target: Target, material: str, reply: Reply | None
    ) -> None:
        if self.audit is None:
            return
        detail = {"deployment": target.deployment_id, "simulated": target.simulated}
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
        self._audit("call", spec, target, **cols)

    def _audit_verdict(self, stage: str, verdict: Any, spec: CallSpec, target: Target) -> None:
        if self.audit is None:
            return
        decisions = list(getattr(verdict, "decisions", []) or [])
        top = max(decisions, key=lambda d: d.rank) if decisions else None
        self._audit(
            "guardian", spec, target,
            status=stage,
            guardian_action=verdict.action,
            guardian_policy=top.policy if top else None,
            guardian_reasons=[r for d in decisions for r in d.reasons],
            detail={"stage": stage, "policies": [d.policy for d in decisions]},
        )  # fmt: skip
        for decision in decisions:
            if decision.action == "allow" or decision.policy == "guardian":
                continue
            self._audit(
                "guardian", spec, target,
                status=stage,
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


class _Permits:
    """The limiter permits one attempt holds; ``settle`` books the real token count."""

    def __init__(self) -> None:
        self._permits: list[Any] = []

    def add(self, permit: Any) -> None:
        self._permits.append(permit)

    def settle(self, tokens: int) -> None:
        for permit in self._permits:
            permit.settle(tokens)


def _identity_label(identity: Any) -> str:
    label = getattr(identity, "label", None)
    return str(label if label is not None else identity)


def _released(error: BaseException | None) -> BaseException:
    """What the router takes as "slot freed, no verdict on the deployment's health"."""
    import asyncio

    return error if isinstance(error, asyncio.CancelledError) else asyncio.CancelledError()


def _prompt_text(spec: CallSpec) -> str:
    parts = [f"[system] {spec.system}"] if spec.system else []
    parts.extend(f"[{m.role}] {m.content}" for m in spec.messages)
    return "\n".join(parts)


def _messages(prompt: Prompt) -> list[Message]:
    if isinstance(prompt, str):
        return [Message(role="user", content=prompt)]
    out: list[Message] = []
    for item in prompt:
        if isinstance(item, Message):
            out.append(item)
        elif isinstance(item, Mapping) and "role" in item and "content" in item:
            out.append(Message(role=item["role"], content=str(item["content"])))  # type: ignore[arg-type]
        else:
            raise ConfigurationError(
                f"a message must be a Message or a dict with 'role' and 'content', got {item!r:.80}"
            )
    if not out:
        raise ConfigurationError("the prompt is empty: give a string or at least one message")
    return out


def _make_router(
    catalogue: Any, aliases: Mapping[str, str] | None, pools: Any, router: Any = None
) -> Any:
    from .routing import Catalogue, Pool, Resolver, Router

    if router is not None:
        if catalogue is not None:
            raise ConfigurationError(
                "give the catalogue to the Router you pass (Router(catalogue, ...)), "
                "not to the engine as well"
            )
        for alias, target in (aliases or {}).items():
            router.resolver.add_alias(alias, target)
    else:
        cat = catalogue if isinstance(catalogue, Catalogue) else Catalogue.load(catalogue)
        router = Router(cat, Resolver(cat, aliases=dict(aliases or {})))
    if isinstance(pools, (str, Path)):
        router.load_config(pools)
    elif isinstance(pools, Mapping) and not all(isinstance(p, Pool) for p in pools.values()):
        # A config file's shape in code: the whole config, or just {name: pool spec}.
        sections = {"providers", "models", "aliases", "pools"}
        router.load_config(pools if set(pools) & sections else {"pools": pools})
    elif pools:
        for pool in pools.values() if isinstance(pools, Mapping) else pools:
            router.add_pool(pool)
    return router


def _make_guardian(guardian: Any) -> Any:
    if guardian is False or guardian is None:
        return None
    if guardian is True:
        from .guardian import Guardian

        return Guardian()
    return guardian


def _make_audit(audit: Any, session: Session, content_logging: bool, guardian: Any) -> Any:
    """``True``: the session's shared trail; a path: a trail of its own; ``False``: none."""
    if audit is False or audit is None:
        return None
    if audit is True:
        audit = session.audit
    elif isinstance(audit, (str, Path)):
        from .audit import AuditTrail

        audit = AuditTrail(audit, session_id=session.id)
    if not content_logging:
        audit.content_logging = False
    if guardian is not None:
        audit.redactor = guardian.redact
    return audit
