"""A replayed request is found by the hash of its canonical text, so that text must be the
same in every process: a set among the parameters is encoded as the audit encodes one
(its members in a seed-independent order), not by its ``str()``, which follows
``PYTHONHASHSEED``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from orchestration_kernel.audit.replay import canonical_request

pytestmark = pytest.mark.timeout(120)

CHILD = r"""
from orchestration_kernel.audit.replay import canonical_request

params = {
    "stop": {"END", "STOP", "###", "done", "fin", "halt", "Ω"},
    "metadata": {"tags": frozenset({"b", "a", "c", "d", "e"})},
    "temperature": 0.2,
}
print(canonical_request("openai:gpt-4o-mini", [{"role": "user", "content": "hi"}], params))
"""


def _canonical(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True,
        timeout=100,
    )  # fmt: skip
    return out.stdout.strip()


def test_a_set_parameter_encodes_the_same_under_any_hash_seed() -> None:
    texts = {_canonical(seed) for seed in ("0", "1", "2", "3", "4", "5")}
    assert len(texts) == 1  # one request, one canonical text, whatever the seed
    body = json.loads(texts.pop())
    # A set is its members as a JSON list in the audit's order (by text), not its repr.
    assert body["params"]["stop"] == ["###", "END", "STOP", "done", "fin", "halt", "Ω"]
    assert body["params"]["metadata"] == {"tags": ["a", "b", "c", "d", "e"]}


def test_a_request_without_sets_encodes_as_before() -> None:
    text = canonical_request(
        "m", [{"role": "user", "content": "x"}], {"temperature": 0.5, "seed": None}
    )
    # Unchanged for everything but sets: replay hashes of earlier requests still match.
    assert text == (
        '{"messages":[{"content":"x","role":"user"}],"model":"m","params":{"temperature":0.5}}'
    )
