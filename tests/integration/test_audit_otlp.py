"""OpenTelemetry export over real OTLP/HTTP to a collector stand-in on 127.0.0.1."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from orchestration_kernel.audit import AuditTrail

pytest.importorskip("opentelemetry.exporter.otlp.proto.http.trace_exporter")


class Collector(BaseHTTPRequestHandler):
    """Accepts OTLP/HTTP protobuf posts and keeps them."""

    received: ClassVar[list[tuple[str, bytes, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append((self.path, body, self.headers.get("x-token", "")))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def collector():
    Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Collector.received
    server.shutdown()
    server.server_close()


@pytest.mark.timeout(60)
def test_spans_reach_an_otlp_http_endpoint(tmp_path: Path, collector):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    endpoint, received = collector
    token = "tok-" + "z" * 8
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        trail.enable_otel(endpoint, headers={"x-token": token})
        trail.record(
            "call",
            provider="anthropic",
            model="claude-sonnet-4-5",
            status="ok",
            output_tokens=9,
            prompt="not exported by default",
        )
        trail.flush()
        trail.disable_otel()  # shutdown flushes the batch processor
    assert received, "the collector got nothing"
    path, body, got_token = received[0]
    assert path == "/v1/traces" and got_token == token
    request = ExportTraceServiceRequest.FromString(body)
    spans = [s for r in request.resource_spans for ss in r.scope_spans for s in ss.spans]
    attrs = {a.key: a.value for a in spans[0].attributes}
    assert spans[0].name == "chat claude-sonnet-4-5"
    assert attrs["gen_ai.provider.name"].string_value == "anthropic"
    assert attrs["gen_ai.usage.output_tokens"].int_value == 9
    assert b"not exported by default" not in body
