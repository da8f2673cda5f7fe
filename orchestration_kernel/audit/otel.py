"""Optional OpenTelemetry export: each committed audit row becomes a span with
``gen_ai.*`` attributes, sent over OTLP/HTTP to an endpoint the user configures.

Off by default; turn it on with ``trail.enable_otel("http://collector:4318")``. The
attribute names come from ``events.OTEL_MAPPING`` (the table is in that module's
docstring). Spans are made on the audit writer's thread after the rows commit, so
exporting never slows a call and never loses an audit row; a failing collector only
logs. Prompt and response are sent only with ``include_content=True``.

The SDK is imported here, lazily: without it, enabling fails with a clear
:class:`ConfigurationError` naming the extra to install.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import ConfigurationError
from ..providers.registry import default_providers, otel_names
from .events import OTEL_MAPPING, OTEL_PROVIDER_NAMES
from .sqlrow import Cell, Row
from .store import ALL_COLUMNS

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

__all__ = ["OTelSink", "span_attributes"]

_INSTALL_HINT = (
    "OpenTelemetry export needs the OpenTelemetry SDK and OTLP exporter: "
    "pip install 'orchestration-kernel[otel]'"
)
_CONTENT = {"prompt", "response"}


def span_attributes(row: Mapping[str, Cell], include_content: bool = False) -> dict[str, Cell]:
    """The span attributes of one audit row (``None`` values left out)."""
    attrs: dict[str, Cell] = {}
    for field in OTEL_MAPPING:
        value = row.get(field.column)
        if value is None or (field.column in _CONTENT and not include_content):
            continue
        if field.column == "event":
            value = "chat" if value == "call" else value
        elif field.column == "provider":
            value = _otel_provider(str(value))
        elif field.column == "replayed":
            value = bool(value)
        elif field.column in _CONTENT:
            role = "user" if field.column == "prompt" else "assistant"
            value = json.dumps([{"role": role, "parts": [{"type": "text", "content": value}]}])
        attrs[field.attribute] = value
    return attrs


def _otel_provider(name: str) -> str:
    """``gen_ai.provider.name`` for one of our provider names (plugins' included)."""
    return OTEL_PROVIDER_NAMES.get(name) or otel_names(default_providers()).get(name, name)


def _span_name(row: Mapping[str, object]) -> str:
    if row.get("event") == "call":
        return f"chat {row.get('model') or ''}".strip()
    return f"orchestration.{row.get('event')}"


def _traces_url(endpoint: str) -> str:
    """A base OTLP/HTTP endpoint gets ``/v1/traces``; a full one is used as given."""
    path = urlsplit(endpoint).path
    return endpoint.rstrip("/") + "/v1/traces" if path in ("", "/") else endpoint


class OTelSink:
    """Turns committed audit rows into spans and hands them to an OTLP exporter.

    ``exporter`` may be any OpenTelemetry ``SpanExporter`` (tests use the in-memory one);
    by default it is the OTLP/HTTP exporter pointed at ``endpoint``.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        include_content: bool = False,
        service_name: str = "orchestration-kernel",
        exporter: SpanExporter | None = None,
    ) -> None:
        try:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as exc:
            raise ConfigurationError(_INSTALL_HINT) from exc
        self.include_content = include_content
        if exporter is None:
            exporter = _otlp_exporter(endpoint, headers)
        self._provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        self._provider.add_span_processor(BatchSpanProcessor(exporter))
        self._tracer = self._provider.get_tracer("orchestration_kernel.audit")

    def emit(self, rows: list[Row]) -> None:
        """Make one span per committed row (``ALL_COLUMNS`` tuples)."""
        from opentelemetry.trace import SpanKind, Status, StatusCode

        for values in rows:
            row = dict(zip(ALL_COLUMNS, values, strict=True))
            end = int(datetime.fromisoformat(str(row["timestamp"])).timestamp() * 1e9)
            start = end - int(float(row.get("latency_ms") or 0.0) * 1e6)
            kind = SpanKind.CLIENT if row.get("event") == "call" else SpanKind.INTERNAL
            span = self._tracer.start_span(
                _span_name(row),
                kind=kind,
                start_time=start,
                attributes=span_attributes(row, self.include_content),
            )
            if row.get("error_type"):
                span.set_status(Status(StatusCode.ERROR, str(row["error_type"])))
            elif row.get("status") == "ok":
                span.set_status(Status(StatusCode.OK))
            span.end(end_time=end)

    def flush(self, timeout_ms: int = 5000) -> bool:
        """Send the spans made so far; True when the exporter took them."""
        return bool(self._provider.force_flush(timeout_ms))

    def shutdown(self) -> None:
        """Flush and stop the exporter."""
        self._provider.shutdown()


def _otlp_exporter(endpoint: str | None, headers: dict[str, str] | None) -> SpanExporter:
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise ConfigurationError(_INSTALL_HINT) from exc
    endpoint = endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint:
        raise ConfigurationError(
            "OpenTelemetry export needs an OTLP endpoint: pass enable_otel('http://host:4318') "
            "or set OTEL_EXPORTER_OTLP_ENDPOINT."
        )
    return OTLPSpanExporter(endpoint=_traces_url(endpoint), headers=headers)
