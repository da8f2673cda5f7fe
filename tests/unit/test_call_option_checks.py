"""``complete`` refuses, before anything is sent, options no provider takes: a misspelled
keyword of its own, ``max_tokens`` below 1, a negative or non-numeric ``temperature``.
Keywords far from its own still reach the provider unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError


@pytest.fixture
def engine() -> OrchestrationEngine:
    return OrchestrationEngine(offline="on")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"temprature": 0.2}, "Did you mean 'temperature'"),
        ({"max_token": 50}, "Did you mean 'max_tokens'"),
        ({"fallback": ["claude-3"]}, "Did you mean 'fallbacks'"),
        ({"max_tokens": 0}, "max_tokens must be a whole number of 1 or more"),
        ({"max_tokens": -5}, "not -5"),
        ({"max_tokens": 2.5}, "not 2.5"),
        ({"temperature": -0.1}, "temperature must be a number of 0 or more"),
        ({"temperature": "hot"}, "not 'hot'"),
        ({"temperature": float("nan")}, "not nan"),
        ({"timeout": 0}, "timeout must be a number above 0, not 0"),
        ({"timeout": -3}, "not -3"),
    ],
)
async def test_an_option_no_provider_takes_fails_before_anything_is_sent(
    engine: OrchestrationEngine, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        await engine.complete("gpt-4o", "hello", **options)
    assert engine.audit is not None and engine.audit.to_dataframe().empty  # nothing ran


async def test_provider_extras_and_numpy_numbers_still_go_through(
    engine: OrchestrationEngine,
) -> None:
    reply = await engine.complete(
        "gpt-4o",
        "with extras",
        top_k=3,
        seed=7,
        stop_sequences=["END"],
        max_tokens=np.int64(64),
        temperature=np.float32(0.5),
    )
    assert "with extras" in reply.text
