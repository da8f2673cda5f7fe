"""Named OpenAI-compatible servers: Ollama, vLLM, llama.cpp, LM Studio, or any other server
that speaks OpenAI's chat completions, through the OpenAI SDK with its own name and URL.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from .openai import OpenAIProvider

__all__ = ["PLACEHOLDER_KEY", "CompatibleProvider"]

#: Sent when a server needs no key: the OpenAI SDK refuses to run without one.
PLACEHOLDER_KEY = "not-needed"


class CompatibleProvider(OpenAIProvider):
    """An OpenAI-compatible server under its own provider name (``ollama:llama3.2``).

    ``base_url`` is required (the server's ``.../v1``); the key is optional. Unlike
    OpenAI itself these servers know ``max_tokens`` (not ``max_completion_tokens``) and
    ``user`` (not ``safety_identifier``). ``options={"stream_usage": False}`` for a
    server that rejects ``stream_options``.
    """

    default_name = "compatible"
    key_env: tuple[str, ...] = ()
    max_tokens_field = "max_tokens"
    user_field = "user"
    placeholder_key = PLACEHOLDER_KEY

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.base_url:
            raise ConfigurationError(
                f"the OpenAI-compatible provider {self.name!r} needs a base URL, e.g. "
                "base_url='http://localhost:11434/v1' for Ollama"
            )
