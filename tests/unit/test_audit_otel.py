"""Optional OpenTelemetry export: the documented mapping, spans, and a clear error
when the SDK is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from orchestration_kernel.audit import OTEL_MAPPING, AuditTrail, events
from orchestration_kernel.audit.otel import _traces_url, span_attributes
from orchestration_kernel.errors import ConfigurationError


def test_the_mapping_table_in_the_docstring_matches_the_data():
    doc = events.__doc__ or ""
    # The table abbreviates the guardian trio and seq/hash onto one line each.
    abbreviated = {"guardian_action", "guardian_policy", "guardian_reasons", "seq", "hash"}
    for field in OTEL_MAPPING:
        if field.column in abbreviated:
            continue
        assert f"\n{field.column} " in doc, field
        assert field.attribute in doc, field
    assert "orchestration.guardian.*" in doc and "orchestration.audit.seq" in doc


def test_every_mapped_column_exists():
    known = set(events.COLUMN_NAMES) | {"seq", "hash"}
    assert {f.column for f in OTEL_MAPPING} <= known


def test_span_attributes_follow_genai_names():
    row = {"event": "call", "provider": "gemini", "model": "gemini-2.5-flash",
           "input_tokens": 3, "output_tokens": 4, "prompt": "hi", "response": "yo",
           "cost_usd": 0.5, "replayed": 0, "error_type": None}  # fmt: skip
    attrs = span_attributes(row)
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "gcp.gemini"
    assert attrs["gen_ai.request.model"] == "gemini-2.5-flash"
    assert attrs["gen_ai.usage.input_tokens"] == 3
    assert attrs["orchestration.cost_usd"] == 0.5
    assert attrs["orchestration.replayed"] is False
    assert "gen_ai.input.messages" not in attrs and "error.type" not in attrs
    with_content = span_attributes(row, include_content=True)
    assert "hi" in with_content["gen_ai.input.messages"]
    assert "yo" in with_content["gen_ai.output.messages"]


def test_traces_url():
    assert _traces_url("http://h:4318") == "http://h:4318/v1/traces"
    assert _traces_url("http://h:4318/") == "http://h:4318/v1/traces"
    assert _traces_url("http://h:4318/custom/traces") == "http://h:4318/custom/traces"


def test_missing_sdk_names_the_extra(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        with pytest.raises(ConfigurationError, match=r"orchestration-kernel\[otel\]"):
            trail.enable_otel("http://127.0.0.1:4318")
        trail.record("run_start")  # the trail is unaffected
        assert trail.verify().ok


def test_spans_for_committed_rows(tmp_path: Path):
    pytest.importorskip("opentelemetry.sdk.trace")
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import StatusCode

    exporter = InMemorySpanExporter()
    with AuditTrail(tmp_path / "a.sqlite", session_id="s", identity="ann") as trail:
        trail.enable_otel(exporter=exporter)
        trail.record(
            "call",
            run_id="r",
            provider="openai",
            model="gpt-4o",
            status="ok",
            latency_ms=250.0,
            input_tokens=7,
            prompt="secret prompt",
        )
        trail.record(
            "call",
            run_id="r",
            provider="openai",
            model="gpt-4o",
            status="error",
            error_type="RateLimitError",
        )
        trail.record("run_end", run_id="r", status="ok")
        trail.flush()
        trail._otel.flush()  # type: ignore[union-attr]
        spans = exporter.get_finished_spans()
        trail.disable_otel()
    assert [s.name for s in spans] == ["chat gpt-4o", "chat gpt-4o", "orchestration.run_end"]
    ok, failed, end = spans
    assert ok.attributes["gen_ai.usage.input_tokens"] == 7
    assert ok.attributes["enduser.id"] == "ann"
    assert ok.attributes["orchestration.audit.seq"] == 1
    assert (ok.end_time - ok.start_time) == pytest.approx(250e6, rel=1e-6)
    assert "gen_ai.input.messages" not in ok.attributes
    assert failed.status.status_code == StatusCode.ERROR
    assert failed.attributes["error.type"] == "RateLimitError"
    assert end.attributes["gen_ai.operation.name"] == "run_end"


def test_a_failing_exporter_never_breaks_the_audit(tmp_path: Path):
    pytest.importorskip("opentelemetry.sdk.trace")

    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        trail.enable_otel(exporter=_Broken())
        trail._writer.listeners.append(_explode)
        trail.record("run_start")
        trail.flush()
        assert trail.verify().ok


def _explode(rows: object) -> None:
    raise RuntimeError("listener failed")


class _Broken:
    def export(self, spans: object) -> None:
        raise RuntimeError("collector down")

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 0) -> bool:
        return True


def test_endpoint_is_required(tmp_path: Path, monkeypatch):
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    with (
        AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail,
        pytest.raises(ConfigurationError, match="OTEL_EXPORTER_OTLP_ENDPOINT"),
    ):
        trail.enable_otel()
