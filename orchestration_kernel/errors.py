"""Every exception orchestration-kernel raises, in one hierarchy.

```
OrchestrationError                     base of everything we raise
├── ConfigurationError                 the user's set-up is wrong; nothing was sent (also a
│   │                                  ValueError, so ``except ValueError`` keeps working)
│   ├── MissingKeyError                no key for a provider; names the variable to set
│   ├── UnknownModelError              a model/pool name we cannot resolve; suggests near names
│   ├── UnknownNameError               a policy, step, service or fault name we do not know;
│   │                                  suggests near names (also a KeyError)
│   ├── UsageError                     a call an object does not take: an unknown audit column,
│   │                                  a value of the wrong kind (also a TypeError)
│   ├── SpecError                      a pipeline spec is invalid; carries line and column
│   ├── InvalidInputError              a prompt or bus value we cannot use (e.g. a lone surrogate)
│   ├── LocalModelError                the embedded model cannot start: file missing or corrupt,
│   │                                  port in use, server failed to load
│   └── ConfirmationRequired           a batch job or a real-key --over cell costs more than the
│                                      threshold; a batch job's carries its plan
├── ProviderError                      a provider call failed (one attempt)
│   ├── RetryableError                 the engine may try the same deployment again
│   │   ├── RateLimitError             429; carries retry_after
│   │   ├── ServerError                5xx, Anthropic's 529 "overloaded"
│   │   ├── ProviderTimeout            connect / first token / idle / overall
│   │   ├── ConnectionFailure          refused, reset, DNS
│   │   └── IncompleteStreamError      no finish reason, dropped or malformed stream
│   └── FatalProviderError             retrying the same request cannot help
│       ├── BadRequestError            400 / 422
│       │   ├── ContextWindowExceeded  the prompt does not fit (failover may help)
│       │   └── ContentPolicyError     the provider refused the content (failover may help)
│       ├── AuthenticationError        401 / 403
│       └── NotFoundError              404: unknown model or route
├── AllAttemptsFailed                  retries and fallbacks exhausted; carries the attempts
├── GuardianBlocked                    the Guardian blocked a call; carries the decisions
├── PipelineError                      a pipeline run failed; carries the partial result
├── RunCancelled                       a run was cancelled (interrupt or cancel())
├── StreamConsumed                     a reply stream iterated again once read (or stopped);
│                                      its reply stays in ``stream.reply``
├── BatchJobError                      a batch job cannot go on as asked (resume, reconcile)
│   └── BatchReconcileError            after a crash, which provider batch is ours is ambiguous
├── AuditIntegrityError                the audit chain does not verify
├── StorageError                       a database or key file cannot be opened, read or written;
│   │                                  names the file, the cause and what to do
│   ├── AuditWriteError                the audit cannot commit (disk full, read-only): calls,
│   │                                  runs and compares fail fast until it recovers
│   └── ExportError                    an export cannot be written where asked (no such
│                                      folder, permission, read-only); also an OSError
├── SharedStateError                   Redis (shared state) unreachable; nothing was written
└── ClusterError                       a Dask cluster lost a job's work (scheduler gone, workers
                                       dying); what finished is kept, a rerun computes the rest
```

Messages never contain secrets: every ``str()`` of these errors is safe to show.

Every mistake a user can make (a name, a value, a config entry) raises a
``ConfigurationError`` or a subclass; a bare ``ValueError``/``TypeError`` from the core is
either pydantic's validator protocol (turned into a ``ConfigurationError`` by the caller)
or a bug. The models and dataclasses a user fills in by hand (``Identity``, ``Message``,
``GuardianConfig``, ``PipelineSpec``, ``RetryPolicy``, ``Timeouts``, ``SimulatorConfig``)
check their fields through :mod:`.user_spec`, so pydantic's own error never reaches a user.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .near_names import did_you_mean, nearest

__all__ = [
    "AllAttemptsFailed",
    "AuditIntegrityError",
    "AuditWriteError",
    "AuthenticationError",
    "BadRequestError",
    "BatchJobError",
    "BatchReconcileError",
    "ClusterError",
    "ConfigurationError",
    "ConfirmationRequired",
    "ConnectionFailure",
    "ContentPolicyError",
    "ContextWindowExceeded",
    "ExportError",
    "FatalProviderError",
    "GuardianBlocked",
    "IncompleteStreamError",
    "InvalidInputError",
    "LocalModelError",
    "MissingKeyError",
    "NotFoundError",
    "OrchestrationError",
    "PipelineError",
    "ProviderError",
    "ProviderTimeout",
    "RateLimitError",
    "RetryableError",
    "RunCancelled",
    "ServerError",
    "SharedStateError",
    "SpecError",
    "StorageError",
    "StreamConsumed",
    "UnknownModelError",
    "UnknownNameError",
    "UsageError",
]


class OrchestrationError(Exception):
    """Base class of every error orchestration-kernel raises."""

    #: True when the error is the user's mistake: the magics show it without a traceback.
    user_error: bool = False


class ConfigurationError(OrchestrationError, ValueError):
    """The set-up is wrong (a key, a name, a spec); no request was sent.

    Also a :class:`ValueError`, so code written ``except ValueError`` keeps working where
    a bare ``ValueError`` was raised before."""

    user_error = True


class MissingKeyError(ConfigurationError):
    """A provider has no credential. The message names the variable to set."""

    def __init__(self, provider: str, env_vars: list[str], model: str | None = None) -> None:
        self.provider = provider
        self.env_vars = env_vars
        self.model = model
        names = " or ".join(env_vars) if env_vars else "a key in code"
        what = f"model {model!r} needs provider {provider!r}" if model else f"provider {provider!r}"
        # In a notebook, the magic asks for the key without it landing in the notebook.
        ask = f" (in a notebook, '%orchestrate key {provider}' asks for it)" if env_vars else ""
        super().__init__(
            f"No API key for {provider}: {what}. Set {names}{ask}, pass api_key= in code, or run "
            f"offline on the simulator with ORCHESTRATION_OFFLINE=auto (or "
            f"'%orchestrate offline auto' in a notebook)."
        )


class UnknownModelError(ConfigurationError):
    """A model, alias or pool name could not be resolved."""

    def __init__(self, name: str, suggestions: list[str] | None = None) -> None:
        self.name = name
        self.suggestions = list(suggestions or [])
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"Unknown model {name!r}.{hint}")


class UnknownNameError(ConfigurationError, KeyError):
    """A name we do not know: a Guardian policy, a pipeline step, a session service, a
    simulator fault. The message names it, suggests near names and lists the known ones.

    Also a :class:`KeyError`, so ``except KeyError`` keeps working where one was raised."""

    def __init__(
        self, message: str, *, name: str | None = None, suggestions: Iterable[str] = ()
    ) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        super().__init__(message)

    #: The message as written (``KeyError``'s own ``str()`` would quote it).
    __str__ = BaseException.__str__

    @classmethod
    def of(cls, kind: str, name: str, known: Iterable[str], hint: str = "") -> UnknownNameError:
        """``Unknown {kind} {name!r}. Did you mean …? Known: …. {hint}``."""
        known = list(known)
        listing = ", ".join(known) or "none"
        text = f"Unknown {kind} {name!r}.{did_you_mean(name, known)} Known: {listing}."
        return cls(text + (f" {hint}" if hint else ""), name=name, suggestions=nearest(name, known))


class UsageError(ConfigurationError, TypeError):
    """A call an object does not take: an unknown keyword (an audit column), a value of
    the wrong kind (a policy that is neither callable nor has ``check``), an operation the
    object does not support. The message names what was wrong.

    Also a :class:`TypeError`, so ``except TypeError`` keeps working where one was raised."""


class SpecError(ConfigurationError):
    """A pipeline spec is invalid. ``errors`` lists each problem with its position."""

    def __init__(self, errors: list[SpecProblem] | str, source: str | None = None) -> None:
        if isinstance(errors, str):
            errors = [SpecProblem(errors)]
        self.errors = errors
        self.source = source
        lines = [str(e) for e in errors]
        head = "Invalid pipeline spec" if len(lines) == 1 else f"{len(lines)} problems in spec"
        super().__init__(head + ":\n  " + "\n  ".join(lines))


class InvalidInputError(ConfigurationError):
    """A value given to us cannot be used as it is (text that cannot be encoded, an input
    past a bound). ``what`` names the input: the prompt, a message, a bus topic or value."""

    def __init__(self, message: str, *, what: str | None = None) -> None:
        self.what = what
        super().__init__(message)


class LocalModelError(ConfigurationError):
    """The embedded local model cannot serve: its model file is missing or corrupt, the port
    it was told to use is taken, or its server did not start. The message says which."""


class ConfirmationRequired(ConfigurationError):
    """A batch job, or a ``--over`` cell with real keys, would cost more than the confirm
    threshold; ``plan`` is what a batch job would do. Nothing was sent: pass
    ``confirm=True`` (``--yes`` in the magic) to go ahead."""

    def __init__(self, message: str, plan: Any = None) -> None:
        self.plan = plan
        super().__init__(message)


class SpecProblem:
    """One problem in a spec: a message and, where known, its YAML line and column (1-based)."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.path = path

    def __str__(self) -> str:
        where = ""
        if self.line is not None:
            where = f"line {self.line}" + (f", column {self.column}" if self.column else "") + ": "
        at = f"{self.path}: " if self.path else ""
        return f"{where}{at}{self.message}"

    def __repr__(self) -> str:
        return f"SpecProblem({str(self)!r})"


class ProviderError(OrchestrationError):
    """One provider call failed.

    ``status`` is the HTTP status where there was one; ``retry_after`` is seconds
    from a ``Retry-After`` header. Messages are scrubbed of credentials.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.status = status
        self.retry_after = retry_after
        self.body = body
        prefix = f"[{provider}] " if provider else ""
        code = f" (HTTP {status})" if status else ""
        super().__init__(f"{prefix}{message}{code}")

    @property
    def error_type(self) -> str:
        """A short stable name for the audit's ``error_type`` column."""
        return type(self).__name__


class RetryableError(ProviderError):
    """The same request may succeed if tried again."""

    retryable = True


class RateLimitError(RetryableError):
    """HTTP 429. ``retry_after`` holds the server's hint, if any."""


class ServerError(RetryableError):
    """HTTP 5xx, or a provider's "overloaded" signal."""


class ProviderTimeout(RetryableError):
    """A timeout: ``phase`` is ``connect``, ``first_token``, ``idle`` or ``overall``."""

    def __init__(self, message: str, *, phase: str = "overall", **kw: Any) -> None:
        self.phase = phase
        super().__init__(message, **kw)


class ConnectionFailure(RetryableError):
    """The connection could not be made or was lost before a response.

    ``refused_locally``: the connection was refused by a server on this machine
    (loopback), which is not running; the engine does not retry it (see ``loopback.py``).
    """

    refused_locally: bool = False


class IncompleteStreamError(RetryableError):
    """A stream ended without a finish reason, dropped, or sent a malformed chunk."""


class FatalProviderError(ProviderError):
    """Retrying the same request on the same deployment cannot help."""


class BadRequestError(FatalProviderError):
    """HTTP 400 or 422."""


class ContextWindowExceeded(BadRequestError):
    """The request does not fit the model's context window. A fallback may fit."""


class ContentPolicyError(BadRequestError):
    """The provider refused the content. A fallback may accept it."""


class AuthenticationError(FatalProviderError):
    """HTTP 401 or 403."""


class NotFoundError(FatalProviderError):
    """HTTP 404: unknown model or route."""


class AllAttemptsFailed(OrchestrationError):
    """Every attempt (retries and fallbacks) failed. ``attempts`` lists them; ``last`` is the
    final provider error."""

    def __init__(
        self,
        model: str,
        attempts: list[Any],
        last: BaseException | None,
        message: str | None = None,
    ) -> None:
        self.model = model
        self.attempts = attempts
        self.last = last
        n = len(attempts)
        super().__init__(
            message or f"{model}: all {n} attempt{'s' if n != 1 else ''} failed; last error: {last}"
        )

    @property
    def user_error(self) -> bool:  # type: ignore[override]
        """A missing key or unknown model at the bottom is still the user's to fix."""
        return bool(getattr(self.last, "user_error", False))


class GuardianBlocked(OrchestrationError):
    """The Guardian blocked a call. ``decisions`` says which policy and why."""

    user_error = True

    def __init__(self, stage: str, decisions: list[Any]) -> None:
        self.stage = stage
        self.decisions = decisions
        blocking = [d for d in decisions if getattr(d, "action", None) == "block"]
        # The Guardian's overall decision repeats its policies' reasons: name the policies.
        specific = [d for d in blocking if getattr(d, "policy", None) != "guardian"]
        reasons = "; ".join(
            f"{getattr(d, 'policy', '?')}: {', '.join(getattr(d, 'reasons', []) or [])}"
            for d in specific or blocking
        )
        super().__init__(f"Guardian blocked the {stage}: {reasons or 'policy decision'}")


class PipelineError(OrchestrationError):
    """A pipeline run failed. ``result`` is the partial :class:`PipelineResult`."""

    def __init__(self, message: str, result: Any = None) -> None:
        self.result = result
        super().__init__(message)


class RunCancelled(OrchestrationError):
    """A run was cancelled. ``result`` is the partial result, steps marked ``cancelled``."""

    def __init__(self, message: str = "run cancelled", result: Any = None) -> None:
        self.result = result
        super().__init__(message)


class StreamConsumed(OrchestrationError, RuntimeError):
    """A :class:`~orchestration_kernel.streaming.ReplyStream` was iterated again: one stream
    is one call, read once. The message says whether it was read to its end (its reply is
    in ``stream.reply``), stopped early or is being read elsewhere, and what to do."""

    user_error = True


class BatchJobError(OrchestrationError):
    """A batch job cannot go on as asked: an unknown job name, a name already taken, a
    manifest that does not read. The message names the job and the file."""

    user_error = True


class BatchReconcileError(BatchJobError):
    """After an interrupted submit, more than one provider batch could be ours (Anthropic
    batches carry no metadata). Nothing was resubmitted; ``candidates`` lists the ids."""

    def __init__(self, message: str, candidates: list[str] | None = None) -> None:
        self.candidates = list(candidates or [])
        super().__init__(message)


class AuditIntegrityError(OrchestrationError):
    """The audit hash chain or its anchor does not verify."""


class StorageError(OrchestrationError):
    """A database or key file cannot be opened, read or written.

    ``path`` is the file; the message names it, says what is wrong (``disk full``, not a
    database, read-only ...) and what to do. A problem of the machine, not a bug: shown
    without a traceback.
    """

    user_error = True

    def __init__(self, message: str, path: str | None = None, cause: str | None = None) -> None:
        self.path = path
        #: The cause in a few words (``"disk full"``, ``"read-only"``, ``"not a database"``).
        self.cause = cause
        super().__init__(message)


class AuditWriteError(StorageError):
    """The audit trail cannot commit. Until it recovers (by itself, when the cause goes
    away) every call, run and compare fails fast with this error: nothing runs unaudited.
    ``lost`` counts records that could not be written when the trail closed."""

    def __init__(
        self, message: str, path: str | None = None, cause: str | None = None, lost: int = 0
    ) -> None:
        self.lost = lost
        super().__init__(message, path, cause)


class ExportError(StorageError, OSError):
    """An export cannot be written where asked: no such folder, no permission, a
    read-only disk, a file where a folder should be, a full disk. Nothing was written
    there (an existing file is left as it was). The message names the path, the cause
    and what to do. Also an :class:`OSError`, as the error it replaces was."""


class SharedStateError(OrchestrationError):
    """The shared Redis could not be reached, so a write that promises durability was
    refused (nothing was written); the message names the server, without its password."""


class ClusterError(OrchestrationError):
    """A Dask cluster lost a job's work: its scheduler went away, or a partition's workers
    kept dying (killed, out of memory). The message names the cluster and says how many
    partitions are kept; running the job again computes only the rest."""

    user_error = True
