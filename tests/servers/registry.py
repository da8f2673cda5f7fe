"""The server classes by kind name, for the CLI and :func:`spawn_server`."""

from __future__ import annotations

from .anthropic_server import AnthropicServer
from .base import WireServer
from .gemini_server import GeminiServer
from .openai_server import OpenAIServer
from .perplexity_server import PerplexityServer
from .token_server import TokenServer

__all__ = ["SERVERS"]

SERVERS: dict[str, type[WireServer]] = {
    "openai": OpenAIServer,
    "anthropic": AnthropicServer,
    "gemini": GeminiServer,
    "perplexity": PerplexityServer,
    "token": TokenServer,
}
