"""The documentation cannot silently rot.

* Every ``python``/``ipython`` block of ``docs/EXAMPLES.md`` runs, offline, on the simulator,
  section by section in one IPython shell (top-level ``await`` works as in a notebook; each
  ``##`` section starts from a fresh namespace, a fresh ``ORCHESTRATION_HOME`` and a fresh
  session). A block that needs something the test machine lacks says so in a comment
  (``# needs: a running Ollama server``) and is only compiled.
* Every name that ``docs/API_REFERENCE.md`` documents exists at the import path its heading
  states, and every signature shown matches ``inspect.signature`` (see
  :func:`signature_text` for how a signature is written down). Every public name of the
  packages the reference covers is documented, and its data tables (audit columns, event
  kinds, environment variables, magic options) match the code.
* ``docs/otel_mapping.md`` is the table in ``orchestration_kernel.audit.events.OTEL_MAPPING``.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ForwardRef

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLES = DOCS / "EXAMPLES.md"
REFERENCE = DOCS / "API_REFERENCE.md"
OTEL_DOC = DOCS / "otel_mapping.md"

#: A block containing this comment needs a live server or real keys: it is compiled only.
NEEDS = re.compile(r"^\s*#\s*needs:", re.MULTILINE)
RUNNABLE = ("python", "ipython")

#: Packages whose ``__all__`` the reference must cover, name by name.
COVERED = (
    "orchestration_kernel",
    "orchestration_kernel.errors",
    "orchestration_kernel.routing",
    "orchestration_kernel.pipeline",
    "orchestration_kernel.bus",
    "orchestration_kernel.guardian",
    "orchestration_kernel.audit",
    "orchestration_kernel.magics",
    "orchestration_kernel.widgets",
    "orchestration_kernel.providers.registry",
    "orchestration_kernel.providers.credentials",
)


# -- markdown -------------------------------------------------------------------------


@dataclass
class Block:
    """One fenced code block: its language, text and first line number."""

    lang: str
    text: str
    line: int


@dataclass
class Section:
    """A ``##`` section of a document and its code blocks."""

    title: str
    blocks: list[Block] = field(default_factory=list)


def _fences(lines: list[str]) -> Iterator[tuple[int, str, str]]:
    """(line number of the opening fence, language, body) of every fenced block."""
    i = 0
    while i < len(lines):
        opening = re.match(r"^(```+)\s*([\w+-]*)", lines[i])
        if not opening:
            i += 1
            continue
        fence, lang, start = opening.group(1), opening.group(2).lower(), i
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        yield start + 1, lang, "\n".join(body) + "\n"


def example_sections(path: Path = EXAMPLES) -> list[Section]:
    """The ``##`` sections of the examples, each with its runnable blocks in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    heads = [(n, line[3:].strip()) for n, line in enumerate(lines, 1) if line.startswith("## ")]
    sections = [Section(title) for _, title in heads]
    for line, lang, text in _fences(lines):
        if lang not in RUNNABLE:
            continue
        owners = [i for i, (n, _) in enumerate(heads) if n < line]
        assert owners, f"EXAMPLES.md line {line}: a code block before the first ## section"
        sections[owners[-1]].blocks.append(Block(lang, text, line))
    return [s for s in sections if s.blocks]


# -- signatures -----------------------------------------------------------------------

_PREFIXES = re.compile(
    r"\b(?:typing|typing_extensions|collections\.abc|pathlib|orchestration_kernel(?:\.\w+)*)\."
)


class _Shown:
    """An object whose repr is the given text (so ``str(Signature)`` prints it verbatim)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _strip_annotated(text: str) -> str:
    """``Annotated[X, constraint, ...]`` -> ``X`` (constraints are validation detail)."""
    while (start := text.find("Annotated[")) >= 0:
        depth, i, first_comma = 0, start + len("Annotated["), None
        while i < len(text):
            ch = text[i]
            if ch == "[":
                depth += 1
            elif ch == "]":
                if depth == 0:
                    break
                depth -= 1
            elif ch == "," and depth == 0 and first_comma is None:
                first_comma = i
            i += 1
        inner = text[start + len("Annotated[") : first_comma or i]
        text = text[:start] + inner + text[i + 1 :]
    return text


def annotation_text(annotation: Any) -> str:
    """An annotation as the reference writes it: no quotes, no module paths, no constraints."""
    if isinstance(annotation, str):
        text = annotation
    elif isinstance(annotation, ForwardRef):
        text = annotation.__forward_arg__
    elif annotation is type(None):
        text = "None"
    elif isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        text = annotation.__qualname__
    else:
        text = repr(annotation)
    text = _PREFIXES.sub("", _strip_annotated(text))
    return text.replace("NoneType", "None")


def default_text(value: Any, home: Any) -> str:
    """A default value as the reference writes it (module constants by name)."""
    if isinstance(value, (bool, int, float, str, type(None))):
        return repr(value)
    for name, candidate in vars(home).items() if home is not None else ():
        if candidate is value and not name.startswith("_") and not callable(candidate):
            return name
    if callable(value) and hasattr(value, "__qualname__"):
        return str(value.__qualname__)
    text = repr(value)
    return text if len(text) <= 60 else "..."


def signature_text(obj: Any) -> str:
    """``inspect.signature(obj)`` as the reference shows it.

    Annotations lose their quotes, module paths and ``Annotated`` constraints; private
    parameters (``_name``) and ``self`` are left out; a class shows no return type.
    """
    sig = inspect.signature(obj)
    home = inspect.getmodule(obj)
    params = []
    for i, p in enumerate(sig.parameters.values()):
        if p.name.startswith("_") or (i == 0 and p.name in ("self", "cls")):
            continue
        kw: dict[str, Any] = {}
        if p.annotation is not p.empty:
            kw["annotation"] = _Shown(annotation_text(p.annotation))
        if p.default is not p.empty:
            kw["default"] = _Shown(default_text(p.default, home))
        params.append(p.replace(**kw))
    ret = sig.return_annotation
    shown_ret = (
        inspect.Signature.empty
        if inspect.isclass(obj) or ret is sig.empty
        else _Shown(annotation_text(ret))
    )
    return str(sig.replace(parameters=params, return_annotation=shown_ret))


def normalize(text: str) -> str:
    """Whitespace-insensitive form of a signature (line breaks and trailing commas allowed)."""
    text = re.sub(r"\s+", " ", text.replace("\\|", "|")).strip()
    text = re.sub(r"([(\[]) ", r"\1", text)
    text = re.sub(r",? ([)\]])", r"\1", text)
    return text


# -- the reference --------------------------------------------------------------------


@dataclass
class Entry:
    """One documented thing: where it is, what the doc says, and on which line."""

    path: str  # the import path of the owner (a module or a class)
    text: str  # the code span or code block
    line: int
    kind: str  # "object" (a heading's own signature) or "member"


def resolve(path: str) -> Any:
    """Import ``a.b.C.d``: the longest importable module prefix, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


_HEADING = re.compile(r"^(#{2,4}) (.*)$")
_API_HEADING = re.compile(r"^`([\w.]+)`")
_MEMBER = re.compile(r"^[-*] `([^`]+)`")


def reference_entries(path: Path = REFERENCE) -> tuple[list[Entry], list[str]]:
    """Every documented object and member, plus every heading path (for coverage)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    entries: list[Entry] = []
    owners: list[str] = []
    owner: str | None = None
    expect_block = False
    in_fence = False
    block: list[str] = []
    block_line = 0
    for n, line in enumerate(lines, 1):
        if line.startswith("```"):
            if not in_fence:
                in_fence, block, block_line = True, [], n
            else:
                in_fence = False
                if owner and expect_block:
                    entries.append(Entry(owner, "\n".join(block), block_line, "object"))
                expect_block = False
            continue
        if in_fence:
            block.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            api = _API_HEADING.match(heading.group(2))
            owner = api.group(1) if api else None
            expect_block = bool(api)
            if owner:
                owners.append(owner)
            continue
        if owner and line.strip() and not line.startswith("```"):
            member = _MEMBER.match(line)
            if member:
                entries.append(Entry(owner, member.group(1), n, "member"))
            expect_block = False if member else expect_block
    return entries, owners


def _has_attribute(owner: Any, name: str) -> bool:
    """A class attribute, a pydantic or dataclass field, or ``self.name = ...`` in the class."""
    if hasattr(owner, name):
        return True
    if not inspect.isclass(owner):
        return False
    fields = getattr(owner, "model_fields", None) or {}
    if name in fields or any(f.alias == name for f in fields.values()):
        return True
    if dataclasses.is_dataclass(owner) and name in {f.name for f in dataclasses.fields(owner)}:
        return True
    try:
        source = inspect.getsource(owner)
    except (OSError, TypeError):
        return False
    return re.search(rf"self\.{re.escape(name)}\b\s*(:[^=\n]+)?=", source) is not None


def check_entry(entry: Entry) -> str | None:
    """``None`` when the entry is true of the code, else what is wrong."""
    where = f"API_REFERENCE.md:{entry.line} ({entry.path})"
    try:
        owner = resolve(entry.path)
    except (ImportError, AttributeError) as exc:
        return f"{where}: cannot import {entry.path}: {exc}"
    if entry.kind == "object":
        first = entry.text.strip()
        name = entry.path.rsplit(".", 1)[-1]
        if not first.startswith(name + "("):
            return None  # an illustration, not a signature
        shown = first[len(name) :]
        actual = signature_text(owner)
        if normalize(shown) != normalize(actual):
            return f"{where}: signature is\n    {name}{actual}\nbut the doc says\n    {first}"
        return None
    text = entry.text.replace("\\|", "|").strip()
    is_await = text.startswith("await ")
    text = text.removeprefix("await ")
    match = re.match(r"^(\w+)\s*(=\s*(.*)|(\(.*))?$", text, re.DOTALL)
    if not match:
        return f"{where}: cannot read member `{entry.text}`"
    name, value, params = match.group(1), match.group(3), match.group(4)
    if not _has_attribute(owner, name):
        return f"{where}: {entry.path} has no attribute {name!r}"
    if value is not None:
        found = getattr(owner, name)
        actual_value = annotation_text(found) if hasattr(found, "__origin__") else repr(found)
        if normalize(actual_value) != normalize(value):
            return f"{where}: {name} is {actual_value}, the doc says {value}"
    if params is not None:
        target = getattr(owner, name)
        actual = signature_text(target)
        if normalize(params) != normalize(actual):
            return f"{where}: signature is\n    {name}{actual}\nbut the doc says\n    {text}"
        if is_await != inspect.iscoroutinefunction(target):
            should = "is" if inspect.iscoroutinefunction(target) else "is not"
            return f"{where}: {name} {should} a coroutine function; mark it `await` accordingly"
    return None


def documented_names(entries: list[Entry], owners: list[str]) -> set[str]:
    """``module.Name`` of everything the reference documents (headings and members)."""
    names = set(owners)
    for e in entries:
        if e.kind == "member":
            member = re.match(r"^(?:await )?(\w+)", e.text)
            if member:
                names.add(f"{e.path}.{member.group(1)}")
    return names


def documented_objects(names: set[str]) -> set[int]:
    """The ids of the objects those names resolve to (a re-export counts as documented)."""
    found = set()
    for name in names:
        try:
            found.add(id(resolve(name)))
        except (ImportError, AttributeError):
            continue
    return found


def markdown_table(text: str, header: str) -> list[list[str]]:
    """The rows of the first table whose header row starts with ``| header |``."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        cells = _cells(line)
        if cells and cells[0] == header:
            rows = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append(_cells(row))
            return rows
    raise AssertionError(f"no table with header {header!r}")


def _cells(line: str) -> list[str]:
    if not line.startswith("|"):
        return []
    parts = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [p.strip().replace("\\|", "|") for p in parts]


def _code(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


# -- tests: the reference -------------------------------------------------------------


def test_reference_names_and_signatures_match_the_code() -> None:
    entries, _ = reference_entries()
    assert len(entries) > 100, "the reference lost its entries (or the parser its way)"
    problems = [p for e in entries if (p := check_entry(e))]
    assert not problems, "\n\n".join(problems)


def test_reference_covers_every_public_name() -> None:
    entries, owners = reference_entries()
    documented = documented_names(entries, owners)
    objects = documented_objects(documented)
    missing = []
    for module_name in COVERED:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if name.startswith("__"):
                continue
            obj = getattr(module, name)
            if f"{module_name}.{name}" in documented:
                continue
            shared = isinstance(obj, (str, int, float, bool)) or obj is None
            if shared or id(obj) not in objects:
                missing.append(f"{module_name}.{name}")
    assert not missing, "undocumented in API_REFERENCE.md: " + ", ".join(missing)


def test_reference_tables_match_the_data() -> None:
    from orchestration_kernel.audit import EVENT_KINDS
    from orchestration_kernel.audit.store import ALL_COLUMNS
    from orchestration_kernel.providers.registry import PROVIDERS

    text = REFERENCE.read_text(encoding="utf-8")
    columns = [_code(row[0])[0] for row in markdown_table(text, "column")]
    assert columns == list(ALL_COLUMNS)  # what to_dataframe() and export() give
    kinds = {_code(row[0])[0] for row in markdown_table(text, "event")}
    assert kinds == set(EVENT_KINDS)
    variables = {v for row in markdown_table(text, "variable") for v in _code(row[0])}
    for info in PROVIDERS.values():
        if info.key_required:
            assert set(info.key_env) <= variables, info.name
            assert info.base_url_env in variables, info.name


def test_reference_lists_every_magic_option() -> None:
    from orchestration_kernel.magics import OrchestrateMagics

    parser = OrchestrateMagics.orchestrate.parser
    options = {s for a in parser._actions for s in a.option_strings if s not in ("-h", "--help")}
    text = REFERENCE.read_text(encoding="utf-8")
    shown = {o for row in markdown_table(text, "option") for c in _code(row[0]) for o in c.split()}
    assert options <= shown, f"magic options missing from the reference: {options - shown}"


def test_otel_mapping_doc_is_the_data() -> None:
    from orchestration_kernel.audit.events import OTEL_MAPPING, OTEL_PROVIDER_NAMES

    text = OTEL_DOC.read_text(encoding="utf-8")
    rows = [(_code(r[0])[0], _code(r[1])[0], r[2]) for r in markdown_table(text, "audit column")]
    assert rows == [(f.column, f.attribute, f.note) for f in OTEL_MAPPING]
    providers = {_code(r[0])[0]: _code(r[1])[0] for r in markdown_table(text, "provider")}
    assert providers == OTEL_PROVIDER_NAMES
    assert text == otel_mapping_markdown(), "regenerate: python -m tests.unit.test_docs_examples"


# -- tests: the examples --------------------------------------------------------------

SECTIONS = example_sections() if EXAMPLES.exists() else []


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """IPython's shell, offline, in a scratch directory, with a clean namespace."""
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    monkeypatch.setenv("ORCHESTRATION_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    ip = start_ipython() or get_ipython()
    before = set(ip.user_ns)
    configured = "OrchestrateMagics" in ip.config
    yield ip
    if "OrchestrateMagics" in ip.magics_manager.registry:
        ip.run_line_magic("unload_ext", "orchestration_kernel")
    for name in set(ip.user_ns) - before:
        ip.user_ns.pop(name, None)
    if not configured:  # %config in an example must not leak into other tests' magics
        ip.config.pop("OrchestrateMagics", None)


def test_examples_have_sections() -> None:
    assert len(SECTIONS) >= 10, "EXAMPLES.md lost its sections (or the parser its way)"


@pytest.mark.parametrize("section", SECTIONS, ids=[s.title for s in SECTIONS])
def test_example_section_runs_offline(section: Section, shell: Any) -> None:
    for block in section.blocks:
        if NEEDS.search(block.text):
            _compile_only(block)
            continue
        result = shell.run_cell(block.text, store_history=True)
        error = result.error_before_exec or result.error_in_exec
        assert result.success, (
            f"EXAMPLES.md line {block.line} ({section.title!r}) failed: "
            f"{type(error).__name__}: {error}\n{block.text}"
        )


def _compile_only(block: Block) -> None:
    """A block we cannot run here must still be valid Python (or a valid magic cell)."""
    if block.text.lstrip().startswith("%"):
        return
    source = "\n".join(
        line for line in block.text.splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    compile(source, f"EXAMPLES.md:{block.line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


# -- docs/otel_mapping.md is generated from the data -----------------------------------


def otel_mapping_markdown() -> str:
    """The text of ``docs/otel_mapping.md`` (``python -m tests.unit.test_docs_examples``
    rewrites the file from ``OTEL_MAPPING``)."""
    from orchestration_kernel.audit.events import OTEL_MAPPING, OTEL_PROVIDER_NAMES

    columns = [f"| `{f.column}` | `{f.attribute}` | {f.note} |" for f in OTEL_MAPPING]
    providers = [f"| `{ours}` | `{theirs}` |" for ours, theirs in OTEL_PROVIDER_NAMES.items()]
    return _OTEL_TEMPLATE.format(columns="\n".join(columns), providers="\n".join(providers))


_OTEL_TEMPLATE = """\
# Audit columns as OpenTelemetry GenAI attributes

`AuditTrail.enable_otel(endpoint)` sends every committed audit row as an OpenTelemetry span
(OTLP/HTTP; needs `pip install 'orchestration-kernel[otel]'`). Where the
[GenAI semantic conventions](https://opentelemetry.io/docs/specs/semconv/gen-ai/) name a
field we follow its meaning; the rest is ours, under `orchestration.*`. The conventions have
no cost attribute, so cost is `orchestration.cost_usd`. The span's end time is the row's
`timestamp` and its duration `latency_ms`; a row with an `error_type` gets span status ERROR.
Prompt and response are sent only when the exporter is enabled with `include_content=True`
(the conventions ask for opt-in content capture).

This table is `orchestration_kernel.audit.events.OTEL_MAPPING`, written out;
`tests/unit/test_docs_examples.py` checks that the two agree.

| audit column | OpenTelemetry attribute | note |
| --- | --- | --- |
{columns}

`gen_ai.provider.name` takes the conventions' provider names (`OTEL_PROVIDER_NAMES`);
other providers (a compatible server, the simulator) keep their own name.

| provider | gen_ai.provider.name |
| --- | --- |
{providers}
"""


if __name__ == "__main__":
    OTEL_DOC.write_text(otel_mapping_markdown(), encoding="utf-8")
