"""A logging filter that masks keys in every record of the SDK and HTTP loggers.

The provider SDKs and the HTTP stacks under them log request details at DEBUG, and
some of their messages quote header values: httpcore2 logs an "Illegal header value"
error with the whole ``Authorization`` header in it. :func:`install` puts one
:class:`SecretFilter` on each of those loggers and on each of their child loggers (a
logger's filters do not see the records its children pass up). A child logger made
later, by a late import, is covered by the same filter run from the log-record factory
(the previous factory is kept and called first); :func:`install` runs when the first
secret is made and again each time an SDK client is made (through
:func:`orchestration_kernel.secrets.guard_logs`, which hands it the masking function).
The filter rewrites a record's message, arguments, exception and stack text through
:func:`~orchestration_kernel.secrets.mask`, which knows every secret made in this
process in every form it may be written in. Records below a logger's level are never
created, so the filter costs nothing unless someone turned DEBUG logging on. This module
imports nothing of ours, so :mod:`.secrets` can use it without a cycle.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["SDK_LOGGERS", "SecretFilter", "install"]

#: The loggers (and their children) whose records may carry request material.
SDK_LOGGERS = (
    "openai",
    "anthropic",
    "google_genai",
    "google.genai",
    "perplexity",
    "httpx",
    "httpx2",
    "httpcore",
    "httpcore2",
    "h11",
    "hpack",
)

_lock = threading.Lock()
_factory_installed = False


Masker = Callable[[str], str]


class SecretFilter(logging.Filter):
    """Rewrites each record through ``mask`` so that no form of a known key remains in it;
    never drops one."""

    def __init__(self, mask: Masker) -> None:
        super().__init__()
        self.mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        mask = self.mask
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep its text, still masked
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = mask(message), None
        if record.exc_info and record.exc_info[1] is not None:
            text = record.exc_text or "".join(traceback.format_exception(*record.exc_info))
            # The formatter shows exc_text when it is set; the exception object itself
            # (which may hold the request and its headers) goes no further.
            record.exc_text, record.exc_info = mask(text.rstrip("\n")), None
        elif record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


_FILTER: SecretFilter | None = None


def _covered(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in SDK_LOGGERS)


def install(mask: Masker) -> SecretFilter:
    """Put the filter (masking through ``mask``; the first one given is kept) on every SDK
    and HTTP logger that exists now, and in the log-record factory for those made later
    (idempotent, cheap)."""
    global _FILTER, _factory_installed
    names = [n for n in list(logging.root.manager.loggerDict) if _covered(n)]
    with _lock:
        if _FILTER is None:
            _FILTER = SecretFilter(mask)
        for name in {*SDK_LOGGERS, *names}:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
        if not _factory_installed:
            factory = _masking_factory(logging.getLogRecordFactory(), _FILTER)
            logging.setLogRecordFactory(factory)
            _factory_installed = True
    return _FILTER


def _masking_factory(
    previous: Callable[..., logging.LogRecord], masking: SecretFilter
) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _covered(record.name):
            masking.filter(record)
        return record

    return factory
