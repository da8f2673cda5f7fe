"""The Guardian's context on a call's path (issue 24): its cost estimate is the one
``catalogue.cost`` gives for the estimated usage, for every catalogued model (tiered
prices and wildcard entries included), unknown models, and prompt sizes either side of
each price tier, with and without an output limit."""

from __future__ import annotations

import random

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.calls import CallSpec, Target
from orchestration_kernel.models import ChatRequest, Message, Usage


def _sizes(rng: random.Random, tiers: list[int]) -> list[int]:
    around = [t + d for t in tiers for d in (-1, 0, 1)]
    return [0, 1, 250, *around, *(rng.randint(0, 2_000_000) for _ in range(6))]


def test_the_context_cost_is_the_catalogues_cost_of_the_estimate() -> None:
    eng = OrchestrationEngine(offline="on", audit=False)
    try:
        runner = eng._calls
        catalogue = runner.catalogue
        rng = random.Random(24)
        refs = [info.id for info in catalogue]
        refs = [r.replace("*", "any-model") for r in refs] + ["openai:not-a-model", "odd:x"]
        checked = 0
        for ref in refs:
            provider, _, model = ref.partition(":")
            info = catalogue.get(ref)
            tiers = [t.above_input_tokens for t in (info.price_tiers if info else None) or []]
            target = Target(ref, provider, model, ref, adapter=object(), simulated=False)  # type: ignore[arg-type]
            for tokens in _sizes(rng, tiers):
                for limit in (None, 0, 1, 64, 4096):
                    spec = CallSpec(model=ref, messages=[Message(role="user", content="x")])
                    spec.input_tokens = tokens
                    request = ChatRequest(model=model, messages=spec.messages, max_tokens=limit)
                    ctx = runner._guard_context(target, spec, request)
                    usage = Usage(input_tokens=tokens, output_tokens=limit or 0, estimated=True)
                    assert ctx.estimated_cost_usd == catalogue.cost(ref, usage), (ref, tokens)
                    assert (ctx.model, ctx.provider, ctx.input_tokens) == (ref, provider, tokens)
                    checked += 1
        assert checked > 1000
    finally:
        eng.close()
