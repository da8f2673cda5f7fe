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

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from .models import Delta, Reply
from .runtime import BridgedIterator, Runtime

__all__ = ["ReplyStream"]

#: Runs the call, handing each delta to the function it is given (the stream's queue).
Producer = Callable[[Callable[[Delta], None]], Awaitable[Reply]]


class ReplyStream:
    """An iterator of :class:`Delta` values; ``reply`` is set once the stream ends.

    The call starts when iteration starts. Leaving the loop early cancels the call.
    ``text`` is what a reader who applied every delta would be showing.
    """

    def __init__(self, runtime: Runtime, produce: Producer) -> None:
        self._runtime = runtime
        self._produce = produce
        self._bridge: BridgedIterator[Delta] | None = None
        self.reply: Reply | None = None
        self.text = ""

    async def _deltas(self) -> AsyncIterator[Delta]:
        queue: asyncio.Queue[Delta | None] = asyncio.Queue()
        task = asyncio.ensure_future(self._produce(queue.put_nowait))
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while True:
                delta = await queue.get()
                if delta is None:
                    break
                yield delta
            self.reply = await task
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    def _apply(self, delta: Delta) -> Delta:
        if delta.kind == "text":
            self.text += delta.text
        elif delta.kind == "reset":
            self.text = ""
        else:
            self.text = delta.text
        return delta

    def _source(self) -> BridgedIterator[Delta]:
        if self._bridge is None:
            self._bridge = self._runtime.iterate(self._deltas())
        return self._bridge

    def __aiter__(self) -> AsyncIterator[Delta]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[Delta]:
        async for delta in self._source():
            yield self._apply(delta)

    def __iter__(self) -> Iterator[Delta]:
        for delta in self._source():
            yield self._apply(delta)

    async def collect(self) -> Reply:
        """Consume the whole stream and return the final reply."""
        async for _ in self:
            pass
        assert self.reply is not None
        return self.reply

    def collect_sync(self) -> Reply:
        """Blocking twin of :meth:`collect`."""
        for _ in self:
            pass
        assert self.reply is not None
        return self.reply

    def close(self) -> None:
        """Stop the stream; the call is cancelled."""
        if self._bridge is not None:
            self._bridge.close()
