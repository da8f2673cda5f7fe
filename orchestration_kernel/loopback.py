"""Is a base URL on this machine? A refused connection there is not a blip to retry.

A server on loopback (Ollama, vLLM, llama.cpp started by hand, the embedded model) that
refuses a connection is not running: nothing will be listening 0.5 s or 2 s later, so the
engine fails at once with the error that names the address, instead of three tries over
several seconds. A remote host keeps its retries (a load balancer restarting, a blip).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["is_loopback"]


def is_loopback(url: str | None) -> bool:
    """True when ``url``'s host is ``localhost`` (or a name under ``.localhost``), an
    address in 127.0.0.0/8, or ``::1``; False for anything else or an unparsable URL."""
    if not url:
        return False
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return False
    if not host:
        return False
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
