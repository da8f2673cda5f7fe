"""Pure helpers of a step's call: default prompts, the JSON contract, folding, observers."""

from __future__ import annotations

import logging

import pytest

from orchestration_kernel.errors import PipelineError
from orchestration_kernel.models import Message
from orchestration_kernel.pipeline.events import PipelineEvent, notify
from orchestration_kernel.pipeline.fold import fold_conversation, turns_to_messages
from orchestration_kernel.pipeline.invoke import (
    default_prompt,
    json_instruction,
    parse_json_reply,
)


def test_default_prompt_names_the_task_input_and_previous_output() -> None:
    first = default_prompt("analysis", "the data", [])
    assert first.startswith("Task: analysis")
    assert "Input:\nthe data" in first and "analysis of the input" in first
    second = default_prompt("synthesis", "the data", [("analysis", "found X")])
    assert "Output of the previous step (analysis):\nfound X" in second
    assert "material above" in second
    assert "Input:" not in default_prompt("t", None, [])


def test_json_instruction_includes_the_schema() -> None:
    assert "JSON Schema" not in json_instruction(None)
    assert '"type": "object"' in json_instruction({"type": "object"})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ("```\n[1, 2]\n```", [1, 2]),
        ("  3 ", 3),
    ],
)
def test_valid_json_replies_parse(text: str, value: object) -> None:
    assert parse_json_reply(text, None) == (value, None)


def test_invalid_json_and_schema_mismatch_explain_why() -> None:
    value, why = parse_json_reply("not json", None)
    assert value is None and "not valid JSON" in why
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    value, why = parse_json_reply('{"n": "x"}', schema)
    assert value is None and "at n" in why


def test_a_broken_schema_is_the_users_mistake() -> None:
    with pytest.raises(PipelineError, match="not a valid JSON Schema"):
        parse_json_reply("{}", {"type": "nonsense"})


def test_turns_become_messages() -> None:
    msgs = turns_to_messages(
        [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello", "model": "m"},
            {"role": "tool", "content": "42"},
        ]
    )
    assert [m.role for m in msgs] == ["user", "assistant", "user"]
    assert msgs[2].content == "[tool] 42"


class Sizer:
    """Just enough of the engine for folding: a window and a token count."""

    def __init__(self, window: int | None) -> None:
        self.window = window

    def context_window(self, _: str) -> int | None:
        return self.window

    def estimate_tokens(self, text: str) -> int:
        return len(text.split())


async def test_truncation_keeps_the_newest_turns_that_fit() -> None:
    history = [Message(role="user", content="w " * 10) for _ in range(5)]
    folded = await fold_conversation(
        Sizer(100), history, step="s", models=["m"], prompt="p", system="sys",
        max_tokens=60, strategy="truncate", summary_model=None,
    )  # fmt: skip
    # budget = 100 - 60 - 1 - 1 = 38; each turn costs 14 -> two fit
    assert folded.messages == history[3:]
    assert folded.system == "sys"
    rec = folded.record
    assert rec is not None and (rec.kept_turns, rec.dropped_turns) == (2, 3)
    assert rec.dropped_tokens == 42 and rec.window_tokens == 100


async def test_no_window_or_no_history_means_no_fold() -> None:
    history = [Message(role="user", content="x")]
    kw = dict(step="s", models=["m"], prompt="p", system=None, max_tokens=None,
              strategy="truncate", summary_model=None)  # fmt: skip
    assert (await fold_conversation(Sizer(None), history, **kw)).record is None
    assert (await fold_conversation(Sizer(10_000), history, **kw)).record is None
    assert (await fold_conversation(Sizer(10), [], **kw)).record is None


def test_observer_failures_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def bad(_: PipelineEvent) -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="orchestration_kernel.pipeline"):
        notify(bad, PipelineEvent("run_start", "r"))
    assert "observer failed" in caplog.text
    notify(None, PipelineEvent("run_end", "r"))
