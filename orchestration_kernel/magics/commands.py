"""The line forms: ``%orchestrate models | run | audit | context | session | offline | key |
explain``. Each handler gets a :class:`~.context.CellContext`, never the magics."""

from __future__ import annotations

import argparse
import getpass
import json
import warnings
from typing import Any

from IPython.core.error import StdinNotImplementedError

from ..audit.odd_cells import AuditReadWarning
from ..errors import ConfigurationError
from ..offline import stand_in_label
from .args import COMMANDS, FORMATS, OFFLINE_MODES, check_choice, check_session_id
from .context import CellContext
from .display import make_run_display
from .errors import usage
from .render import Rendered, render

__all__ = ["run_command"]

#: How many positional arguments each command takes (min, max).
_ARITY: dict[str, tuple[int, int]] = {
    "models": (0, 1),
    "run": (1, 1),
    "audit": (0, 0),
    "context": (0, 1),
    "session": (0, 1),
    "offline": (0, 1),
    "key": (1, 1),
    "explain": (0, 1),
    "jobs": (0, 1),
    "help": (0, 0),
}


def run_command(ctx: CellContext, args: argparse.Namespace) -> Any:
    """Dispatch ``%orchestrate COMMAND ...``."""
    if not args.args:
        return help_text()
    command, rest = args.args[0], args.args[1:]
    check_choice("command", command, COMMANDS)
    low, high = _ARITY[command]
    if not low <= len(rest) <= high:
        raise usage(_arity_message(command, rest, low, high))
    handler = _HANDLERS[command]
    return handler(ctx, args, rest)


def _arity_message(command: str, rest: list[str], low: int, high: int) -> str:
    """What is wrong with the words after ``command``, then its syntax."""
    syntax = COMMANDS[command].split(" — ")[0] if " — " in COMMANDS[command] else ""
    if len(rest) > high:
        most = "no arguments" if high == 0 else f"at most {high} argument{'s' * (high > 1)}"
        got = " ".join(rest)
        if len(got) > 120:  # a pasted text: say what it starts with, not all of it
            got = f"{got[:100]}… ({len(got):,} characters)"
        what = f"%orchestrate {command} takes {most}, got {got!r}."
    else:
        what = f"%orchestrate {command} needs {low} argument{'s' * (low > 1)}."
    return f"{what} Usage: %orchestrate {command} {syntax}".rstrip()


def help_text(*_: Any, command: str | None = None) -> Rendered:
    """What the magics do, in short; with ``command`` (``%orchestrate run --help``), that
    command's usage first, then the rest."""
    first = []
    if command in COMMANDS:
        first = [f"**%orchestrate {command}** {COMMANDS[command]}", "", "---", ""]
    lines = [
        *first,
        "**%%orchestrate** `[NAME] [--input EXPR] [--out VAR] [--session ID] [--engine VAR] "
        "[-f FORMAT] [--no-stream] [--no-interpolate] [--dry-run] "
        "[--over EXPR [--cluster WHERE] [--yes]]` "
        "with a YAML pipeline body (with `--over`, once per row). FORMAT: "
        f"{' | '.join(FORMATS)}.",
        "",
        "**%%orchestrate --compare** `m1 m2 … [--out VAR] [-f FORMAT] [--no-stream] "
        "[--no-interpolate] [--over EXPR [--cluster WHERE | --batch [--job NAME]] [--yes]]` "
        "with a prompt body (with `--over`, once per `{item}`: a matrix; `--batch`: a "
        "resumable job through the providers' Batch APIs).",
        "",
        "**%orchestrate** commands:",
        "",
        *[f"- `{name}` {what}" for name, what in COMMANDS.items()],
        "",
        "The last result is in `_orchestrate`. `-h`/`--help` anywhere shows this help. "
        "`--engine VAR` runs a cell or command on the engine in `VAR` (default: the "
        "session's, `OrchestrationEngine.default()`). Every option, one by one: `%orchestrate?`",
    ]
    return Rendered("\n".join(lines), "markdown")


def _models(ctx: CellContext, args: argparse.Namespace, rest: list[str]) -> Any:
    """One row per model: provider, context, prices, key status, what serves it."""
    from ..model_list import model_rows

    rows = model_rows(ctx.engine, rest[0] if rest else None)
    if args.out:
        import pandas as pd

        from ..shown_frame import ShownFrame  # an unknown context window: 200000, not .0

        ctx.bind(args.out, ShownFrame(pd.DataFrame(rows)))
    else:
        ctx.bind(None, rows)
    if not rows:
        return Rendered(f"No model matches {rest[0]!r}.", "markdown")
    head = ["model", "aliases", "context", "$/1M in", "$/1M out", "key", "served by"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [
            f"`{r['model']}`" + (f" ({r['status']})" if r.get("status") else ""),
            r.get("aliases", ""),
            "" if r.get("context_window") is None else f"{r['context_window']:,}",
            _price(r.get("input_per_1m")),
            _price(r.get("output_per_1m")),
            r.get("key", ""),
            r.get("served_by", ""),
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines.append(f"\n{len(rows)} model(s). Keys are never shown; `--out VAR` gives a DataFrame.")
    return Rendered("\n".join(lines), "markdown")


def _price(value: float | None) -> str:
    return "" if value is None else f"${value:g}"


def _run(ctx: CellContext, args: argparse.Namespace, rest: list[str]) -> Any:
    from ..pipeline.needs_input import missing_input_error
    from .cells import input_value, run_pipeline

    pipeline = ctx.manager.get(rest[0])
    data = input_value(ctx, args)
    if data is None:
        missing = missing_input_error(pipeline.compiled, f"%orchestrate run {rest[0]} --input EXPR")
        if missing is not None:
            raise missing
    return run_pipeline(ctx, args, pipeline, data)


def _audit(ctx: CellContext, args: argparse.Namespace, rest: list[str]) -> Any:
    audit = ctx.engine.audit
    if audit is None:
        raise ConfigurationError("The engine has no audit trail (it was created with audit=False)")
    run = args.run or ctx.kernel.last_run_id or _trail_last_run(audit)
    if run is None:  # an empty trail: say so, rather than show a frame of no rows
        ctx.bind(args.out, audit.to_dataframe(limit=1))
        return Rendered("The audit has no runs yet.", "markdown")
    with warnings.catch_warnings():  # an unknown run is this command's error, said below
        warnings.simplefilter("ignore", AuditReadWarning)
        frame = audit.to_dataframe(run=run)
    if run is not None and frame.empty:
        raise ConfigurationError(f"No run {run!r} in the audit trail.{_latest_runs(audit)}")
    if run is not None:
        frame = _with_row_runs(audit, run, frame)
    ctx.bind(args.out, frame)
    return frame


def _trail_last_run(audit: Any) -> str | None:
    """The trail's latest run id (no run in this kernel yet, e.g. after a restart): the
    default was every row of the trail, however many years of them it holds."""
    recent = audit.to_dataframe(limit=500)
    if recent.empty or "run_id" not in recent:
        return None
    ids = recent["run_id"].dropna()
    return None if ids.empty else str(ids.iloc[-1])


def _with_row_runs(audit: Any, run: str, frame: Any) -> Any:
    """``frame`` (the rows of ``run``) and, when ``run`` is a pipeline run over rows
    (``--over`` with a pipeline), every row's own run too (``RUN-0``, ``RUN-1``, …), in
    the trail's order: the job the user ran, not only its run_start and run_end."""
    starts = frame.loc[frame["event"] == "run_start", "detail"]
    if not any(isinstance(d, dict) and d.get("kind") == "pipeline_matrix" for d in starts):
        return frame
    import pandas as pd

    later = audit.to_dataframe(since=frame["timestamp"].min())
    ids = later["run_id"].astype("string")
    rows = later[ids.str.startswith(f"{run}-").fillna(False)]
    both = pd.concat([frame, rows], ignore_index=True)
    return both.sort_values("seq", kind="stable", ignore_index=True)


def _latest_runs(audit: Any, n: int = 5) -> str:
    """`` The latest runs: a1b2 (pipeline, 12:03), …`` or a hint when there are none."""
    recent = audit.to_dataframe(limit=500)
    if recent.empty or "run_id" not in recent:
        return " The audit has no runs yet."
    runs = recent.dropna(subset=["run_id"]).drop_duplicates("run_id", keep="last").tail(n)
    listed = ", ".join(f"{r.run_id} ({_run_kind(r)})" for r in runs.iloc[::-1].itertuples())
    return f" The latest runs: {listed}." if listed else " The audit has no runs yet."


def _run_kind(row: Any) -> str:
    # A pipeline without a name reads back as a missing value (NaN), which is truthy.
    if isinstance(row.pipeline, str) and row.pipeline:
        return row.pipeline
    return "pipeline" if str(row.event).startswith("run_") else str(row.event)


def _context(ctx: CellContext, args: argparse.Namespace, rest: list[str]) -> Any:
    session_id = rest[0] if rest else (args.session or ctx.session_id)
    bus = ctx.engine.bus
    context = bus.get_context_sync(session_id)
    ctx.bind(args.out, context)
    text = _context_json(context)
    # The conversation that `context: session` steps send is kept apart from the state.
    turns = len(bus.conversation_sync(session_id))
    said = ""
    if turns:
        said = f"\n\n{turns} conversation turn{'s' * (turns != 1)} (`bus.conversation_sync()`)."
    elif not context and rest:  # a typed id that holds nothing: a near miss?
        said = _unknown_session(session_id, bus.sessions_sync())
    return Rendered(f"Session `{session_id}`:\n\n```json\n{text}\n```{said}", "markdown")


#: How much of a session's context the view shows before it cuts each value: a context
#: holding a corpus rendered whole was megabytes of Markdown in the saved notebook.
_CONTEXT_SHOWN = 20_000
#: Per value, once the whole is over :data:`_CONTEXT_SHOWN`.
_VALUE_SHOWN = 300


def _context_json(context: dict[str, Any]) -> str:
    """The context as indented JSON, or, when that is long, each value's JSON cut to
    :data:`_VALUE_SHOWN` characters with a note where the whole is."""
    text = json.dumps(context, indent=2, ensure_ascii=False, default=str)
    if len(text) <= _CONTEXT_SHOWN:
        return text
    lines = ["{"]
    for key, value in context.items():
        one = json.dumps(value, ensure_ascii=False, default=str)
        if len(one) > _VALUE_SHOWN:
            one = f"{one[:_VALUE_SHOWN]}… ({len(one):,} characters)"
        lines.append(f"  {json.dumps(str(key), ensure_ascii=False)}: {one},")
    lines.append("}")
    return (
        "\n".join(lines) + f"\n// {len(text):,} characters in all, each value cut: the whole is in "
        "_orchestrate (or --out VAR), and bus.get_context_sync()"
    )


def _unknown_session(session_id: str, known: list[str]) -> str:
    """What to say for a session id that holds nothing: the ids it is part of, or near."""
    from ..near_names import nearest

    close = [s for s in known if session_id in s][:3] or nearest(session_id, known)
    if close:
        return (
            f"\n\nNothing is kept under `{session_id}`. Did you mean "
            + " or ".join(f"`{c}`" for c in close)
            + "?"
        )
    shown = ", ".join(f"`{s}`" for s in known[-5:])
    return f"\n\nNothing is kept under `{session_id}`." + (
        f" Sessions with context: {shown}." if shown else ""
    )


def _session(ctx: CellContext, args: argparse.Namespace, rest: list[str]) -> Any:
    """Show the session id runs use, or pin it: ``%orchestrate session my-analysis``."""
    if rest:
        new = check_session_id(rest[0])
        ctx.kernel.session_id, ctx.kernel.session_source = new, "%orchestrate session"
        ctx.engine.session.use_id(new)
        print(f"Session {new}: context is kept under this id (it survives a restart).")
        return None
    source = ctx.kernel.session_source or "this kernel's process (not kept across a restart)"
    print(f"Session {ctx.session_id} (from {source}). Pin it: %orchestrate session NAME")
    return None


def _offline(ctx: CellContext, args: argparse.Namespace, rest: list[str]) -> Any:
    if not rest:  # %orchestrate offline: the mode now, as %orchestrate session shows its id
        mode = ctx.engine.providers.offline
        print(f"{_offline_text(ctx, mode)} Change it: %orchestrate offline on|off|auto.")
        return None
    if rest[0] in ("sim", "local"):  # the stand-in, not the mode
        raise usage(
            f"Unknown offline mode {rest[0]!r}: the mode is on, off or auto; which stand-in "
            "serves (local or sim) is ORCHESTRATION_OFFLINE_MODEL, set before the kernel "
            "starts. %orchestrate offline on serves every model offline."
        )
    mode = check_choice("offline mode", rest[0], OFFLINE_MODES)
    ctx.engine.set_offline(mode)
    print(_offline_text(ctx, mode))
    return None


def _offline_text(ctx: CellContext, mode: str) -> str:
    who = "" if mode == "off" else stand_in_label(ctx.engine.providers.offline_model)
    meaning = {
        "on": f"every model is served by the {who}",
        "auto": f"providers without a key are served by the {who}",
        "off": "every model needs its provider's key",
    }[mode]
    return f"Offline mode {mode}: {meaning}."


def _key(ctx: CellContext, args: argparse.Namespace, rest: list[str]) -> Any:
    from ..keystore import check_secure_keyring, save_key
    from ..providers.registry import PROVIDERS
    from ..secrets import Secret
    from .key_paste import pasted_key

    keyless = ("local", "sim")  # the offline stand-ins take no key
    provider = check_choice("provider", rest[0], [p for p in PROVIDERS if p not in keyless])
    if args.save:
        check_secure_keyring()  # refuse before asking, never after
    where = "saved in the system keyring" if args.save else "kept for this kernel only"
    # Looked up at call time: ipykernel replaces getpass.getpass with a stdin request.
    try:
        key = getpass.getpass(f"API key for {provider} (not shown, {where}): ")
    except StdinNotImplementedError:  # nbconvert, papermill, a headless "Run All"
        names = " or ".join(PROVIDERS[provider].env_hint) or "the provider's key variable"
        raise usage(
            f"This frontend cannot ask for input, so %orchestrate key cannot ask for the "
            f"{provider} key here. Set {names} in the kernel's environment or in a .env file "
            "in the working directory, or run this line in an interactive notebook."
        ) from None
    hints = {name: info.env_hint for name, info in PROVIDERS.items()}
    secret = Secret(pasted_key(provider, key, hints))
    ctx.engine.set_key(provider, secret)
    if args.save:
        name = save_key(ctx.engine, provider, secret)
        print(f"Key for {provider} saved in the system keyring (as {name}) and in use now.")
    else:
        print(f"Key for {provider} kept in memory for this kernel's life (--save keeps it).")


def _explain(ctx: CellContext, args: argparse.Namespace, rest: list[str]) -> Any:
    error = _which_error(ctx, rest)
    model = args.model or ctx.default_model or "auto"
    ctx.engine.resolve(model)
    prompt = (
        "Explain this Python error from a Jupyter notebook cell to its author, briefly, "
        "then say how to fix it.\n\n"
        f"Cell [{error.cell}]:\n```python\n{error.source.strip()}\n```\n\n"
        f"Error:\n```\n{error.traceback}\n```"
    )
    reply = _stream_reply(ctx, model, prompt, f"explain Err[{error.cell}]")
    ctx.bind(args.out, reply)
    return render(reply, "markdown" if args.format == "code" else args.format, ctx.shell)


def _which_error(ctx: CellContext, rest: list[str]) -> Any:
    if rest:
        if not rest[0].isdigit():
            raise usage(f"explain takes a cell number, e.g. 'explain 3', not {rest[0]!r}")
        error = ctx.errors.get(int(rest[0]))
        if error is None:
            known = ", ".join(str(n) for n in sorted(ctx.errors.errors)) or "none"
            raise ConfigurationError(f"Cell {rest[0]} raised no error. Cells with errors: {known}.")
        return error
    error = ctx.errors.last
    if error is None:
        raise ConfigurationError(
            "No error recorded in this kernel yet: run a cell that fails, then "
            "'%orchestrate explain'."
        )
    return error


def _stream_reply(ctx: CellContext, model: str, prompt: str, title: str) -> Any:
    """One call, streamed into a live display; returns the reply."""
    from ..matrix import MatrixEvent
    from ..pipeline.events import PipelineEvent

    engine = ctx.engine
    view = make_run_display(ctx.display, title)
    stream = ctx.stream

    async def start(observer: Any) -> Any:
        observer(MatrixEvent("cell_start", 0, "", model))

        def on_delta(delta: Any) -> None:
            observer(PipelineEvent("delta", "explain", model, model, delta))

        try:
            reply = await engine.complete(model, prompt, stream=stream, on_delta=on_delta)
        except Exception as exc:
            observer(MatrixEvent("cell_end", 0, "", model, exc))
            raise
        observer(MatrixEvent("cell_end", 0, "", model, reply))
        return reply

    try:
        reply = ctx.block(start, view)
    except BaseException as exc:
        view.finish(None, exc)
        raise
    view.finish(None, None)
    return reply


def _jobs(ctx: CellContext, args: argparse.Namespace, rest: list[str]) -> Any:
    from .batch import jobs_command

    return jobs_command(ctx, args, rest)


_HANDLERS = {
    "models": _models,
    "run": _run,
    "audit": _audit,
    "context": _context,
    "session": _session,
    "offline": _offline,
    "key": _key,
    "explain": _explain,
    "jobs": _jobs,
    "help": help_text,
}
