"""A base URL as it may be shown: scheme, host, port and path, never credentials or query.

Error messages and the model list name the server a provider talks to; a URL can carry a
user and password (``http://user:pw@host``) or a key in its query, which must never reach
an output.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["shown_address"]


def shown_address(url: str) -> str:
    """``url`` without credentials or query: scheme, host, port and path only (or "the
    configured base URL" when it cannot be parsed, rather than echo it)."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # an unparsable port: say nothing rather than echo the URL
        return "the configured base URL"
    if not parts.scheme or not parts.hostname:
        return "the configured base URL"
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"
