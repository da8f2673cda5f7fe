"""``when:`` conditions: a small, safe expression language. Never ``eval``.

A hand-written tokenizer and recursive-descent parser build a tiny tree; evaluating it
reads values through :mod:`.scope` (data access only). The grammar::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := postfix (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") postfix)*
    postfix    := atom ("." NAME | "[" expr "]")*
    atom       := STRING | NUMBER | true | false | null | NAME | "(" expr ")" | list
    list       := "[" [expr ("," expr)*] "]"

There are no calls, no arithmetic, no assignment, and no names starting with ``_``.
A condition is at most :data:`MAX_CONDITION_CHARS` characters and nests at most
:data:`MAX_NESTING` levels (brackets and ``not``), so neither its parse nor its evaluation
can exhaust memory or the stack.
A step name evaluates to the step: compared or searched, it acts as its output text,
read as a number when compared with a number (``score >= 7`` on an answer of ``"7"``);
``triage.guardian`` is the strictest Guardian action, ``triage.decisions`` the decisions.
Evaluation records every name and access it read, for the result and the audit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from .result import StepResult
from .scope import AccessError, Scope, format_value, get_attr, get_item

__all__ = [
    "MAX_CONDITION_CHARS",
    "MAX_NESTING",
    "Condition",
    "WhenError",
    "WhenEvalError",
    "WhenSyntaxError",
    "parse_condition",
]

#: Longest condition accepted. Real ones are a line; a long list of allowed values fits.
MAX_CONDITION_CHARS = 65_536
#: Deepest nesting of '(', '[' and 'not' accepted. The parser and the evaluator recurse
#: once per level (several frames each), so this keeps both far from the stack limit.
MAX_NESTING = 32
#: Longest number literal accepted (Python refuses to convert beyond 4,300 digits anyway).
MAX_NUMBER_DIGITS = 100


class WhenError(ValueError):
    """A ``when:`` condition is wrong. ``column`` is 1-based within the expression."""

    def __init__(self, message: str, column: int | None = None) -> None:
        self.column = column
        where = f" (column {column})" if column else ""
        super().__init__(f"{message}{where}")
        self.reason = message


class WhenSyntaxError(WhenError):
    """The condition does not parse."""


class WhenEvalError(WhenError):
    """The condition parsed but could not be evaluated on these values."""


# -- tokens ------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|<|>)
      | (?P<punct>[()\[\].,])""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null", "True", "False", "None"}
_LITERALS = {"true": True, "True": True, "false": False, "False": False, "null": None, "None": None}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}
_HINTS = {
    "=": "use '==' to compare",
    "&": "use 'and'",
    "|": "use 'or'",
    "!": "use 'not' or '!='",
    "+": "arithmetic is not supported",
    "-": "arithmetic is not supported",
    "*": "arithmetic is not supported",
    "/": "arithmetic is not supported",
}


#: ``views[claude-3`` up to a character a name cannot hold: a key written bare.
_BARE_KEY = re.compile(r"([A-Za-z_][\w.]*)\[\s*([A-Za-z_][\w.]*)$")


def _bare_key_hint(text: str, pos: int) -> str:
    """What to write for ``views[claude-3]`` (a fan-out's model, as a prompt writes it):
    in a condition a key that is not a plain name is a quoted string."""
    m = _BARE_KEY.search(text, 0, pos)
    close = text.find("]", pos)
    if m is None or close < 0 or text[pos] in "'\"":
        return ""
    key = text[m.start(2) : close].strip()
    return f"quote a key that is not a plain name: {m.group(1)}['{key}']"


#: A token's or literal's value (bool is an int).
_Scalar = str | int | float | None


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # num, str, name, kw, op, punct, end
    value: _Scalar  # str for every kind but num (a number) and end (None)
    start: int
    end: int


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def _tokenize(text: str) -> list[_Tok]:
    if len(text) > MAX_CONDITION_CHARS:
        raise WhenSyntaxError(
            f"the condition is {len(text):,} characters long; at most "
            f"{MAX_CONDITION_CHARS:,} are allowed (compare against a variable instead of "
            "writing a long literal)"
        )
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            ch = text[pos]
            hint = _HINTS.get(ch, "")
            if ch in "'\"":
                hint = "the string is not closed"
            hint = _bare_key_hint(text, pos) or hint
            raise WhenSyntaxError(
                f"unexpected {ch!r}" + (f": {hint}" if hint else ""), column=pos + 1
            )
        kind = m.lastgroup or ""
        raw = m.group(0)
        if kind == "num":
            toks.append(_Tok("num", _number(raw, pos), pos, m.end()))
        elif kind == "str":
            toks.append(_Tok("str", _unescape(raw[1:-1]), pos, m.end()))
        elif kind == "name":
            toks.append(_Tok("kw" if raw in _KEYWORDS else "name", raw, pos, m.end()))
        elif kind in ("op", "punct"):
            toks.append(_Tok(kind, raw, pos, m.end()))
        pos = m.end()
    toks.append(_Tok("end", None, len(text), len(text)))
    return toks


def _number(raw: str, pos: int) -> int | float:
    if len(raw) > MAX_NUMBER_DIGITS:
        raise WhenSyntaxError(
            f"a number of {len(raw):,} characters is too long (at most {MAX_NUMBER_DIGITS})",
            column=pos + 1,
        )
    value = float(raw) if any(c in raw for c in ".eE") else int(raw)
    if value == float("inf"):
        raise WhenSyntaxError(f"the number {raw} is too large", column=pos + 1)
    return value


# -- tree --------------------------------------------------------------------------
@dataclass(slots=True)
class _Node:
    kind: str  # lit, name, attr, item, list, not, and, or, cmp
    start: int
    end: int
    value: _Scalar = None  # a literal, or the name of a name/attr node
    children: list[_Node] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    def _enter(self, tok: _Tok) -> None:
        """One more level of nesting at ``tok`` (undone by :meth:`_leave`)."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self._fail(
                f"the condition nests more than {MAX_NESTING} levels deep "
                "(parentheses, brackets and 'not' count)",
                tok,
            )

    def _leave(self) -> None:
        self.depth -= 1

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def _fail(self, message: str, tok: _Tok | None = None) -> WhenSyntaxError:
        tok = tok or self.tok
        return WhenSyntaxError(message, column=tok.start + 1)

    def _is(self, kind: str, value: object = None) -> bool:
        return self.tok.kind == kind and (value is None or self.tok.value == value)

    def _take(self) -> _Tok:
        tok = self.tok
        self.i += 1
        return tok

    def _expect(self, kind: str, value: str) -> _Tok:
        if not self._is(kind, value):
            found = "the end" if self.tok.kind == "end" else repr(self.tok.value)
            raise self._fail(f"expected {value!r}, found {found}")
        return self._take()

    def parse(self) -> _Node:
        if self.tok.kind == "end":
            raise self._fail("the condition is empty")
        node = self._or()
        if self.tok.kind != "end":
            raise self._fail(f"unexpected {self.tok.value!r} after a complete expression")
        return node

    def _chain(self, kind: str, sub: Callable[[], _Node]) -> _Node:
        first = sub()
        children = [first]
        while self._is("kw", kind):
            self._take()
            children.append(sub())
        if len(children) == 1:
            return first
        return _Node(kind, first.start, children[-1].end, children=children)

    def _or(self) -> _Node:
        return self._chain("or", self._and)

    def _and(self) -> _Node:
        return self._chain("and", self._not)

    def _not(self) -> _Node:
        if self._is("kw", "not"):
            tok = self._take()
            self._enter(tok)
            operand = self._not()
            self._leave()
            return _Node("not", tok.start, operand.end, children=[operand])
        return self._comparison()

    def _comp_op(self) -> str | None:
        if self.tok.kind == "op":
            return str(self._take().value)
        if self._is("kw", "in"):
            self._take()
            return "in"
        if (
            self._is("kw", "not")
            and self.toks[self.i + 1].kind == "kw"
            and self.toks[self.i + 1].value == "in"
        ):
            self.i += 2
            return "not in"
        return None

    def _comparison(self) -> _Node:
        left = self._postfix()
        children, ops = [left], []
        while (op := self._comp_op()) is not None:
            ops.append(op)
            children.append(self._postfix())
        if not ops:
            return left
        return _Node("cmp", left.start, children[-1].end, children=children, ops=ops)

    def _postfix(self) -> _Node:
        node = self._atom()
        while True:
            if self._is("punct", "."):
                self._take()
                if self.tok.kind not in ("name", "kw"):
                    raise self._fail("expected a field name after '.'")
                name_tok = self._take()
                self._check_public(name_tok)
                node = _Node(
                    "attr", node.start, name_tok.end, value=name_tok.value, children=[node]
                )
            elif self._is("punct", "["):
                self._enter(self._take())
                key = self._or()
                end = self._expect("punct", "]")
                self._leave()
                node = _Node("item", node.start, end.end, children=[node, key])
            elif self._is("punct", "("):
                raise self._fail(
                    "function calls are not allowed in 'when:'; it compares values "
                    "(==, !=, <, >, in, not in) joined by and/or/not, e.g. \"'urgent' in "
                    'triage" or "triage != \'routine\'"'
                )
            else:
                return node

    def _check_public(self, tok: _Tok) -> None:
        if str(tok.value).startswith("_"):
            raise self._fail(f"names starting with '_' ({tok.value}) are not allowed", tok)

    def _atom(self) -> _Node:
        tok = self.tok
        if tok.kind in ("num", "str"):
            self._take()
            return _Node("lit", tok.start, tok.end, value=tok.value)
        if tok.kind == "kw" and tok.value in _LITERALS:
            self._take()
            return _Node("lit", tok.start, tok.end, value=_LITERALS[str(tok.value)])
        if tok.kind == "name":
            self._check_public(tok)
            self._take()
            return _Node("name", tok.start, tok.end, value=tok.value)
        if self._is("punct", "("):
            self._enter(self._take())
            node = self._or()
            self._expect("punct", ")")
            self._leave()
            return node
        if self._is("punct", "["):
            return self._list()
        if tok.kind == "end":
            raise self._fail("the condition ends too soon: a value is missing")
        raise self._fail(f"expected a value, found {tok.value!r}")

    def _list(self) -> _Node:
        start = self._take()
        self._enter(start)
        items: list[_Node] = []
        while not self._is("punct", "]"):
            items.append(self._or())
            if not self._is("punct", ","):
                break
            self._take()
        end = self._expect("punct", "]")
        self._leave()
        return _Node("list", start.start, end.end, children=items)


# -- evaluation --------------------------------------------------------------------
def _plain(value: object) -> object:
    """A step acts as its output text in comparisons and ``in``."""
    return format_value(value) if isinstance(value, StepResult) else value


def _recordable(value: object, limit: int = 1000) -> object:
    """A JSON-safe, bounded copy of a value for ``when_values``."""
    value = _plain(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + "…"
    if isinstance(value, dict):
        return {str(k): _recordable(v, limit) for k, v in list(value.items())[:50]}
    if isinstance(value, list | tuple | set | frozenset):
        return [_recordable(v, limit) for v in list(value)[:50]]
    return _recordable(repr(value), limit)


@runtime_checkable
class _Ordered(Protocol):
    """The rich comparisons. ``object`` defines all four, so every value is one: the
    ``isinstance`` below only tells mypy; ``a < b`` still runs Python's own dispatch."""

    def __lt__(self, other: object, /) -> object: ...
    def __le__(self, other: object, /) -> object: ...
    def __gt__(self, other: object, /) -> object: ...
    def __ge__(self, other: object, /) -> object: ...


_ORDER: dict[str, Callable[[_Ordered, _Ordered], object]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _contains(container: object, item: object) -> bool:
    """``item in container`` as Python does it: ``__contains__``, else iteration, else the
    old ``__getitem__`` protocol (index 0, 1, ... until IndexError), else TypeError."""
    if isinstance(container, Container | Iterable):
        return item in container
    getter = getattr(type(container), "__getitem__", None)
    if getter is None:
        raise TypeError(f"argument of type {type(container).__name__!r} is not iterable")
    index = 0
    while True:
        try:
            element = getter(container, index)
        except (IndexError, StopIteration):  # what ends the old protocol
            return False
        if element is item or element == item:
            return True
        index += 1


_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _answer_as_number(value: object, other: object) -> object:
    """A step compared with a number is read as a number: a model answers ``"7"`` (or
    ``" 7\n"``), and ``"7" == 7`` would be false and ``"7" >= 7`` an error. An answer that
    is not a number alone is an error naming the step, not a silent ``False``."""
    if not isinstance(value, StepResult) or not _is_number(_plain(other)):
        return value
    text = format_value(value).strip()
    if not _NUMBER_TEXT.fullmatch(text):
        shown = text if len(text) <= 60 else text[:60] + "…"
        raise WhenEvalError(
            f"step {value.name!r} answered {shown!r}, which is not a number, so it cannot be "
            "compared with one: ask the model for the number alone, or use 'format: json' "
            f"with a schema and compare {value.name}.data"
        )
    number = float(text)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _compare(op: str, left: object, right: object) -> bool:
    if op not in ("in", "not in"):
        left, right = _answer_as_number(left, right), _answer_as_number(right, left)
    left, right = _plain(left), _plain(right)
    if op in ("in", "not in"):
        if right is None:
            found = False
        elif isinstance(right, str):
            found = (left if isinstance(left, str) else format_value(left)) in right
        else:
            found = _contains(right, left)
        return found if op == "in" else not found
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if not (isinstance(left, _Ordered) and isinstance(right, _Ordered)):  # pragma: no cover
        raise TypeError(f"{type(left).__name__} and {type(right).__name__} have no order")
    return bool(_ORDER[op](left, right))


@dataclass(frozen=True)
class Condition:
    """A parsed ``when:`` condition, ready to evaluate many times."""

    source: str
    _tree: _Node = field(repr=False)

    @property
    def names(self) -> frozenset[str]:
        """The root names the condition reads."""
        out: set[str] = set()
        stack = [self._tree]
        while stack:
            node = stack.pop()
            if node.kind == "name":
                out.add(str(node.value))
            stack.extend(node.children)
        return frozenset(out)

    def name_positions(self) -> list[tuple[str, int]]:
        """Each root name with its 0-based offset in the source (for load-time errors)."""
        out: list[tuple[str, int]] = []
        stack = [self._tree]
        while stack:
            node = stack.pop()
            if node.kind == "name":
                out.append((str(node.value), node.start))
            stack.extend(node.children)
        return sorted(out, key=lambda p: p[1])

    def evaluate(self, scope: Scope) -> tuple[bool, dict[str, object]]:
        """Evaluate on ``scope``: the truth value and the values the condition read."""
        seen: dict[str, object] = {}
        value = self._eval(self._tree, scope, seen)
        return bool(_plain(value)), seen

    def _eval(self, node: _Node, scope: Scope, seen: dict[str, object]) -> object:
        kind = node.kind
        if kind == "lit":
            return node.value
        if kind == "list":
            return [self._eval(c, scope, seen) for c in node.children]
        if kind == "not":
            return not _plain(self._eval(node.children[0], scope, seen))
        if kind in ("and", "or"):
            return self._eval_bool(node, scope, seen)
        if kind == "cmp":
            return self._eval_cmp(node, scope, seen)
        value = self._eval_access(node, scope, seen)
        seen[self.source[node.start : node.end]] = _recordable(value)
        return value

    def _eval_bool(self, node: _Node, scope: Scope, seen: dict[str, object]) -> object:
        want = node.kind == "or"
        value: object = not want
        for child in node.children:  # short-circuit, like Python
            value = _plain(self._eval(child, scope, seen))
            if bool(value) == want:
                return value
        return value

    def _eval_cmp(self, node: _Node, scope: Scope, seen: dict[str, object]) -> bool:
        left = self._eval(node.children[0], scope, seen)
        for op, child in zip(node.ops, node.children[1:], strict=True):
            right = self._eval(child, scope, seen)
            try:
                ok = _compare(op, left, right)
            except WhenEvalError as exc:  # a step's answer is not a number
                raise WhenEvalError(exc.reason, column=node.start + 1) from None
            except TypeError as exc:
                raise WhenEvalError(
                    f"cannot compare {type(_plain(left)).__name__} {op} "
                    f"{type(_plain(right)).__name__}: {exc}",
                    column=child.start + 1,
                ) from None
            if not ok:
                return False
            left = right
        return True

    def _eval_access(self, node: _Node, scope: Scope, seen: dict[str, object]) -> object:
        try:
            if node.kind == "name":
                return scope.get(str(node.value))
            base = self._eval(node.children[0], scope, seen)
            if node.kind == "attr":
                return get_attr(base, str(node.value))
            key = _plain(self._eval(node.children[1], scope, seen))
            return get_item(base, key)
        except AccessError as exc:
            raise WhenEvalError(str(exc), column=node.start + 1) from None


def parse_condition(text: str) -> Condition:
    """Parse a ``when:`` condition (raises :class:`WhenSyntaxError` with the column)."""
    return Condition(text, _Parser(text).parse())
