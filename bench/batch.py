"""8. Batch jobs: writing the manifest and assembling results for 1,000,000 rows.

*Manifest writing* is what a job writes before its first submit, for ``batch_rows`` prompts
(~60 characters each) on three models: the prompts (``inputs.parquet``), a string index,
the chunks cut to each provider's limits (``plan_chunks``) and ``manifest.json``.
*Result streaming* is what collecting does per result: one row into a
:class:`ResultWriter` (row groups of 10,000, zstd) — peak traced memory is measured at a
tenth of the rows and at all of them, so "flat" is a number. *Assembly* is
``assemble()``: every part into one DataFrame column per model, aligned to the index.
The network, the Guardian and the audit are not in these figures (see sections 2 and 7).
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.sizes import Sizes
from bench.stats import summarize

__all__ = ["measure"]

_MODELS = ("openai:gpt-4o-mini", "anthropic:claude-haiku-4-5", "gemini:gemini-2.5-flash")
_TEXT = "Label the sentiment of this review as positive, negative or mixed: #"
_ANSWER = "positive — the reviewer praises delivery and quality"


def _manifest(home: Path, rows: int, name: str) -> float:
    """Seconds to write the manifest and inputs of a ``rows``-row, three-model job."""
    import pandas as pd

    from orchestration_kernel.batch.backends.anthropic import AnthropicBatchBackend
    from orchestration_kernel.batch.backends.gemini import GeminiBatchBackend
    from orchestration_kernel.batch.backends.openai import OpenAIBatchBackend
    from orchestration_kernel.batch.job import plan_chunks
    from orchestration_kernel.batch.manifest import Manifest, ModelRecord
    from orchestration_kernel.batch.submit import _write_inputs

    prompts = [f"{_TEXT}{i}" for i in range(rows)]
    index = pd.Index([f"doc-{i}" for i in range(rows)])
    backends = (OpenAIBatchBackend, AnthropicBatchBackend, GeminiBatchBackend)
    start = time.perf_counter()
    records = [
        ModelRecord(m, m, m.split(":")[0], m.split(":")[1], m.split(":")[0]) for m in _MODELS
    ]
    manifest = Manifest.new(name, run_id="bench", rows=rows, template="{item}", models=records)
    sizes = [len(p) + 200 for p in prompts]  # what submit measures per row
    for k, cls in enumerate(backends):
        manifest.chunks += plan_chunks(sizes, k, cls(None, records[k], manifest), None)
    _write_inputs(manifest, prompts, [], index)
    manifest.save()
    return time.perf_counter() - start


def _stream(folder: Path, rows: int) -> float:
    """Seconds to stream ``rows`` results per model into parts, as collecting does."""
    from orchestration_kernel.batch.results import ResultWriter

    start = time.perf_counter()
    for k in range(len(_MODELS)):
        writer = ResultWriter(folder / f"part-{k}.parquet")
        for row in range(rows):
            writer.append((row, k, f"m{k}-r{row}", "done", _ANSWER, None, 17, 11, 2.1e-6, "b"))
        writer.close()
    return time.perf_counter() - start


def _peak(folder: Path, rows: int) -> int:
    """Peak traced bytes while streaming ``rows`` results (tracemalloc slows the run
    down, so it is measured apart from the timing)."""
    tracemalloc.start()
    _stream(folder, rows)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def _assemble(folder: Path, rows: int) -> float:
    import pandas as pd

    from orchestration_kernel.batch.results import assemble

    parts = [folder / f"part-{k}.parquet" for k in range(len(_MODELS))]
    index = pd.Index([f"doc-{i}" for i in range(rows)])
    start = time.perf_counter()
    frame = assemble(parts, index, list(_MODELS))
    seconds = time.perf_counter() - start
    assert len(frame) == rows
    return seconds


def measure(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """Rows/s for manifest writing, result streaming and assembly; memory at two sizes."""
    rows = sizes.batch_rows
    cells = rows * len(_MODELS)
    manifest_s, stream_s, assemble_s = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        os.environ["ORCHESTRATION_HOME"] = tmp
        for name in ("warm", "small", "full"):
            (Path(tmp) / name).mkdir()
        _stream(Path(tmp) / "warm", max(1, rows // 100))  # imports and caches warm
        peak_small = _peak(Path(tmp) / "small", max(1, rows // 10))
        peak_full = _peak(Path(tmp) / "full", rows)
        for r in range(sizes.batch_repeats):
            manifest_s.append(_manifest(Path(tmp), rows, f"bench-{r}"))
            folder = Path(tmp) / f"parts-{r}"
            folder.mkdir()
            stream_s.append(_stream(folder, rows))
            assemble_s.append(_assemble(folder, rows))
    return {
        "rows": rows,
        "models": len(_MODELS),
        "manifest_s": summarize(manifest_s),
        "manifest_rows_per_s": rows / sorted(manifest_s)[len(manifest_s) // 2],
        "stream_s": summarize(stream_s),
        "stream_results_per_s": cells / sorted(stream_s)[len(stream_s) // 2],
        "assemble_s": summarize(assemble_s),
        "assemble_results_per_s": cells / sorted(assemble_s)[len(assemble_s) // 2],
        "stream_peak_bytes": {"rows": max(1, rows // 10), "peak": peak_small},
        "stream_peak_bytes_full": {"rows": rows, "peak": peak_full},
    }
