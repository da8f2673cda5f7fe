"""The line forms: ``%orchestrate models | run | audit | context | offline | key | explain``."""

from __future__ import annotations

import argparse
import getpass
import json
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from .args import COMMANDS, OFFLINE_MODES, check_choice
from .display import make_run_display
from .errors import usage
from .render import Rendered, render

if TYPE_CHECKING:
    from .orchestrate import OrchestrateMagics

__all__ = ["run_command"]

#: How many positional arguments each command takes (min, max).
_ARITY: dict[str, tuple[int, int]] = {
    "models": (0, 0),
    "run": (1, 1),
    "audit": (0, 0),
    "context": (0, 1),
    "offline": (1, 1),
    "key": (1, 1),
    "explain": (0, 1),
    "jobs": (0, 1),
    "help": (0, 0),
}


def run_command(magics: OrchestrateMagics, args: argparse.Namespace) -> Any:
    """Dispatch ``%orchestrate COMMAND ...``."""
    if not args.args:
        return help_text()
    command, rest = args.args[0], args.args[1:]
    check_choice("command", command, COMMANDS)
    low, high = _ARITY[command]
    if not low <= len(rest) <= high:
        raise usage(f"%orchestrate {command} {COMMANDS[command].split(' — ')[0]}".rstrip())
    handler = _HANDLERS[command]
    return handler(magics, args, rest)


def help_text(*_: Any) -> Rendered:
    """What the magics do, in short."""
    lines = [
        "**%%orchestrate** `[NAME] [--input EXPR] [--out VAR] [--session ID] [-f FORMAT] "
        "[--no-stream] [--no-interpolate] [--dry-run]` with a YAML pipeline body.",
        "",
        "**%%orchestrate --compare** `m1 m2 … [--over VAR] [--out VAR]` with a prompt body.",
        "",
        "**%orchestrate** commands:",
        "",
        *[f"- `{name}` {what}" for name, what in COMMANDS.items()],
        "",
        "The last result is in `_orchestrate`. Full syntax: `%orchestrate?`",
    ]
    return Rendered("\n".join(lines), "markdown")


def _models(magics: OrchestrateMagics, args: argparse.Namespace, rest: list[str]) -> Any:
    engine = magics.engine
    lines = ["| name | resolves to | served by |", "|---|---|---|"]
    rows = []
    for name in engine.known_model_names():
        try:
            target = engine.resolve(name)
            served = "simulator" if engine.is_simulated(name) else "real provider"
        except Exception as exc:  # one odd catalogue entry must not hide the others
            target, served = f"({type(exc).__name__})", ""
        rows.append({"name": name, "resolves_to": target, "served_by": served})
        lines.append(f"| {name} | {target} | {served} |")
    magics.bind(args.out, rows)
    return Rendered("\n".join(lines), "markdown")


def _run(magics: OrchestrateMagics, args: argparse.Namespace, rest: list[str]) -> Any:
    from .cells import _run_pipeline

    pipeline = magics.manager.get(rest[0])
    input_data = magics.input_value(args)
    return _run_pipeline(magics, args, pipeline, input_data, magics.namespace())


def _audit(magics: OrchestrateMagics, args: argparse.Namespace, rest: list[str]) -> Any:
    audit = magics.engine.audit
    if audit is None:
        raise ConfigurationError("The engine has no audit trail (it was created with audit=False)")
    run = args.run or magics.last_run_id
    frame = audit.to_dataframe(run=run)
    magics.bind(args.out, frame)
    return frame


def _context(magics: OrchestrateMagics, args: argparse.Namespace, rest: list[str]) -> Any:
    session_id = rest[0] if rest else (args.session or magics.engine.session_id)
    context = magics.engine.bus.get_context_sync(session_id)
    magics.bind(args.out, context)
    text = json.dumps(context, indent=2, ensure_ascii=False, default=str)
    return Rendered(f"Session `{session_id}`:\n\n```json\n{text}\n```", "markdown")


def _offline(magics: OrchestrateMagics, args: argparse.Namespace, rest: list[str]) -> Any:
    mode = check_choice("offline mode", rest[0], OFFLINE_MODES)
    magics.engine.set_offline(mode)
    meaning = {
        "on": "every model is served by the offline simulator",
        "auto": "providers without a key are served by the offline simulator",
        "off": "every model needs its provider's key",
    }[mode]
    print(f"Offline mode {mode}: {meaning}.")


def _key(magics: OrchestrateMagics, args: argparse.Namespace, rest: list[str]) -> Any:
    from ..providers.registry import PROVIDERS
    from ..secrets import Secret

    provider = check_choice("provider", rest[0], [p for p in PROVIDERS if p != "local"])
    # Looked up at call time: ipykernel replaces getpass.getpass with a stdin request.
    key = getpass.getpass(f"API key for {provider} (not shown, kept for this kernel only): ")
    if not key.strip():
        raise ConfigurationError(f"No key given for {provider}; nothing changed.")
    magics.engine.set_key(provider, Secret(key.strip()))
    print(f"Key for {provider} kept in memory for this kernel's life.")


def _explain(magics: OrchestrateMagics, args: argparse.Namespace, rest: list[str]) -> Any:
    error = _which_error(magics, rest)
    model = args.model or magics.default_model or "auto"
    magics.engine.resolve(model)
    prompt = (
        "Explain this Python error from a Jupyter notebook cell to its author, briefly, "
        "then say how to fix it.\n\n"
        f"Cell [{error.cell}]:\n```python\n{error.source.strip()}\n```\n\n"
        f"Error:\n```\n{error.traceback}\n```"
    )
    reply = _stream_reply(magics, args, model, prompt, f"explain Err[{error.cell}]")
    magics.bind(args.out, reply)
    return render(reply, "markdown" if args.format == "code" else args.format, magics.shell)


def _which_error(magics: OrchestrateMagics, rest: list[str]) -> Any:
    if rest:
        if not rest[0].isdigit():
            raise usage(f"explain takes a cell number, e.g. 'explain 3', not {rest[0]!r}")
        error = magics.errors.get(int(rest[0]))
        if error is None:
            known = ", ".join(str(n) for n in sorted(magics.errors.errors)) or "none"
            raise ConfigurationError(f"Cell {rest[0]} raised no error. Cells with errors: {known}.")
        return error
    error = magics.errors.last
    if error is None:
        raise ConfigurationError(
            "No error recorded in this kernel yet: run a cell that fails, then "
            "'%orchestrate explain'."
        )
    return error


def _stream_reply(
    magics: OrchestrateMagics, args: argparse.Namespace, model: str, prompt: str, title: str
) -> Any:
    """One call, streamed into a live display; returns the reply."""
    from ..pipeline.events import PipelineEvent

    engine = magics.engine
    view = make_run_display(magics.display, title)
    stream = magics.streaming(args)

    async def start(observer: Any) -> Any:
        observer(PipelineEvent("step_start", "explain", "explain", model))

        def on_delta(delta: Any) -> None:
            observer(PipelineEvent("delta", "explain", "explain", model, delta))

        reply = await engine.complete(model, prompt, stream=stream, on_delta=on_delta)
        observer(PipelineEvent("step_end", "explain", "explain", model, _step_of(reply)))
        return reply

    try:
        reply = magics.block(start, view, stream=stream)
    except BaseException as exc:
        view.finish(None, exc)
        raise
    view.finish(None, None)
    return reply


def _jobs(magics: OrchestrateMagics, args: argparse.Namespace, rest: list[str]) -> Any:
    from .batch import jobs_command

    return jobs_command(magics, args, rest)


def _step_of(reply: Any) -> Any:
    from .cells import _ReplyStep

    return _ReplyStep("explain", reply.model, reply)


_HANDLERS = {
    "models": _models,
    "run": _run,
    "audit": _audit,
    "context": _context,
    "offline": _offline,
    "key": _key,
    "explain": _explain,
    "jobs": _jobs,
    "help": help_text,
}
