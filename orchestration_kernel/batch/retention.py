"""How long a batch job keeps prompts and answers on disk.

A job must survive a kernel restart, so until it is done its folder holds what resuming
needs: the (redacted) prompts and input table, and the answers as they arrive. With the
engine's content logging on, that is all kept (as the audit keeps prompts and answers).

With ``content_logging=False`` the audit keeps only hashes and sizes, and the job keeps
content no longer than it needs it: once the job is done (every chunk collected and
audited), the first ``to_dataframe()`` returns the table and deletes the prompts, the input
table and index, the result parts and the journal. The manifest stays, with each chunk's
counts (``status()`` still reports them); the :class:`BatchJob` object that collected the
table keeps it in memory, so calling ``to_dataframe()`` on it again returns it again. A
job resumed afterwards raises :class:`BatchJobError` from ``to_dataframe()``, ``results()``
and ``retry_failed()``, saying why. ``submit(..., keep_content=True)`` keeps everything,
as with content logging on (to collect after a restart or retry failures later).

The job's folder is created owner-only (0700), as the home is, with content logging on or off.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping

from ..errors import BatchJobError
from .input_table import TABLE_FILE
from .manifest import Manifest

__all__ = ["CONTENT_FILES", "content_removed_error", "notice", "remove_content"]

#: what :func:`remove_content` deletes from a job's folder (files, then folders)
CONTENT_FILES = ("inputs.parquet", TABLE_FILE, "index.parquet")
CONTENT_DIRS = ("results", "journal")


def remove_content(manifest: Manifest, counts: Mapping[str, tuple[int, int]]) -> None:
    """Delete the job's prompts and answers, keeping each chunk's ``(done, failed)``
    from ``counts`` in the manifest first (so a crash in between loses no count)."""
    for chunk in manifest.chunks:
        if chunk.id in counts:
            chunk.done, chunk.failed = counts[chunk.id]
    manifest.content_removed = True
    manifest.save()
    for name in CONTENT_FILES:
        (manifest.dir / name).unlink(missing_ok=True)
    for name in CONTENT_DIRS:
        shutil.rmtree(manifest.dir / name, ignore_errors=True)


def content_removed_error(manifest: Manifest, what: str) -> BatchJobError:
    """Why ``what`` cannot be had from a job whose content was removed."""
    return BatchJobError(
        f"batch job {manifest.name!r} cannot give {what}: its prompts and answers were "
        f"deleted from {manifest.dir} when to_dataframe() first collected them, because "
        "its engine had content_logging=False. Keep the DataFrame that call returned, or "
        "submit with keep_content=True to keep them on disk"
    )


def notice(manifest: Manifest) -> str:
    """One sentence for the job's display: what is kept, and until when."""
    if manifest.keep_content:
        return ""
    if manifest.content_removed:
        return (
            "Content logging is off: the job's prompts and answers were deleted once "
            "collected; its manifest and counts remain."
        )
    return (
        f"Content logging is off: the prompts, input and answers stay in `{manifest.dir}` "
        "(owner-only) only until the job is done and `to_dataframe()` has collected them; "
        "then they are deleted (`keep_content=True` at submit keeps them)."
    )
