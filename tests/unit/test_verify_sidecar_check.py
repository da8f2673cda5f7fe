"""The sidecar's digests as verify() checks them (``sidecar._file_matches``, read a MiB at
a time): every byte of every segment counts, wherever it falls among the reads."""

from __future__ import annotations

import hashlib
import itertools
import os
from pathlib import Path

import pytest

from orchestration_kernel.audit import sidecar


def _record(data: bytes, cuts: list[int]) -> sidecar.Record:
    bounds = [0, *cuts, len(data)]
    segments = tuple(
        (lo, hi - lo, hashlib.sha256(data[lo:hi]).hexdigest())
        for lo, hi in itertools.pairwise(bounds)
    )
    return sidecar.Record(
        start=1, last=1, head="0" * 64, schema_version=1, segments=segments, rows=1
    )


@pytest.fixture
def file(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(sidecar._CHECK_BYTES * 5 // 2 + 17)  # segments across several reads
    path = tmp_path / "audit.sqlite.cols"
    path.write_bytes(data + b"tail the record does not cover")
    return path, data


def test_an_untouched_file_matches(file: tuple[Path, bytes]) -> None:
    path, data = file
    assert sidecar._file_matches(path, _record(data, [1000, sidecar._CHECK_BYTES * 2 + 5]))


@pytest.mark.parametrize("at", [0, 999, 1000, sidecar._CHECK_BYTES, sidecar._CHECK_BYTES * 2 + 4])
def test_one_flipped_byte_anywhere_fails(file: tuple[Path, bytes], at: int) -> None:
    path, data = file
    record = _record(data, [1000, sidecar._CHECK_BYTES * 2 + 5])
    raw = bytearray(path.read_bytes())
    raw[at] ^= 1
    path.write_bytes(bytes(raw))
    assert not sidecar._file_matches(path, record)


@pytest.mark.parametrize("keep", [0, 500, sidecar._CHECK_BYTES + 3])
def test_a_truncated_or_missing_file_fails(file: tuple[Path, bytes], keep: int) -> None:
    path, data = file
    record = _record(data, [1000])
    os.truncate(path, keep)
    assert not sidecar._file_matches(path, record)
    path.unlink()
    assert not sidecar._file_matches(path, record)
