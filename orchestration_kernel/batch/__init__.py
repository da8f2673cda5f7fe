"""Big jobs: a dataset × model matrix through the providers' Batch APIs, resumable.

```python
job = await engine.matrix(["gpt-4o-mini", "claude-haiku"], "Label: {text}", df,
                          mode="batch", name="nightly", confirm=True)
await job.wait(progress=print)
job.to_dataframe()                      # df's columns and index, one column per model
job = BatchJob.resume("nightly")        # after a kernel restart
```

OpenAI, Anthropic and Gemini run through their Batch APIs (half price, results within
24 hours); other providers and the simulator run as concurrent calls journaled row by
row. See :mod:`.job` for the life of a job and :mod:`.manifest` for what is on disk.
"""

from __future__ import annotations

from .job import BatchJob, JobStatus, ProviderProgress
from .manifest import list_jobs
from .plan import BatchPlan, PlanLine
from .submit import submit, submit_sync

__all__ = [
    "BatchJob",
    "BatchPlan",
    "JobStatus",
    "PlanLine",
    "ProviderProgress",
    "list_jobs",
    "submit",
    "submit_sync",
]
