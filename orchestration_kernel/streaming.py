"""``engine.stream(...)``: a reply as it arrives, readable from any loop or thread.

```python
stream = engine.stream("gemini-pro", "...")
async for delta in stream:        # or: for delta in stream (blocking)
    if delta.kind == "text": show(delta.text)
    elif delta.kind == "reset": clear()            # a failed attempt; a retry follows
    elif delta.kind == "replace": show_only(delta.text)   # the Guardian replaced the text
stream.reply                      # the complete, checked Reply
```
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from .errors import StreamConsumed
from .models import Delta, Reply
from .runtime import BridgedIterator, Runtime

__all__ = ["ReplyStream", "consumed_message"]

#: Runs the call, handing each delta to the function it is given (the stream's bridge).
Producer = Callable[[Callable[[Delta], None]], Awaitable[Reply]]


class ReplyStream:
    """An iterator of :class:`Delta` values; ``reply`` is set once the stream ends.

    The call starts when iteration starts. Leaving the loop early cancels the call.
    ``text`` is what a reader who applied every delta would be showing. A stream is read
    once: iterating it again raises :class:`~orchestration_kernel.errors.StreamConsumed`
    (a generator would silently yield nothing); ``reply`` and ``text`` stay.
    """

    def __init__(self, runtime: Runtime, produce: Producer) -> None:
        self._runtime = runtime
        self._produce = produce
        self._bridge: BridgedIterator[Delta | Reply] | None = None
        self.reply: Reply | None = None
        self.text = ""

    async def _push(self, put: Callable[[Delta | Reply], None]) -> None:
        # On the runtime loop: each delta goes straight to the bridge (no queue, no task,
        # no future per delta); the reply goes last, so it is set when the reader gets
        # to the end, not before.
        put(await self._produce(put))

    def _apply(self, delta: Delta) -> Delta:
        if delta.kind == "text":
            self.text += delta.text
        elif delta.kind == "reset":
            self.text = ""
        else:
            self.text = delta.text
        return delta

    def _source(self) -> BridgedIterator[Delta | Reply]:
        if self._bridge is None:
            self._bridge = self._runtime.iterate_pushed(self._push)
        return self._bridge

    def __aiter__(self) -> AsyncIterator[Delta]:
        if self._bridge is not None:  # one stream is one call: a second read gets nothing
            raise StreamConsumed(consumed_message(self.reply))
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[Delta]:
        async for item in self._source():
            if isinstance(item, Reply):
                self.reply = item
            else:
                yield self._apply(item)

    def __iter__(self) -> Iterator[Delta]:
        if self._bridge is not None:  # said at the loop, not at its first item
            raise StreamConsumed(consumed_message(self.reply))
        return self._iter()

    def _iter(self) -> Iterator[Delta]:
        for item in self._source():
            if isinstance(item, Reply):
                self.reply = item
            else:
                yield self._apply(item)

    async def collect(self) -> Reply:
        """Consume the whole stream and return the final reply (at once if it was read)."""
        if self.reply is None:
            async for _ in self:
                pass
        assert self.reply is not None
        return self.reply

    def collect_sync(self) -> Reply:
        """Blocking twin of :meth:`collect`."""
        if self.reply is None:
            for _ in self:
                pass
        assert self.reply is not None
        return self.reply

    def close(self) -> None:
        """Stop the stream; the call is cancelled."""
        if self._bridge is not None:
            self._bridge.close()


def consumed_message(reply: Reply | None) -> str:
    """Why a stream cannot be iterated again, and where its reply is."""
    if reply is not None:
        return (
            "This stream was already read to its end: its reply is in stream.reply "
            "(stream.reply.text for the text). A stream is one call, read once; call "
            "engine.stream(...) again for a new reply."
        )
    return (
        "This stream was read already: it was stopped before its end (its call cancelled), "
        "its call failed, or another loop is reading it. A stream is one call, read once; "
        "call engine.stream(...) again for a new reply."
    )
