"""No key in the repr of what the bus hands back: a context version, a conversation turn,
a published message. Before, each printed a key stored in it in full (found trying
``bus.update_context_sync({"api": key})`` in a notebook, whose ``Out[n]`` is the repr)."""

from __future__ import annotations

import random
import string

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.bus.message import BusMessage
from orchestration_kernel.bus.store import ContextVersion, Turn


def _key() -> str:
    rng = random.Random(12)
    return "sk-proj-" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(48))


@pytest.mark.parametrize(
    "made",
    [
        lambda k: ContextVersion(1, 1.0, {"api": k, "note": "x"}),
        lambda k: Turn("user", f"my key is {k}", None, 1.0),
        lambda k: BusMessage(seq=1, topic="t", data={"k": k}, session_id="s", ts=1.0),
    ],
    ids=["context-version", "turn", "bus-message"],
)
def test_the_reprs_mask_a_key_and_keep_the_data(made: object) -> None:
    key = _key()
    value = made(key)  # type: ignore[operator]
    for shown in (repr(value), str(value), repr([value])):
        assert key not in shown and key[8:20] not in shown
        assert "<OPENAI_API_KEY>" in shown
    assert key in str(value.data if hasattr(value, "data") else value.content)  # untouched


def test_a_context_written_through_the_engine_comes_back_masked_in_its_repr(
    tmp_path: object,
) -> None:
    key = _key()
    engine = OrchestrationEngine(offline="on")
    version = engine.bus.update_context_sync({"api": key}, "s1")
    assert key not in repr(version) and version.data["api"] == key
