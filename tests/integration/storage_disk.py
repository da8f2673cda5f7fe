"""A small disk that can be filled and freed: a 2 MB tmpfs when we may mount one (root
on Linux), else SQLite's own page limit on the audit connection.

Both make SQLite fail with "database or disk is full" exactly as a real full disk does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from orchestration_kernel.audit import AuditTrail


class SmallDisk:
    """A folder whose free space a test controls."""

    def __init__(self, path: Path, tmpfs: bool) -> None:
        self.path = path
        self.tmpfs = tmpfs
        self._filler = path / "filler.bin"

    def fill(self, trail: AuditTrail, leave: int = 24 * 1024) -> None:
        """Leave about ``leave`` bytes free (tmpfs) or as many pages (page limit)."""
        if self.tmpfs:
            free = shutil.disk_usage(self.path).free
            with open(self._filler, "wb") as f:
                f.write(b"\0" * max(0, free - leave))
            return
        conn = trail._store.conn
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + max(1, leave // size)}")

    def free(self, trail: AuditTrail) -> None:
        """Give the space back."""
        if self.tmpfs:
            self._filler.unlink(missing_ok=True)
            return
        trail._store.conn.execute("PRAGMA max_page_count = 1073741823")


@contextlib.contextmanager
def small_disk(base: Path) -> Iterator[SmallDisk]:
    """A 2 MB tmpfs at ``base/disk`` if it can be mounted, else a plain folder."""
    path = base / "disk"
    path.mkdir()
    mounted = False
    # ORCHESTRATION_TEST_NO_TMPFS=1 tries the page-limit fallback on a machine that could mount.
    may_mount = not os.environ.get("ORCHESTRATION_TEST_NO_TMPFS")
    if may_mount and os.name == "posix" and hasattr(os, "geteuid") and os.geteuid() == 0:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(path)],
            capture_output=True,
            check=False,
        )
        mounted = done.returncode == 0
    try:
        yield SmallDisk(path, mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
