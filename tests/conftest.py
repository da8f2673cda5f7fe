"""Shared fixtures: every test gets its own ORCHESTRATION_HOME and a fresh session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration_kernel.session import Session

_PROVIDER_ENV = [
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
    "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_GENAI_API_VERSION",
    "PERPLEXITY_API_KEY", "PERPLEXITY_BASE_URL", "ORCHESTRATION_OFFLINE", "JPY_SESSION_NAME",
    "ORCHESTRATION_SESSION_ID", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT",
    "OPENAI_API_VERSION",
]  # fmt: skip


@pytest.fixture(scope="session")
def shared_guardian_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the Guardian's compiled prefilter databases, shared by every test's
    home: built once per run (by a child process, as in a kernel) and then loaded, instead
    of compiled again for each of the run's hundreds of homes."""
    folder = tmp_path_factory.mktemp("guardian-cache")
    folder.chmod(0o700)
    return folder


@pytest.fixture(autouse=True)
def hermetic_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_guardian_cache: Path
) -> Iterator[Path]:
    """A private home, no provider keys, no .env or keyring, and a fresh Session."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "guardian").symlink_to(shared_guardian_cache, target_is_directory=True)
    monkeypatch.setenv("ORCHESTRATION_HOME", str(home))
    monkeypatch.setenv("ORCHESTRATION_NO_DOTENV", "1")
    monkeypatch.setenv("ORCHESTRATION_NO_KEYRING", "1")
    for var in _PROVIDER_ENV:
        monkeypatch.delenv(var, raising=False)
    Session._current = None
    yield home
    current = Session._current
    Session._current = None
    if current is not None:
        current.close()


def fake_key(prefix: str = "test") -> str:
    """An obviously fake key, built at run time (no key-shaped literal in the repo)."""
    return f"{prefix}-key-" + os.urandom(12).hex()


# -- Redis (shared state): a real redis-server per test; see tests/redis_server.py --------
from tests.redis_server import redis_server  # noqa: E402,F401  (a fixture, used by name)
from tests.schedule import longest_files_first  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that use a redis-server fixture (``redis_server``, ``team``) are marked ``redis``.
    In an xdist worker the longest files come first (see tests/schedule.py): the workers'
    collection is the order ``--dist loadfile --no-loadscope-reorder`` hands files out in."""
    if hasattr(config, "workerinput"):
        longest_files_first(items)
    for item in items:
        if {"redis_server", "team"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.redis)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI a skipped Redis test is a failure: CI must run them (make test installs it)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") and item.get_closest_marker("redis"):
        report.outcome = "failed"
        report.longrepr = f"Redis tests must run under CI, but this one skipped: {report.longrepr}"
