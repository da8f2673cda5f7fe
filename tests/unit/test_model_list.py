"""The models listing, key sources, the keyring guard and provenance, in the core."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import pytest

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.errors import ConfigurationError
from orchestration_kernel.keystore import check_secure_keyring, save_key
from orchestration_kernel.model_list import key_source, model_rows
from orchestration_kernel.provenance import provenance
from orchestration_kernel.secrets import Secret
from tests.conftest import fake_key


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory backend that says it is secure (priority 1)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.saved.pop((service, username), None)


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's plain-text file: refused whatever its priority."""

    priority = 5  # type: ignore[assignment]


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("ORCHESTRATION_NO_KEYRING", "0")
    yield backend
    keyring.set_keyring(previous)


def test_one_row_per_model_with_prices_and_filter() -> None:
    engine = OrchestrationEngine(offline="on", audit=False)
    rows = model_rows(engine)
    names = [r["model"] for r in rows]
    assert len(names) == len(set(names)) and "openai:gpt-4o" in names
    claude = model_rows(engine, "CLAUDE-3")
    assert claude and all("claude-3" in (r["model"] + r["aliases"]).lower() for r in claude)
    sonnet = next(r for r in model_rows(engine) if r["model"] == "anthropic:claude-sonnet-4-6")
    assert "claude-3" in sonnet["aliases"]
    gpt4 = next(r for r in rows if r["model"] == "openai:gpt-4")
    assert gpt4["status"] == "deprecated" and gpt4["input_per_1m"] == 30.0


def test_providers_that_take_any_name_are_listed_and_found_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``%orchestrate models sim`` once matched nothing: the simulator and compatible
    servers take any model name, so nothing catalogued named them."""
    monkeypatch.setenv("LABBOX_BASE_URL", "http://user:hunter2@10.1.2.3:8000/v1?key=zz9")
    engine = OrchestrationEngine(offline="auto", audit=False)
    engine.add_compatible("labbox", "http://10.9.9.9:1/v1")
    sim = model_rows(engine, "sim")
    assert [r["model"] for r in sim] == ["sim:<any model>"]
    assert sim[0]["served_by"] == "offline simulator" and sim[0]["key"] == "not needed"
    (labbox,) = model_rows(engine, "labbox")
    assert labbox["model"] == "labbox:<any model>"
    # Where it would be asked (the environment's URL wins), without user, password or query.
    assert labbox["served_by"].endswith("at http://10.1.2.3:8000/v1")
    assert "hunter2" not in str(labbox) and "zz9" not in str(labbox)
    catalogued = {r["provider"] for r in model_rows(engine) if "<any model>" not in r["model"]}
    assert not catalogued & {r["provider"] for r in model_rows(engine, "<any model>")}


def test_key_sources_never_hold_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory: MemoryKeyring
) -> None:
    engine = OrchestrationEngine(offline="auto", audit=False)
    assert key_source(engine, "openai") == ("not set", "OPENAI_API_KEY")
    key = fake_key("sk")
    monkeypatch.setenv("OPENAI_API_KEY", key)
    assert key_source(engine, "openai") == ("environment", "OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORCHESTRATION_NO_DOTENV", "0")
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={key}\n")
    assert key_source(engine, "openai") == (".env", "OPENAI_API_KEY")
    (tmp_path / ".env").unlink()
    save_key(engine, "openai", Secret(key))
    assert memory.saved == {("orchestration-kernel", "OPENAI_API_KEY"): key}
    assert key_source(engine, "openai") == ("keyring", "OPENAI_API_KEY")
    memory.saved.clear()
    engine.set_key("anthropic", Secret(key))
    assert key_source(engine, "anthropic") == ("code", "")
    assert key_source(engine, "local") == ("not needed", "")
    assert key not in repr(model_rows(engine))


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring(), PlaintextKeyring()])
def test_saving_is_refused_without_a_secure_backend(backend) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        with pytest.raises(ConfigurationError, match="No secure system keyring"):
            check_secure_keyring()
        engine = OrchestrationEngine(offline="on", audit=False)
        with pytest.raises(ConfigurationError, match="never saved in plain text"):
            save_key(engine, "openai", Secret(fake_key("sk")))
        assert not getattr(backend, "saved", {})
    finally:
        keyring.set_keyring(previous)


def test_provenance_of_a_compare_and_a_reply() -> None:
    engine = OrchestrationEngine(offline="on")
    table = engine.compare_sync(["gpt-4o", "claude-3"], "hi", run_id="p1")
    meta = provenance(table, engine.audit)
    assert meta["models"] == {"gpt-4o": "openai:gpt-4o", "claude-3": "anthropic:claude-sonnet-4-6"}
    assert meta["input_tokens"] > 0 and meta["simulated"] is True
    assert meta["audit_head"] == engine.audit.head_hash and meta["cost_usd"] == 0.0
    reply = table.replies["gpt-4o"]
    assert provenance(reply)["models"] == {"gpt-4o": "openai:gpt-4o"}
    assert provenance(reply)["audit_head"] is None
