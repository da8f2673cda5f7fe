"""orchestration-kernel: orchestrate OpenAI, Anthropic, Gemini and Perplexity models
from Jupyter — pipelines, routing, a context bus, a Guardian and an audit trail.

```python
from orchestration_kernel import OrchestrationEngine, ContextBus
engine = OrchestrationEngine()
reply = await engine.complete("claude-3", "Summarise: ...")
```

In IPython: ``%load_ext orchestration_kernel`` registers ``%%orchestrate``.
Names are imported lazily so that ``import orchestration_kernel`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # engine and calls
    "OrchestrationEngine": "orchestration_kernel.engine",
    "ReplyStream": "orchestration_kernel.streaming",
    "CompareTable": "orchestration_kernel.compare",
    "MatrixResult": "orchestration_kernel.matrix",
    "BatchJob": "orchestration_kernel.batch",
    "RetryPolicy": "orchestration_kernel.retry",
    "Timeouts": "orchestration_kernel.providers.base",
    "SimulatorConfig": "orchestration_kernel.providers.sim",
    "Session": "orchestration_kernel.session",
    "Secret": "orchestration_kernel.secrets",
    # values
    "Reply": "orchestration_kernel.models",
    "Delta": "orchestration_kernel.models",
    "Message": "orchestration_kernel.models",
    "Usage": "orchestration_kernel.models",
    "Attempt": "orchestration_kernel.models",
    "Decision": "orchestration_kernel.models",
    # pipelines
    "Pipeline": "orchestration_kernel.pipeline",
    "PipelineManager": "orchestration_kernel.pipeline",
    "PipelineResult": "orchestration_kernel.pipeline",
    "PipelineSpec": "orchestration_kernel.pipeline",
    # bus, audit, guardian
    "ContextBus": "orchestration_kernel.bus",
    "AuditTrail": "orchestration_kernel.audit",
    "Guardian": "orchestration_kernel.guardian",
    "Identity": "orchestration_kernel.guardian",
}

__all__ = [
    "Attempt",
    "AuditTrail",
    "BatchJob",
    "CompareTable",
    "ContextBus",
    "Decision",
    "Delta",
    "Guardian",
    "Identity",
    "MatrixResult",
    "Message",
    "OrchestrationEngine",
    "Pipeline",
    "PipelineManager",
    "PipelineResult",
    "PipelineSpec",
    "Reply",
    "ReplyStream",
    "RetryPolicy",
    "Secret",
    "Session",
    "SimulatorConfig",
    "Timeouts",
    "Usage",
    "__version__",
    "load_ipython_extension",
    "unload_ipython_extension",
]

if TYPE_CHECKING:
    from .audit import AuditTrail
    from .batch import BatchJob
    from .bus import ContextBus
    from .compare import CompareTable
    from .engine import OrchestrationEngine
    from .guardian import Guardian, Identity
    from .matrix import MatrixResult
    from .models import Attempt, Decision, Delta, Message, Reply, Usage
    from .pipeline import Pipeline, PipelineManager, PipelineResult, PipelineSpec
    from .providers.base import Timeouts
    from .providers.sim import SimulatorConfig
    from .retry import RetryPolicy
    from .secrets import Secret
    from .session import Session
    from .streaming import ReplyStream


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


def _install_repr_floor() -> None:
    """Every masked repr (:mod:`.repr_floor`) uses the views' credential floor. Here, as
    the package's first act, because ``models`` sits below the Guardian it would need."""
    from .repr_floor import install
    from .shown_text import shown  # light: the detectors load on the first masked text

    install(shown)


_install_repr_floor()


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext orchestration_kernel``: register the ``%%orchestrate`` magics."""
    from .magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext orchestration_kernel``: close the session cleanly."""
    from .magics import unload_ipython_extension as unload

    unload(ipython)
