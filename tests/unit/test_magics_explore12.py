"""What a data scientist met typing the magics in a kernel (session 12, explore2).

- A key pasted on the magic's line (``%orchestrate key openai sk-…``, ``--job sk-…``,
  ``%orchestrate session sk-…``) was taken as a name: stored as a session id or a job
  folder and shown back, or quoted whole in the error naming the bad value. Now the line
  is refused before anything runs, with the line shown masked.
- An error of ours raised by a Python call in a cell quoted a key the user passed
  (``BatchJob.resume(key)``) in its message, which a kernel saves as the error's
  ``evalue``: masked now.
- ``%orchestrate jobs --out VAR`` accepted ``--out`` and bound nothing; one job whose
  manifest does not read made the whole listing an error.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from orchestration_kernel.batch.manifest import jobs_home
from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.magics.errors import make_clean, render_clean
from tests.unit.magic_shell import magic_shell


def openai_shaped_key() -> str:
    """A key of OpenAI's shape, random at run time (no key-shaped literal in the repo)."""
    rng = random.SystemRandom()
    return "sk-proj-" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(48))


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from magic_shell(monkeypatch, ("secret", "jt"))


def shown(ip: Any, source: str, capsys: pytest.CaptureFixture[str]) -> tuple[Any, str]:
    """Run a cell; its result and everything it showed (outputs, the error as rendered,
    and the error's message as a kernel sends it)."""
    result = ip.run_cell(source, store_history=True)
    out = capsys.readouterr()
    err = result.error_in_exec
    text = out.out + out.err + (str(err) if err is not None else "")
    if err is not None and hasattr(err, "_render_traceback_"):
        text += "\n".join(err._render_traceback_())
    return result, text


LINES = [
    "%orchestrate key openai {key}",
    "%orchestrate key {key}",
    "%orchestrate session {key}",
    "%orchestrate context {key}",
    "%orchestrate jobs {key}",
    "%orchestrate models {key}",
    "%orchestrate run {key}",
    "%orchestrate audit --run {key}",
    "%%orchestrate --compare sim:echo --over [1] --batch --job {key}\nsay {{item}}",
    "%%orchestrate --compare sim:echo {key}\nhello",
    "%%orchestrate --compare sim:echo --over [1] --cluster {key}\nsay {{item}}",
]


@pytest.mark.parametrize("line", LINES)
def test_a_key_on_the_line_is_refused_and_never_shown(
    ip: Any, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    key = openai_shaped_key()
    result, text = shown(ip, line.format(key=key), capsys)
    assert not result.success
    assert key not in text and key[8:30] not in text
    assert "looks like an API key" in text and "<OPENAI_API_KEY>" in text
    assert "%orchestrate key" in text  # where a key goes instead
    # Nothing was stored under it: no job folder, no session pinned to it.
    assert not (jobs_home() / key).exists()
    _, now = shown(ip, "%orchestrate session", capsys)
    assert key not in now


def test_a_key_reached_through_a_variable_on_the_line_is_refused_too(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_shaped_key()
    ip.user_ns["secret"] = key
    result, text = shown(ip, "%orchestrate session $secret", capsys)
    assert not result.success and key not in text and "<OPENAI_API_KEY>" in text


def test_the_provider_is_named_in_the_advice_when_it_was_typed(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, text = shown(ip, f"%orchestrate key anthropic {openai_shaped_key()}", capsys)
    assert "'%orchestrate key anthropic' asks for it in a hidden prompt" in text


@pytest.mark.parametrize(
    "line",
    [
        "%orchestrate session sk-learn-demo-2024",
        "%orchestrate session proj-alpha_v2",
        "%orchestrate models gpt-4o",
        "%orchestrate models sk",
        "%orchestrate context token-budget",
    ],
)
def test_key_like_words_that_are_no_key_still_run(
    ip: Any, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    result, text = shown(ip, line, capsys)
    assert result.success, text
    assert "looks like an API key" not in text


def test_an_api_error_quoting_a_key_is_masked_in_the_cell_and_its_evalue(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_shaped_key()
    ip.user_ns["secret"] = key
    result, text = shown(
        ip, "from orchestration_kernel.batch import BatchJob\nBatchJob.resume(secret)", capsys
    )
    assert not result.success
    assert key not in text and key not in str(result.error_in_exec)


def test_a_clean_error_renders_and_reads_masked() -> None:
    key = openai_shaped_key()
    exc = make_clean(ConfigurationError(f"no such thing {key!r}"))
    assert key not in "".join(render_clean(exc)) and key not in str(exc)
    assert "<OPENAI_API_KEY>" in str(exc)


def _submit(ip: Any, name: str) -> None:
    result = ip.run_cell(
        f"%%orchestrate --compare sim:echo --over ['a', 'b'] --batch --job {name}\nsay {{item}}"
    )
    assert result.success, result.error_in_exec


def test_jobs_out_binds_the_table_as_a_dataframe(ip: Any) -> None:
    _submit(ip, "first")
    _submit(ip, "second")
    result = ip.run_cell("%orchestrate jobs --out jt")
    assert result.success, result.error_in_exec
    table = ip.user_ns["jt"]
    assert isinstance(table, pd.DataFrame)
    assert sorted(table["job"]) == ["first", "second"]
    assert list(table.columns) == ["job", "rows", "models", "chunks", "state"]
    assert set(table["rows"]) == {2}


def test_the_listing_says_running_is_as_last_collected(ip: Any) -> None:
    # The table reads manifests and polls nothing: a job shown "running" may be done.
    _submit(ip, "uncollected")
    listing = str(ip.run_cell("%orchestrate jobs").result)
    assert "| uncollected | 2 | sim:echo | 1 | running |" in listing
    assert "`%orchestrate jobs NAME` polls it now" in listing
    ip.run_cell("%orchestrate jobs uncollected")  # polled: collected
    listing = str(ip.run_cell("%orchestrate jobs").result)
    assert "| uncollected | 2 | sim:echo | 1 | done |" in listing
    assert "polls it now" not in listing


def test_one_unreadable_manifest_does_not_hide_the_other_jobs(ip: Any) -> None:
    _submit(ip, "good")
    broken = jobs_home() / "broken"
    broken.mkdir(parents=True)
    (broken / "manifest.json").write_text("{not json", "utf-8")
    result = ip.run_cell("%orchestrate jobs")
    assert result.success, result.error_in_exec
    listing = str(result.result)
    assert "| good | 2 | sim:echo |" in listing
    assert "| broken |" in listing and "unreadable" in listing
    # The job itself still says what is wrong with it.
    one = ip.run_cell("%orchestrate jobs broken")
    assert not one.success and "does not read" in str(one.error_in_exec)


def test_a_large_session_context_is_shown_cut_and_kept_whole(ip: Any) -> None:
    # A context holding a corpus was rendered whole: megabytes of Markdown in the notebook.
    from orchestration_kernel import ContextBus

    assert ip.run_cell("%orchestrate session big-context").success
    big = {"corpus": "lorem ipsum " * 50_000, "rows": list(range(20_000)), "name": "alpha"}
    ContextBus().update_context_sync(big, session_id="big-context")
    result = ip.run_cell("%orchestrate context --out ctx_whole")
    assert result.success, result.error_in_exec
    data, _ = ip.display_formatter.format(result.result)
    assert all(len(str(v)) < 30_000 for v in data.values())
    shown = data["text/markdown"]
    assert '"name": "alpha"' in shown and '"corpus": "lorem ipsum' in shown
    assert "characters in all, each value cut" in shown
    assert ip.user_ns.pop("ctx_whole") == big  # nothing lost: the value is whole


def test_a_small_session_context_is_shown_whole(ip: Any) -> None:
    from orchestration_kernel import ContextBus

    assert ip.run_cell("%orchestrate session small-context").success
    ContextBus().update_context_sync({"n": 3, "tags": ["a", "b"]}, session_id="small-context")
    shown = str(ip.run_cell("%orchestrate context").result)
    assert '"tags": [\n    "a",\n    "b"\n  ]' in shown and "cut" not in shown


def anthropic_shaped_key() -> str:
    rng = random.SystemRandom()
    return "sk-ant-api03-" + "".join(rng.choice(string.ascii_letters) for _ in range(93)) + "AA"


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the hidden prompt of ``%orchestrate key`` receives, one entry per ask."""
    answers: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": answers.pop(0))
    return answers


@pytest.fixture
def kept(ip: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Each key the magic hands its engine, by provider."""
    engine = ip.magics_manager.registry["OrchestrateMagics"].engine
    keys: dict[str, str] = {}
    monkeypatch.setattr(engine, "set_key", lambda p, k: keys.__setitem__(p, k.get()))
    return keys


@pytest.mark.parametrize(
    "pasted",
    [
        "OPENAI_API_KEY={key}",
        "export OPENAI_API_KEY='{key}'",
        'OPENAI_API_KEY = "{key}"',
        "openai_api_key: {key}",
        '"{key}"',
        "  {key}\n",
    ],
)
def test_a_key_pasted_with_its_assignment_or_quotes_keeps_only_the_key(
    ip: Any,
    typed: list[str],
    kept: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    pasted: str,
) -> None:
    key = openai_shaped_key()
    typed.append(pasted.format(key=key))
    result, text = shown(ip, "%orchestrate key openai", capsys)
    assert result.success, text
    assert kept == {"openai": key} and key not in text


def test_a_base64_key_ending_in_equals_signs_is_kept_as_pasted(
    ip: Any, typed: list[str], kept: dict[str, str]
) -> None:
    key = "Zm9v" + openai_shaped_key()[8:40] + "=="
    typed.append(key)
    assert ip.run_cell("%orchestrate key vllm").success
    assert kept == {"vllm": key}


def test_another_providers_key_is_refused_naming_the_provider_never_the_key(
    ip: Any, typed: list[str], kept: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    key = anthropic_shaped_key()
    typed.append(key)
    result, text = shown(ip, "%orchestrate key openai", capsys)
    assert not result.success and kept == {}
    assert "looks like a key for anthropic" in text and "%orchestrate key anthropic" in text
    assert key not in text and key[13:40] not in text


def test_text_with_spaces_inside_is_refused_unquoted(
    ip: Any, typed: list[str], kept: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    pasted = f"my key is {openai_shaped_key()} thanks"
    typed.append(pasted)
    result, text = shown(ip, "%orchestrate key openai", capsys)
    assert not result.success and kept == {} and "spaces inside" in text
    assert pasted not in text and "thanks" not in text


PIPE = '- name: a\n  model: sim:echo\n  prompt: "Echo: {input}"\n'


def test_a_named_pipeline_without_input_is_registered_to_run_later(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "step 'a' uses {input}, but no input was given", and nothing registered,
    # so the later '%orchestrate run later1 --input x' said "No pipeline called 'later1'".
    result, text = shown(ip, f"%%orchestrate later1\n{PIPE}", capsys)
    assert result.success, text
    assert "'later1' registered, not run" in text and "--input EXPR" in text
    assert result.result is None  # no run, so no result reported
    ran = ip.run_cell("%orchestrate run later1 --input \"'zz'\" --out later_out")
    assert ran.success, ran.error_in_exec
    assert ip.user_ns.pop("later_out").output.endswith("Echo: zz")


def test_an_unnamed_pipeline_without_input_still_fails_before_any_call(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result, text = shown(ip, f"%%orchestrate\n{PIPE}", capsys)
    assert not result.success and "no input was given" in text


def test_audit_after_a_restart_shows_the_trails_last_run_not_every_row(ip: Any) -> None:
    for word in ("first", "second"):
        assert ip.run_cell(f"%%orchestrate --compare sim:echo\n{word}").success
    magics = ip.magics_manager.registry["OrchestrateMagics"]
    last = magics.kernel.last_run_id
    magics.kernel.last_run_id = None  # as in a new kernel on the same ORCHESTRATION_HOME
    result = ip.run_cell("%orchestrate audit --out rows")
    assert result.success, result.error_in_exec
    rows = ip.user_ns.pop("rows")
    assert set(rows["run_id"]) == {last} and len(rows) > 0


def test_audit_on_an_empty_trail_says_so(ip: Any) -> None:
    result = ip.run_cell("%orchestrate audit --out rows")
    assert result.success, result.error_in_exec
    assert str(result.result) == "The audit has no runs yet."
    assert ip.user_ns.pop("rows").empty
