"""A routing config file is read as strictly as a pipeline spec (found as a new user).

A key given twice is an error naming its line (the last one no longer silently wins), a
YAML alias bomb is refused while the file is read, a provider key written into the file
is refused without being echoed, and a mistyped key or section names the nearest right
one in the file's own terms (no pydantic class names).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.routing.config import read_config_file

KEY = "sk-proj-Zx81HqLmP0aVbN3sT7uYwE4rK9cJd2Gf5hXi6Lo1Mn"


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _refused(path: Path) -> str:
    with pytest.raises(ConfigurationError) as info:
        OrchestrationEngine(pools=str(path), offline="on")
    return str(info.value)


def test_a_yaml_key_given_twice_names_its_line(tmp_path: Path) -> None:
    path = _file(tmp_path, "routing.yaml", """\
pools:
  cheap:
    strategy: weighted
    strategy: least_cost
    deployments:
      - {id: a, model: openai:gpt-4o-mini}
""")  # fmt: skip
    message = _refused(path)
    assert "line 4, column 5" in message and "'strategy' appears twice" in message


def test_a_json_key_given_twice_is_refused(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "routing.json",
        '{"aliases": {"w": "gpt-4o", "w": "claude-3"}}',
    )
    assert "'w' appears twice" in _refused(path)


def test_a_yaml_merge_key_is_still_allowed(tmp_path: Path) -> None:
    path = _file(tmp_path, "routing.yaml", """\
pools:
  cheap:
    deployments:
      - &base {id: a, model: openai:gpt-4o-mini, rpm: 10}
      - <<: *base
        id: b
""")  # fmt: skip
    engine = OrchestrationEngine(pools=str(path), offline="on")
    assert [d.id for d in engine.router.plan("cheap")] == ["a", "b"]


def test_an_alias_bomb_is_refused_while_reading(tmp_path: Path) -> None:
    rows = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    rows += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    params = "\n".join(" " * 10 + row for row in rows)
    path = _file(tmp_path, "routing.yaml", (
        "pools:\n  cheap:\n    deployments:\n      - id: a\n        model: openai:gpt-4o\n"
        f"        params:\n{params}\n"
    ))  # fmt: skip
    message = _refused(path)
    assert "expand to more than" in message and "line " in message


def test_a_key_written_into_the_file_is_refused_and_not_echoed(tmp_path: Path) -> None:
    path = _file(tmp_path, "routing.yaml", f"""\
pools:
  cheap:
    deployments:
      - {{id: a, model: openai:gpt-4o-mini, api_key: {KEY}}}
""")  # fmt: skip
    message = _refused(path)
    assert "pools.cheap.deployments[0].api_key" in message and "api_key_env" in message
    assert KEY not in message and KEY[:12] not in message


def test_a_key_in_code_is_still_accepted(tmp_path: Path) -> None:
    engine = OrchestrationEngine(offline="on")
    engine.add_pool("cheap", [{"id": "a", "model": "openai:gpt-4o-mini", "api_key": KEY}])
    assert engine.router.plan("cheap")[0].api_key is not None


def test_a_tab_in_yaml_says_so_with_its_line(tmp_path: Path) -> None:
    path = _file(tmp_path, "routing.yaml", "pools:\n\tcheap:\n\t\tstrategy: least_cost\n")
    message = _refused(path)
    assert "line 2, column 1" in message and "spaces, not tabs" in message


def test_a_mistyped_pool_key_names_the_right_one_in_the_files_terms(tmp_path: Path) -> None:
    path = _file(tmp_path, "routing.yaml", """\
pools:
  cheap:
    stratgy: least_cost
    deployments:
      - {id: a, modl: openai:gpt-4o-mini, rmp: 3}
""")  # fmt: skip
    message = _refused(path)
    assert "stratgy: unknown key 'stratgy'. Did you mean 'strategy'?" in message
    assert "deployments[0].modl: unknown key 'modl'. Did you mean 'model'?" in message
    assert "deployments[0].rmp: unknown key 'rmp'. Did you mean 'rpm'?" in message
    assert "DeploymentSpec" not in message and ".Deployment." not in message
    assert "Extra inputs" not in message


def test_a_bad_value_is_reported_once(tmp_path: Path) -> None:
    path = _file(tmp_path, "routing.yaml", """\
pools:
  cheap:
    deployments:
      - {id: a, model: openai:gpt-4o-mini, weight: -1}
""")  # fmt: skip
    message = _refused(path)
    assert message.count("deployments[0].weight") == 1
    assert "provider: Field required" not in message


def test_a_mistyped_section_names_the_right_one(tmp_path: Path) -> None:
    path = _file(tmp_path, "routing.yaml", "provders: [ollama]\n")
    assert "Did you mean 'providers'?" in _refused(path)


def test_toml_and_plain_files_still_read(tmp_path: Path) -> None:
    toml = _file(tmp_path, "routing.toml", '[aliases]\nwriter = "claude-3"\n')
    assert read_config_file(toml) == {"aliases": {"writer": "claude-3"}}
    yaml_file = _file(tmp_path, "routing.yml", "aliases:\n  writer: claude-3\n")
    assert read_config_file(yaml_file) == {"aliases": {"writer": "claude-3"}}
    assert read_config_file(_file(tmp_path, "empty.yaml", "")) == {}
