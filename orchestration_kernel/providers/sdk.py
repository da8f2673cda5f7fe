"""The public base for SDK adapters, built-in or in another package.

A provider adapter subclasses :class:`SDKAdapter` and implements ``_make_client``,
``_complete`` and ``_stream``; the base makes the SDK client lazily on the runtime loop,
handles credentials, and maps every exception from the SDKs its ``ProviderInfo`` declares
(``sdk_modules``) onto :mod:`orchestration_kernel.errors`, so the engine retries, fails
over and audits the new provider like the built-ins. The helpers turn a
:class:`~orchestration_kernel.models.ChatRequest` into chat-completions messages and an
OpenAI-style usage object into :class:`~orchestration_kernel.models.Usage`.

See docs/ARCHITECTURE.md ("Adding a provider") for a whole provider in one file.
"""

from __future__ import annotations

from ._sdk import (
    SDKAdapter,
    StreamState,
    absorb_chat_chunk,
    activity_hooks,
    chat_messages,
    chat_usage,
    end_user,
    http_timeout,
    map_exception,
    relay_and_close,
    scrub,
    split_system,
)

__all__ = [
    "SDKAdapter",
    "StreamState",
    "absorb_chat_chunk",
    "activity_hooks",
    "chat_messages",
    "chat_usage",
    "end_user",
    "http_timeout",
    "map_exception",
    "relay_and_close",
    "scrub",
    "split_system",
]
