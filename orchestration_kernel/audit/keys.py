"""The audit key: 32 random bytes in a file only its owner can read.

Every keyed hash of the trail (row hashes, the head anchor, the prune checkpoint,
``request_hash`` and content hashes) uses this key, so a hash of a short secret cannot be
reversed by guessing and a chain cannot be recomputed by someone without the file. The
machinery is :mod:`orchestration_kernel.storage.keys`, shared with the Guardian's cache.
"""

from __future__ import annotations

from ..storage.keys import KEY_BYTES, load_or_create_key

__all__ = ["KEY_BYTES", "load_or_create_key"]
