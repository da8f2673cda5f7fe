"""The audit event schema, as data: the event kinds, the stored columns and their types,
and how each column maps onto OpenTelemetry's GenAI semantic conventions.

Every other audit module reads these tables, so the schema lives in one place.

Column kinds: ``text`` (SQLite TEXT, pandas ``str``), ``int`` (INTEGER, ``Int64``),
``float`` (REAL, ``float64``), ``bool`` (INTEGER 0/1, ``boolean``), ``json`` (TEXT holding
JSON, decoded to Python objects in pandas) and ``time`` (ISO-8601 UTC text,
``datetime64[us, UTC]``).

OpenTelemetry mapping (``OTEL_MAPPING``; where the GenAI conventions name a field we
follow its meaning, the rest is ours under ``orchestration.*``). Prompt and response are
sent only when the exporter is created with ``include_content=True``, as the
conventions ask for opt-in content capture.

============== ===================================== ==========================================
column         OpenTelemetry attribute               note
============== ===================================== ==========================================
event          gen_ai.operation.name                 ``call`` -> ``chat``; other events keep
                                                     their kind
provider       gen_ai.provider.name                  ``gemini`` -> ``gcp.gemini``; others as is
model          gen_ai.request.model                  the model id requested
response_model gen_ai.response.model                 the model id that answered
input_tokens   gen_ai.usage.input_tokens
output_tokens  gen_ai.usage.output_tokens
error_type     error.type                            the span status is ERROR when set
session_id     gen_ai.conversation.id
identity       enduser.id
prompt         gen_ai.input.messages                 opt-in content (``include_content``)
response       gen_ai.output.messages                opt-in content (``include_content``)
timestamp      span end time                         the row is written when the event ends
latency_ms     span duration                         start = end - latency
ttft_ms        orchestration.ttft_ms                 no GenAI span attribute exists
cost_usd       orchestration.cost_usd                the conventions have no cost attribute
run_id         orchestration.run_id
pipeline       orchestration.pipeline
step           orchestration.step
attempt        orchestration.attempt
status         orchestration.status                  also sets the span status
guardian_*     orchestration.guardian.*              action, policy, reasons (JSON)
detail         orchestration.detail                  JSON text
request_hash   orchestration.request_hash            keyed HMAC, safe to export
replayed       orchestration.replayed
seq, hash      orchestration.audit.seq / .hash       ties a span to its audit row
============== ===================================== ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..providers.registry import otel_names

__all__ = [
    "COLUMNS",
    "COLUMN_NAMES",
    "CONTENT_COLUMNS",
    "EVENT_KINDS",
    "FIRST_LATER_COLUMN",
    "OTEL_MAPPING",
    "OTEL_PROVIDER_NAMES",
    "RECORD_COLUMNS",
    "Column",
    "ColumnKind",
    "OTelField",
]

ColumnKind = Literal["text", "int", "float", "bool", "json", "time"]

#: The kinds of event the trail records (CONTRACT.md), plus ``prune`` for retention.
EVENT_KINDS: frozenset[str] = frozenset(
    {"run_start", "run_end", "step", "call", "route", "guardian", "handoff", "fold", "prune"}
)


@dataclass(frozen=True)
class Column:
    """One stored column: its name, its kind, and what it means."""

    name: str
    kind: ColumnKind
    doc: str

    @property
    def sql_type(self) -> str:
        """The SQLite declared type (its affinity keeps numbers as the type we stored)."""
        return {"int": "INTEGER", "bool": "INTEGER", "float": "REAL"}.get(self.kind, "TEXT")


#: The columns of a row in storage order, after ``seq`` and before ``prev_hash, hash``.
COLUMNS: tuple[Column, ...] = (
    Column("timestamp", "time", "when the event was recorded (UTC)"),
    Column("run_id", "text", "the run this event belongs to"),
    Column("pipeline", "text", "the pipeline's name, if any"),
    Column("step", "text", "the step's name, if any"),
    Column("session_id", "text", "the kernel session (context key)"),
    Column("identity", "text", "who ran it"),
    Column(
        "event", "text", "run_start, run_end, step, call, route, guardian, handoff, fold, prune"
    ),
    Column("provider", "text", "openai, anthropic, gemini, perplexity, local, ..."),
    Column("model", "text", "the model id requested"),
    Column("response_model", "text", "the model id the provider says answered"),
    Column("attempt", "int", "attempt number within a call (retries and fallbacks)"),
    Column("status", "text", "ok, error, cancelled, blocked, skipped, ..."),
    Column("error_type", "text", "the error class name when the event failed"),
    Column("latency_ms", "float", "wall time of the event"),
    Column("ttft_ms", "float", "time to first token of a streamed call"),
    Column("input_tokens", "int", "prompt tokens"),
    Column("output_tokens", "int", "completion tokens"),
    Column("cost_usd", "float", "price of the call; empty when unknown (unknown is not free)"),
    Column("guardian_action", "text", "allow, warn, redact or block"),
    Column("guardian_policy", "text", "the policy that decided"),
    Column("guardian_reasons", "json", "why, as a JSON list"),
    Column("detail", "json", "why, as a JSON object (router grounds, when: values, fold drops)"),
    Column("prompt", "text", "the prompt after redaction; empty with content logging off"),
    Column("response", "text", "the response after redaction; empty with content logging off"),
    Column("prompt_chars", "int", "size of the (redacted) prompt"),
    Column("response_chars", "int", "size of the (redacted) response"),
    Column("prompt_hash", "text", "keyed HMAC of the (redacted) prompt"),
    Column("response_hash", "text", "keyed HMAC of the (redacted) response"),
    Column("request_hash", "text", "keyed HMAC of the request (model, messages, parameters)"),
    Column("replayed", "bool", "answered from an earlier audited response"),
    # Added after schema 1 (kept last: an old table gains it with ALTER TABLE ADD COLUMN).
    Column("stage", "text", "guardian rows: the stage checked, input or output"),
)

#: Columns from this index on were added after schema 1: a row's hash covers them only
#: when they are set, so rows written before they existed still verify.
FIRST_LATER_COLUMN: int = 30

#: Stored column names, in storage order.
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)

#: Columns whose text passes through the redactor and content-logging switch.
CONTENT_COLUMNS: tuple[str, ...] = ("prompt", "response")

#: Keyword arguments ``AuditTrail.record`` accepts. Sizes and hashes are computed, never
#: given; ``request_material`` is hashed into ``request_hash`` and never stored.
RECORD_COLUMNS: frozenset[str] = frozenset(
    set(COLUMN_NAMES) - {"event", "prompt_chars", "response_chars", "prompt_hash", "response_hash"}
) | {"request_material"}


@dataclass(frozen=True)
class OTelField:
    """How one audit column appears on an OpenTelemetry span."""

    column: str
    attribute: str
    note: str = ""


#: Column -> OpenTelemetry attribute (see the module docstring for the table).
OTEL_MAPPING: tuple[OTelField, ...] = (
    OTelField("event", "gen_ai.operation.name", "call -> chat"),
    OTelField("provider", "gen_ai.provider.name", "see OTEL_PROVIDER_NAMES"),
    OTelField("model", "gen_ai.request.model"),
    OTelField("response_model", "gen_ai.response.model"),
    OTelField("input_tokens", "gen_ai.usage.input_tokens"),
    OTelField("output_tokens", "gen_ai.usage.output_tokens"),
    OTelField("error_type", "error.type", "span status ERROR"),
    OTelField("session_id", "gen_ai.conversation.id"),
    OTelField("identity", "enduser.id"),
    OTelField("prompt", "gen_ai.input.messages", "opt-in content"),
    OTelField("response", "gen_ai.output.messages", "opt-in content"),
    OTelField("ttft_ms", "orchestration.ttft_ms", "no GenAI span attribute"),
    OTelField("cost_usd", "orchestration.cost_usd", "no GenAI cost attribute"),
    OTelField("run_id", "orchestration.run_id"),
    OTelField("pipeline", "orchestration.pipeline"),
    OTelField("step", "orchestration.step"),
    OTelField("attempt", "orchestration.attempt"),
    OTelField("status", "orchestration.status", "also the span status"),
    OTelField("guardian_action", "orchestration.guardian.action"),
    OTelField("guardian_policy", "orchestration.guardian.policy"),
    OTelField("guardian_reasons", "orchestration.guardian.reasons", "JSON text"),
    OTelField("detail", "orchestration.detail", "JSON text"),
    OTelField("request_hash", "orchestration.request_hash"),
    OTelField("replayed", "orchestration.replayed"),
    OTelField("seq", "orchestration.audit.seq"),
    OTelField("hash", "orchestration.audit.hash"),
)

#: Our provider names -> the GenAI conventions' ``gen_ai.provider.name`` values, read from
#: each built-in ``ProviderInfo.otel_name`` (plugins' are applied at export, see otel.py).
OTEL_PROVIDER_NAMES: dict[str, str] = otel_names()
