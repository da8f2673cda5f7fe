"""The message for an export path whose suffix names no format we write.

``trail.export("runs.json")`` used to say only which suffixes work; the user had to spot
that ``.jsonl`` (JSON Lines: one record per line) was the near one. The message now names
each format with its suffixes and the file name that was probably meant: the near suffix
(``.jsnol`` → ``.jsonl``, ``.parq`` → ``.parquet``, ``.json`` → ``.jsonl``), or for a file
without a suffix, the name with each format's. Formats pandas writes and we do not
(``.xlsx``, ``.feather``, …) get the frame's own writer instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..near_names import nearest

__all__ = ["unknown_format_message"]

#: Suffixes that mean one of ours under another name (so difflib need not guess).
_MEANT = {".json": ".jsonl", ".jl": ".jsonl", ".parq": ".parquet", ".tsv": ".csv"}
#: Readable names of the built-in formats (a format added by the user shows its own name).
_TITLES = {"parquet": "Parquet", "csv": "CSV", "jsonl": "JSON Lines"}
#: Compression suffixes (``runs.csv.gz``).
_COMPRESSED = frozenset({".gz", ".bz2", ".zip", ".xz", ".zst"})
#: Suffixes pandas writes a frame to, with the method that does.
_PANDAS = {".xlsx": "to_excel", ".xls": "to_excel", ".feather": "to_feather",
           ".html": "to_html", ".pkl": "to_pickle", ".pickle": "to_pickle",
           ".dta": "to_stata", ".orc": "to_orc", ".xml": "to_xml"}  # fmt: skip


def unknown_format_message(path: Path, by_suffix: Mapping[str, object]) -> str:
    """Why ``path`` cannot be exported, the formats there are (``by_suffix``: suffix →
    format, each format having a ``name``), and the name that was probably meant."""
    groups: dict[str, list[str]] = {}
    for suffix, fmt in by_suffix.items():
        groups.setdefault(str(getattr(fmt, "name", suffix)), []).append(suffix)
    formats = ", ".join(
        f"{_TITLES.get(name, name)} ({', '.join(suffixes)})" for name, suffixes in groups.items()
    )
    suffix = path.suffix.lower()
    what = "no suffix" if not suffix else f"the suffix {path.suffix!r}"
    message = (
        f"Cannot tell the export format of {path.name!r} ({what}): the audit exports "
        f"{formats}, chosen by the file's suffix."
    )
    return message + _hint(path, suffix, list(by_suffix))


def _hint(path: Path, suffix: str, known: list[str]) -> str:
    if path.expanduser().is_dir():  # export("out/"): the folder, not a file in it
        inside = " or ".join(repr(str(path / f"runs{s}")) for s in _one_per_format(known))
        return f" {str(path)!r} is a folder: name a file in it, such as {inside}."
    if not suffix:
        names = " or ".join(repr(path.name + s) for s in _one_per_format(known))
        return f" Add one: {names}."
    inner = Path(path.stem).suffix.lower()
    if suffix in _COMPRESSED and inner in known:  # runs.csv.gz: pandas would compress
        return (
            f" Compressed files are not written: export {path.stem!r} and compress it, or "
            "use .parquet (compressed already)."
        )
    meant = _MEANT.get(suffix)
    close = [meant] if meant in known else nearest(suffix, known, n=1)
    if close:
        return f" Did you mean {path.with_suffix(close[0]).name!r}?"
    method = _PANDAS.get(suffix)
    if method is not None:
        frame = "engine.audit.to_dataframe()"
        return f" For {path.suffix}, write the frame yourself: {frame}.{method}(...)."
    return ""


def _one_per_format(known: list[str]) -> list[str]:
    """The first suffix of each built-in kind (``.parquet``, ``.csv``, ``.jsonl``)."""
    firsts: list[str] = [s for s in (".parquet", ".csv", ".jsonl") if s in known]
    return firsts or known[:3]
