"""The audit trail: complete, durable, tamper-evident, and in pandas.

```python
trail = AuditTrail()                       # ORCHESTRATION_HOME/audit.sqlite
trail.record("call", run_id=..., model=..., prompt=..., response=...)   # ~µs, queued
await trail.aflush()                       # committed
trail.verify()                             # VerifyReport(ok=True, rows=..., ...)
trail.to_dataframe(run=...); trail.export("runs.parquet")
```

Modules, one idea each: :mod:`.events` (the schema and the OpenTelemetry mapping, as
data), :mod:`.keys` (the key file), :mod:`.chain` (the keyed hashes), :mod:`.rows`
(redaction and encoding), :mod:`.store` (SQLite: WAL, append-only, chained appends),
:mod:`.writer` (batching and commit promises), :mod:`.trail` (the public class),
:mod:`.verify`, :mod:`.query`, :mod:`.frames` (pandas types), :mod:`.export`,
:mod:`.summaries`, :mod:`.search` (FTS5), :mod:`.replay`, :mod:`.retention` and
:mod:`.otel` (optional spans).
"""

from __future__ import annotations

from .events import COLUMN_NAMES, COLUMNS, EVENT_KINDS, OTEL_MAPPING, RECORD_COLUMNS
from .export import read_back
from .replay import canonical_request
from .trail import AuditTrail
from .verify import VerifyReport

__all__ = [
    "COLUMNS",
    "COLUMN_NAMES",
    "EVENT_KINDS",
    "OTEL_MAPPING",
    "RECORD_COLUMNS",
    "AuditTrail",
    "VerifyReport",
    "canonical_request",
    "read_back",
]
