"""Secrets never show themselves; keys are found in the documented order."""

from __future__ import annotations

import pickle
import sys
import types

import pytest

from orchestration_kernel.secrets import Secret, lookup_secret, read_dotenv


def test_secret_hides_its_value_everywhere() -> None:
    value = "test-" + "v" * 20
    secret = Secret(value)
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", format(secret, "")]
    assert all(value not in s for s in shown)
    assert secret.get() == value and Secret(secret).get() == value
    assert secret == Secret(value) and hash(secret) == hash(Secret(value)) and secret
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_dotenv_parsing(tmp_path, monkeypatch) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "# comment\nexport OPENAI_API_KEY='from-dotenv'\nEMPTY=\nQUOTED=\"a b\"\nnot a line\n"
    )
    monkeypatch.delenv("ORCHESTRATION_NO_DOTENV", raising=False)
    values = read_dotenv(env)
    assert values == {"OPENAI_API_KEY": "from-dotenv", "EMPTY": "", "QUOTED": "a b"}
    monkeypatch.setenv("ORCHESTRATION_NO_DOTENV", "1")
    assert read_dotenv(env) == {}


def test_lookup_order_code_then_env_then_dotenv_then_keyring(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("OPENAI_API_KEY=dotenv-key\n")
    monkeypatch.delenv("ORCHESTRATION_NO_DOTENV", raising=False)
    monkeypatch.delenv("ORCHESTRATION_NO_KEYRING", raising=False)
    fake_keyring = types.SimpleNamespace(
        get_password=lambda service, name: "keyring-key" if name == "ANTHROPIC_API_KEY" else None
    )
    monkeypatch.setitem(sys.modules, "keyring", fake_keyring)

    assert lookup_secret(["OPENAI_API_KEY"], "code-key").get() == "code-key"
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    assert lookup_secret(["OPENAI_API_KEY"]).get() == "env-key"
    monkeypatch.delenv("OPENAI_API_KEY")
    assert lookup_secret(["OPENAI_API_KEY"]).get() == "dotenv-key"
    assert lookup_secret(["ANTHROPIC_API_KEY"]).get() == "keyring-key"
    monkeypatch.setenv("ORCHESTRATION_NO_KEYRING", "1")
    assert lookup_secret(["ANTHROPIC_API_KEY"]) is None


def test_a_broken_keyring_backend_is_not_fatal(monkeypatch) -> None:
    def broken(service: str, name: str) -> str:
        raise RuntimeError("no backend")

    monkeypatch.delenv("ORCHESTRATION_NO_KEYRING", raising=False)
    monkeypatch.setitem(sys.modules, "keyring", types.SimpleNamespace(get_password=broken))
    assert lookup_secret(["NOPE_API_KEY"]) is None
