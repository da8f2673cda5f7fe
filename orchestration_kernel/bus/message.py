"""The message a bus delivers."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from ..errors import ConfigurationError
from ..repr_floor import masked_repr

__all__ = ["BusMessage"]


@masked_repr()  # a key published in a message's data is never printed back
@dataclasses.dataclass(frozen=True, slots=True)
class BusMessage:
    """One published message.

    ``seq`` increases with every publish in a process. For a durable message it is the
    message's position in the persisted log, which is what named consumers acknowledge.
    ``ts`` is the publish time (seconds since the epoch). ``consumer`` is set on the copies
    delivered to a named (durable) consumer, which can then :meth:`ack` them.
    """

    seq: int
    topic: str
    data: object
    session_id: str | None
    ts: float
    durable: bool = False
    consumer: str | None = None
    _acker: Callable[[str, BusMessage], Awaitable[None]] | None = dataclasses.field(
        default=None, repr=False, compare=False
    )

    async def ack(self) -> None:
        """Acknowledge this message (and all before it) for the consumer it was delivered to.

        Committed to the store before it returns. Only messages delivered to a named
        consumer (``subscribe(..., consumer="name")``) can be acknowledged.
        """
        if self.consumer is None or self._acker is None:
            raise ConfigurationError(
                "This message was not delivered to a named consumer, so there is nothing to "
                "acknowledge; subscribe with consumer='name' to get resumable delivery."
            )
        await self._acker(self.consumer, self)

    def for_consumer(
        self, consumer: str, acker: Callable[[str, BusMessage], Awaitable[None]]
    ) -> BusMessage:
        """A copy of this message addressed to a named consumer (so it can be acked)."""
        return dataclasses.replace(self, consumer=consumer, _acker=acker)
