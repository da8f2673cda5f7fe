"""``AuditTrail``: the public face of the audit database.

``record()`` is on the hot path of every model call, so it only checks its arguments
and queues them; the rows are encoded (redaction, keyed hashes, JSON: :mod:`.rows`) by
a caller about to wait for the commit, or else by the writer thread (:mod:`.writer`),
which chains and commits in batches. The commit promises:

* every record is committed within ``flush_interval`` seconds of ``record()``
  returning (plus the time the commit takes);
* ``flush()`` / ``await aflush()`` commit everything recorded so far before returning —
  the engine calls ``aflush()`` at the end of each run, so all of a run's records are
  committed before the run returns or raises;
* every read (``to_dataframe``, ``verify``, ``search`` …) flushes first, so it sees
  everything this trail recorded — except while the writer is stuck (a full disk):
  then reads answer from what is committed, ``check_writable()`` raises (the engine
  starts no call, run or compare) and ``record()`` keeps queueing, up to a bound.
* ``commit_point()`` is an awaitable for "everything recorded so far is committed":
  what ``reply.committed`` is.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import getpass
import logging
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from ..errors import (
    AuditWriteError,
    ConfigurationError,
    StorageError,
    UnknownNameError,
    UsageError,
)
from ..near_keywords import near_keywords
from ..near_names import nearest
from ..storage.commit import Commit, settle_future
from ..storage.files import atomic_path
from ..write_target import export_errors
from . import summaries
from .chain import ChainKey
from .events import EVENT_KINDS, RECORD_COLUMNS
from .export import (
    ExportFormat,
    ExportFormats,
    export_frame,
    parquet_from_arrow,
    wants_decoded_json,
    write_parquet,
)
from .filter_hints import warn_if_unknown_model, warn_if_unknown_run
from .frames import frame_from_arrow, frame_from_rows, joined_parts, typed_in_part
from .index import REPLAY, SEARCH, LazyIndex, behind, catch_up
from .keys import KEY_BYTES, load_or_create_key
from .odd_cells import is_undecodable, mended_cells, mending, undecodable_report, warn_mended
from .query import FrameFilters, RowFilters, Since, check_filters, select_sql
from .replay import find_replay
from .retention import prune
from .rows import RowEncoder
from .search import search_rows
from .sidecar import Settled, bring_up_to_date
from .sidecar import read_table as sidecar_table
from .sidecar import status as sidecar_status
from .snapshot import read_trail_parts, read_whole_trail
from .sqlrow import Cell, Row
from .store import ALL_COLUMNS, AuditStore, synchronous_setting
from .verify import VerifyReport, verify_chain
from .writer import BatchWriter

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from opentelemetry.sdk.trace.export import SpanExporter

    from ..session import Session
    from .otel import OTelSink

__all__ = ["AuditTrail"]

Redactor = Callable[[str], str]

log = logging.getLogger(__name__)

#: A replay look-up brings the replay index up to date once it lags by more rows.
REPLAY_LAG_ROWS = 2000


class AuditTrail:
    """A complete, durable, tamper-evident record of every call, decision and run.

    ``path``: the SQLite file (default ``ORCHESTRATION_HOME/audit.sqlite``), or
    ``":memory:"``. ``key_path``: the HMAC key file (default ``audit.key`` beside the
    default database; created owner-only). ``content_logging=False`` keeps only keyed
    hashes and sizes of prompts and responses. ``redactor`` is applied to prompt,
    response and every string in ``detail`` before anything is stored (the Guardian
    sets it; without one, credentials are still masked). ``identity`` and ``session_id``
    are the defaults for every row.
    ``synchronous``: ``"FULL"`` (default; a committed batch survives a killed process
    and a power cut) or ``"NORMAL"`` (opt-in, faster commits; survives a killed process,
    not a power cut).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        key_path: str | Path | None = None,
        content_logging: bool = True,
        redactor: Redactor | None = None,
        flush_interval: float = 0.2,
        identity: str | None = None,
        session_id: str | None = None,
        synchronous: str = "FULL",
    ) -> None:
        if flush_interval <= 0:
            raise ConfigurationError(f"flush_interval must be > 0 seconds, not {flush_interval}")
        synchronous = synchronous_setting(synchronous)  # before any file is created
        home, default_session = _session_defaults(path, session_id)
        memory = str(path) == ":memory:"
        file = Path(path or home / "audit.sqlite").expanduser()
        self.path: str = ":memory:" if memory else str(file)
        if key_path is None and not memory:
            key_path = file.parent / "audit.key"
        self.key_path: Path | None = Path(key_path).expanduser() if key_path else None
        #: Applied to prompt, response and detail strings before storage. Settable.
        #: Without one (no Guardian), credentials are still masked: no key is ever stored.
        self.redactor: Redactor | None = redactor if redactor is not None else _secrets_only
        #: Store prompt and response text (True) or only keyed hashes and sizes, for every
        #: row (an engine's ``content_logging=False`` decides for its own rows). Settable.
        self.content_logging: bool = content_logging
        self.identity: str = identity or _os_user()
        self.session_id: str | None = session_id or default_session
        key = load_or_create_key(self.key_path) if self.key_path else _ephemeral_key()
        self._key = ChainKey(key)
        self._store = AuditStore(self.path, self._key, synchronous)
        #: The export formats :meth:`export` chooses from by suffix (see add_export_format).
        self.export_formats = ExportFormats()
        self._encoder = RowEncoder(self._key, self.session_id, self.identity)
        self._writer = BatchWriter(self._store, self._encoder, flush_interval)
        # After each WAL checkpoint, and whenever enough rows are held, the columnar
        # sidecar takes the rows settled since (those this writer committed as it
        # committed them: not read back from SQLite).
        checkpointer = self._store._checkpointer
        if checkpointer is not None:
            settled = Settled(wake=checkpointer.request_after)
            self._writer.listeners.append(settled.committed)
            append = partial(bring_up_to_date, self._store, settled=settled)
            checkpointer.after.append(append)
        self._otel: OTelSink | None = None
        # Commit what is queued if the interpreter exits with the trail still open.
        self._finalizer = weakref.finalize(self, _shutdown, self._writer, self._store)

    # -- recording (the hot path) ------------------------------------------------------
    @classmethod
    def default(cls, session: Session | None = None) -> AuditTrail:
        """The session's shared trail (``home/audit.sqlite``), what ``Session.audit`` is."""
        from ..session import Session

        owner = session or Session.current()
        trail: AuditTrail = owner.service(
            "audit", lambda: cls(owner.home / "audit.sqlite", session_id=owner.id)
        )
        return trail

    def record(
        self,
        event: str,
        *,
        content_logging: bool = True,
        redactor: Redactor | None = None,
        **columns: object,
    ) -> None:
        """Queue one event; returns at once. Thread-safe.

        ``event`` is one of ``EVENT_KINDS``; ``columns`` are audit columns (see
        ``events.COLUMNS``) plus ``request_material`` (hashed into ``request_hash``,
        never stored). Do not mutate ``detail`` after passing it: it is encoded later.
        ``content_logging=False`` stores this row's content as hashes and sizes only (the
        setting of the engine that recorded it); the trail's own :attr:`content_logging`
        off does so for every row. ``redactor``: this row's redaction (the recording
        engine's Guardian's) instead of the trail's :attr:`redactor`.
        """
        if event not in EVENT_KINDS:
            raise UnknownNameError.of("audit event", event, sorted(EVENT_KINDS))
        if not RECORD_COLUMNS.issuperset(columns):
            raise _unknown_columns(columns)
        logged = self.content_logging and content_logging
        redact = self.redactor if redactor is None else redactor
        self._writer.put((time.time(), event, columns, redact, logged))

    def flush(self) -> None:
        """Commit everything recorded so far, now; raises :class:`AuditWriteError` if it
        cannot (the records stay queued and are retried)."""
        self._writer.flush()

    def check_writable(self) -> None:
        """Raise :class:`AuditWriteError` (naming the file and the cause) while the
        writer cannot commit. The engine calls this before every call, run and compare."""
        self._writer.check()

    @property
    def write_error(self) -> AuditWriteError | None:
        """Why the writer cannot commit right now (``None`` when it can)."""
        return self._writer.error

    def commit_point(self) -> Commit:
        """An awaitable that returns once everything recorded so far is committed
        (raises :class:`AuditWriteError` if that fails). ``reply.committed`` is one."""
        writer, target = self._writer, self._writer.mark()
        return Commit(lambda notify: writer.when_committed(notify, target))

    def _flush_for_read(self) -> None:
        """Commit what is queued before a read; while the writer is stuck, read what is
        committed instead of failing."""
        if self._writer.error is None:
            # If this flush fails the writer is stuck: the read shows what is committed.
            with contextlib.suppress(AuditWriteError):
                self._writer.flush()

    async def aflush(self) -> str:
        """Commit everything recorded so far without blocking the event loop.

        Returns the head hash just after the commit (what a run's result carries): it
        covers every row committed so far, this run's included.
        """
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()

        def notify(error: BaseException | None) -> None:  # on the writer's thread
            loop.call_soon_threadsafe(settle_future, committed, error)

        self._writer.when_committed(notify)
        await committed
        return self._writer.last_hash or (await asyncio.to_thread(self._store.head))[1]

    def encode_pending(self) -> None:
        """Encode what is recorded and not yet encoded (redaction, hashes, JSON), in the
        calling thread, so that a later commit has less to do; what is stored does not
        change. The pipeline runner calls it while a step's call waits on the network."""
        self._writer.encode_queued()

    def _flush_and_head(self) -> str:
        self._writer.flush()
        # The hash of our last committed row covers this run's rows and everything before
        # them; only a writer that never committed has to ask the database.
        return self._writer.last_hash or self._store.head()[1]

    @property
    def synchronous(self) -> str:
        """The durability setting: ``"FULL"`` (default) or ``"NORMAL"`` (opt-in)."""
        return self._store.synchronous

    @property
    def pending(self) -> int:
        """Records queued and not yet committed."""
        return self._writer.pending

    # -- the chain ---------------------------------------------------------------------
    @property
    def head_hash(self) -> str:
        """The hash at the head of the whole chain (all writers), after committing ours."""
        self._writer.flush()
        return self._store.head()[1]

    def request_hash(self, material: str) -> str:
        """The keyed hash of a request's canonical text (see ``replay.canonical_request``)."""
        return self._key.request_hash(material)

    def verify(self, *, expect_head: str | None = None) -> VerifyReport:
        """Walk the whole chain; report the first broken link (truthy only when intact).

        The database is also checked against its high-water mark (kept outside the
        file): a database emptied, truncated or rolled back on its own reads broken, and
        one without a mark ``"unverifiable"``. ``expect_head``: a head hash recorded
        elsewhere (a run's ``head_hash`` kept in a notebook); the chain must contain it.
        """
        self._flush_for_read()
        try:
            with self._store.reading() as conn:
                reader = None if self._store.memory else self._store.reading
                sidecar = self._sidecar_status(conn)  # its file is hashed meanwhile
                report = verify_chain(conn, self._key, self._store.mark, expect_head, reader)
                return dataclasses.replace(report, sidecar=sidecar())
        except StorageError as exc:
            if not is_undecodable(exc):
                raise
        with self._store.reading() as conn:  # text that is not UTF-8: a finding, not a crash
            found = undecodable_report(conn, ALL_COLUMNS)
            sidecar = self._sidecar_status(conn)
            with mending(conn):
                report = verify_chain(conn, self._key, self._store.mark, expect_head, None)
            report = dataclasses.replace(report, sidecar=sidecar())
        if found is None:
            return report
        seq, reason = found
        if not report.ok and report.first_broken is not None and report.first_broken < seq:
            return report  # something earlier is broken already: that is the first finding
        return dataclasses.replace(
            report, ok=False, first_broken=seq, reason=reason, status="broken"
        )

    def _sidecar_status(self, conn: sqlite3.Connection) -> Callable[[], str]:
        """Whether the columnar sidecar matches the database (``VerifyReport.sidecar``),
        once the returned function is called (the file is hashed meanwhile)."""
        try:
            return sidecar_status(self._store, conn)
        except sqlite3.Error as exc:
            reason = f"ignored: {exc}"
            return lambda: reason

    # -- reading -----------------------------------------------------------------------
    def _rows(self, sql: str, params: Iterable[Cell]) -> list[Row]:
        self._flush_for_read()
        try:
            with self._store.reading() as conn:
                return conn.execute(sql, list(params)).fetchall()
        except StorageError as exc:
            if not is_undecodable(exc):
                raise
        with self._store.reading() as conn, mending(conn):  # see odd_cells
            rows: list[Row] = conn.execute(sql, list(params)).fetchall()
        warn_mended(mended_cells(rows, ALL_COLUMNS), self.path)
        return rows

    def _frame(
        self, sql: str, params: Iterable[Cell], whole: bool, decode_json: bool = True
    ) -> pd.DataFrame:
        """The rows ``sql`` selects, typed. ``whole``: it selects every row, which a
        snapshot read into Arrow gives faster (:mod:`.snapshot`) where it can, its
        timestamps and JSON typed part by part while the later parts are read."""
        if whole:
            self._flush_for_read()
            table = self._sidecar_table()
            if table is not None:
                return frame_from_arrow(table, decode_json)
            read = read_trail_parts(self._store, partial(typed_in_part, decode_json=decode_json))
            if read is not None:
                table, parts = read
                return frame_from_arrow(table, decode_json, joined_parts(parts))
        return self._frame_of(None, sql, params, decode_json)

    def _frame_of(
        self, table: pa.Table | None, sql: str, params: Iterable[Cell], decode_json: bool
    ) -> pd.DataFrame:
        """The frame of ``table`` (every row, from :meth:`_whole_table`), or of the rows
        ``sql`` selects where there is no such table."""
        if table is not None:
            return frame_from_arrow(table, decode_json)
        return frame_from_rows(self._rows(sql, params), decode_json=decode_json)

    def _whole_table(self) -> pa.Table | None:
        """Every row in Arrow through a private snapshot, or ``None`` (:mod:`.snapshot`)."""
        self._flush_for_read()
        table = self._sidecar_table()
        return table if table is not None else read_whole_trail(self._store)

    def _sidecar_table(self) -> pa.Table | None:
        """Every row, from the columnar sidecar and the rows after it, when it can be
        trusted (:mod:`.sidecar`); else ``None``."""
        if self._store.memory:
            return None
        try:
            with self._store.reading() as conn:
                return sidecar_table(self._store, conn)
        except (StorageError, sqlite3.Error):
            return None  # the old path reads (and reports) as it always did

    @near_keywords
    def to_dataframe(
        self,
        run: str | None = None,
        since: Since | None = None,
        model: str | None = None,
        event: str | Iterable[str] | None = None,
        session: str | None = None,
        limit: int | None = None,
        homes: Iterable[str | Path] = (),
    ) -> pd.DataFrame:
        """The rows as a typed DataFrame, oldest first, filtered by any of the arguments.

        ``since``: a datetime (naive means UTC), ISO text, epoch seconds or a timedelta
        ("the last hour"). ``model``: requested or responding model, or
        ``provider:model``. ``limit``: keep only the most recent rows. ``homes``: other
        ``ORCHESTRATION_HOME`` directories (other machines' kernels) to read as well;
        the frame then has a ``home`` column and is ordered by time (see :mod:`.homes`).
        An :class:`~.audit_frame.AuditFrame`: ``df.to_parquet()`` and the like write
        ``detail`` as JSON text.
        """
        sql, params = select_sql(run, since, model, event, session, limit)
        whole = (run, since, model, event, session, limit) == (None,) * 6
        frame = self._frame(sql, params, whole)
        # depth 2: the warning names the user's line, above this method's keyword check
        warn_if_unknown_model(self._rows, model, len(frame), depth=2)
        homes = list(homes)
        if not homes:  # another home may hold the run
            warn_if_unknown_run(self._rows, run, len(frame), depth=2)
        if homes:
            frame = _with_homes(self, frame, homes, sql, params, limit)
        from .audit_frame import AuditFrame  # pandas is imported by now

        return AuditFrame(frame, copy=False)

    def export(self, path: str | Path, **filters: Unpack[RowFilters]) -> Path:
        """Write the rows (filtered as in :meth:`to_dataframe`) to ``.parquet``, ``.csv``
        or ``.jsonl``, chosen by the suffix. Read it back with ``export.read_back``.

        Atomic: written to a temporary file (0600) in the same folder, then renamed over
        ``path``, so a crash mid-export leaves the previous file whole."""
        check_filters(filters, "export()")
        decode = wants_decoded_json(path, self.export_formats)
        sql, params = select_sql(**filters)
        whole = all(value is None for value in filters.values())
        table = self._whole_table() if whole else None
        # The whole trail to the built-in Parquet goes from Arrow to the file: the file
        # pandas would write, without a frame in between (``export.parquet_from_arrow``).
        direct = None
        if table is not None and not decode:
            direct = parquet_from_arrow(table, path, self.export_formats)
        frame = self._frame_of(table, sql, params, decode) if direct is None else None
        if frame is not None:
            warn_if_unknown_model(self._rows, filters.get("model"), len(frame))
            warn_if_unknown_run(self._rows, filters.get("run"), len(frame))
        target = Path(path).expanduser()
        with export_errors(target):  # no such folder, read-only: said, without our frames
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as tmp:
                if frame is not None:
                    export_frame(frame, tmp, json_as_text=not decode, formats=self.export_formats)
                elif direct is not None:
                    write_parquet(direct, tmp)
        return target

    def add_export_format(self, fmt: ExportFormat) -> ExportFormat:
        """Let :meth:`export` write ``fmt`` (an :class:`~.export.ExportFormat`) for its
        suffixes; returns it."""
        return self.export_formats.add(fmt)

    def summary_by_model(self, **filters: Unpack[FrameFilters]) -> pd.DataFrame:
        """Calls, errors, tokens, cost and latency p50/p95 per provider and model."""
        check_filters(filters, "summary_by_model()", homes=True)
        return summaries.summary_by_model(self.to_dataframe(**filters))

    def decisions_by_policy(self, **filters: Unpack[FrameFilters]) -> pd.DataFrame:
        """Guardian decisions per policy and stage, counted by action."""
        check_filters(filters, "decisions_by_policy()", homes=True)
        return summaries.decisions_by_policy(self.to_dataframe(**filters))

    def errors_by_provider(self, **filters: Unpack[FrameFilters]) -> pd.DataFrame:
        """Failed calls per provider and error type."""
        check_filters(filters, "errors_by_provider()", homes=True)
        return summaries.errors_by_provider(self.to_dataframe(**filters))

    @near_keywords
    def search(self, text: str, limit: int = 50, *, syntax: bool = False) -> pd.DataFrame:
        """Rows whose prompt or response contains all the words of ``text`` (FTS5),
        best match first. ``syntax=True`` takes ``text`` as an FTS5 query.

        Rows enter the search index here, lazily (see :mod:`.index`): the first search
        after many writes indexes them first (about 10 µs a row)."""
        self._flush_for_read()
        self._index_lazily(SEARCH)
        with self._store.reading() as conn:
            return frame_from_rows(search_rows(conn, text, limit, syntax))

    def _index_lazily(self, index: LazyIndex) -> None:
        """Bring ``index`` up to date with every committed row. If that cannot be written
        (a full disk), the look-up still covers the rows it lacks (more slowly), and the
        log says so."""
        try:
            catch_up(self._store, index)
        except (sqlite3.Error, StorageError) as exc:
            log.warning(
                "the audit %s index of %s could not be brought up to date: %s",
                index.name,
                self.path,
                exc,
            )

    def find_replay(self, request_hash: str) -> dict[str, object] | None:
        """The most recent successful ``call`` for this request hash, for replay: its
        response, usage, cost, models and detail. ``None`` when there is none (or
        content logging was off when it was recorded)."""
        self._flush_for_read()
        with self._store.reading() as conn:
            found, lag = find_replay(conn, request_hash), behind(conn, REPLAY)
        if lag > REPLAY_LAG_ROWS:  # the look-ups scan the rows after the index: keep few
            self._index_lazily(REPLAY)
        return found

    # -- housekeeping ------------------------------------------------------------------
    def prune(self, older_than: timedelta) -> int:
        """Delete rows older than ``older_than`` and compact; the chain still verifies
        and a ``prune`` event records what went. Returns the number of rows removed."""
        if older_than < timedelta(0):
            raise ConfigurationError("prune(older_than=...) needs a positive timedelta")
        self.flush()
        return prune(self._store, self._encoder, older_than, self.identity)

    def enable_otel(
        self,
        endpoint: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        include_content: bool = False,
        service_name: str = "orchestration-kernel",
        exporter: SpanExporter | None = None,
    ) -> None:
        """Also send every committed row as an OpenTelemetry span with ``gen_ai.*``
        attributes to an OTLP/HTTP ``endpoint`` (default ``OTEL_EXPORTER_OTLP_ENDPOINT``).
        Needs ``pip install orchestration-kernel[otel]``. Off unless called."""
        from .otel import OTelSink

        self.disable_otel()
        sink = OTelSink(
            endpoint,
            headers=headers,
            include_content=include_content,
            service_name=service_name,
            exporter=exporter,
        )
        self._otel = sink
        self._writer.listeners.append(sink.emit)

    def disable_otel(self) -> None:
        """Stop sending spans (flushing those already made)."""
        sink, self._otel = self._otel, None
        if sink is not None:
            self._writer.listeners.remove(sink.emit)
            sink.shutdown()

    def close(self) -> None:
        """Commit what is queued, stop the writer and close the database (idempotent).

        Raises :class:`AuditWriteError` (with ``lost``, the count) when queued records
        could not be committed; at interpreter exit the same is logged as an error.
        """
        self.disable_otel()
        error = self._finalizer()
        if error is not None:
            raise error

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return not self._finalizer.alive

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.pending} pending"
        return f"AuditTrail({self.path!r}, {state})"


def _shutdown(writer: BatchWriter, store: AuditStore) -> AuditWriteError | None:
    try:
        return writer.close()  # logs what it could not commit, with the count
    finally:
        store.close()


#: What the default redactor already knows (made on its first row). Scanning even a
#: two-letter string for credentials costs several µs, and a row's detail holds dozens
#: of short strings that recur row after row (a router's detail: model ids, states,
#: reasons), as does a response asked again: the result is a pure function of the text
#: (the detectors are compiled once, at import), so a bounded memo answers those.
def _secrets_only(text: str) -> str:
    redact = _REDACT_SECRETS
    if redact is None:
        redact = _load_redact_secrets()
    return redact(text)


#: ``redact_secrets``, once the first row has loaded it (an import statement run for
#: every string of every row costs about a µs each time).
_REDACT_SECRETS: Redactor | None = None


def _load_redact_secrets() -> Redactor:
    global _REDACT_SECRETS
    from ..guardian.secrets_only import redact_secrets  # the detectors load on first row

    _REDACT_SECRETS = redact_secrets
    return redact_secrets


def _session_defaults(path: str | Path | None, session_id: str | None) -> tuple[Path, str | None]:
    """The session's home (only needed without a path) and id, asking the Session only
    for what was not given."""
    if path is not None and session_id:
        return Path(), session_id
    from ..session import Session

    session = Session.current()
    return (session.home if path is None else Path()), session_id or session.id


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container without /etc/passwd entry
        return "unknown"


def _ephemeral_key() -> bytes:
    """An in-memory database lives and dies with the process; so can its key."""
    import secrets

    return secrets.token_bytes(KEY_BYTES)


def _with_homes(
    trail: AuditTrail,
    frame: pd.DataFrame,
    homes: list[str | Path],
    sql: str,
    params: list[Cell],
    limit: int | None,
) -> pd.DataFrame:
    """``frame`` (this trail's rows) and the same query on other homes, in time order."""
    import pandas as pd

    from .homes import read_rows

    here = trail.path if trail.path == ":memory:" else str(Path(trail.path).parent)
    parts = [frame.assign(home=here)]
    parts += [
        frame_from_rows(rows).assign(home=home) for home, rows in read_rows(homes, sql, params)
    ]
    merged = pd.concat(parts, ignore_index=True).sort_values("timestamp", kind="stable")
    merged = merged.tail(limit) if limit is not None else merged
    return merged.reset_index(drop=True)


def _unknown_columns(columns: Iterable[str]) -> UsageError:
    """The error for ``record(**columns)`` naming columns the audit does not have."""
    unknown = sorted(set(columns) - RECORD_COLUMNS)
    named = []
    for name in unknown:
        near = nearest(name, sorted(RECORD_COLUMNS), n=1)
        named.append(f"{name!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
    return UsageError(
        f"Unknown audit column{'s' if len(unknown) > 1 else ''} {', '.join(named)}. "
        f"Known: {', '.join(sorted(RECORD_COLUMNS))}."
    )
