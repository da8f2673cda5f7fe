"""Load a pipeline spec from Python dicts or YAML text, and check all of it at once.

Every problem — YAML syntax, unknown keys, bad values, unresolvable placeholders (with the
nearest names), bad ``when:`` expressions, unknown models, cycles — becomes a
:class:`~orchestration_kernel.errors.SpecProblem` with the YAML line and column where the
source was YAML (positions come from ``yaml.compose`` node marks), and all of them are
raised together as one :class:`~orchestration_kernel.errors.SpecError`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ..errors import SpecError, SpecProblem, UnknownModelError
from ..formatting import with_article
from ..text_checks import surrogate_at
from ..yaml_bounds import BoundedLoader, YAMLBoundError
from .dag import DAG, CycleError, build_dag
from .dead_default import dead_default_message, unreachable_defaults
from .placeholders import Placeholder, Template, compile_template, resolve
from .scope import STEP_FIELDS, AccessError, Scope, nearest
from .spec import IDENTIFIER, RESERVED_NAMES, PipelineSpec, StepSpec
from .when import Condition, WhenError, parse_condition

__all__ = ["CompiledPipeline", "Reference", "load_pipeline", "parse_yaml"]

Path = tuple[str | int, ...]
#: Root names that only IPython's history provides.
HISTORY_NAMES = frozenset({"In", "Out", "Err"})


# -- YAML with positions -------------------------------------------------------------
@dataclass
class Positions:
    """Where each value (and each mapping key) sits in the YAML source, by path."""

    values: dict[Path, yaml.Node] = field(default_factory=dict)
    keys: dict[Path, yaml.Node] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def mark(self, path: Path, *, key: bool = False) -> tuple[int | None, int | None]:
        """1-based (line, column) of the longest known prefix of ``path``."""
        table = self.keys if key and path in self.keys else self.values
        for cut in range(len(path), -1, -1):
            node = table.get(path[:cut])
            if node is not None:
                return node.start_mark.line + 1, node.start_mark.column + 1
        return None, None

    def offset_mark(self, path: Path, offset: int) -> tuple[int | None, int | None]:
        """1-based (line, column) of character ``offset`` inside the scalar at ``path``."""
        node = self.values.get(path)
        if not isinstance(node, yaml.ScalarNode) or not self.lines:
            return self.mark(path)
        text = str(node.value)[:offset]
        newlines = text.count("\n")
        col_in_line = offset - (text.rfind("\n") + 1)
        start = node.start_mark
        if node.style in ("|", ">"):
            line_index = start.line + 1 + newlines
        elif newlines == 0:
            quote = 1 if node.style in ("'", '"') else 0
            return start.line + 1, start.column + 1 + quote + col_in_line
        else:
            line_index = start.line + newlines
        if line_index >= len(self.lines):
            return self.mark(path)
        line = self.lines[line_index]
        indent = len(line) - len(line.lstrip(" "))
        return line_index + 1, indent + col_in_line + 1


def _walk(node: yaml.Node, path: Path, pos: Positions, problems: list[SpecProblem]) -> None:
    pos.values[path] = node
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append(_problem(f"the key {key!r} appears twice", key_node, path))
            seen.add(key)
            pos.keys[(*path, key)] = key_node
            _walk(value_node, (*path, key), pos, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), pos, problems)


def _problem(message: str, node: yaml.Node, path: Path) -> SpecProblem:
    mark = node.start_mark
    return SpecProblem(message, mark.line + 1, mark.column + 1, _path_text(path) or None)


def parse_yaml(text: str) -> tuple[object, Positions, list[SpecProblem]]:
    """Parse YAML into data plus node positions. Malformed YAML raises :class:`SpecError`
    naming the line and column."""
    loader = None
    try:
        loader = BoundedLoader(text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or str(exc)
        if exc.context:
            what = f"{what} ({exc.context})"
        if not isinstance(exc, YAMLBoundError):
            hint = _quote_left_open(exc) or _yaml_hint(text, mark, what)
            what = f"malformed YAML: {what}{hint}"
            if hint and exc.context_mark is not None and "quoted scalar" in (exc.context or ""):
                mark = exc.context_mark  # the quote that never closes, not the text's end
        elif "alias" not in what:  # only large, not an alias bomb: say how to go bigger
            what += (
                ". A spec this large is better built in Python: create_pipeline() takes a "
                "list of step dicts, with no such bound"
            )
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise SpecError([SpecProblem(what, line, col)], source=text) from None
    except UnicodeEncodeError as exc:  # a lone surrogate: not text a YAML parser can read
        at = exc.start if exc.object is text else text.find(exc.object[exc.start])
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        what = f"the text holds {text[at]!r}, a lone surrogate, which is not a character"
        problem = SpecProblem(what, line, col)
        raise SpecError([problem], source=text) from None
    finally:
        if loader is not None:
            loader.dispose()
    pos = Positions(lines=text.splitlines())
    problems: list[SpecProblem] = []
    if node is not None:
        _walk(node, (), pos, problems)
    return data, pos, problems


# -- normalising -------------------------------------------------------------------
def _normalise(data: object, pos: Positions) -> tuple[dict[str, object] | None, list[SpecProblem]]:
    """A list of steps becomes ``{"steps": [...]}`` (positions move with it); ``None`` with
    the problem for what is not a spec's shape."""
    if isinstance(data, list):
        pos.values = {("steps", *k): v for k, v in pos.values.items()}
        pos.keys = {("steps", *k): v for k, v in pos.keys.items()}
        return {"steps": data}, []
    if isinstance(data, Mapping):
        if "steps" not in data:
            near = [k for k in data if isinstance(k, str) and nearest(k, ["steps"])]
            if near:  # 'step:' or 'Steps:': say which line, not only what is missing
                line, col = pos.mark((near[0],), key=True)
                msg = (
                    f"the spec has no 'steps:' list: did you mean 'steps:' instead of {near[0]!r}?"
                )
                return None, [SpecProblem(msg, line, col, near[0])]
            line, col = pos.mark(())
            return None, [SpecProblem("the spec has no 'steps:' list", line, col)]
        return dict(data), []
    what = "empty" if data is None else with_article(type(data).__name__)
    hint = ""
    if data is None:  # an empty cell body (or spec): show what one looks like
        hint = ". One step is '- {name: answer, model: gpt-4o, prompt: \"...\"}', one per line"
    if isinstance(data, str):  # a bare prompt
        hint = (
            ". One step is '- {name: answer, model: gpt-4o, prompt: \"...\"}'; to send one "
            "prompt to models as it is, use %%orchestrate --compare MODEL"
        )
    return None, [
        SpecProblem(
            f"the spec must be a list of steps or a mapping with 'steps:' (got {what}){hint}"
        )
    ]


def _name_steps(data: dict[str, object]) -> None:
    """Give unnamed steps a name: their ``task`` where it is a free identifier, else stepN."""
    steps = data.get("steps")
    if not isinstance(steps, list):
        return
    taken = {s.get("name") for s in steps if isinstance(s, Mapping)}
    named = []
    for i, step in enumerate(steps):
        if isinstance(step, Mapping) and step.get("name") is None:
            step = dict(step)
            task = step.get("task")
            ok = isinstance(task, str) and IDENTIFIER.fullmatch(task)
            if ok and task not in taken and task not in RESERVED_NAMES:
                step["name"] = task
            else:
                n = i + 1
                while f"step{n}" in taken:
                    n += 1
                step["name"] = f"step{n}"
            taken.add(step["name"])
        named.append(step)
    data["steps"] = named


# -- pydantic errors -----------------------------------------------------------------
_STEP_KEYS = sorted((f.alias or n) for n, f in StepSpec.model_fields.items())
_PIPELINE_KEYS = sorted(PipelineSpec.model_fields)


def _path_text(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _known_prefix(loc: tuple[int | str, ...], data: object) -> Path:
    """The part of a pydantic ``loc`` that exists in the data (drops union branch names)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, list) and isinstance(part, int):
            if part >= len(node):
                break
            node = node[part]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, Mapping) and part == "json_schema" and "schema" in node:
            part, node = "schema", node["schema"]
        else:
            break
        out.append(part)
    return tuple(out)


def _allowed_keys(path: Path) -> list[str]:
    """The keys allowed where an unknown key at ``path`` sits: the pipeline's or a step's."""
    return _PIPELINE_KEYS if len(path) == 1 else _STEP_KEYS


def _pydantic_problems(exc: ValidationError, data: object, pos: Positions) -> list[SpecProblem]:
    grouped: dict[Path, list[ErrorDetails]] = {}
    for err in exc.errors():
        grouped.setdefault(_known_prefix(err["loc"], data), []).append(err)
    problems = []
    for path, errs in grouped.items():
        err = errs[0]
        if err["type"] == "extra_forbidden":
            key = str(path[-1])
            allowed = _allowed_keys(path)
            close = nearest(key, allowed)
            near = f"did you mean {close[0]!r}? " if close else ""
            hint = _INTENT_HINTS.get(key.lower(), near)  # 'max_retries' is no 'max_tokens'?
            msg = f"unknown key {key!r}: {hint}allowed keys are {', '.join(allowed)}"
            line, col = pos.mark(path, key=True)
        elif path == ("steps",) and _no_steps(err):
            msg = (
                "'steps:' lists no steps: put at least 1 under it, e.g. "
                "'- {name: answer, model: gpt-4o, prompt: \"{input}\"}'"
            )
            line, col = pos.mark(path)
        elif _bare_step(path, err):
            msg = _bare_step_message(err.get("input"))
            line, col = pos.mark(path)
        else:
            msgs = list(dict.fromkeys(_clean(e["msg"]) for e in errs))
            msg = " or ".join(msgs) if len(errs) > 1 else msgs[0]
            if err["type"] != "missing" and not isinstance(err.get("input"), Mapping | list):
                if repr(err.get("input")) not in msg:  # a message that quotes it says enough
                    msg = f"{msg} (got {err.get('input')!r})"
                if path[-1:] == ("on_error",):
                    msg += _ON_ERROR_HINTS.get(str(err.get("input")).lower(), "")
                elif err["type"] == "string_type":  # name: yes, name: 123, prompt: 42
                    msg += _quote_hint(path, pos)
            elif err["type"] == "string_type" and isinstance(err.get("input"), Mapping | list):
                msg += _FLOW_HINT  # `prompt: {input}` is a YAML mapping, not text
            line, col = pos.mark(path)
        problems.append(SpecProblem(msg, line, col, _path_text(path) or None))
    return problems


_RETRY_HINT = (
    "retries belong to the engine, not to a step (OrchestrationEngine(retry=RetryPolicy("
    "max_attempts=3))); a step recovers with 'fallbacks: [model, ...]' and 'on_error: skip'. "
)
#: What people write for a step's error recovery, and where that lives instead.
_INTENT_HINTS = {
    word: _RETRY_HINT for word in ("retry", "retries", "max_retries", "attempts", "max_attempts")
}
_ON_ERROR_HINTS = {
    "retry": ". " + _RETRY_HINT.rstrip(),
    "continue": ": did you mean 'skip' (go on with the step's 'default' output)?",
    "ignore": ": did you mean 'skip' (go on with the step's 'default' output)?",
    "fallback": ": list the models to try in 'fallbacks: [model, ...]'",
}


#: ``when: "triage contains 'urgent'"``, as other tools spell it.
_WHEN_HINT = ". To test for a word, write it the other way round: \"'urgent' in triage\""


def _bare_step(path: Path, err: ErrorDetails) -> bool:
    """A step that is not a mapping: ``- gpt-4`` or ``- "Summarise {input}"``."""
    return len(path) == 2 and path[0] == "steps" and err["type"] == "model_type"


def _bare_step_message(value: object) -> str:
    got = repr(value) if isinstance(value, str) else with_article(type(value).__name__)
    return (
        f"a step is a mapping of keys (name, model, prompt, ...), not {got}: write "
        "'- {name: answer, model: gpt-4o, prompt: \"...\"}' (or the keys on lines of their "
        "own under '- '); to send one prompt to several models, use %%orchestrate --compare"
    )


def _quote_hint(path: Path, pos: Positions) -> str:
    """YAML turned the text into a bool or a number (``yes``, ``on``, ``123``): quote it."""
    node = pos.values.get(path)
    if not isinstance(node, yaml.ScalarNode) or node.style:  # quoted already, or no YAML
        return ""
    key = path[-1] if isinstance(path[-1], str) else "value"
    kind = node.tag.rsplit(":", 1)[-1]  # tag:yaml.org,2002:bool
    return (
        f'. YAML reads {node.value} as {with_article(kind)}: quote it, as in {key}: "{node.value}"'
    )


def _no_steps(err: ErrorDetails) -> bool:
    """``steps:`` with nothing under it (YAML reads null) or ``steps: []``."""
    empty = err.get("input") is None or err.get("input") == []
    return empty and err["type"] in ("list_type", "too_short")


#: YAML reads a value that starts with ``{`` or ``[`` as a mapping or a list.
_FLOW_HINT = (
    ". YAML reads a value that starts with '{' or '[' as a mapping or a list: quote it, "
    'as in prompt: "{input} ..."'
)
_KEY_ON_LINE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w-]*):\s")


def _yaml_hint(text: str, mark: yaml.Mark | None, problem: str = "") -> str:
    """A hint for the YAML mistakes people make most: a tab in the indentation, and an
    unquoted value that holds ``: `` (``prompt: Answer this: what is 2+2?``)."""
    if mark is None:
        return ""
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" in line[: len(line) - len(line.lstrip())]:
        return ". YAML indents with spaces, not tabs"
    key = _KEY_ON_LINE.match(line)
    if key and ": " in line[key.end() :]:
        return f'. A value holding ": " must be quoted: {key.group(1)}: "..."'
    if key and line[key.end() :].lstrip().startswith(("{", "[")):
        return _FLOW_HINT  # prompt: {input} please
    above = lines[mark.line - 1] if 0 < mark.line <= len(lines) else ""
    if key and above.strip() and ":" not in above:
        return f". Is a ':' missing on line {mark.line}?"
    return _indent_hint(lines, mark.line, problem)


def _quote_left_open(exc: yaml.MarkedYAMLError) -> str:
    """A hint for an unclosed quote (PyYAML reports the end of the text; its context mark,
    which the problem then names, is the quote itself)."""
    start = exc.context_mark
    if start is None or "quoted scalar" not in (exc.context or ""):
        return ""
    return ". The quote that opens here is never closed"


#: PyYAML's words for a line that is indented more or less than its neighbours.
_INDENT_PROBLEMS = (
    "mapping values are not allowed",
    "did not find expected '-' indicator",
    "did not find expected key",
    "expected <block end>",
)


def _indent_hint(lines: list[str], at: int, problem: str) -> str:
    """Name the indentation when PyYAML's message is about structure: the line starts in
    another column than the keys above it (one space too many or too few)."""
    if not any(p in problem for p in _INDENT_PROBLEMS) or at >= len(lines):
        return ""
    above = next((lines[i] for i in range(at - 1, -1, -1) if lines[i].strip()), None)
    if above is None or not lines[at].strip():
        return ""
    here = len(lines[at]) - len(lines[at].lstrip(" "))
    item = re.match(r"^(\s*-\s+)\S", above)  # '  - name: b': its keys start after '- '
    there = len(item.group(1)) if item else len(above) - len(above.lstrip(" "))
    if here == there and lines[at].lstrip().startswith("- "):  # a step indented as a key
        first = next((ln for ln in lines if re.match(r"^\s*-\s", ln)), lines[at])
        dash = len(first) - len(first.lstrip(" "))
        if dash != here:
            return (
                f". Check the indentation: the '- ' on line {at + 1} is in column {here + 1}, "
                f"the first step's in column {dash + 1}; every step's '- ' starts there"
            )
    if here == there:
        return ""
    return (
        f". Check the indentation: line {at + 1} starts in column {here + 1}, the line "
        f"above in column {there + 1}; the keys of one step start in the same column"
    )


def _clean(msg: str) -> str:
    return msg.removeprefix("Value error, ")


# -- the compiled pipeline -------------------------------------------------------------
@dataclass(frozen=True)
class Reference:
    """A placeholder or ``when:`` name that could not be checked yet (value not known)."""

    step: str
    name: str
    path: Path
    offset: int
    placeholder: Placeholder | None = None


@dataclass
class CompiledPipeline:
    """A checked spec, ready to run: its graph, compiled templates and conditions."""

    spec: PipelineSpec
    dag: DAG
    prompts: dict[str, Template | None]
    systems: dict[str, Template | None]
    conditions: dict[str, Condition | None]
    #: References to the session context or namespace, checked again when a run starts.
    deferred: list[Reference]
    #: Placeholders rooted at ``input``, checked once the input is known.
    input_refs: list[Reference]
    positions: Positions
    source: str | None = None
    interpolate: bool = True

    @property
    def name(self) -> str | None:
        """The pipeline's name."""
        return self.spec.name

    def problem(self, ref: Reference, message: str) -> SpecProblem:
        """A problem at a reference's position."""
        line, col = self.positions.offset_mark(ref.path, ref.offset)
        return SpecProblem(message, line, col, _path_text(ref.path))

    def check_runtime_names(self, scope: Scope, *, input_known: bool = True) -> list[SpecProblem]:
        """Problems with deferred and input-rooted references, now that values are known."""
        problems = []
        refs = self.deferred + (self.input_refs if input_known else [])
        for ref in refs:
            msg = _check_value(ref, scope)
            if msg:
                problems.append(self.problem(ref, f"step {ref.step!r}: {msg}"))
        return problems


def _check_value(ref: Reference, scope: Scope) -> str | None:
    try:
        if ref.placeholder is not None:
            resolve(ref.placeholder, scope)
        else:
            scope.get(ref.name)
    except AccessError as exc:
        what = ref.placeholder.raw if ref.placeholder else ref.name
        return f"{what}: {_history_problem(ref, scope) or exc}"
    return None


def _history_problem(ref: Reference, scope: Scope) -> str | None:
    """``{Out[99]}`` names a cell, not a key: say which cells have what it asks for."""
    if ref.name not in HISTORY_NAMES or ref.placeholder is None or not ref.placeholder.path:
        return None
    cell = ref.placeholder.path[0][1]
    try:
        cells = scope.get(ref.name)
    except AccessError:
        return None
    if isinstance(cells, Mapping):
        have = sorted(k for k in cells if isinstance(k, int))
        noun = "output" if ref.name == "Out" else "error"
        shown = ", ".join(map(str, have[-10:])) or "none yet"
        return f"cell {cell} has no {noun}; cells with one: {shown}"
    if isinstance(cells, list):
        return f"there is no cell {cell} yet (the last is {len(cells) - 1})"
    return None


# -- semantic checks ---------------------------------------------------------------------
@dataclass
class _Checker:
    spec: PipelineSpec
    pos: Positions
    resolve_model: Callable[[str], object] | None
    namespace: Mapping[str, object] | None
    context: Mapping[str, object] | None
    interpolate: bool
    default_model: str | None
    problems: list[SpecProblem] = field(default_factory=list)
    deferred: list[Reference] = field(default_factory=list)
    input_refs: list[Reference] = field(default_factory=list)
    #: (step, the step it reads) -> where it reads it first: a cycle names that spot.
    step_refs: dict[tuple[str, str], tuple[Path, int]] = field(default_factory=dict)

    def add(self, message: str, path: Path, offset: int | None = None, key: bool = False) -> None:
        if offset is None:
            line, col = self.pos.mark(path, key=key)
        else:
            line, col = self.pos.offset_mark(path, offset)
        self.problems.append(SpecProblem(message, line, col, _path_text(path) or None))

    @property
    def names(self) -> list[str]:
        return self.spec.step_names

    # -- names and models -------------------------------------------------------------
    def check_names(self) -> None:
        seen: set[str] = set()
        for i, step in enumerate(self.spec.steps):
            if step.name in seen:
                self.add(
                    f"two steps are called {step.name!r}; step names must be unique",
                    ("steps", i, "name"),
                )
            seen.add(step.name or "")
            for j, dep in enumerate(step.depends_on or []):
                if dep not in self.names:
                    close = nearest(dep, self.names)
                    hint = f"; did you mean {close[0]!r}?" if close else self._steps_are()
                    self.add(
                        f"step {step.name!r} depends on unknown step {dep!r}{hint}",
                        ("steps", i, "depends_on", j),
                    )
        if self.spec.output is not None and self.spec.output not in self.names:
            close = nearest(self.spec.output, self.names)
            hint = f"; did you mean {close[0]!r}?" if close else self._steps_are()
            self.add(f"'output' names unknown step {self.spec.output!r}{hint}", ("output",))

    def _steps_are(self) -> str:
        """The step names, for an unknown one with no near miss among them."""
        shown = ", ".join(self.names[:10]) + (", ..." if len(self.names) > 10 else "")
        return f" (the steps are: {shown})"

    def check_models(self) -> None:
        default = self.spec.model or self.default_model
        if self.spec.model:
            self._model(self.spec.model, ("model",))
        if self.spec.fold_model:
            self._model(self.spec.fold_model, ("fold_model",))
        for i, step in enumerate(self.spec.steps):
            if step.model is None and default is None and not self._reported(("steps", i, "model")):
                self.add(
                    f"step {step.name!r} has no model: add 'model:' to the step "
                    "(or a pipeline-wide 'model:')",
                    ("steps", i),
                )
            for j, model in enumerate(step.models):
                where = ("steps", i, "model", j) if step.fans_out else ("steps", i, "model")
                self._model(model, where)
            for j, model in enumerate(step.fallbacks):
                self._model(model, ("steps", i, "fallbacks", j))
        unnamed = [i for i, step in enumerate(self.spec.steps) if step.model is None]
        if unnamed and not self.spec.model and self.default_model:  # else it ran and failed
            why = f"step {self.spec.steps[unnamed[0]].name!r} names no model, so it takes the "
            self._model(self.default_model, ("steps", unnamed[0]), why + "default model: ")

    def _reported(self, path: Path) -> bool:
        """A problem was already reported at ``path`` (or inside it): a value refused there
        was dropped, and its absence is no second mistake (``model: []`` is no "no model")."""
        where = _path_text(path)
        return any(
            p.path is not None
            and (p.path == where or p.path.startswith((f"{where}.", f"{where}[")))
            for p in self.problems
        )

    def _model(self, name: str, path: Path, why: str = "") -> None:
        if self.resolve_model is None:
            return
        try:
            self.resolve_model(name)
        except UnknownModelError as exc:
            self.add(f"{why}{exc}", path)

    # -- templates and conditions --------------------------------------------------------
    def compile_step(self, i: int, step: StepSpec) -> tuple[Template | None, Template | None]:
        self.check_encodable(i, step)
        prompt = system = None
        if step.prompt is not None:
            prompt = compile_template(step.prompt, interpolate=self.interpolate)
            self.check_template(i, step, prompt, "prompt")
        if step.system is not None:
            system = compile_template(step.system, interpolate=self.interpolate)
            self.check_template(i, step, system, "system")
        return prompt, system

    def check_encodable(self, i: int, step: StepSpec) -> None:
        """A lone surrogate in a step's text (a spec given as Python data; YAML text with
        one does not parse) could never be sent: say so now, at the key."""
        for key in ("prompt", "system", "task", "when", "default"):
            value = getattr(step, key)
            at = surrogate_at(value) if isinstance(value, str) else None
            if at is not None:
                self.add(
                    f"step {step.name!r}: {key!r} holds {value[at]!r} at character {at}, a "
                    "lone surrogate, which is not a character and cannot be sent",
                    ("steps", i, key),
                    at,
                )

    def check_template(self, i: int, step: StepSpec, template: Template, key: str) -> None:
        for ph in template.placeholders:
            self.check_reference(i, step, ph.root, ("steps", i, key), ph.offset, ph)

    def compile_when(self, i: int, step: StepSpec) -> Condition | None:
        if step.when is None:
            return None
        path: Path = ("steps", i, "when")
        try:
            cond = parse_condition(step.when)
        except WhenError as exc:
            offset = (exc.column or 1) - 1
            hint = _WHEN_HINT if "'contains'" in exc.reason else ""
            self.add(
                f"step {step.name!r}: bad 'when:' expression: {exc.reason}{hint}", path, offset
            )
            return None
        for name, offset in cond.name_positions():
            self.check_reference(i, step, name, path, offset, None)
        return cond

    def check_reference(
        self, i: int, step: StepSpec, root: str, path: Path, offset: int, ph: Placeholder | None
    ) -> None:
        """Check one root name (and for placeholders, the field after it)."""
        ref = Reference(step.name or "", root, path, offset, ph)
        what = ph.raw if ph else repr(root)
        if root == "input":
            self.input_refs.append(ref) if ph and ph.path else None
            return
        if root in self.names:
            self.step_refs.setdefault((step.name or "", root), (path, offset))
            msg = self.step_access(step, root, ph)
            if msg:
                self.add(f"step {step.name!r}: {what}: {msg}", path, offset)
            return
        known = self._static_scope()
        if known is not None and (root in known.context or root in known.namespace):
            self.deferred.append(ref)  # checked again on the run's own values
            msg = _check_value(ref, known)
            if msg:
                self.add(f"step {step.name!r}: {msg}", path, offset)
            return
        candidates = ["input", *self.names]
        close = nearest(root, candidates if known is None else [*candidates, *known.names()])
        if known is None and (root in HISTORY_NAMES or not close):
            self.deferred.append(ref)  # a variable the run's namespace or context will give
            return
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        if not close and ph is None and step.when:  # when: urgent in triage: a bare word
            quoted = step.when[:offset] + repr(root) + step.when[offset + len(root) :]
            hint = f'; to mean the word itself, quote it: when: "{quoted}"'
        self.add(
            f"step {step.name!r}: {what} does not resolve: it is not 'input', a step name, "
            f"a session context key or a variable{hint}",
            path,
            offset,
        )

    def _static_scope(self) -> Scope | None:
        if self.namespace is None and self.context is None:
            return None
        return Scope(has_input=False, context=self.context, namespace=self.namespace)

    def step_access(self, step: StepSpec, root: str, ph: Placeholder | None) -> str | None:
        """Why ``{root...}`` cannot read step ``root``, or ``None`` if it can."""
        if root == step.name:
            return "a step cannot read its own output"
        if ph is None or not ph.path:
            return None
        target = self.spec.step(root)
        kind, key = ph.path[0]
        if target.fans_out and kind == "item":
            if key not in target.models:
                close = nearest(key, target.models)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                return (
                    f"step {root!r} has no model {key!r} (its models: "
                    f"{', '.join(target.models)}){hint}"
                )
            return None
        if target.format == "json":
            return _schema_field_problem(root, target, key)
        if kind == "attr" and key not in STEP_FIELDS:
            close = nearest(key, STEP_FIELDS)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return (
                f"step {root!r} has no field {key!r}: {hint}(set 'format: json' on it to "
                "read fields of its JSON output)"
            )
        if kind == "item":
            return f"step {root!r} is not a fan-out or a 'format: json' step, so it has no [key]"
        return None

    # -- graph ---------------------------------------------------------------------------
    def build_graph(self, refs: dict[str, set[str]]) -> DAG | None:
        names = set(self.names)
        if len(names) < len(self.names):  # two steps share a name: no graph can be drawn,
            return None  # and check_names already said so (not "'a' depends on itself")
        explicit = {
            s.name or "": None if s.depends_on is None else [d for d in s.depends_on if d in names]
            for s in self.spec.steps
        }
        try:
            return build_dag(self.names, explicit, refs)
        except CycleError as exc:
            members = [self.names.index(n) for n in exc.cycle]
            explicit_at = [i for i in members if self.spec.steps[i].depends_on is not None]
            first = (explicit_at or members)[0]
            if not explicit_at:  # the loop is made of placeholders: point at one
                spot = self._cycle_reference(exc.cycle)
                if spot is not None:
                    self.add(str(exc), *spot)
                    return None
            self.add(str(exc), ("steps", first, "depends_on"))
            return None

    def check_defaults(self, dag: DAG) -> None:
        """A ``default:`` no run can use (see :mod:`.dead_default`), at its key."""
        specs = {s.name or "": s for s in self.spec.steps}
        for name in unreachable_defaults(dag.order, specs, dag.deps):
            where = ("steps", self.names.index(name), "default")
            self.add(dead_default_message(name), where, key=True)

    def _cycle_reference(self, cycle: list[str]) -> tuple[Path, int] | None:
        """Where the first step of ``cycle`` reads a neighbour in it (``{b}`` in a's
        prompt, ``b`` in its ``when:``), so the problem names that line and column."""
        for here, there in itertools.pairwise(cycle):
            for pair in ((here, there), (there, here)):
                if pair in self.step_refs:
                    return self.step_refs[pair]
        return None


def _schema_field_problem(root: str, target: StepSpec, key: str) -> str | None:
    """A field a JSON step's schema cannot have: not among its ``properties`` when the
    schema forbids others, or a near miss of one (``{summary.verdit}``): found when the
    spec loads, not once the step's reply is in, paid for, and the next step fails."""
    schema = target.json_schema or {}
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or key in properties:
        return None
    names = [str(p) for p in properties]
    close = nearest(key, names)
    if not close and schema.get("additionalProperties") is not False:
        return None  # the schema allows other fields: this may be one
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (
        f"step {root!r} has no field {key!r} in its schema (its fields: {', '.join(names)}){hint}"
    )


def _references(
    spec: PipelineSpec,
    prompts: dict[str, Template | None],
    systems: dict[str, Template | None],
    conditions: dict[str, Condition | None],
) -> dict[str, set[str]]:
    names = set(spec.step_names)
    refs: dict[str, set[str]] = {}
    for step in spec.steps:
        name = step.name or ""
        used: set[str] = set()
        for tpl in (prompts.get(name), systems.get(name)):
            if tpl is not None:
                used |= tpl.names
        cond = conditions.get(name)
        if cond is not None:
            used |= cond.names
        refs[name] = {u for u in used if u in names and u != name}
    return refs


# -- entry point ---------------------------------------------------------------------------
def _to_data(source: object) -> tuple[object, Positions, list[SpecProblem], str | None]:
    if isinstance(source, PipelineSpec):
        dumped = source.model_dump(by_alias=True, exclude_unset=True)
        return dumped, Positions(), [], None
    if isinstance(source, str):
        data, pos, problems = parse_yaml(source)
        return data, pos, problems, source
    if isinstance(source, list | tuple):
        return list(source), Positions(), [], None
    if isinstance(source, Mapping):
        return dict(source), Positions(), [], None
    raise SpecError(
        f"a pipeline spec must be a list of step dicts, a dict, YAML text or a PipelineSpec, "
        f"not {type(source).__name__}"
    )


def load_pipeline(
    source: object,
    *,
    name: str | None = None,
    resolve_model: Callable[[str], object] | None = None,
    namespace: Mapping[str, object] | None = None,
    context: Mapping[str, object] | None = None,
    interpolate: bool = True,
    default_model: str | None = None,
) -> CompiledPipeline:
    """Load and check a spec; raises :class:`SpecError` listing every problem.

    ``resolve_model`` (e.g. ``engine.resolve``) checks model names. ``namespace`` and
    ``context`` are the user's variables and the session context: given either, every
    placeholder must resolve now; given neither, names that are not ``input`` or a step
    (and not a near miss of one) are checked when the run starts, before any step runs.
    """
    raw, pos, problems, text = _to_data(source)
    data, more = _normalise(raw, pos)
    problems += more
    if data is None:
        raise SpecError(_sorted(problems), source=text)
    _name_steps(data)
    if name is not None:
        data["name"] = name
    spec, structural = _validate(data, pos)
    problems += structural
    if spec is None:
        raise SpecError(_sorted(problems), source=text)
    checker = _Checker(spec, pos, resolve_model, namespace, context, interpolate, default_model)
    checker.problems += problems
    return _compile(checker, text)


def _validate(
    data: dict[str, object], pos: Positions
) -> tuple[PipelineSpec | None, list[SpecProblem]]:
    """Validate; on errors, also validate a copy without the offending keys, so the
    cross-step checks still run and every problem is reported at once."""
    try:
        return PipelineSpec.model_validate(data), []
    except ValidationError as exc:
        problems = _pydantic_problems(exc, data, pos)
        paths = {_known_prefix(e["loc"], data) for e in exc.errors()}
        renames = _misspelt_keys(exc, data)
    # First read each misspelt key as the key it nearly is ('promt:' as 'prompt:'): dropped,
    # a step lost its prompt, the whole spec failed again and every later check (placeholders,
    # unknown steps, models) went unreported; a dropped 'modle:' also made a second, phantom
    # "has no model". Then, if that copy is invalid too, drop the offending keys instead.
    for renamed in (renames, {}):
        try:
            spec = PipelineSpec.model_validate(_without(data, paths, renamed))
        except ValidationError:
            continue
        _alias_positions(pos, renamed)
        return spec, problems
    return None, problems


def _misspelt_keys(exc: ValidationError, data: dict[str, object]) -> dict[Path, str]:
    """Unknown keys with one near allowed key that the same mapping does not already have,
    as ``{path of the unknown key: the key it nearly is}``."""
    out: dict[Path, str] = {}
    for err in exc.errors():
        if err["type"] != "extra_forbidden":
            continue
        path = _known_prefix(err["loc"], data)
        intent = bool(path) and str(path[-1]).lower() in _INTENT_HINTS
        close = nearest(str(path[-1]), _allowed_keys(path)) if path and not intent else []
        owner = _at(data, path[:-1])
        taken = {(p[:-1], key) for p, key in out.items()}  # 'modle' and 'mdoel' both
        free = isinstance(owner, Mapping) and bool(close) and close[0] not in owner
        if free and (path[:-1], close[0]) not in taken:
            out[path] = close[0]
    return out


def _at(data: object, path: Path) -> object:
    for part in path:
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _alias_positions(pos: Positions, renamed: dict[Path, str]) -> None:
    """Give a renamed key's value its YAML position under the name it was read as, so a
    problem inside it (a placeholder in a misspelt 'promt:') names its line and column."""
    for path, key in renamed.items():
        target = (*path[:-1], key)
        for table in (pos.values, pos.keys):
            for where, node in list(table.items()):
                if where[: len(path)] == path:
                    table.setdefault((*target, *where[len(path) :]), node)


def _without(
    data: dict[str, object], paths: set[Path], renamed: Mapping[Path, str] | None = None
) -> dict[str, object]:
    """A copy of ``data`` without the keys at ``paths`` (top-level or step keys only); a
    key in ``renamed`` is kept under the name given there instead."""
    out = dict(data)
    raw_steps = out.get("steps")
    if not isinstance(raw_steps, list):  # e.g. 'steps: 5', already reported
        return out
    steps = [dict(s) if isinstance(s, Mapping) else s for s in raw_steps]
    renamed = renamed or {}
    for path in paths:
        if len(path) == 1:
            value = out.pop(str(path[0]), None)
            if path in renamed:
                out[renamed[path]] = value
        elif len(path) >= 3 and path[0] == "steps" and isinstance(path[1], int):
            step = steps[path[1]]
            if isinstance(step, dict) and path[2] != "name":
                value = step.pop(str(path[2]), None)
                if len(path) == 3 and path in renamed:
                    step[renamed[path]] = value
    out["steps"] = steps
    return out


def _compile(checker: _Checker, text: str | None) -> CompiledPipeline:
    spec = checker.spec
    checker.check_names()
    checker.check_models()
    prompts: dict[str, Template | None] = {}
    systems: dict[str, Template | None] = {}
    conditions: dict[str, Condition | None] = {}
    for i, step in enumerate(spec.steps):
        name = step.name or ""
        prompts[name], systems[name] = checker.compile_step(i, step)
        conditions[name] = checker.compile_when(i, step)
    dag = checker.build_graph(_references(spec, prompts, systems, conditions))
    if dag is not None:
        checker.check_defaults(dag)
    if checker.problems or dag is None:
        raise SpecError(_sorted(checker.problems), source=text)
    return CompiledPipeline(
        spec, dag, prompts, systems, conditions, checker.deferred, checker.input_refs,
        checker.pos, text, checker.interpolate,
    )  # fmt: skip


def _sorted(problems: list[SpecProblem]) -> list[SpecProblem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
