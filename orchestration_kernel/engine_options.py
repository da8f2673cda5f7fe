"""The keyword options the engine's twins and forwarders take, as ``TypedDict`` s.

A blocking twin (``complete_sync``) or a forwarder (``stream``, ``from_config``)
passes its ``**kwargs`` on to another signature. Typing them as one of these (with
``Unpack``) lets a type checker check every keyword against the signature it reaches,
where ``**kwargs: Any`` checked nothing. At run time they are plain dicts: nothing here
changes what a call accepts. (``create_pipeline`` takes the pipeline package's own
``PipelineOptions``, from :mod:`.pipeline.manager`.)

One limit: a ``TypedDict`` lists its keys, so the provider-specific extras that
:meth:`~orchestration_kernel.engine.OrchestrationEngine.complete` passes on untouched
(``top_p=``, ``seed=`` …) still work through ``complete_sync``, ``stream`` and ``matrix``
at run time, but a type checker only accepts them on ``complete`` itself (its ``**extra``)
and on ``compare`` (``**kwargs: object``).
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from .errors import ConfigurationError
from .user_spec import check_number

if TYPE_CHECKING:
    from .audit import AuditTrail
    from .bus import ContextBus
    from .cluster.progress import ClusterProgress
    from .guardian import Identity
    from .matrix import MatrixEvent
    from .models import Delta
    from .redis_link import RedisSettings
    from .routing import Catalogue, Pool, Router
    from .session import Session

__all__ = [
    "BatchOptions",
    "CallOptions",
    "ClusterOptions",
    "FromConfigOptions",
    "MatrixOptions",
    "MatrixSyncOptions",
    "PipelineMatrixOptions",
    "PipelineMatrixSyncOptions",
    "SimulatorOptions",
    "check_call_options",
]


class SimulatorOptions(TypedDict, total=False):
    """``simulator=`` as a dict: the fields of :class:`~.providers.sim.SimulatorConfig`."""

    latency: float | tuple[float, float]
    ttft_fraction: float
    chunks: int
    seed: int


class CallOptions(TypedDict, total=False):
    """The keywords of :meth:`~.engine.OrchestrationEngine.complete` (``complete_sync``
    and ``stream`` pass them on)."""

    system: str | None
    fallbacks: Sequence[str] | None
    json_output: bool
    temperature: float | None
    max_tokens: int | None
    stop: Sequence[str] | None
    timeout: float | None
    stream: bool | None
    on_delta: Callable[[Delta], object] | None
    run_id: str | None
    pipeline: str | None
    step: str | None
    session_id: str | None
    needs: Sequence[str]


_CALL_OPTION_NAMES = sorted(CallOptions.__optional_keys__ | CallOptions.__required_keys__)


#: How close an unknown keyword must be to one of :class:`CallOptions` to be taken for a
#: misspelling of it (difflib's ratio): ``temprature`` scores 0.91 against ``temperature``,
#: while a real provider extra such as ``top_k`` scores 0.67 against ``stop``.
_TYPO_RATIO = 0.85


def check_call_options(
    temperature: object, max_tokens: object, timeout: object, extra: Mapping[str, object]
) -> None:
    """Refuse, before anything is sent, what no provider takes: a ``max_tokens`` below 1,
    a negative or non-numeric ``temperature``, a ``timeout`` of 0 seconds or less, and a
    keyword that is a misspelling of one of
    :meth:`~.engine.OrchestrationEngine.complete`'s own (other keywords go to the provider
    as they are)."""
    if max_tokens is not None and (
        isinstance(max_tokens, bool)
        or not isinstance(max_tokens, numbers.Integral)
        or max_tokens < 1
    ):
        raise ConfigurationError(
            f"max_tokens must be a whole number of 1 or more, not {max_tokens!r}"
        )
    if temperature is not None and (
        isinstance(temperature, bool)
        or not isinstance(temperature, numbers.Real)
        or not float(temperature) >= 0  # also refuses NaN
    ):
        raise ConfigurationError(f"temperature must be a number of 0 or more, not {temperature!r}")
    if timeout is not None:
        check_number("complete", "timeout", timeout, low=0, open_low=True)
    for name in extra:
        close = difflib.get_close_matches(name, _CALL_OPTION_NAMES, n=1, cutoff=_TYPO_RATIO)
        if close:
            raise ConfigurationError(
                f"Unknown option {name!r}. Did you mean {close[0]!r}? (Keywords that are not "
                "the engine's own go to the provider unchanged.)"
            )


class ClusterOptions(TypedDict, total=False):
    """With ``cluster=``: rows per partition, the job's folder name, a progress callback."""

    partition_size: int | None
    job: str | None
    progress: Callable[[ClusterProgress], object] | None


class PipelineMatrixOptions(ClusterOptions, total=False):
    """``pipeline_matrix``'s ``**kwargs``: ``session_id``, and with ``cluster=`` the
    :class:`ClusterOptions`."""

    session_id: str | None


class PipelineMatrixSyncOptions(PipelineMatrixOptions, total=False):
    """``pipeline_matrix_sync``'s ``**kwargs``: every keyword of ``pipeline_matrix``."""

    cluster: object
    concurrency: int
    namespace: Mapping[str, object] | None


class BatchOptions(TypedDict, total=False):
    """``matrix(mode="batch")``'s keywords, passed to :func:`~.batch.submit`."""

    name: str | None
    confirm: bool
    confirm_above: float | None
    system: str | None
    max_tokens: int | None
    temperature: float | None
    chunk_size: int | None
    fts: bool
    keep_content: bool


class MatrixOptions(BatchOptions, CallOptions, ClusterOptions, total=False):
    """``matrix``'s ``**kwargs``. Which apply depends on the mode: ``mode="batch"`` takes
    the :class:`BatchOptions`; with ``cluster=``, the :class:`ClusterOptions`; otherwise
    ``observer`` and ``run_id``, and the rest go to ``compare`` (:class:`CallOptions`).
    A keyword the mode does not take is refused where it lands, as it always was."""

    observer: Callable[[MatrixEvent], object] | None


class MatrixSyncOptions(MatrixOptions, total=False):
    """``matrix_sync``'s ``**kwargs``: every keyword of ``matrix``."""

    concurrency: int
    mode: str
    cluster: object
    namespace: Mapping[str, object] | None


class FromConfigOptions(TypedDict, total=False):
    """``from_config``'s ``**options``: the engine's arguments a config does not carry
    (``audit`` defaults to the session's trail), and ``limit_share`` (see
    :func:`~.cluster.config.engine_from_config`)."""

    session: Session | None
    audit: AuditTrail | str | Path | bool | None
    limit_share: int
    credentials: Mapping[str, object] | None
    pools: str | Path | Mapping[str, object] | Iterable[Pool] | None
    catalogue: Catalogue | str | Path | Mapping[str, object] | None
    bus: ContextBus | None
    identity: Identity | None
    replay: bool
    router: Router | None
    redis: str | RedisSettings | bool | None
