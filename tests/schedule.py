"""The order ``make test``'s two workers take the test files in: the longest first.

``--dist loadfile`` hands out whole files; pytest-xdist's own order is by the number of
tests in a file, so a file of one long test (the demo: half a minute) came last and one
worker ran it while the other had finished. Handing out the longest files first (with
``--no-loadscope-reorder``, xdist keeps this order) leaves the short ones to even out the
two workers' finishing times.

The seconds are each file's summed test durations in one run of the whole suite (at
0030c03, two workers, load 12-14, so inflated about 3x); only their order matters. A file
missing here keeps xdist's old place for it: after these, most tests first.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

SECONDS = {
    "integration/test_bench_smoke.py": 175,  # its one bench run; timed out at 120 s that run
    "integration/test_cluster_matrix.py": 137,
    "integration/test_content_logging_cluster.py": 132,
    "integration/test_batch_kill.py": 121,
    "unit/test_guardian_scan_units.py": 119,
    "unit/test_guardian_injection_blocks.py": 111,
    "integration/test_local_model.py": 111,
    "integration/test_notebooks.py": 109,
    "integration/test_providers_contract.py": 102,
    "unit/test_guardian_hs_cache.py": 97,
    "unit/test_guardian_redact_memo.py": 92,
    "integration/test_batch_jobs.py": 90,
    "integration/test_demo.py": 82,
    "integration/test_openai_post.py": 76,
    "integration/test_notebook_user.py": 71,
    "unit/test_audit_snapshot.py": 63,
    "integration/test_cluster_pipeline.py": 63,
    "integration/test_engine_wire.py": 60,
    "unit/test_guardian_fast_paths.py": 59,
    "unit/test_guardian_scan_shortcuts.py": 54,
    "unit/test_widgets_views.py": 49,
    "integration/test_redis_team.py": 44,
    "unit/test_audit_verify_snapshot.py": 42,
    "integration/test_audit_durability.py": 38,
    "unit/test_openai_reply.py": 38,
    "unit/test_magics_line_expansion.py": 37,
    "integration/test_routing_engine.py": 35,
    "integration/test_wire_servers.py": 32,
    "integration/test_batch_shared.py": 32,
    "unit/test_magics.py": 32,
    "integration/test_local_model_status.py": 30,
    "integration/test_cluster_rescale.py": 28,
    "unit/test_guardian_injection_prefilter.py": 27,
    "unit/test_loadext_imports.py": 24,
    "unit/test_guardian_hostile.py": 23,
    "unit/test_guardian_reading_shortcuts.py": 22,
    "unit/test_audit_writer_encoding.py": 21,
    "integration/test_packaging.py": 17,
    "integration/test_batch_notebook.py": 16,
    "integration/test_kernel_restart_context.py": 16,
}

_TESTS = Path(__file__).parent


def longest_files_first(items: list[pytest.Item]) -> None:
    """Sort ``items`` in place, file by file: the files above by their seconds, then the
    rest by how many tests they hold (xdist's own order); a file's tests keep their order."""

    def where(item: pytest.Item) -> str:
        return item.path.relative_to(_TESTS).as_posix() if item.path.is_relative_to(_TESTS) else ""

    count = Counter(where(item) for item in items)
    first = {path: i for i, path in enumerate(dict.fromkeys(where(item) for item in items))}
    items.sort(key=lambda item: (-SECONDS.get(where(item), 0), -count[where(item)],
                                 first[where(item)]))  # fmt: skip
