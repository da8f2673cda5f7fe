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
import functools
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeGuard, TypeVar, Unpack, overload

from . import team
from .calls import CallRunner, CallSpec
from .connections import ProviderSet
from .engine_args import check_engine_args, check_model, check_provider_names, model_names
from .engine_options import (
    BatchOptions,
    CallOptions,
    FromConfigOptions,
    MatrixOptions,
    MatrixSyncOptions,
    PipelineMatrixOptions,
    PipelineMatrixSyncOptions,
    SimulatorOptions,
    check_call_options,
)
from .errors import ConfigurationError
from .jsontypes import JSONValue
from .models import Delta, Message, Reply, Usage
from .providers.base import Timeouts
from .providers.registry import PROVIDERS
from .providers.sim import SimProvider, SimulatorConfig
from .recorder import AuditRecorder
from .retry import RetryPolicy
from .secrets import Secret
from .session import Session
from .streaming import ReplyStream
from .targets import RouterPicker
from .text_checks import check_prompt

if TYPE_CHECKING:
    from .audit import AuditTrail
    from .batch import BatchJob
    from .bus import ContextBus
    from .compare import CompareTable
    from .guardian import Guardian, Identity
    from .matrix import MatrixResult
    from .pipeline import Pipeline
    from .pipeline.manager import PipelineOptions
    from .pipeline_matrix import PipelineMatrixResult
    from .redis_link import RedisSettings
    from .routing import Catalogue, Deployment, Pool, Router
    from .routing.metrics import SeriesSummary
    from .routing.strategies import Strategy

__all__ = ["OrchestrationEngine"]

#: The vendors the catalogue covers (``ProviderInfo.catalogued``); other providers
#: (compatible servers, most plugins) serve any name.
BUILTIN_VENDORS = frozenset(name for name, info in PROVIDERS.items() if info.catalogued)

Prompt = str | Sequence[Message | Mapping[str, str]]

_T = TypeVar("_T")


class _Wired(Generic[_T]):
    """An engine attribute kept by its call-path collaborators: reading it reads the first
    place, setting it sets every place, so ``engine.replay = True`` still takes effect."""

    def __init__(self, *places: str) -> None:
        self.places = [tuple(place.split(".")) for place in places]

    @overload
    def __get__(self, engine: None, owner: type | None = None) -> _Wired[_T]: ...
    @overload
    def __get__(self, engine: OrchestrationEngine, owner: type | None = None) -> _T: ...
    def __get__(
        self, engine: OrchestrationEngine | None, owner: type | None = None
    ) -> _T | _Wired[_T]:
        if engine is None:
            return self
        holder, name = self.places[0]
        value: _T = getattr(getattr(engine, holder), name)
        return value

    def __set__(self, engine: OrchestrationEngine, value: _T) -> None:
        for holder, name in self.places:
            setattr(getattr(engine, holder), name, value)


class _GuardianWired(_Wired["Guardian | None"]):
    """``engine.guardian = …`` as the constructor's ``guardian=``: ``True``/``False``
    accepted, and the engine's trail then redacts with the new Guardian (``None``: the
    credential floor again), not the one it was made with."""

    def __set__(self, engine: OrchestrationEngine, value: Guardian | bool | None) -> None:
        from .privacy import follow_guardian

        old = self.__get__(engine)
        new = _make_guardian(value)
        super().__set__(engine, new)
        follow_guardian(engine.audit, old, new)


class OrchestrationEngine:
    """Multi-model orchestration: model choice, load balancing, failover, limits, cost.

    Arguments (all optional):
      ``offline``: ``"on"``/``"auto"``/``"off"`` (``True``/``False``: on/off); default
      ``ORCHESTRATION_OFFLINE``. A mistyped argument raises ``ConfigurationError``.
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
      ``redis``: a ``redis://`` URL or a :class:`~orchestration_kernel.redis_link.RedisSettings`
      (default ``ORCHESTRATION_REDIS_URL``; ``False``: off) — every kernel on it shares
      the deployments' rate limits, and ``engine.bus`` lives there.
    """

    def __init__(
        self,
        *,
        session: Session | None = None,
        offline: str | bool | None = None,
        keys: Mapping[str, str | Secret] | None = None,
        base_urls: Mapping[str, str] | None = None,
        provider_options: Mapping[str, dict[str, object]] | None = None,
        credentials: Mapping[str, object] | None = None,
        aliases: Mapping[str, str] | None = None,
        pools: str | Path | Mapping[str, object] | Iterable[Pool] | None = None,
        catalogue: Catalogue | str | Path | Mapping[str, object] | None = None,
        guardian: Guardian | bool | None = True,
        audit: AuditTrail | str | Path | bool | None = True,
        bus: ContextBus | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        simulator: SimulatorConfig | SimulatorOptions | None = None,
        identity: Identity | None = None,
        content_logging: bool = True,
        replay: bool = False,
        stream: bool = False,
        router: Router | None = None,
        redis: str | RedisSettings | bool | None = None,
    ) -> None:
        given = {k: v for k, v in locals().items() if k != "self"}  # every argument, by name
        check_engine_args(given)
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
        check_provider_names(given, self.providers.registry.names())
        self.timeouts = timeouts or Timeouts()
        self.default_stream = stream
        self._router = _make_router(catalogue, aliases, pools, router)
        #: The shared-state settings (``redis=``), or None: limits and bus are this kernel's.
        self.redis = team.share_limits(redis, self._router.limiter, self.runtime)
        for provider in self.providers.registry.names():  # "ollama:llama3" works at once
            if provider not in self._router.resolver.providers:
                self._router.resolver.add_provider(provider)
        checks = _make_guardian(guardian)
        who = identity if identity is not None else self.session.identity
        self._bus: ContextBus | None = bus
        # What orchestration_kernel.privacy.keeps_content reads (also without an audit).
        self._content_logging = content_logging
        # The call path, wired once: the runner knows its collaborators, never the engine.
        self._picker = RouterPicker(self._router, self.providers, identity=who, guardian=checks)
        self._recorder = AuditRecorder(
            _make_audit(audit, self.session, checks),
            identity=who,
            guardian=checks,
            replay=replay,
            content_logging=content_logging,
        )
        self._calls = CallRunner(
            picker=self._picker,
            recorder=self._recorder,
            guardian=checks,
            retry=retry or RetryPolicy(),
            catalogue=self._router.catalogue,
            estimate=self.estimate_tokens,
            identity=who,
        )
        self._closed = False
        self.runtime.add_closer(self.providers.aclose)

    #: The :class:`RetryPolicy` for every deployment.
    retry = _Wired[RetryPolicy]("_calls.retry")
    #: The :class:`Guardian`, or ``None`` when checks are off. Settable (``True``,
    #: ``False``, ``None`` or a Guardian); the audit trail follows (see _GuardianWired).
    guardian = _GuardianWired("_calls.guardian", "_picker.guardian", "_recorder.guardian")
    #: The :class:`AuditTrail` (the session's shared one by default), or ``None`` when off.
    audit = _Wired["AuditTrail | None"]("_recorder.audit")
    #: Who calls (an :class:`Identity` or ``None``): written to every audit row.
    identity = _Wired["Identity | None"](
        "_calls.identity", "_picker.identity", "_recorder.identity"
    )
    #: When True, identical requests are answered from the audit.
    replay = _Wired[bool]("_recorder.replay_enabled")

    @classmethod
    def default(cls, session: Session | None = None) -> OrchestrationEngine:
        """The session's shared engine (what ``Session.current().engine`` and the magics use),
        made on first use with the defaults."""
        owner = session or Session.current()
        engine: OrchestrationEngine = owner.service("engine", lambda: cls(session=owner))
        return engine

    # -- collaborators -------------------------------------------------------------
    @property
    def router(self) -> Router:
        """The :class:`~orchestration_kernel.routing.Router`: pools, breakers, limits, metrics."""
        return self._router

    @property
    def catalogue(self) -> Catalogue:
        """The model catalogue (context windows, prices, capabilities)."""
        return self._router.catalogue

    @property
    def bus(self) -> ContextBus:
        """The session's :class:`ContextBus` (created on first use)."""
        if self._bus is None:
            self._bus = team.engine_bus(self.redis, self.session)
        return self._bus

    @property
    def session_id(self) -> str:
        """The default session id (the kernel's; stable across a restart)."""
        return self.session.id

    @property
    def simulator(self) -> SimProvider:
        """The offline simulator provider (script faults on it in tests and demos)."""
        sim: SimProvider = self.providers.simulator
        sim.model_id = self._requested_model_id  # script(model="claude-3") names the alias
        return sim

    def _requested_model_id(self, name: str) -> str:
        """The model id a request for ``name`` carries (``claude-3`` → ``claude-sonnet-4-6``);
        ``name`` itself when it resolves to nothing we know."""
        try:
            resolved = self.resolve(name)
        except ConfigurationError:
            return name
        return resolved.split(":", 1)[1] if ":" in resolved else resolved

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
        info = self.providers.registry.table.get(how.ref.provider)
        if how.in_catalogue or info is None or not info.catalogued:
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

    def add_pool(
        self,
        name: str,
        deployments: Sequence[Deployment | Mapping[str, object]],
        strategy: str = "round_robin",
    ) -> Pool:
        """Define a pool: ``name`` stands for several deployments chosen by ``strategy``.

        Each deployment is a :class:`~orchestration_kernel.routing.Deployment` or a dict
        like a config file's (``model``, ``api_key``/``api_key_env``, ``base_url``,
        ``weight``, ``rpm``, ``tpm``, ``max_in_flight``).
        """
        from .routing import pools_from_mapping

        spec = {"pools": {name: {"strategy": strategy, "deployments": list(deployments)}}}
        (pool,) = pools_from_mapping(spec, self._router.resolve)
        return self._router.add_pool(pool)

    def add_strategy(self, strategy: Strategy) -> Strategy:
        """Add a routing strategy to this engine's router (a :class:`~.routing.Strategy`
        with a ``name``); pools may then name it. Returns the strategy."""
        return self._router.strategies.add(strategy)

    def add_compatible(self, name: str, base_url: str, api_key: str | None = None) -> None:
        """Register an OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio) as ``name``."""
        self.providers.registry.register_compatible(name, base_url, api_key=api_key)
        if api_key:
            self.providers.set_key(name, api_key)
        self._router.resolver.add_provider(name)

    def set_key(self, provider: str, key: str | Secret) -> None:
        """Keep a key for ``provider`` in memory for this engine's life."""
        self.providers.set_key(provider, key)

    def set_credential(self, provider: str, credential: object) -> None:
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
        """Would ``name`` be served by an offline stand-in (local model or simulator) now?"""
        if name == "auto":
            return all(self.providers.is_simulated(p) for p in self._picker.available_providers())
        deployments = self._router.plan(name)
        return all(self.providers.is_simulated(d.provider, d.api_key) for d in deployments)

    def served_by(self, name: str) -> str:
        """Who would answer ``name`` right now: ``real provider``, ``local model`` (the
        embedded model, asked for or standing in) or ``offline simulator``."""
        from .offline import stand_in_label

        providers = {"auto"} if name == "auto" else {d.provider for d in self._router.plan(name)}
        if providers == {"local"}:
            return stand_in_label("local")
        if not self.is_simulated(name):
            return "real provider"
        return stand_in_label("sim" if providers == {"sim"} else self.providers.offline_model)

    def context_window(self, name: str) -> int | None:
        """The context window of ``name`` in tokens, where the catalogue knows it."""
        if name == "auto":
            return None
        info = self.catalogue.get(self._first_ref(name))
        return getattr(info, "context_window", None) if info else None

    def estimate_tokens(self, text: str, model: str | None = None) -> int:
        """An offline token estimate (provider-reported usage always wins)."""
        return _estimator()(text, model)

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
        on_delta: Callable[[Delta], object] | None = None,
        run_id: str | None = None,
        pipeline: str | None = None,
        step: str | None = None,
        session_id: str | None = None,
        needs: Sequence[str] = (),
        **extra: object,
    ) -> Reply:
        """One call with retries and fallbacks; returns the complete, checked :class:`Reply`."""
        spec = self._spec(
            model, prompt, system, fallbacks, json_output, temperature, max_tokens, stop,
            timeout, stream, run_id, pipeline, step, session_id, needs, extra,
        )  # fmt: skip
        if self.audit is not None:
            self.audit.check_writable()  # fail fast: no call runs unaudited
        runner = self._calls
        # The token estimate is made while the runtime thread wakes up for the call.
        reply = await self.runtime.run(
            runner.run(spec, on_delta), meanwhile=lambda: runner.fill_estimate(spec)
        )
        if self.audit is not None:
            reply._committed = self.audit.commit_point()  # `await reply.committed`
        return reply

    def complete_sync(self, model: str, prompt: Prompt, **kwargs: Unpack[CallOptions]) -> Reply:
        """Blocking twin of :meth:`complete`, for plain scripts."""
        return self.runtime.run_sync(self.complete(model, prompt, **kwargs))

    def stream(self, model: str, prompt: Prompt, **kwargs: Unpack[CallOptions]) -> ReplyStream:
        """Stream a reply: iterate for :class:`Delta` values; ``.reply`` holds the final reply."""

        async def produce(sink: Callable[[Delta], object]) -> Reply:
            # The stream's own stream/on_delta replace any given.
            options: CallOptions = {**kwargs, "stream": True, "on_delta": sink}
            return await self.complete(model, prompt, **options)

        return ReplyStream(self.runtime, produce)

    async def compare(
        self, models: Sequence[str], prompt: Prompt, **kwargs: object
    ) -> CompareTable:
        """Run one prompt on several models concurrently: one reply or error per model,
        under one run id with its own run_start/run_end rows (given ``run_id=``, the
        calls join that run instead)."""
        from .matrix_audit import run_audited_compare

        names = model_names(models, "compare")
        return await self.runtime.run(run_audited_compare(self, names, prompt, kwargs))

    def compare_sync(self, models: Sequence[str], prompt: Prompt, **kwargs: object) -> CompareTable:
        """Blocking twin of :meth:`compare`."""
        return self.runtime.run_sync(self.compare(models, prompt, **kwargs))

    async def matrix(
        self,
        models: Sequence[str],
        template: str,
        items: object,
        *,
        concurrency: int = 8,
        mode: str = "interactive",
        cluster: object = None,
        namespace: Mapping[str, object] | None = None,
        **kwargs: Unpack[MatrixOptions],
    ) -> MatrixResult | BatchJob:
        """Run ``template`` once per item of ``items`` (a list, a pandas Series or
        DataFrame, any iterable) on every model: a :class:`~.matrix.MatrixResult` under
        one run id. ``{item}`` is each item; a DataFrame's columns fill ``{column}``.
        ``mode="batch"`` sends it through the providers' Batch APIs instead and returns a
        resumable :class:`~.batch.BatchJob` (``name=`` required; see :func:`.batch.submit`).
        ``cluster``: ``"local"``, a scheduler address or a ``distributed.Client`` runs the
        rows on Dask workers (:mod:`.cluster`: ``partition_size``, ``job``, ``progress``
        then apply)."""
        from .matrix import check_mode, matrix_prompts

        models = model_names(models, "matrix")
        if mode == "batch":  # the providers' Batch APIs: a resumable BatchJob (issue 21)
            from .batch import submit

            if cluster is not None:  # a batch job runs at the providers, not on a cluster
                raise ConfigurationError("matrix(mode='batch') takes no cluster=; leave it unset")
            # The same dict, seen as submit's keywords: one it does not take is refused there.
            batch: BatchOptions = kwargs
            return await submit(self, models, template, items, namespace=namespace, **batch)
        check_mode(mode, None)
        for model in models:
            self.resolve(model)  # an unknown model fails before any call
        prepared = matrix_prompts(template, items, namespace=namespace)
        for note in prepared.notes():
            warnings.warn(note, UserWarning, stacklevel=2)
        if cluster is not None:
            from .cluster import run_matrix_on_cluster
            from .cluster.stop import run_job

            return await run_job(
                run_matrix_on_cluster, self, models, prepared,
                cluster=cluster, concurrency=concurrency, **kwargs,
            )  # fmt: skip
        from .matrix_audit import run_audited_matrix  # its run_start/run_end rows too

        return await self.runtime.run(
            run_audited_matrix(self, models, prepared, concurrency=concurrency, **kwargs)
        )

    def matrix_sync(
        self,
        models: Sequence[str],
        template: str,
        items: object,
        **kwargs: Unpack[MatrixSyncOptions],
    ) -> MatrixResult | BatchJob:
        """Blocking twin of :meth:`matrix`."""
        return self.runtime.run_sync(self.matrix(models, template, items, **kwargs))

    async def pipeline_matrix(
        self,
        spec: object,
        items: object,
        *,
        cluster: object = None,
        concurrency: int = 8,
        namespace: Mapping[str, object] | None = None,
        **kwargs: Unpack[PipelineMatrixOptions],
    ) -> PipelineMatrixResult:
        """Run a pipeline (a :class:`~.pipeline.Pipeline` or anything :meth:`create_pipeline`
        takes) once per row of ``items``: a :class:`~.pipeline_matrix.PipelineMatrixResult`
        whose ``to_dataframe()`` is the input beside one column per step. ``cluster``
        as for :meth:`matrix` (``partition_size``, ``job``, ``progress`` then apply)."""
        from .pipeline_matrix import prepare_rows, run_pipeline_matrix

        session_id = kwargs.pop("session_id", None)
        unknown = sorted(set(kwargs) - {"partition_size", "job", "progress"})
        if unknown:
            raise ConfigurationError(f"pipeline_matrix() takes no {', '.join(unknown)}")
        pipeline, rows = prepare_rows(self, spec, items, namespace=namespace)
        if cluster is not None:
            from .cluster import run_pipeline_matrix_on_cluster
            from .cluster.stop import run_job

            options: PipelineMatrixOptions = {**kwargs, "session_id": session_id}
            return await run_job(
                run_pipeline_matrix_on_cluster, self, pipeline, rows, cluster=cluster,
                concurrency=concurrency, **options,
            )  # fmt: skip
        if kwargs:
            raise ConfigurationError(f"{', '.join(sorted(kwargs))}: only with cluster=")
        return await run_pipeline_matrix(
            pipeline, rows, concurrency=concurrency, session_id=session_id
        )

    def pipeline_matrix_sync(
        self, spec: object, items: object, **kwargs: Unpack[PipelineMatrixSyncOptions]
    ) -> PipelineMatrixResult:
        """Blocking twin of :meth:`pipeline_matrix`."""
        return self.runtime.run_sync(self.pipeline_matrix(spec, items, **kwargs))

    def config(self) -> dict[str, JSONValue]:
        """This engine's configuration as plain data, never its keys (:mod:`.cluster.config`)."""
        from .cluster.config import engine_config

        return engine_config(self)

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, object],
        *,
        keys: Mapping[str, str] | None = None,
        **options: Unpack[FromConfigOptions],
    ) -> OrchestrationEngine:
        """An engine built from :meth:`config`'s output, with ``keys`` by provider name."""
        from .cluster.config import engine_from_config

        options.setdefault("audit", True)
        engine: OrchestrationEngine = engine_from_config(
            config, engine_class=cls, keys=keys, **options
        )
        return engine

    # -- pipelines -----------------------------------------------------------------
    def create_pipeline(
        self, spec: object, *, name: str | None = None, **options: Unpack[PipelineOptions]
    ) -> Pipeline:
        """A :class:`Pipeline` from a list of step dicts, a dict, YAML text or a spec.

        ``options`` go to :class:`Pipeline` (``namespace``, ``context``, ``interpolate``,
        ``default_model``). Raises :class:`SpecError` naming the line of every problem.
        """
        from .pipeline import Pipeline

        return Pipeline(spec, engine=self, name=name, **options)

    # -- monitoring ----------------------------------------------------------------
    def stats(self) -> dict[str, dict[str, SeriesSummary]]:
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

    # -- internals -----------------------------------------------------------------
    def _check_candidates(self, names: Sequence[str]) -> None:
        """Every model of a call with fallbacks must resolve before any call: the call path
        moves on from a candidate it cannot configure (a provider without a key), so a
        misspelt model would silently be skipped, or found only when the one before fails."""
        for name in names:
            if name != "auto" and not self._router.is_pool(name):
                self._router.resolve(name)  # UnknownModelError, with the nearest names

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
        extra: dict[str, object],
    ) -> CallSpec:
        check_model(model)
        if fallbacks:  # a typo among several candidates would be skipped, not reported
            self._check_candidates(
                [model, *([fallbacks] if isinstance(fallbacks, str) else fallbacks)]
            )
        check_call_options(temperature, max_tokens, timeout, extra)
        timeouts = self.timeouts
        if timeout is not None:
            timeouts = Timeouts(
                connect=min(timeouts.connect, timeout),
                first_token=min(timeouts.first_token, timeout),
                idle=min(timeouts.idle, timeout),
                overall=timeout,
            )
        messages = _messages(prompt)
        check_prompt(messages, system)
        return CallSpec(
            model=model,
            messages=messages,
            system=system,
            fallbacks=[fallbacks] if isinstance(fallbacks, str) else list(fallbacks or []),
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
            timeout=timeout,
        )


@functools.cache
def _estimator() -> Callable[[str, object], int]:
    """The offline token estimator, imported on first use and then at no cost per call."""
    from .routing.tokens import estimate_tokens

    return estimate_tokens


def _messages(prompt: Prompt) -> list[Message]:
    if isinstance(prompt, str):
        return [Message(role="user", content=prompt)]
    if isinstance(prompt, (Message, Mapping)):  # one message on its own
        prompt = [prompt]
    if not isinstance(prompt, (list, tuple)):  # a DataFrame iterates its column names
        raise ConfigurationError(
            f"the prompt must be text, a message or a list of messages, not {type(prompt).__name__}"
        )
    out: list[Message] = []
    for item in prompt:
        if isinstance(item, Message):
            out.append(item)
        elif isinstance(item, Mapping) and "role" in item and "content" in item:
            out.append(Message(role=item["role"], content=str(item["content"])))
        else:  # not repeated: a message may hold anything
            raise ConfigurationError(
                "a message must be a Message or a dict with 'role' and 'content', not "
                f"{_shape(item)}"
            )
    if not out:
        raise ConfigurationError("the prompt is empty: give a string or at least one message")
    return out


def _shape(item: object) -> str:
    if isinstance(item, Mapping):
        return f"a dict with keys {', '.join(map(repr, list(item)[:5]))}"
    return type(item).__name__


def _make_router(
    catalogue: Catalogue | str | Path | Mapping[str, object] | None,
    aliases: Mapping[str, str] | None,
    pools: str | Path | Mapping[str, object] | Iterable[Pool] | None,
    router: Router | None = None,
) -> Router:
    from .routing import Catalogue, Resolver, Router

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
    elif isinstance(pools, Mapping):
        if _all_pools(pools):
            for pool in pools.values():
                router.add_pool(pool)
        else:
            # A config file's shape in code: the whole config, or just {name: pool spec}.
            sections = {"providers", "models", "aliases", "pools"}
            router.load_config(pools if set(pools) & sections else {"pools": pools})
    elif pools:
        for pool in pools:
            router.add_pool(pool)
    return router


def _all_pools(pools: Mapping[str, object]) -> TypeGuard[Mapping[str, Pool]]:
    from .routing import Pool

    return all(isinstance(p, Pool) for p in pools.values())


def _make_guardian(guardian: Guardian | bool | None) -> Guardian | None:
    if guardian is False or guardian is None:
        return None
    if guardian is True:
        from .guardian import Guardian

        return Guardian()
    return guardian


def _make_audit(
    audit: AuditTrail | str | Path | bool | None,
    session: Session,
    guardian: Guardian | None,
) -> AuditTrail | None:
    """``True``: the session's shared trail; a path: a trail of its own; ``False``: none.
    The engine's ``content_logging`` is not the trail's: it goes with each row the engine
    records (a trail shared by several engines keeps each one's setting)."""
    if audit is False or audit is None:
        return None
    trail: AuditTrail
    if audit is True:
        trail = session.audit
    elif isinstance(audit, (str, Path)):
        from .audit import AuditTrail

        trail = AuditTrail(audit, session_id=session.id)
    else:
        trail = audit
    if guardian is not None:
        trail.redactor = guardian.redact
    return trail
