"""Where each attempt goes: the router's deployment choice, made concrete with an adapter
from the engine's connections, and given back with the attempt's outcome.

:class:`RouterPicker` is the :class:`~orchestration_kernel.calls.TargetPicker` the engine
gives its :class:`~orchestration_kernel.calls.CallRunner`. It holds the in-flight slot a
choice takes until :meth:`release` or :meth:`observe`, and the identity's and the
deployment's rate-limit permits for the attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from .calls import CallSpec, Target
from .connections import ProviderSet
from .errors import ConfigurationError, GuardianBlocked, MissingKeyError
from .models import Attempt, Reply
from .providers.base import watching_request_sending

__all__ = ["RouterPicker"]


class RouterPicker:
    """Chooses deployments through ``router`` and makes their adapters from ``providers``.

    ``identity`` and ``guardian`` give the identity's own rpm/tpm gate (an access rule),
    when it has one.
    """

    def __init__(
        self, router: Any, providers: ProviderSet, *, identity: Any = None, guardian: Any = None
    ) -> None:
        self.router = router
        self.providers = providers
        self.identity = identity
        self.guardian = guardian

    def available_providers(self) -> set[str]:
        """Providers ``auto`` may pick: real ones when any are, else simulated vendors."""
        providers = self.providers
        table = providers.registry.table
        vendors = [n for n, info in table.items() if info.key_required]  # the catalogued vendors
        real = {n for n in vendors if not providers.is_simulated(n) and providers.has_key(n)}
        if real:
            return real
        simulated = {n for n in vendors if providers.is_simulated(n)}
        if not simulated:
            names = [v for n in vendors for v in providers.registry[n].env_hint[:1]]
            raise ConfigurationError(
                "model 'auto' has no provider to pick from: set one of "
                f"{', '.join(names)}, or run offline with ORCHESTRATION_OFFLINE=auto"
            )
        return simulated

    def choose(self, name: str, spec: CallSpec) -> Target:
        """Take a deployment for the next attempt of ``name`` (pair with release/observe)."""
        tokens = spec.input_tokens or 0
        route: dict[str, Any] = {}
        chosen = name
        if name == "auto":
            ref, auto = self.router.choose_auto(
                input_tokens=tokens,
                needs=spec.needs,
                task=spec.step,
                available_providers=self.available_providers(),
            )
            route["auto"] = auto.as_detail()
            chosen = str(ref)
        deployment, decision = self.router.choose(chosen, input_tokens=tokens, needs=spec.needs)
        route.update(decision.as_detail())
        try:
            return self._target(name, deployment, route)
        except BaseException as exc:
            self.router.report(deployment, ok=False, error=released(exc))
            raise

    def release(self, target: Target, error: BaseException | None) -> None:
        """Free a chosen deployment that was not called (blocked, replayed)."""
        self.router.report(target.deployment, ok=False, error=released(error))

    def observe(
        self, target: Target, attempt: Attempt, reply: Reply | None, error: BaseException | None
    ) -> None:
        """Free a called deployment and tell the router how the attempt went."""
        if isinstance(error, GuardianBlocked):
            error = released(error)  # a Guardian block is not the deployment's failure
        self.router.report(
            target.deployment,
            ok=error is None,
            latency_ms=attempt.latency_ms,
            ttft_ms=attempt.ttft_ms,
            usage=reply.usage if reply else None,
            cost_usd=reply.cost_usd if reply else None,
            error=error,
        )

    def _target(self, name: str, deployment: Any, route: dict[str, Any]) -> Target:
        providers = self.providers
        simulated = providers.is_simulated(deployment.provider, deployment.api_key)
        if deployment.api_key_env and deployment.api_key is None and providers.offline != "on":
            # The config named this deployment's own key: never fall back to another one.
            raise MissingKeyError(deployment.provider, list(deployment.api_key_env), model=name)
        try:
            adapter = providers.adapter(
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
            route={
                **route,
                "deployment": deployment.id,
                "simulated": adapter.simulated,
                **({"served_by": adapter.name} if simulated else {}),
            },
            stand_in=simulated,
        )

    def limit(self, target: Target, spec: CallSpec) -> _Limited:
        """Wait for the identity's and the deployment's rate limits (queued, never failed)."""
        return _Limited(self, target, spec)

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


class _Limited:
    """``async with picker.limit(target, spec) as permits``: the identity's and the
    deployment's permits for one attempt. A class rather than a generator context manager
    and an exit stack, because it is on the path of every call."""

    __slots__ = ("_permits", "_picker", "_sending", "_spec", "_target")

    def __init__(self, picker: RouterPicker, target: Target, spec: CallSpec) -> None:
        self._picker = picker
        self._target = target
        self._spec = spec
        self._permits = _Permits()
        self._sending: contextlib.AbstractContextManager[None] | None = None

    async def __aenter__(self) -> _Permits:
        spec, target = self._spec, self._target
        tokens = (spec.max_tokens or 0) + (spec.input_tokens or 0)
        limiter = self._picker.router.limiter
        ready = getattr(target.adapter, "ready", None)
        if ready is not None:  # a cold SDK's set-up before the slot, not inside it
            await ready()
        gate = self._picker._identity_gate()
        permits = self._permits
        try:
            if gate is not None:
                permits.add(await limiter.take(gate, tokens=tokens))
            permits.add(await limiter.take(target.deployment, tokens=tokens))
        except BaseException:
            permits.give_back(limiter)
            raise
        self._sending = watching_request_sending(permits.confirm)
        self._sending.__enter__()
        return permits

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self._sending is not None:
                self._sending.__exit__(None, None, None)
        finally:
            self._permits.give_back(self._picker.router.limiter)


class _Permits:
    """The limiter permits one attempt holds; ``settle`` books the real token count."""

    def __init__(self) -> None:
        self._permits: list[Any] = []

    def add(self, permit: Any) -> None:
        self._permits.append(permit)

    def settle(self, tokens: int) -> None:
        for permit in self._permits:
            permit.settle(tokens)

    def give_back(self, limiter: Any) -> None:
        """Free every place held, the last taken first (as an exit stack would)."""
        while self._permits:
            limiter.give_back(self._permits.pop())

    async def confirm(self) -> None:
        """The request is about to leave: each permit checks its slot is still current."""
        for permit in self._permits:
            await permit.confirm()


def released(error: BaseException | None) -> BaseException:
    """What the router takes as "slot freed, no verdict on the deployment's health"."""
    return error if isinstance(error, asyncio.CancelledError) else asyncio.CancelledError()
