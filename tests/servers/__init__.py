"""Loopback wire-protocol servers (OpenAI, Anthropic, Gemini, Perplexity) and a token endpoint.

The real provider SDKs talk real HTTP to these servers in tests, notebooks and benchmarks.
See ``tests/servers/README.md`` for usage.
"""

from .anthropic_batch import AnthropicBatchServer
from .anthropic_server import AnthropicServer
from .base import LoggedRequest, WireServer
from .faults import Fault
from .gemini_batch import GeminiBatchServer
from .gemini_server import GeminiServer
from .openai_batch import OpenAIBatchServer
from .openai_server import OpenAIServer
from .perplexity_server import PerplexityServer
from .spawn import SpawnedServer, spawn_server
from .token_server import TokenServer

__all__ = [
    "AnthropicBatchServer",
    "AnthropicServer",
    "Fault",
    "GeminiBatchServer",
    "GeminiServer",
    "LoggedRequest",
    "OpenAIBatchServer",
    "OpenAIServer",
    "PerplexityServer",
    "SpawnedServer",
    "TokenServer",
    "WireServer",
    "spawn_server",
]
