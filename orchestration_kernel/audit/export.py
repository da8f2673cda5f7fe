"""Writing audit frames to Parquet, CSV or JSONL (chosen by suffix) and reading them back.

Parquet keeps every dtype. CSV and JSONL are text, so :func:`read_back` restores the
types from the schema; the JSON columns travel as JSON text in Parquet and CSV and as
nested JSON in JSONL. One limit of CSV: an empty string and a missing value look the
same there, and both come back missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigurationError
from .columnar import canonical_chunks, parquet_table
from .export_times import with_iso_times
from .frames import KINDS, apply_types, encode_json_columns, frame_from_arrow

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "BUILTIN_EXPORT_FORMATS",
    "FORMATS",
    "ExportFormat",
    "ExportFormats",
    "export_frame",
    "parquet_from_arrow",
    "read_back",
    "wants_decoded_json",
    "write_parquet",
]


class ExportFormat:
    """One export format: its ``name``, the file ``suffixes`` that choose it, whether its
    JSON columns are written decoded (``nested_json``, as JSONL does) or as the stored JSON
    text, and how to :meth:`write` and :meth:`read` a frame. Subclass it for a new one and
    add it with ``trail.add_export_format(...)``."""

    name: str = ""
    suffixes: tuple[str, ...] = ()
    nested_json: bool = False

    def write(self, frame: pd.DataFrame, path: Path) -> None:
        """Write ``frame`` (JSON columns as text unless ``nested_json``) to ``path``."""
        raise NotImplementedError

    def read(self, path: Path) -> pd.DataFrame:
        """Read ``path`` back (the audit dtypes are restored afterwards)."""
        raise NotImplementedError


class _Parquet(ExportFormat):
    name, suffixes = "parquet", (".parquet", ".pq")

    def write(self, frame: pd.DataFrame, path: Path) -> None:
        frame.to_parquet(path, index=False)  # pyarrow, snappy: the values write_parquet writes

    def read(self, path: Path) -> pd.DataFrame:
        import pandas as pd

        return pd.read_parquet(path)


class _CSV(ExportFormat):
    name, suffixes = "csv", (".csv",)

    def write(self, frame: pd.DataFrame, path: Path) -> None:
        frame = with_iso_times(frame)  # the form every export writes (see export_times)
        frame.to_csv(path, index=False)

    def read(self, path: Path) -> pd.DataFrame:
        import pandas as pd

        # Read every known column as text first, so nothing is guessed (ids stay ids).
        return pd.read_csv(
            path, dtype={k: object for k in KINDS}, keep_default_na=False, na_values=[""]
        )


class _JSONL(ExportFormat):
    name, suffixes, nested_json = "jsonl", (".jsonl", ".ndjson"), True

    def write(self, frame: pd.DataFrame, path: Path) -> None:
        frame = with_iso_times(frame)  # +00:00, as CSV (pandas' own ISO dates end in Z)
        frame.to_json(
            path, orient="records", lines=True, date_format="iso", date_unit="us", force_ascii=False
        )

    def read(self, path: Path) -> pd.DataFrame:
        import pandas as pd

        # Parsed by hand: pandas' JSON reader would guess types we already know.
        with path.open(encoding="utf-8") as lines:
            records = [json.loads(line) for line in lines if line.strip()]
        frame = pd.DataFrame.from_records(records)
        # An integer column with a missing cell is inferred float64, which rounds integers
        # beyond 2**53: such a column is taken again from the records, cell by cell.
        for name in frame.columns:
            if KINDS.get(name) == "int" and frame[name].dtype == "float64":
                cells = [record.get(name) for record in records]
                frame[name] = pd.Series(cells, dtype=object, index=frame.index)
        return frame


#: The built-in formats (each trail's table starts with these).
BUILTIN_EXPORT_FORMATS: tuple[ExportFormat, ...] = (_Parquet(), _CSV(), _JSONL())


class ExportFormats:
    """The export formats one audit trail knows, chosen by file suffix."""

    def __init__(self, formats: tuple[ExportFormat, ...] = BUILTIN_EXPORT_FORMATS) -> None:
        self._by_suffix: dict[str, ExportFormat] = {}
        for fmt in formats:
            self.add(fmt)

    def add(self, fmt: ExportFormat) -> ExportFormat:
        """Add (or replace, suffix by suffix) a format."""
        if not fmt.name or not fmt.suffixes or not all(x.startswith(".") for x in fmt.suffixes):
            raise ConfigurationError(
                f"{fmt!r} is not an export format: it needs a name and suffixes like '.xlsx'"
            )
        for suffix in fmt.suffixes:
            self._by_suffix[suffix.lower()] = fmt
        return fmt

    def names(self) -> list[str]:
        """The format names, in the order they were added."""
        return list(dict.fromkeys(f.name for f in self._by_suffix.values()))

    def for_path(self, path: Path) -> ExportFormat:
        """The format ``path``'s suffix names; a ConfigurationError listing the known ones."""
        fmt = self._by_suffix.get(path.suffix.lower())
        if fmt is None:
            from .export_names import unknown_format_message  # only a mistake needs it

            raise ConfigurationError(unknown_format_message(path, self._by_suffix))
        return fmt


_BUILTIN = ExportFormats()

#: Suffix -> format name (the built-ins).
FORMATS: dict[str, str] = {x: f.name for f in BUILTIN_EXPORT_FORMATS for x in f.suffixes}


def wants_decoded_json(path: str | Path, formats: ExportFormats = _BUILTIN) -> bool:
    """JSONL nests decoded JSON; Parquet and CSV store the JSON columns as text."""
    return formats.for_path(Path(path)).nested_json


def export_frame(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    json_as_text: bool = False,
    formats: ExportFormats = _BUILTIN,
) -> Path:
    """Write ``frame`` to ``path`` in the format its suffix names; returns the path.

    ``json_as_text``: the JSON columns still hold the stored JSON text (no re-encoding).
    """
    path = Path(path).expanduser()
    fmt = formats.for_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not fmt.nested_json and not json_as_text:
        frame = encode_json_columns(frame)
    fmt.write(frame, path)
    return path


def parquet_from_arrow(
    table: pa.Table, path: str | Path, formats: ExportFormats = _BUILTIN
) -> pa.Table | None:
    """The Arrow table :func:`write_parquet` writes to ``path`` for the whole trail's rows
    (``table``, from ``snapshot.read_whole_trail``), where ``path`` names the built-in
    Parquet format and every column is typed in Arrow as the frame would be
    (``columnar.parquet_table``), in chunks of ``columnar.CHUNK_ROWS`` rows (the file
    then depends on the rows only, not on where they were read from); else ``None``:
    the frame is exported as before."""
    if type(formats.for_path(Path(path))) is not _Parquet:
        return None  # another format (or a Parquet format of the user's own)
    import pyarrow as pa

    # The schema and metadata pandas gives these columns, from the same conversion of
    # one row (the dtypes do not depend on the number of rows).
    first = frame_from_arrow(table.slice(0, 1), decode_json=False)
    expected = pa.Schema.from_pandas(first, preserve_index=False)
    return parquet_table(canonical_chunks(table), expected, KINDS)


#: Columns whose values are (nearly) all different: a dictionary would only be built and
#: then given up once it passed its page size, so they are written plain from the start.
_UNIQUE = frozenset(
    ("seq", "timestamp", "detail", "prompt", "prompt_hash", "request_hash", "prev_hash", "hash")
)
#: Free text and digests: no min/max statistics (no reader prunes on a prompt's min).
_NO_STATISTICS = _UNIQUE - {"seq", "timestamp"} | {"response", "response_hash"}
#: Keyed digests in hex, unique per row: snappy saves ~3% of them, for a pass over each.
_INCOMPRESSIBLE = frozenset(("prompt_hash", "request_hash", "prev_hash", "hash"))


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` (the whole trail's, :func:`parquet_from_arrow`) with the values
    ``DataFrame.to_parquet`` writes: snappy, except the digests, which do not compress;
    a dictionary only for columns whose values repeat; statistics except on free text and
    digests. (Encodings and statistics change how the file is laid out, not what a
    reader gets back from it.)"""
    import pyarrow.parquet as pq

    names = table.column_names
    pq.write_table(
        table,
        path,
        compression={n: "none" if n in _INCOMPRESSIBLE else "snappy" for n in names},
        use_dictionary=[n for n in names if n not in _UNIQUE],
        write_statistics=[n for n in names if n not in _NO_STATISTICS],
    )


def read_back(path: str | Path, formats: ExportFormats = _BUILTIN) -> pd.DataFrame:
    """Read an export written by :func:`export_frame`, with the audit dtypes restored:
    the :class:`~.audit_frame.AuditFrame` that ``to_dataframe()`` gives."""
    from .audit_frame import AuditFrame

    path = Path(path).expanduser()
    return AuditFrame(apply_types(formats.for_path(path).read(path)), copy=False)
