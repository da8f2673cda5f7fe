"""Pipelines: multi-step, multi-model workflows as a DAG.

```python
pipeline = engine.create_pipeline([{"model": "gpt-4", "task": "analysis"}, ...])
result = await pipeline.execute(input_data)
```

Modules: :mod:`.spec` (the pydantic spec), :mod:`.loader` (dicts/YAML → checked spec),
:mod:`.placeholders` (prompt templates), :mod:`.when` (safe conditions), :mod:`.dag`
(the graph), :mod:`.runner` (running it), :mod:`.result` (what a run produced),
:mod:`.pipeline` (the public object), :mod:`.manager` (named pipelines).
"""

from __future__ import annotations

from .events import PipelineEvent
from .loader import CompiledPipeline, load_pipeline
from .manager import PipelineManager
from .pipeline import Pipeline
from .plan import PipelinePlan
from .result import FoldRecord, ModelCall, PipelineResult, StepResult
from .spec import PipelineSpec, StepSpec

__all__ = [
    "CompiledPipeline",
    "FoldRecord",
    "ModelCall",
    "Pipeline",
    "PipelineEvent",
    "PipelineManager",
    "PipelinePlan",
    "PipelineResult",
    "PipelineSpec",
    "StepResult",
    "StepSpec",
    "load_pipeline",
]
