"""What the model-backed policies use of an OpenAI client, as Protocols.

``ModerationPolicy`` and ``InjectionModelPolicy`` make an ``openai.AsyncOpenAI`` (see
``moderation.openai_client``) or take any ``client=`` with the same few members. Only
those members are named here, so neither the SDK's whole surface nor ``Any`` is needed;
``AsyncOpenAI`` satisfies both Protocols.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from openai.types.chat import (
        ChatCompletionSystemMessageParam,
        ChatCompletionUserMessageParam,
    )

    #: The messages a classifier request sends: one system and one user message.
    ClassifierMessage = ChatCompletionSystemMessageParam | ChatCompletionUserMessageParam

__all__ = ["ChatClient", "Completion", "ModerationClient"]


class _ModerationResult(Protocol):
    """One result of ``moderations.create``: the fields the policy reads."""

    @property
    def flagged(self) -> bool: ...

    @property
    def categories(self) -> object: ...


class _ModerationResponse(Protocol):
    @property
    def results(self) -> Sequence[_ModerationResult]: ...


class _Moderations(Protocol):
    async def create(self, *, input: str, model: str) -> _ModerationResponse: ...


class ModerationClient(Protocol):
    """A client with ``moderations.create(input=, model=)`` (``openai.AsyncOpenAI``)."""

    @property
    def moderations(self) -> _Moderations: ...


class _Message(Protocol):
    @property
    def content(self) -> str | None: ...


class _Choice(Protocol):
    @property
    def message(self) -> _Message: ...


class Completion(Protocol):
    """A chat completion: the answer is ``choices[0].message.content``; ``usage`` is read
    with ``getattr`` (servers may leave it out)."""

    @property
    def choices(self) -> Sequence[_Choice]: ...


class Completions(Protocol):
    async def create(
        self,
        *,
        model: str,
        messages: Iterable[ClassifierMessage],
        max_tokens: int,
        temperature: float,
    ) -> Completion: ...


class _Chat(Protocol):
    @property
    def completions(self) -> Completions: ...


class ChatClient(Protocol):
    """A client with ``chat.completions.create(...)`` (``openai.AsyncOpenAI``)."""

    @property
    def chat(self) -> _Chat: ...
