"""Matrices on a Dask cluster (the optional ``[cluster]`` extra, imported lazily).

```python
result = engine.matrix_sync(["gpt-4o-mini"], "Classify: {review}", df, cluster="local",
                            progress=print)        # or "tcp://scheduler:8786", or a Client
result.to_dataframe()                               # aligned to df
```

Rows are partitioned over the workers; each worker runs its own engine built from
:func:`engine_config` (no keys: those reach each worker once, in a worker plugin);
finished partitions are kept as Parquet under ``ORCHESTRATION_HOME/cluster/<job>/`` so
a rerun computes only the rest; every call's audit events are recorded in the caller's
trail. See :mod:`.runner` for the sequence. Pipelines over rows
(``engine.pipeline_matrix_sync(spec, df, cluster="local")``) run the same way, one
pipeline run per row (:mod:`.rows`). Importing this package does not import Dask.
"""

from __future__ import annotations

from .capture import CapturedAudit
from .config import engine_config, engine_from_config, engine_keys
from .progress import ClusterProgress
from .rows import ClusterPipelineResult, run_pipeline_matrix_on_cluster
from .runner import (
    ClusterMatrixResult,
    ClusterQuotaWarning,
    RemoteCellError,
    connect,
    run_matrix_on_cluster,
)

__all__ = [
    "CapturedAudit",
    "ClusterMatrixResult",
    "ClusterPipelineResult",
    "ClusterProgress",
    "ClusterQuotaWarning",
    "RemoteCellError",
    "connect",
    "engine_config",
    "engine_from_config",
    "engine_keys",
    "run_matrix_on_cluster",
    "run_pipeline_matrix_on_cluster",
]
