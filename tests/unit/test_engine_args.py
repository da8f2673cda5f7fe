"""OrchestrationEngine's arguments are checked before anything is built.

A wrong type used to fail later with a bare AttributeError from deep inside, or to be
taken as something else (``content_logging="no"`` is a true value)."""

from __future__ import annotations

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.errors import ConfigurationError

SECRETISH = "sk-proj-THISMUSTNOTAPPEAR0123456789"


@pytest.mark.parametrize(
    ("argument", "value", "says"),
    [
        ("offline", 1, 'takes "on", "auto", "off", True or False, not int'),
        ("keys", SECRETISH, "takes a mapping of provider name to key text, not str"),
        ("keys", {"openai": 123}, "the entry for 'openai' is int"),
        ("keys", {"opnai": SECRETISH}, "unknown provider 'opnai'. Did you mean 'openai'?"),
        ("base_urls", {"openai": "localhost:8000"}, "'openai' is text that is not a URL"),
        ("aliases", {"fast": 3}, "the entry for 'fast' is int"),
        ("pools", [1, 2], "takes a config file path, a mapping of pool definitions, or Pools"),
        ("guardian", "strict", 'For example guardian=Guardian(pii="block")'),
        ("audit", 5, "takes an AuditTrail, a file path"),
        ("retry", 3, "For example retry=RetryPolicy(max_attempts=3)"),
        ("timeouts", 30, "one call's limit is complete(timeout=30)"),
        ("simulator", {"latncy": 0.1}, "no field 'latncy'. Did you mean 'latency'?"),
        ("identity", "alice", 'identity=Identity(user="alice")'),
        ("content_logging", "no", "takes True or False, not str"),
        ("session", "mine", "takes a Session, not str"),
        ("credentials", 5, "takes a mapping of provider name to a token source, not int"),
    ],
)
def test_a_wrong_argument_names_itself_and_how_to_write_it(
    argument: str, value: object, says: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        OrchestrationEngine(**{argument: value})  # type: ignore[arg-type]
    message = str(caught.value)
    assert f"OrchestrationEngine({argument}=...)" in message and says in message
    assert SECRETISH not in message


def test_offline_takes_true_and_false_and_right_arguments_still_work() -> None:
    assert OrchestrationEngine(offline=True, audit=False).providers.offline == "on"
    assert OrchestrationEngine(offline=False, audit=False).providers.offline == "off"
    engine = OrchestrationEngine(
        offline="on",
        keys={"openai": SECRETISH, "my-server": "k"},  # a name far from any: maybe later
        base_urls={"openai": "http://127.0.0.1:9/v1"},
        aliases={"fast": "gpt-4o-mini"},
        retry=RetryPolicy(max_attempts=2),
        simulator={"latency": 0.0},
        content_logging=False,
        audit=False,
    )
    assert engine.complete_sync("fast", "hi").text


def test_call_arguments_of_the_wrong_kind_are_named_not_sent() -> None:
    engine = OrchestrationEngine(offline="on", audit=False)
    engine.providers.set_offline_model("sim")
    mistakes = [
        (lambda: engine.complete_sync(["gpt-4o"], "hi"), "use compare(models, prompt)"),  # type: ignore[arg-type]
        (lambda: engine.complete_sync("gpt-4o", None), "not NoneType"),  # type: ignore[arg-type]
        (lambda: engine.complete_sync("gpt-4o", 5), "not int"),  # type: ignore[arg-type]
        (lambda: engine.complete_sync("gpt-4o", [{"text": SECRETISH}]), "keys 'text'"),
        (lambda: engine.matrix_sync(["gpt-4o"], "{item}", [1], concurrency="4"), "not '4'"),  # type: ignore[arg-type]
        (lambda: engine.compare_sync([], "hi"), "needs at least one model"),
        (lambda: engine.compare_sync(["gpt-4o", 4], "hi"), "not int"),  # type: ignore[list-item]
        (lambda: engine.compare_sync(["gpt-4o", "gpt-4o"], "hi"), "'gpt-4o' more than once"),
    ]
    for call, says in mistakes:
        with pytest.raises(ConfigurationError) as caught:
            call()
        assert says in str(caught.value) and SECRETISH not in str(caught.value)


def test_one_model_or_one_message_given_alone_is_taken_as_a_list_of_one() -> None:
    engine = OrchestrationEngine(offline="on", audit=False)
    engine.providers.set_offline_model("sim")
    table = engine.compare_sync("gpt-4o", "hi")  # type: ignore[arg-type]
    assert list(table.replies) == ["gpt-4o"]  # not 'g', 'p', 't', ...
    result = engine.matrix_sync("gpt-4o", "say {item}", ["a", "b"])  # type: ignore[arg-type]
    assert list(result.to_dataframe().columns) == ["item", "gpt-4o"]
    assert engine.complete_sync("gpt-4o", {"role": "user", "content": "hi"}).text.endswith("hi")
    engine.simulator.script("bad_request", model="gpt-4", times=None)  # the primary fails
    reply = engine.complete_sync("gpt-4", "hi", fallbacks="gpt-4o")  # type: ignore[arg-type]
    assert reply.model == "gpt-4o"
