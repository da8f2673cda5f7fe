"""A matrix on a full disk: it raises ``AuditWriteError`` (with its result, for the
outputs) instead of returning as if its rows were committed, as a pipeline run does."""

from __future__ import annotations

import pytest

from orchestration_kernel import MatrixResult
from orchestration_kernel.errors import AuditWriteError
from tests.integration.test_storage_full_disk import (  # noqa: F401 - the disk fixture
    PADDING,
    disk,
    make,
    wait_until_writable,
)

pytestmark = pytest.mark.timeout(120)


async def test_a_matrix_on_a_full_disk_raises_instead_of_returning(disk) -> None:  # noqa: F811
    trail, engine = make(disk)
    disk.fill(trail, leave=4096)
    with pytest.raises(AuditWriteError) as caught:
        await engine.matrix(["gpt-4"], "{item}", [PADDING * 4])
    assert "disk full" in str(caught.value)
    result = caught.value.result  # type: ignore[attr-defined]
    assert isinstance(result, MatrixResult) and result.status == "done"
    disk.free(trail)
    await wait_until_writable(trail)
    trail.close()
