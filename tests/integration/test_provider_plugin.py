"""A provider from another package: tests/fixtures/acme_provider is built and installed
(a real wheel, a real ``.dist-info`` with its entry point) into a directory put on
``sys.path``. Through the entry-point group ``orchestration_kernel.providers`` alone, its
models then resolve, route, stream, retry and audit like the built-ins', against the
OpenAI wire server. Its vendor SDK (``acme_sdk``) raises exceptions of its own, which the
engine maps and retries only because its ``ProviderInfo.sdk_modules`` names them.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration_kernel import OrchestrationEngine, RetryPolicy
from orchestration_kernel.errors import MissingKeyError, RateLimitError
from tests.conftest import fake_key
from tests.servers import Fault, OpenAIServer

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "acme_provider"
UV = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The fixture package installed with uv into a fresh target directory on sys.path."""
    if not Path(UV).exists():
        pytest.skip("uv is not installed (make installs it)")
    work = tmp_path_factory.mktemp("plugin")
    source = work / "src"
    shutil.copytree(FIXTURE, source)  # build outside the checkout
    target = work / "site"
    done = subprocess.run(
        [UV, "pip", "install", "--quiet", "--no-deps", "--python", sys.executable,
         "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list(target.glob("acme_orchestration_provider-*.dist-info/entry_points.txt"))
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m.split(".")[0] in {"acme_provider", "acme_sdk"}]:
            del sys.modules[name]
        importlib.invalidate_caches()


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture
def engine(installed: Path, server: OpenAIServer) -> OrchestrationEngine:
    server.clear()
    return OrchestrationEngine(
        offline="off",
        keys={"acme": fake_key("acme")},
        base_urls={"acme": server.base_url},
        retry=FAST,
    )


def test_the_entry_point_declares_the_provider(installed: Path) -> None:
    from orchestration_kernel.providers import ProviderRegistry, plugin_providers
    from orchestration_kernel.routing import Resolver

    assert plugin_providers()["acme"].label == "Acme"
    assert "acme" in ProviderRegistry().names()
    assert str(Resolver().resolve("acme-large")) == "acme:acme-large"


async def test_its_models_resolve_and_complete(engine: OrchestrationEngine, server) -> None:
    assert engine.resolve("acme-large") == "acme:acme-large"
    reply = await engine.complete("acme-large", "Hello plugin")
    assert reply.provider == "acme" and "Hello plugin" in reply.text
    assert server.requests[-1].model == "acme-large"
    assert engine.model_note("acme-large") is None  # not a catalogued vendor: no warning


async def test_it_streams(engine: OrchestrationEngine) -> None:
    stream = engine.stream("acme-large", "Stream from a plugin")
    deltas = [d async for d in stream]
    assert len([d for d in deltas if d.kind == "text"]) >= 2
    assert "Stream from a plugin" in stream.reply.text
    assert stream.reply.usage.output_tokens > 0


@pytest.mark.parametrize(
    "fault",
    [Fault.rate_limit(retry_after=0.05), Fault.server_error(503)],
    ids=["429", "503"],
)
async def test_its_sdk_errors_are_mapped_and_retried(
    engine: OrchestrationEngine, server, fault
) -> None:
    server.script(fault, model="acme-large", times=1)
    reply = await engine.complete("acme-large", "retry me")
    assert [a.status for a in reply.attempts] == ["error", "ok"]
    assert len(server.requests) == 2


async def test_a_dropped_stream_is_retried(engine: OrchestrationEngine, server) -> None:
    server.script(Fault.drop_mid_stream(after_chunks=2), model="acme-large", times=1)
    stream = engine.stream("acme-large", "Survive the drop")
    _ = [d async for d in stream]
    assert [a.status for a in stream.reply.attempts] == ["error", "ok"]


def test_sdk_modules_is_what_maps_its_errors(installed: Path) -> None:
    import acme_sdk

    from orchestration_kernel.providers.sdk import map_exception

    error = acme_sdk.APIStatusError("slow down", 429)
    mapped = map_exception(error, provider="acme", model="acme-large", secrets=[])
    assert isinstance(mapped, RateLimitError)
    # Without its ProviderInfo's sdk_modules the same error is not ours to map.
    unknown = map_exception(error, provider="acme", model="m", secrets=[], modules=frozenset())
    assert unknown is error


async def test_it_routes_through_a_pool_and_is_audited(engine: OrchestrationEngine, server) -> None:
    from orchestration_kernel.audit.otel import span_attributes

    engine.add_pool("acme-pool", [{"model": "acme:acme-large"}, {"model": "acme:acme-small"}])
    for prompt in ("one", "two"):
        await engine.complete("acme-pool", prompt, run_id="plugin-run")
    assert {r.model for r in server.requests} == {"acme-large", "acme-small"}  # round robin
    await engine.audit.aflush()
    rows = engine.audit.to_dataframe(run="plugin-run")
    calls = rows[rows["event"] == "call"]
    assert list(calls["provider"]) == ["acme", "acme"]
    attrs = span_attributes(calls.iloc[0].to_dict())
    assert attrs["gen_ai.provider.name"] == "acme.ai"  # its ProviderInfo.otel_name


def test_a_missing_key_names_its_variable(installed: Path) -> None:
    engine = OrchestrationEngine(offline="off")
    with pytest.raises(MissingKeyError, match="ACME_API_KEY"):
        engine.complete_sync("acme-large", "no key")
