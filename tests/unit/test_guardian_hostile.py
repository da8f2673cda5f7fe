"""Hostile input: every registered Guardian policy stays linear on long adversarial texts
(issue 15 item 1), a text above the size limit is blocked unchecked, and a long text is
checked off the event loop so other calls keep running.

The near-match inputs are built from the registered rules themselves (every injection
trigger, every vendor prefix, every secret rule's trigger), so a rule added later is
flooded here too. The hang guard is generous (a quadratic rule takes minutes on these
sizes: 100 KB of ``a`` took 118 s at 540279b); speed itself is measured in ``bench/``.
"""

from __future__ import annotations

import asyncio
import functools
import random
import threading
from collections.abc import Callable, Iterator, Mapping

import pytest

from orchestration_kernel.guardian import (
    BUILTIN_POLICIES,
    DEFAULT_MAX_TEXT_CHARS,
    OPT_IN_POLICIES,
    GuardContext,
    Guardian,
)
from orchestration_kernel.guardian.injection import _SIGNALS
from orchestration_kernel.guardian.secret_formats import TOKEN_FORMATS
from orchestration_kernel.guardian.secrets import _RULES

CTX = GuardContext(model="openai:gpt-4o-mini", provider="openai", session_id="hostile")
SIZE = 256 * 1024


def _fill(unit: str, size: int = SIZE) -> str:
    return (unit * (size // max(len(unit), 1) + 1))[:size]


def _random(alphabet: str, seed: int, size: int = SIZE) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(size))


def _triggers() -> list[str]:
    found: set[str] = set()
    for signal in _SIGNALS:
        found.update(signal.anchor.triggers)
    for rule in _RULES:
        found.update(rule.anchor.triggers)
    for fmt in TOKEN_FORMATS:
        found.update(fmt.prefixes)
    found.update(["key=", "token: ", "password=", "://u:", "-u a:", "<aToken>", "@", " at "])
    # assignment forms without an operator or through a call, and Bundler's credentials
    found.update(['#define API_KEY "', "secret.assign('", "BUNDLE_A__B", 'key="k" value="'])
    return sorted(found)


_NEAR_MATCH_NAMES = [f"triggers-{i}-{how}" for i in range(6) for how in ("glued", "spaced")]


@functools.cache
def _near_matches() -> dict[str, str]:
    """Every trigger flooded, in a few texts: each trigger repeated back to back and with
    a space, so rules see many starts that never complete."""
    triggers = _triggers()
    groups = [triggers[i::6] for i in range(6)]
    out = {}
    for i, group in enumerate(groups):
        per = SIZE // len(group)
        out[f"triggers-{i}-glued"] = "".join(_fill(t, per // 2) for t in group)
        out[f"triggers-{i}-spaced"] = "".join(_fill(t + " ", per // 2) for t in group)
    return out


class _Texts(Mapping[str, str]):
    """The hostile texts by name, each built when a test first reads it: building them
    all (1.3 million random choices) took a second of every pytest process's collection,
    both workers' included, where the parametrisation needs only the names."""

    def __init__(self, build: dict[str, Callable[[], str]]) -> None:
        self._build = build

    def __getitem__(self, name: str) -> str:
        return _built(self._build[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._build)

    def __len__(self) -> int:
        return len(self._build)


@functools.cache
def _built(build: Callable[[], str]) -> str:
    return build()


HOSTILE = _Texts(
    {
        "one letter": lambda: _fill("a"),
        "one capital": lambda: _fill("A"),
        "one digit": lambda: _fill("1"),
        "spaces": lambda: _fill(" "),
        "whitespace mix": lambda: _fill(" \n\t\r"),
        "dna": lambda: _random("ACGT", 1),
        "letters and digits": lambda: _random("abc123", 2),
        "hex": lambda: _random("0123456789abcdef", 3),
        "base64": lambda: _random("ABCDEFGHabcdefgh0123+/=", 4),
        "punctuation": lambda: _random("-_.:@/=<>\"'()[]{}#*", 5),
        "digits and separators": lambda: _fill("1 "),
        "leet": lambda: _fill("a1"),
        "words": lambda: " ".join(
            random.Random(6).choice(["ignore", "all", "your", "what", "no"])
            for _ in range(SIZE // 5)
        ),
        **{
            name: functools.partial(lambda n: _near_matches()[n], name)
            for name in _NEAR_MATCH_NAMES
        },
    }
)
# The opt-in policies ask a service over the network (their input is bounded: the model
# check sends at most max_chars); every local policy is fed the hostile texts.
POLICIES = [name for name in BUILTIN_POLICIES if name not in OPT_IN_POLICIES]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_policy_finishes_on_hostile_input(policy: str, name: str) -> None:
    guardian = Guardian([policy])
    (registered,) = guardian.policies
    for stage in registered.stages:
        result = registered.check(HOSTILE[name], CTX, stage)
        assert not asyncio.iscoroutine(result)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["one letter", "words", "triggers-0-spaced", "hex"])
def test_redact_finishes_on_hostile_input(name: str) -> None:
    text = HOSTILE[name]
    assert len(Guardian().redact(text)) > 0


def test_every_builtin_policy_is_covered_here() -> None:
    # A new built-in policy must join the list above (or say why it cannot).
    assert set(POLICIES) | set(OPT_IN_POLICIES) == set(BUILTIN_POLICIES)


def test_text_above_the_size_limit_is_blocked_unchecked_with_a_clear_reason() -> None:
    guardian = Guardian(max_text_chars=1000)
    key = "sk-" + "Zq8" * 20
    verdict = asyncio.run(guardian.check_input("x" * 1000 + key, CTX))
    assert verdict.blocked
    assert "max_text_chars" in verdict.reasons[0] and "1,000" in verdict.reasons[0]
    assert key not in verdict.text  # nothing of the unchecked text is kept
    output = guardian.check_sync("y" * 1001, CTX, "output")
    assert output.blocked and output.policy_decisions[0].policy == "size"
    assert not asyncio.run(guardian.check_input("x" * 1000, CTX)).blocked


def test_default_size_limit_is_above_the_largest_catalogued_context_window() -> None:
    import json
    from pathlib import Path

    import orchestration_kernel

    data = Path(orchestration_kernel.__file__).parent / "data" / "models.json"
    windows: list[int] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "context_window" and isinstance(value, int):
                    windows.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(data.read_text(encoding="utf-8")))
    assert windows and 4 * max(windows) < DEFAULT_MAX_TEXT_CHARS
    assert Guardian().config.max_text_chars == DEFAULT_MAX_TEXT_CHARS


@pytest.mark.timeout(60)
def test_a_long_text_is_checked_off_the_event_loop() -> None:
    seen: dict[str, int] = {}

    def spy(text: str, ctx: GuardContext) -> None:
        seen[str(len(text))] = threading.get_ident()

    async def main() -> tuple[int, int]:
        guardian = Guardian(offload_chars=10_000)
        guardian.add_policy(spy, name="spy")
        loop_thread = threading.get_ident()
        await guardian.check_input("short prompt", CTX)
        ticks = 0
        task = asyncio.create_task(guardian.check_input(HOSTILE["words"] * 4, CTX))
        while not task.done():  # other work on the loop goes on meanwhile
            ticks += 1
            await asyncio.sleep(0)
        await task
        assert seen[str(len("short prompt"))] == loop_thread
        return ticks, loop_thread

    ticks, loop_thread = asyncio.run(main())
    assert seen[str(len(HOSTILE["words"]) * 4)] != loop_thread
    assert ticks > 1
