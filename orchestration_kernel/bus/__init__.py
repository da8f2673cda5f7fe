"""The ContextBus: async pub/sub with wildcard topics, durable consumers and versioned
session state, persisted in SQLite (WAL) under ``ORCHESTRATION_HOME``.

```python
from orchestration_kernel.bus import ContextBus

bus = ContextBus()                                     # the session's store and runtime
await bus.publish("context.updated", {"topic": "q3"})  # merges into the session context
await bus.get_context()                                # {'topic': 'q3'}
async for m in bus.subscribe("run.#"):                 # '*' one segment, '#'/'**' many
    ...
```

Modules: :mod:`.bus` (ContextBus), :mod:`.topics` (wildcards), :mod:`.subscription`
(bounded queues, slow policies), :mod:`.durable` (named consumers), :mod:`.sessions`
(context and conversation), :mod:`.store` (the backend protocol), :mod:`.sqlite`,
:mod:`.memory`, :mod:`.redis_store` (shared by a team's kernels, live across processes),
:mod:`.metrics` (handoff percentiles), :mod:`.broker` (shared core).
"""

from .bus import ContextBus
from .memory import MemoryStore
from .message import BusMessage
from .sessions import CONTEXT_SET, CONTEXT_UPDATED
from .sqlite import SQLiteStore
from .store import ContextVersion, Store, Turn
from .subscription import SlowPolicy, Subscription
from .topics import TopicPattern, compile_pattern, step_topic, validate_topic

__all__ = [
    "CONTEXT_SET",
    "CONTEXT_UPDATED",
    "BusMessage",
    "ContextBus",
    "ContextVersion",
    "MemoryStore",
    "SQLiteStore",
    "SlowPolicy",
    "Store",
    "Subscription",
    "TopicPattern",
    "Turn",
    "compile_pattern",
    "step_topic",
    "validate_topic",
]
