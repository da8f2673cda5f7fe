"""``BatchJob`` from the package itself, as the contract writes ``BatchJob.resume(NAME)``;
before, only ``orchestration_kernel.batch`` had it (found by explore2)."""

from __future__ import annotations

import subprocess
import sys


def test_batchjob_is_exported_lazily_from_the_package() -> None:
    code = (
        "import sys, orchestration_kernel as ok\n"
        "assert 'orchestration_kernel.batch' not in sys.modules  # import stays light\n"
        "from orchestration_kernel import BatchJob\n"
        "from orchestration_kernel.batch import BatchJob as Same\n"
        "assert BatchJob is Same and 'BatchJob' in ok.__all__ and callable(BatchJob.resume)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
