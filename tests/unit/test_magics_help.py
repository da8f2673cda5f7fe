"""What a new user types first: ``--help``, and the help text against the real options;
a Python API call in a cell that ends in one of our errors shows the message, not our
frames."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from orchestration_kernel.errors import GuardianBlocked, OrchestrationError, StorageError
from orchestration_kernel.magics.args import COMMANDS
from orchestration_kernel.magics.commands import help_text
from tests.unit import test_magics

ip = test_magics.ip  # the shell fixture: the extension loaded, models simulated


@pytest.fixture(autouse=True)
def _own_names(ip: Any) -> Iterator[None]:
    """Take the names a test's cells define out of the shared shell again (a later test's
    'did you mean' must not find them)."""
    before = set(ip.user_ns)
    yield
    for name in set(ip.user_ns) - before:
        ip.user_ns.pop(name, None)


def _parser(ip: Any) -> Any:
    return ip.find_cell_magic("orchestrate").__self__.orchestrate.parser


@pytest.mark.parametrize("line", ["--help", "-h", "models --help", "audit -h"])
def test_help_options_show_the_help(ip: Any, line: str) -> None:
    shown = ip.run_line_magic("orchestrate", line)
    assert shown is not None and "**%orchestrate** commands:" in shown


def test_a_cell_asking_for_help_shows_it_and_runs_nothing(ip: Any) -> None:
    engine = ip.find_cell_magic("orchestrate").__self__.engine
    before = len(engine.audit.to_dataframe())
    shown = ip.run_cell_magic("orchestrate", "--help", '- model: gpt-4o\n  prompt: "hi"\n')
    assert "**%%orchestrate --compare**" in shown
    assert len(engine.audit.to_dataframe()) == before


def test_a_help_word_after_double_dash_is_an_argument() -> None:
    from orchestration_kernel.magics.args import wants_help

    assert not wants_help("run review -- --help")
    assert not wants_help("run 'unclosed")
    assert wants_help("--compare gpt-4 -h")


def test_the_help_names_every_option_the_magic_takes(ip: Any) -> None:
    text = str(help_text())
    commands = " ".join(COMMANDS.values())  # a command's own options are in its line
    missing = [
        a.option_strings
        for a in _parser(ip)._actions
        if a.option_strings
        and not any(re.search(rf"(?<![\w-]){s}\b", text + commands) for s in a.option_strings)
    ]
    assert not missing, missing


def test_the_argument_help_lists_every_command(ip: Any) -> None:
    [positional] = [a for a in _parser(ip)._actions if not a.option_strings]
    listed = positional.help.split("arguments: ", 1)[1].rstrip(".").split(" | ")
    assert [entry.split()[0] for entry in listed] == list(COMMANDS)
    assert "jobs [NAME]" in listed and "models [FILTER] [--out VAR]" in listed
    assert listed[-1] == "help"  # not "help this help"
    doc = ip.find_line_magic("orchestrate").__doc__
    assert "explain [CELL] [-m MODEL]" in doc and "``-h``/``--help``" in doc


def test_the_help_says_offline_can_be_the_local_model() -> None:
    assert "local model" in COMMANDS["offline"] and "simulator" in COMMANDS["offline"]


def test_the_guardian_blocking_an_api_call_shows_the_message_not_our_frames(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "AKIA" + "Q7W3ZX5V2N8M4K6J"  # the shape of an AWS key id: the Guardian blocks it
    source = (
        "from orchestration_kernel import Session\n"
        "engine = Session.current().engine\n"
        f"engine.complete_sync('gpt-4o-mini', 'deploy with {key}')\n"
    )
    result = ip.run_cell(source, store_history=True)
    out = capsys.readouterr().out
    assert isinstance(result.error_in_exec, GuardianBlocked)
    assert "GuardianBlocked" in out and "aws access key" in out
    assert "engine.complete_sync" in out  # the cell's own line
    assert "orchestration_kernel/" not in out and "runtime.py" not in out
    ip.run_line_magic("tb", "")  # the whole traceback is still there for whoever wants it
    assert "calls.py" in capsys.readouterr().out


def test_a_garbled_database_opened_from_a_cell_shows_what_to_do_not_our_frames(
    ip: Any, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    garbled = tmp_path / "bus.sqlite"
    garbled.write_bytes(b"this is not a database " * 200)
    source = (
        "from orchestration_kernel.bus import ContextBus\n"
        f"bus = ContextBus({str(garbled)!r})\n"
        "bus.get_context_sync('s1')\n"
    )
    result = ip.run_cell(source, store_history=True)
    out = capsys.readouterr().out
    assert isinstance(result.error_in_exec, StorageError)
    assert "Move it aside" in out and str(garbled) in out
    assert "bus.get_context_sync" in out and "orchestration_kernel/" not in out
    ip.user_ns.pop("bus", None)


def test_other_errors_keep_their_traceback(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = ip.run_cell("import json\njson.loads('{')\n", store_history=True)
    assert not isinstance(result.error_in_exec, OrchestrationError)
    assert "json/decoder.py" in capsys.readouterr().out


def test_context_of_a_part_of_a_session_id_names_the_whole_one(ip: Any) -> None:
    from orchestration_kernel import ContextBus

    bus = ContextBus(session_id="nb-analysis-3f2a9c")
    bus.publish_sync("context.updated", {"dataset": "q3.csv"})
    shown = str(ip.run_line_magic("orchestrate", "context analysis"))
    assert "Nothing is kept under `analysis`" in shown and "`nb-analysis-3f2a9c`" in shown
    near = str(ip.run_line_magic("orchestrate", "context nb-analysis-3f2a9d"))
    assert "Did you mean `nb-analysis-3f2a9c`?" in near
    whole = str(ip.run_line_magic("orchestrate", "context nb-analysis-3f2a9c"))
    assert "q3.csv" in whole and "Nothing is kept" not in whole


@pytest.mark.parametrize("word", ["sim", "local"])
def test_offline_with_a_stand_in_name_says_where_the_stand_in_is_chosen(ip: Any, word: str) -> None:
    with pytest.raises(OrchestrationError) as info:
        ip.run_line_magic("orchestrate", f"offline {word}")
    assert "ORCHESTRATION_OFFLINE_MODEL" in str(info.value) and "offline on" in str(info.value)


def test_item_without_over_says_what_fills_it(ip: Any) -> None:
    ip.user_ns["stream"] = "a variable named like a word near 'item'"
    with pytest.raises(OrchestrationError) as info:
        ip.run_cell_magic("orchestrate", "--compare gpt-4o claude-3", "Answer {item}\n")
    assert "{item} is one item of --over: add --over EXPR" in str(info.value)
    assert "stream" not in str(info.value)


def test_suggestions_for_a_missing_value_leave_out_modules_classes_and_functions(
    ip: Any,
) -> None:
    ip.run_cell("import json\nfrom orchestration_kernel import Session\ndef question(): ...\n")
    for line in ("--compare gpt-4o --over questions", "--input questions"):
        body = "Answer {item}\n" if "over" in line else '- {model: gpt-4o, prompt: "{input}"}\n'
        with pytest.raises(OrchestrationError) as info:
            ip.run_cell_magic("orchestrate", line, body)
        assert "name 'questions' is not defined" in str(info.value)
        assert "Session" not in str(info.value) and "'question'" not in str(info.value)
    ip.user_ns["questionz"] = ["What is RAG?"]
    with pytest.raises(OrchestrationError) as info:
        ip.run_cell_magic("orchestrate", "--compare gpt-4o", "Answer {questions}\n")
    assert "did you mean 'questionz'?" in str(info.value) and "Session" not in str(info.value)


def test_a_spec_error_in_a_cell_quotes_the_lines_it_names(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "sk-proj-" + "Zq7Xw2Lp9Rt4Vb8Nc3Md6Kf1Hj5Gs0Ya2Ue7Io4Pa9Sd3Fg6"
    body = (
        "steps:\n  - name: analysis\n    modle: gpt-4\n"
        '    prompt: "Analyze: {inptu}"\n'
        f"    api_key: {key}\n"
    )
    result = ip.run_cell(f"%%orchestrate --input \"'x'\"\n{body}", store_history=True)
    out = capsys.readouterr().out
    assert type(result.error_in_exec).__name__ == "SpecError"
    assert "  line 3 |     modle: gpt-4\n         |     ^" in out
    assert '  line 4 |     prompt: "Analyze: {inptu}"\n         |                       ^' in out
    assert "line 5 |     api_key:" in out and key not in out  # quoted, but never a key


def test_a_spec_error_from_create_pipeline_in_a_cell_quotes_its_lines(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        "from orchestration_kernel import Session\n"
        "Session.current().engine.create_pipeline('''\n"
        "- name: a\n"
        "  model: gpt-4o\n"
        "  promt: hi\n"
        "''')\n"
    )
    result = ip.run_cell(source, store_history=True)
    out = capsys.readouterr().out
    assert type(result.error_in_exec).__name__ == "SpecError"
    assert "create_pipeline" in out and "orchestration_kernel/" not in out
    assert "  line 4 |   promt: hi\n         |   ^" in out  # line 4 of the YAML text
