"""The ``moderation`` policy: OpenAI's moderation endpoint, off unless the user turns it on.

The openai SDK is imported when the first check runs, not before. The key comes from
``api_key=`` or ``OPENAI_API_KEY`` (the usual lookup order); ``base_url`` from the argument
or ``OPENAI_BASE_URL``, so it works against any compatible server.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import MissingKeyError
from ..models import Action
from ..secrets import Secret, lookup_secret
from .context import GuardContext, Stage
from .model_client import ModerationClient
from .policy import ALL_STAGES, BasePolicy, Outcome

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["ModerationPolicy"]


class ModerationPolicy(BasePolicy):
    """Blocks (by default) text that the moderation endpoint flags.

    With ``threshold`` set, a text also counts as flagged when any category score reaches
    it (the endpoint's own ``flagged`` otherwise decides alone).
    """

    name = "moderation"
    is_async = True

    def __init__(
        self,
        *,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        model: str = "omni-moderation-latest",
        action: Action = "block",
        threshold: float | None = None,
        timeout: float = 10.0,
        stages: Iterable[Stage] = ALL_STAGES,
        name: str | None = None,
        client: ModerationClient | None = None,
    ) -> None:
        super().__init__(name=name, stages=stages)
        self._api_key = Secret(api_key) if isinstance(api_key, str) else api_key
        self.base_url = base_url
        self.model = model
        self.action: Action = action
        self.threshold = threshold
        self.timeout = timeout
        self._client = client

    def _get_client(self) -> ModerationClient:
        if self._client is None:
            self._client = openai_client(
                self._api_key, self.base_url, self.timeout, self.model, max_retries=1
            )
        return self._client

    async def check(self, text: str, ctx: GuardContext, stage: Stage) -> Outcome | None:
        """Ask the endpoint; block when it flags the text."""
        if not text.strip():
            return None
        response = await self._get_client().moderations.create(input=text, model=self.model)
        result = response.results[0]
        scores = _scores(getattr(result, "category_scores", None))
        categories = sorted(k for k, v in _as_dict(result.categories).items() if v)
        top = max(scores.values(), default=0.0)
        flagged = bool(result.flagged) or (self.threshold is not None and top >= self.threshold)
        if not flagged:
            return None
        what = ", ".join(c.replace("_", " ") for c in categories) or "unspecified categories"
        return Outcome(
            self.action,
            [f"flagged by the moderation endpoint ({self.model}): {what}"],
            score=round(top, 4),
            threshold=self.threshold,
        )

    async def aclose(self) -> None:
        """Close the HTTP client, if one was made."""
        close = getattr(self._client, "close", None)  # a client= given may have none
        if close is not None:
            await close()
            self._client = None


def _scores(value: object) -> dict[str, float]:
    """The category scores that are numbers (what the endpoint sends; ``None`` left out)."""
    return {k: v for k, v in _as_dict(value).items() if isinstance(v, int | float)}


def _as_dict(value: object) -> dict[str, object]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    dump = getattr(value, "model_dump", None)
    return {k: v for k, v in (dump() if dump else vars(value)).items() if v is not None}


def openai_client(
    api_key: Secret | None, base_url: str | None, timeout: float, model: str, *, max_retries: int
) -> AsyncOpenAI:
    """An ``AsyncOpenAI`` client for a model-backed policy: the key from ``api_key`` or
    ``OPENAI_API_KEY`` (missing: :class:`MissingKeyError` naming it), the base URL from
    ``base_url`` or ``OPENAI_BASE_URL``."""
    key = lookup_secret(["OPENAI_API_KEY"], api_key)
    if key is None:
        raise MissingKeyError("openai", ["OPENAI_API_KEY"], model=model)
    from openai import AsyncOpenAI  # lazy: the SDK is heavy

    return AsyncOpenAI(
        api_key=key.get(),
        base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
        timeout=timeout,
        max_retries=max_retries,
    )
