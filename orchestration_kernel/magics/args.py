"""Parsing and checking ``%orchestrate`` arguments before anything runs.

Arguments split like a shell command line (``shlex``'s rules), so quotes work, except that a
Python expression stays whole: ``--over df[df.stars > 3]`` and ``--over
df.query('stars > 3')`` keep their spaces and quotes inside brackets. Every mistake
is found here, before a request is sent: an unknown option or command answers with
the nearest right one (``difflib``), and options that do not go together say why.
"""

from __future__ import annotations

import argparse
import ast
import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from IPython.core.error import UsageError

from ..engine_args import split_commas
from ..errors import ConfigurationError
from ..near_names import data_names
from .column_hint import column_hint
from .errors import usage

__all__ = [
    "COMMANDS",
    "FORMATS",
    "HELP_OPTIONS",
    "OFFLINE_MODES",
    "check_cell_options",
    "check_choice",
    "check_session_id",
    "evaluate_input",
    "parse_args",
    "reads_as_words",
    "shell_split",
    "split_line",
    "suggest",
    "wants_help",
]

#: The line-form commands, with the arguments each takes (for the help text).
COMMANDS: dict[str, str] = {
    "models": "[FILTER] [--out VAR] — one row per model: context, prices, key status, "
    "real or simulated",
    "run": "NAME [--input EXPR] — run a named pipeline again",
    "audit": "[--run ID] [--out VAR] — the audit rows of a run (default: the last run)",
    "context": "[SESSION] — the session context (default: this kernel's session)",
    "session": "[ID] — show the session id runs use, or pin it (context survives restarts)",
    "offline": "[on|off|auto] — the mode now, or serve models offline, by the embedded "
    "local model (the [local] extra) or the simulator: on for every model, auto for those "
    "without a key",
    "key": "PROVIDER [--save] — ask for a key (getpass, never echoed), kept for the "
    "kernel's life; --save keeps it in the system keyring",
    "explain": "[CELL] [-m MODEL] — ask a model to explain the last error",
    "jobs": "[NAME] — the batch jobs; with NAME, that job's progress (polled now)",
    "help": "this help",
}
#: Options that show the help instead of running (``%orchestrate --help``, as in a shell).
HELP_OPTIONS = ("-h", "--help")
FORMATS = ("markdown", "text", "json", "code")
OFFLINE_MODES = ("on", "off", "auto")

#: Options that only make sense in a cell (``%%orchestrate``), with what they need.
_CELL_ONLY = ("compare", "over", "no_interpolate", "dry_run", "cluster", "batch", "job", "yes")


def suggest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices nearest to ``word``, best first."""
    pool = list(dict.fromkeys(choices))
    return difflib.get_close_matches(word, pool, n=n, cutoff=0.5)


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = suggest(word, choices)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def check_choice(what: str, value: str, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``; otherwise a clean error naming the right ones."""
    options = list(choices)
    if value in options:
        return value
    raise usage(
        f"Unknown {what} {value!r}.{_did_you_mean(value, options)} "
        f"Choose one of: {', '.join(options)}."
    )


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [s for action in parser._actions for s in action.option_strings]


def _check_options(tokens: list[str], parser: argparse.ArgumentParser) -> None:
    """Refuse unknown options by name, suggesting the nearest known one."""
    known = _option_strings(parser)
    for token in tokens:
        if token == "--":
            return
        if not token.startswith("-") or len(token) < 2 or _is_number(token):
            continue
        name = token.split("=", 1)[0]
        if name in known or _is_short_cluster(name, known):
            continue
        raise usage(f"Unknown option {name!r}.{_did_you_mean(name, known)} See %orchestrate?")


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _is_short_cluster(name: str, known: list[str]) -> bool:
    # "-fjson" is "-f json": argparse accepts a short option glued to its value.
    return not name.startswith("--") and name[:2] in known


_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = frozenset(_OPEN.values())


def _chunks(line: str) -> list[str]:
    """``line`` cut at whitespace outside quotes and brackets, every character kept."""
    chunks: list[str] = []
    buf: list[str] = []
    depth, quote, escaped = 0, "", False
    for ch in line:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        elif ch.isspace() and depth == 0:
            if buf:
                chunks.append("".join(buf))
                buf.clear()
            continue
        buf.append(ch)
    if buf:
        chunks.append("".join(buf))
    return chunks


_SPACE = frozenset(" \t\r\n")


def shell_split(text: str) -> list[str]:
    """``shlex.split(text)`` (POSIX rules, no comments), token for token and error for
    error, in time linear in ``text``: ``shlex`` grows each token one character at a
    time (``token += c`` on an attribute), which is quadratic in a token's length (a
    160 KB argument took seconds). The states are shlex's ``read_token``'s."""
    tokens: list[str] = []
    buf: list[str] = []
    state = " "  # " " between words, "a" in a word, a quote, or "\\" after a backslash
    escaped_from = " "
    quoted = False
    for ch in text:
        if state == " " or state == "a":
            if ch in _SPACE:
                if buf or quoted:
                    tokens.append("".join(buf))
                    buf.clear()
                    quoted = False
                state = " "
            elif ch == "\\":
                escaped_from, state = "a", ch
            elif ch in "'\"":
                state = ch
            else:
                buf.append(ch)
                state = "a"
        elif state == "\\":
            # Inside double quotes only the quote and the backslash are escaped.
            if escaped_from == '"' and ch != "\\" and ch != '"':
                buf.append("\\")
            buf.append(ch)
            state = escaped_from
        else:  # inside quotes
            quoted = True
            if ch == state:
                state = "a"
            elif ch == "\\" and state == '"':
                escaped_from, state = state, ch
            else:
                buf.append(ch)
    if state == "\\":
        raise ValueError("No escaped character")
    if state in ("'", '"'):
        raise ValueError("No closing quotation")
    if buf or quoted:
        tokens.append("".join(buf))
    return tokens


def split_line(line: str) -> list[str]:
    """The tokens of a magic line: shell rules, except that a Python expression with
    brackets is one token kept as written, its quotes included (``df.query('a > 1')``,
    ``df[df.stars > 3]``). A token that starts with a quote follows shell rules, so
    ``--over "df[df.x > 3]"`` and ``"my run"`` still work as before."""
    return [token for token, _ in _marked_tokens(line)]


def _marked_tokens(line: str) -> list[tuple[str, bool]]:
    """:func:`split_line`'s tokens, each with whether the user quoted it (``"hello"``,
    ``--input='hello'``): the shell's split drops the quotes, and a quoted word is text."""
    tokens: list[tuple[str, bool]] = []
    for chunk in _chunks(line):
        if chunk[0] not in "'\"" and any(b in chunk for b in _OPEN):
            tokens.append((chunk, False))  # a Python expression: its quotes are its own
            continue
        value = chunk.split("=", 1)[1] if chunk.startswith("-") and "=" in chunk else chunk
        quoted = value[:1] in ("'", '"')
        tokens.extend((token, quoted) for token in shell_split(chunk))
    return tokens


def _quoted_value(marked: list[tuple[str, bool]], option: str) -> bool:
    """Whether the value argparse took for ``option`` (its last occurrence) was quoted."""
    quoted = False
    for i, (token, mark) in enumerate(marked):
        if token == "--":
            break
        if token == option and i + 1 < len(marked):
            quoted = marked[i + 1][1]
        elif token.startswith(option + "="):
            quoted = mark
    return quoted


def wants_help(line: str) -> bool:
    """``-h`` or ``--help`` among the options (before a ``--``): show the help, run nothing."""
    try:
        tokens = split_line(line)
    except ValueError:  # an unclosed quote: parse_args says so
        return False
    options = tokens[: tokens.index("--")] if "--" in tokens else tokens
    return any(token in HELP_OPTIONS for token in options)


def parse_args(parser: argparse.ArgumentParser, line: str) -> argparse.Namespace:
    """Split ``line`` (see :func:`split_line`) and parse it; mistakes raise a clean error."""
    try:
        marked = _marked_tokens(line)
    except ValueError as exc:  # an unclosed quote
        raise usage(f"Cannot split the arguments: {exc}. Check the quotes.") from None
    tokens = [token for token, _ in marked]
    _check_options(tokens, parser)
    try:
        args = parser.parse_args(tokens)
    except UsageError as exc:  # IPython's magic parsers raise it instead of exiting
        raise usage(f"{exc}. See %orchestrate? for the syntax.") from None
    except SystemExit:  # a plain argparse parser
        raise usage("Invalid arguments. See %orchestrate? for the syntax.") from None
    # --input "hello": the user typed quotes, so meant the text (see evaluate_input).
    args.input_quoted = _quoted_value(marked, "--input")
    return args


def check_session_id(value: str) -> str:
    """``value`` as a session id (one word), or a clean error."""
    new = value.strip()
    if not new or any(c.isspace() for c in new):
        raise usage(f"a session id is one word, not {value!r}")
    return new


#: Options of one line command, with it: anywhere else argparse took them and nothing read
#: them, so ``%%orchestrate --model claude-3`` ran the steps' own models, saying nothing.
_COMMAND_ONLY = {
    "model": ("-m/--model", "explain"),
    "run": ("--run", "audit"),
    "save": ("--save", "key"),
}


def _check_command_only(args: argparse.Namespace, *, cell: bool) -> None:
    command = None if cell or not args.args else args.args[0]
    for option, (shown_as, owner) in _COMMAND_ONLY.items():
        if not _given(args, option) or command == owner:
            continue
        where = "a %%orchestrate cell" if cell else f"%orchestrate {command or ''}".rstrip()
        hint = ""
        if cell and option == "model":
            hint = (
                f" A pipeline names each step's model (model: {args.model}); --compare "
                f"{args.model} sends the cell's prompt to it."
            )
        raise usage(f"{shown_as} is for %orchestrate {owner}, not {where}.{hint}")


def check_cell_options(args: argparse.Namespace, *, cell: bool) -> None:
    """Refuse combinations of options that cannot work, before anything runs."""
    check_choice("format", args.format, FORMATS)
    _check_command_only(args, cell=cell)
    if getattr(args, "session", None) is not None:  # "" and "a b" ran under another id
        args.session = check_session_id(args.session)
    if not cell:
        given = [f"--{o.replace('_', '-')}" for o in _CELL_ONLY if _given(args, o)]
        if given:
            raise usage(
                f"{', '.join(given)} only work(s) in a cell: use %%orchestrate with a body."
            )
        return
    if len(args.args) > 1:
        raise usage(
            f"%%orchestrate takes at most one NAME, got {len(args.args)}: "
            f"{' '.join(args.args)}. Quote a name with spaces."
        )
    if args.compare is not None:
        _check_compare(args)
    elif args.over is not None:  # a pipeline over rows: each row is the run's {input}
        if args.input is not None:
            raise usage("--over gives each row to the pipeline as {input}: drop --input")
        if args.no_interpolate:
            raise usage("--over fills {input} and the columns' names, so it needs interpolation")
    elif getattr(args, "cluster", None) is not None:
        raise usage("--cluster runs a pipeline or a matrix over rows: add --over VAR")


def _check_compare(args: argparse.Namespace) -> None:
    args.compare = split_commas(args.compare)  # --compare a,b,c as well as --compare a b c
    if not args.compare:
        raise usage("--compare needs at least one model: --compare gpt-4 claude-3")
    if args.args:
        raise usage("--compare runs one prompt, not a named pipeline: drop the NAME")
    if args.format == "code":
        raise usage("-f code needs one output; --compare gives one per model")
    if args.over is not None and args.no_interpolate:
        raise usage("--over fills {item} in the prompt, so it needs interpolation on")
    if args.input is not None:
        raise usage("--input is for pipelines; a --compare prompt is the cell body")
    if getattr(args, "cluster", None) is not None and args.over is None:
        raise usage("--cluster runs a matrix over rows: add --over VAR")


def _given(args: argparse.Namespace, option: str) -> bool:
    return getattr(args, option, None) not in (None, False)


def _text_hint(option: str, expr: str, name: str) -> str:
    """How to pass text where an undefined name was taken for a variable."""
    if option == "--input":
        return f' To pass text, quote it: --input "{expr}".'
    if expr.strip() == name:  # --over hello: a word, not one of the kernel's variables
        return (
            f" --over takes a list, Series or DataFrame of this kernel (--over df,"
            f" --over df.review, --over items[:10]); for one text, pass a list of it:"
            f" --over \"['{expr.strip()}']\"."
        )
    return ""


#: The nodes of a value that reads as words (``hello``, ``not bad``, ``Paris, France``,
#: ``a - b``), not as code: no attribute, subscript, call, container or comprehension.
_WORDY = (
    ast.Expression, ast.Name, ast.Load, ast.Tuple, ast.BoolOp, ast.UnaryOp, ast.BinOp,
    ast.Compare, ast.Constant, ast.boolop, ast.unaryop, ast.operator, ast.cmpop,
)  # fmt: skip


def reads_as_words(expr: str) -> bool:
    """True when ``expr`` is words rather than code: not a Python expression at all, or
    one made only of names, constants and operators with at least one name. A lone
    constant (``"'hello'"``, ``"42"``) is code: its value is what was meant."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return True
    nodes = list(ast.walk(tree))
    return all(isinstance(n, _WORDY) for n in nodes) and any(isinstance(n, ast.Name) for n in nodes)


def evaluate_input(
    expr: str, namespace: Mapping[str, Any], option: str = "--input", *, quoted: bool = False
) -> Any:
    """The value of ``--input EXPR`` (or ``--over EXPR``): a Python expression over the
    user's namespace (``df``, ``df.review``, ``df["review"]``, ``items[:10]``).

    Text that is not an expression at all (``--input "two words"``) is taken as text,
    and so is a ``quoted`` value that reads as words (:func:`reads_as_words`):
    ``--input "hello"`` is the text ``hello``, while ``--input hello`` is the variable.
    A quoted expression (``--input "df.review.iloc[0]"``) is still evaluated. A name
    that does not exist is a mistake, answered with the nearest names.
    """
    if quoted and reads_as_words(expr):
        return expr
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return expr
    try:
        scope = namespace if isinstance(namespace, dict) else dict(namespace)
        # The user's own expression in the user's own kernel, as if typed in a cell.
        return eval(compile(tree, f"<{option}>", "eval"), scope)
    except NameError as exc:
        name = getattr(exc, "name", None) or str(exc)
        public = data_names(namespace)
        raise ConfigurationError(
            f"{option} {expr!r}: name {name!r} is not defined.{_did_you_mean(name, public)}"
            + _text_hint(option, expr, name)
        ) from None
    except Exception as exc:
        hint = column_hint(tree, exc, scope)  # df.revew: the near columns
        raise ConfigurationError(
            f"{option} {expr!r} failed: {type(exc).__name__}: {exc}" + (f".{hint}" if hint else "")
        ) from None
