"""A YAML loader whose size and depth are bounded while it composes, not after.

YAML aliases let a few hundred bytes stand for millions of nodes (the "billion laughs"
alias bomb), and plain nesting can be deep enough to exhaust Python's stack in every
recursive walk that follows. PyYAML's own composer layer is extended here: each composed
node counts once, and each alias counts the *expanded* size of the node it repeats (known
from when that node was composed), so the count is the size of the data the document
stands for, computed in time linear in the text. The same bookkeeping tracks the expanded
depth. Past either bound, composing stops with a :class:`yaml.composer.ComposerError`
positioned at the node or alias that crossed it. An alias inside the node it names (a
self-referencing structure, ``steps: &a [*a]``) is refused the same way.

Events come from libyaml when PyYAML was built with it (much faster on large scalars),
else from PyYAML's pure-Python parser; both carry line and column marks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.error import Mark
from yaml.events import AliasEvent, Event, NodeEvent
from yaml.nodes import Node
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

if TYPE_CHECKING:
    from yaml._yaml import Mark as CMark

__all__ = ["MAX_DEPTH", "MAX_NODES", "BoundedLoader", "YAMLBoundError"]

#: Values a spec may stand for once its aliases are expanded. Five hundred steps with
#: every key set are about 20,000; an alias bomb is millions.
MAX_NODES = 50_000
#: Nesting levels a spec may have (aliases expanded). A spec needs about six.
MAX_DEPTH = 64


class _EventStream(Protocol):
    """What the composer reads events from: libyaml's parser or PyYAML's."""

    def check_event(self, *choices: type[Event]) -> bool: ...
    def peek_event(self) -> Event | None: ...
    def get_event(self) -> Event | None: ...
    def dispose(self) -> None: ...


class _PurePythonEvents(Reader, Scanner, Parser):
    """PyYAML's pure-Python event parser, with the reader and scanner it needs."""

    def __init__(self, text: str) -> None:  # pragma: no cover - PyYAML without libyaml
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)


def _event_source() -> Callable[[str], _EventStream]:
    """libyaml's event parser when PyYAML was built with it, else the pure-Python one."""
    try:
        from yaml._yaml import CParser

        return CParser
    except ImportError:  # pragma: no cover - PyYAML without libyaml
        return _PurePythonEvents


_new_events = _event_source()


def _error_mark(mark: Mark | CMark | None) -> Mark | None:
    """An event's mark as the error's type: libyaml's marks become PyYAML's, with the same
    name, index, line and column (neither kind has a snippet without a buffer, so the
    error reads the same)."""
    if mark is None or isinstance(mark, Mark):
        return mark
    return Mark(mark.name, mark.index, mark.line, mark.column, mark.buffer, mark.pointer)


class YAMLBoundError(ComposerError):
    """The YAML is well-formed but stands for too much data, too deep, or a cycle."""


class _BoundedComposer(Composer):
    """PyYAML's composer, counting expanded nodes and depth as it goes."""

    max_nodes: int = MAX_NODES
    max_depth: int = MAX_DEPTH
    # The event stream's own methods, bound in by BoundedLoader (libyaml's or PyYAML's):
    # Composer calls them on self, and a bound method is as fast as an inherited one.
    check_event: Callable[[type[Event]], bool]
    peek_event: Callable[[], Event | None]
    get_event: Callable[[], Event | None]

    def _start_bounds(self) -> None:
        self.expanded = 0  # nodes composed so far, each alias counted at its full size
        self._depth = 0  # the current expanded depth
        self._reach = 0  # the deepest expanded level reached inside the node being composed
        #: id(anchored node) -> (expanded size, expanded height); absent while composing it.
        self._measures: dict[int, tuple[int, int]] = {}

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            return self._compose_alias(parent, index)
        event = self.peek_event()
        if not isinstance(event, NodeEvent):  # never: the composer asks at a node's event
            return super().compose_node(parent, index)
        mark = event.start_mark
        self._depth += 1
        if self._depth > self.max_depth:
            raise YAMLBoundError(
                None,
                None,
                f"the YAML nests deeper than {self.max_depth} levels",
                _error_mark(mark),
            )
        self._grow(1, mark)
        before, outer_reach = self.expanded - 1, self._reach
        self._reach = self._depth
        anchor = event.anchor
        node = super().compose_node(parent, index)
        if anchor is not None:
            self._measures[id(node)] = (self.expanded - before, self._reach - self._depth + 1)
        self._reach = max(outer_reach, self._reach)
        self._depth -= 1
        return node

    def _compose_alias(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()
        if not isinstance(event, AliasEvent):  # never: called at an alias event
            return super().compose_node(parent, index)
        target = self.anchors.get(event.anchor)
        if target is not None:  # an undefined alias is PyYAML's own error, below
            measure = self._measures.get(id(target))
            if measure is None:
                raise YAMLBoundError(
                    None,
                    None,
                    f"the alias *{event.anchor} is inside the node it names, so it would "
                    "repeat itself forever",
                    _error_mark(event.start_mark),
                )
            size, height = measure
            if self._depth + height > self.max_depth:
                raise YAMLBoundError(
                    None,
                    None,
                    f"the alias *{event.anchor} makes the YAML nest deeper than "
                    f"{self.max_depth} levels",
                    _error_mark(event.start_mark),
                )
            self._reach = max(self._reach, self._depth + height)
            self._grow(size, event.start_mark, alias=event.anchor)
        return super().compose_node(parent, index)

    def _grow(self, count: int, mark: Mark | CMark | None, alias: str | None = None) -> None:
        self.expanded += count
        if self.expanded > self.max_nodes:
            what = (
                f"the alias *{alias} makes the YAML expand to more than {self.max_nodes:,} "
                "values (aliases that repeat large nodes many times are refused)"
                if alias
                else f"the YAML holds more than {self.max_nodes:,} values"
            )
            raise YAMLBoundError(None, None, what, _error_mark(mark))


class BoundedLoader(_BoundedComposer, SafeConstructor, Resolver):
    """A safe YAML loader (no tags that run code) with bounded alias expansion and depth."""

    def __init__(self, text: str) -> None:
        self._events = events = _new_events(text)
        self.check_event = events.check_event
        self.peek_event = events.peek_event
        self.get_event = events.get_event
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._start_bounds()

    def get_single_node(self) -> yaml.Node | None:
        """The document's root node (PyYAML's composer, not libyaml's, so bounds apply)."""
        return Composer.get_single_node(self)

    def dispose(self) -> None:
        """Release the event parser's state (PyYAML's loaders do this after each load)."""
        self._events.dispose()
