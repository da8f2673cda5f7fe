"""``PipelineManager``: the session's named pipelines and their run history.

``%%orchestrate NAME`` registers a pipeline here and ``%orchestrate run NAME`` runs it
again. Every run is kept in the pipeline's history (bounded), failed and cancelled runs
included, with their partial results.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from typing import TypedDict, Unpack

from ..errors import ConfigurationError, PipelineError, RunCancelled
from .engine_face import PipelineEngine
from .events import Observer
from .pipeline import Pipeline
from .result import PipelineResult
from .scope import nearest

__all__ = ["PipelineManager"]


class PipelineOptions(TypedDict, total=False):
    """What :meth:`PipelineManager.register` forwards to :class:`Pipeline`."""

    namespace: Mapping[str, object] | None
    context: Mapping[str, object] | None
    interpolate: bool
    default_model: str | None


class RunOptions(TypedDict, total=False):
    """What :meth:`PipelineManager.run` forwards to :meth:`Pipeline.execute`."""

    namespace: Mapping[str, object] | None
    session_id: str | None
    observer: Observer | None
    run_id: str | None
    stream: bool | None


class PipelineManager:
    """Register, list, get, remove and run pipelines by name, keeping their run history."""

    def __init__(self, engine: PipelineEngine | None = None, *, history_size: int = 20) -> None:
        self.engine = engine
        self.history_size = history_size
        self._pipelines: dict[str, Pipeline] = {}
        self._history: dict[str, deque[PipelineResult]] = {}

    def register(self, name: str, spec: object, **options: Unpack[PipelineOptions]) -> Pipeline:
        """Register ``spec`` (or a :class:`Pipeline`) as ``name``, replacing any before it.

        ``options`` go to :class:`Pipeline` (``namespace``, ``interpolate`` …).
        """
        if not name:
            raise ConfigurationError("a registered pipeline needs a name")
        pipeline = (
            spec
            if isinstance(spec, Pipeline)
            else Pipeline(spec, engine=self.engine, name=name, **options)
        )
        self._pipelines[name] = pipeline
        self._history.setdefault(name, deque(maxlen=self.history_size))
        return pipeline

    def get(self, name: str) -> Pipeline:
        """The pipeline called ``name``; the error suggests near names."""
        try:
            return self._pipelines[name]
        except KeyError:
            close = nearest(name, self._pipelines)
            known = ", ".join(sorted(self._pipelines)) or "none yet"
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigurationError(
                f"No pipeline called {name!r}.{hint} Registered: {known}. Register one with "
                "'%%orchestrate NAME' or manager.register(name, spec)."
            ) from None

    def remove(self, name: str) -> None:
        """Forget ``name`` and its history."""
        self.get(name)
        del self._pipelines[name]
        self._history.pop(name, None)

    def history(self, name: str) -> list[PipelineResult]:
        """Results of ``name``'s runs, oldest first (failed and cancelled runs included)."""
        self.get(name)
        return list(self._history.get(name, ()))

    def last(self, name: str) -> PipelineResult | None:
        """The most recent result of ``name``, if it has run."""
        runs = self.history(name)
        return runs[-1] if runs else None

    async def run(
        self, name: str, input_data: object = None, **kwargs: Unpack[RunOptions]
    ) -> PipelineResult:
        """Run ``name`` (``kwargs`` as for :meth:`Pipeline.execute`) and record it."""
        pipeline = self.get(name)
        try:
            result = await pipeline.execute(input_data, **kwargs)
        except (PipelineError, RunCancelled) as exc:
            self._record(name, exc.result)
            raise
        self._record(name, result)
        return result

    def run_sync(
        self, name: str, input_data: object = None, **kwargs: Unpack[RunOptions]
    ) -> PipelineResult:
        """Blocking twin of :meth:`run`."""
        pipeline = self.get(name)
        try:
            result = pipeline.run(input_data, **kwargs)
        except (PipelineError, RunCancelled) as exc:
            self._record(name, exc.result)
            raise
        self._record(name, result)
        return result

    #: The names :class:`Pipeline` uses (``execute`` awaits, ``execute_sync`` blocks), so
    #: code written against either reads the same.
    execute = run
    execute_sync = run_sync

    def _record(self, name: str, result: PipelineResult | None) -> None:
        if result is not None and name in self._history:
            self._history[name].append(result)

    def describe(self) -> list[Mapping[str, object]]:
        """One row per pipeline: name, steps, runs, last status."""
        rows: list[Mapping[str, object]] = []
        for name, pipeline in self._pipelines.items():
            runs = self._history.get(name, deque())
            rows.append({
                "name": name, "steps": pipeline.step_names, "runs": len(runs),
                "last_status": runs[-1].status if runs else None,
            })  # fmt: skip
        return rows

    def __contains__(self, name: object) -> bool:
        return name in self._pipelines

    def __len__(self) -> int:
        return len(self._pipelines)

    def __iter__(self) -> Iterator[str]:
        return iter(self._pipelines)

    def __repr__(self) -> str:
        return f"PipelineManager({self.list()!r})"

    # Last in the class on purpose: mypy reads ``list`` in the annotations of the methods
    # defined after this one as this method, not the built-in.
    def list(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._pipelines)
