"""``%%orchestrate`` and ``%orchestrate``: the magics, modelled on IPython's own ``%%script``.

Defaults are traitlets configuration, so ``%config OrchestrateMagics.default_model = "gpt-4"``
and ``c.OrchestrateMagics.display = "text"`` in ``ipython_config.py`` both work.
"""

from __future__ import annotations

import argparse
import builtins
import keyword
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from IPython.core import magic_arguments
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from traitlets import Bool, Enum, Unicode, observe

from ..near_names import is_code
from .args import COMMANDS, check_cell_options, parse_args, wants_help
from .context import LAST_RESULT, CellContext, KernelState
from .engine_choice import cell_engine, note_other_engines, other_engine_hint
from .errors import clean_errors, usage
from .namespace import ErrorLog

if TYPE_CHECKING:
    # Imported on first use: the session brings the runtime (and asyncio), which loading
    # the extension does not need.
    from ..session import Session

__all__ = ["LAST_RESULT", "OrchestrateMagics"]


@magics_class
class OrchestrateMagics(Magics):
    """Run multi-model pipelines, comparisons and orchestration commands from a notebook."""

    default_model = Unicode(
        "", help="The model for steps that name none, and for '%orchestrate explain'."
    ).tag(config=True)
    stream = Bool(True, help="Stream text into the output as it arrives.").tag(config=True)
    display = Enum(
        ("widget", "html", "text"),
        default_value="widget",
        help="How a run shows: ipywidgets, HTML, or plain text (widget falls back to HTML).",
    ).tag(config=True)
    offline = Enum(
        ("", "on", "off", "auto"),
        default_value="",
        help="Offline mode for the session's engine; '' keeps ORCHESTRATION_OFFLINE.",
    ).tag(config=True)
    pools_file = Unicode("", help="A YAML/JSON file of model pools to load.").tag(config=True)

    def __init__(self, shell: Any = None, session: Session | None = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._session = session
        self._configured: Any = None  # the engine the traits were last applied to
        self.errors = ErrorLog()
        self._manager: Any = None
        #: Named pipelines of the engines cells chose with ``--engine`` (dropped with them).
        self._managers: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        #: What the magics remember for the kernel's life (session id, last run, notes).
        self.kernel = KernelState()

    @property
    def last_run_id(self) -> str | None:
        """The id of the last run in this kernel (``%orchestrate audit`` shows it)."""
        return self.kernel.last_run_id

    # -- the session and its engine ------------------------------------------------
    @property
    def session(self) -> Session:
        """The per-kernel session (its runtime loop, engine, bus and audit)."""
        if self._session is None or self._session._closed:
            from ..session import Session

            self._session = Session.current()
        return self._session

    @property
    def engine(self) -> Any:
        """The session's engine, with this object's configuration applied (lazily)."""
        engine = self.session.engine
        if self._configured is not engine:
            self._configured = engine
            self._apply_config(engine)
        return engine

    def _apply_config(self, engine: Any) -> None:
        if self.offline:
            engine.set_offline(self.offline)
        if self.pools_file:
            engine.router.load_config(self.pools_file)

    @observe("offline", "pools_file")
    def _config_changed(self, change: Any) -> None:
        # Applied now only if the engine exists; otherwise when it is first needed.
        if self._configured is not None:
            self._apply_config(self._configured)

    @property
    def manager(self) -> Any:
        """The kernel's named pipelines (``%%orchestrate NAME``, ``%orchestrate run NAME``)."""
        if self._manager is None or self._manager.engine is not self.engine:
            from ..pipeline import PipelineManager

            self._manager = PipelineManager(self.engine)
        return self._manager

    def close(self) -> None:
        """Close the session (``%unload_ext``): the engine, its loop and its clients."""
        if self._session is not None:
            self._session.close()
        else:
            from ..session import Session

            Session.current().close()
        self._configured = None
        self._manager = None

    # -- the magic -----------------------------------------------------------------
    # IPython's own $var/{expr} expansion is quadratic in the line's length (a 160 KB
    # line did not finish in a minute): the magic expands its own forms (.expand).
    @no_var_expand
    @magic_arguments.magic_arguments()
    @magic_arguments.argument(
        "args",
        nargs="*",
        help="In a cell: the pipeline's NAME (optional; a named pipeline is registered). "
        "On a line: a COMMAND and its arguments: "
        + " | ".join(
            f"{name} {what.split(' — ')[0] if ' — ' in what else ''}".strip()
            for name, what in COMMANDS.items()
        )
        + ".",
    )
    @magic_arguments.argument("--input", metavar="EXPR", help="The input: a Python expression.")
    @magic_arguments.argument("--out", metavar="VAR", help="Bind the result to VAR.")
    @magic_arguments.argument(
        "--session", metavar="ID", help="Continue the conversation of session ID across cells."
    )
    @magic_arguments.argument(
        "-f",
        "--format",
        default="markdown",
        metavar="FORMAT",
        help="The final output: markdown (default) | text | json | code (the next cell).",
    )
    @magic_arguments.argument("--no-stream", action="store_true", help="Do not stream text.")
    @magic_arguments.argument(
        "--no-interpolate", action="store_true", help="Every brace in the body is literal."
    )
    @magic_arguments.argument(
        "--dry-run",
        action="store_true",
        help="Validate and show the plan (steps, models, estimated cost, real or simulated).",
    )
    @magic_arguments.argument(
        "--compare", nargs="*", metavar="MODEL", help="Run the cell's prompt on each MODEL."
    )
    @magic_arguments.argument(
        "--over",
        metavar="EXPR",
        help="With --compare: run the prompt for each {item} of EXPR (a list, df.col, a "
        "DataFrame: one item per row, its columns as {column}). With a pipeline: run it "
        "once per row, the row as {input}.",
    )
    @magic_arguments.argument(
        "--cluster", metavar="WHERE", help="With --over: run the rows on Dask (local or tcp://…)."
    )
    @magic_arguments.argument(
        "--batch", action="store_true", help="With --compare --over: a resumable batch job."
    )
    @magic_arguments.argument("--job", metavar="NAME", help="With --batch: the job's name.")
    @magic_arguments.argument(
        "--yes",
        action="store_true",
        help="With --over or --batch: run even above the cost threshold.",
    )
    @magic_arguments.argument(
        "--engine",
        metavar="VAR",
        help="Run on the OrchestrationEngine in VAR (default: the session's, "
        "OrchestrationEngine.default()).",
    )
    @magic_arguments.argument("--run", metavar="ID", help="audit: the run to show.")
    @magic_arguments.argument(
        "--save", action="store_true", help="key: keep the key in the system keyring."
    )
    @magic_arguments.argument("-m", "--model", help="explain: the model that explains.")
    @line_cell_magic
    def orchestrate(self, line: str, cell: str | None = None) -> Any:
        """Orchestrate models from a notebook.

        A cell runs a YAML pipeline — a list of steps, or a mapping with ``steps:`` and
        pipeline options; ``{input}``, ``{<step>}``, ``{<variable>}``, ``{In[n]}``,
        ``{Out[n]}`` and ``{Err[n]}`` interpolate::

            %%orchestrate review --input text --out result
            - name: analysis
              model: gpt-4
              prompt: "Analyze: {input}"
            - name: synthesis
              model: claude-3
              prompt: "Synthesize: {analysis}"

        ``%%orchestrate --compare gpt-4 claude-3 [--over EXPR]`` runs the body as one prompt
        on every model (with ``--over``, once per ``{item}``: a matrix); add ``--batch
        [--job NAME] [--yes]`` to send it through the providers' Batch APIs as a resumable job.
        A pipeline cell with ``--over EXPR`` runs once per row (the row is ``{input}``), and
        ``--cluster local|tcp://…`` runs the rows (of either) on Dask workers.

        A line runs a command: ``%orchestrate models [FILTER]``, ``run NAME [--input EXPR]``,
        ``audit [--run ID] [--out VAR]``, ``context [SESSION]``, ``session [ID]``,
        ``offline [on|off|auto]``, ``key PROVIDER [--save]``, ``explain [CELL] [-m MODEL]``,
        ``jobs [NAME]``, ``help`` (or ``-h``/``--help`` with any of them).

        On the magic's line, ``$name`` and ``{name}`` (``name.attr`` too) are the values
        of your variables (``--run $rid``); ``$$`` is a literal ``$``.

        The last result is always in ``_orchestrate``.
        """
        from .expand import expand_line
        from .line_secrets import refuse_line_secrets

        with clean_errors():
            typed, line = line, expand_line(line, self.user_ns)
            refuse_line_secrets(typed, line)
            if wants_help(line):  # as in a shell; a cell's body does not run
                from .commands import help_text

                words = line.split()
                return help_text(command=words[0] if words and cell is None else None)
            args = parse_args(self.orchestrate.parser, line)
            check_cell_options(args, cell=cell is not None)
            if cell is not None:
                from .batch import check_batch_options

                check_batch_options(args)
            _check_identifier("--out", args.out)
            _check_identifier("--engine", args.engine)
            _check_not_code("--out", args.out, self.user_ns)
            ctx = self.context(args)
            with other_engine_hint(self.user_ns, ctx.engine):
                return self._dispatch(ctx, args, cell)

    def _dispatch(self, ctx: CellContext, args: argparse.Namespace, cell: str | None) -> Any:
        if cell is None:
            from .commands import run_command

            return run_command(ctx, args)
        self._announce_session(ctx)
        if args.engine is None:
            note_other_engines(ctx.user_ns, ctx.engine, ctx.kernel)
        if args.batch:
            from .batch import run_batch_cell

            return run_batch_cell(ctx, args, cell)
        if args.compare is not None:
            from .cells import run_compare_cell

            return run_compare_cell(ctx, args, cell)
        from .cells import run_pipeline_cell

        return run_pipeline_cell(ctx, args, cell)

    # -- the context handlers get ------------------------------------------------------
    @property
    def user_ns(self) -> dict[str, Any]:
        """The user's namespace."""
        return self.shell.user_ns  # type: ignore[no-any-return]

    def context(self, args: argparse.Namespace | None = None) -> CellContext:
        """What one cell's handler may use (see :class:`~.context.CellContext`)."""
        if self.kernel.session_id is None:
            from .notebook import notebook_session

            found, source = notebook_session(self.user_ns)
            if found:
                self.kernel.session_id, self.kernel.session_source = found, source
        if self.kernel.session_id and self.session.id != self.kernel.session_id:
            # One id for the magics and Python alike: engine.complete, engine.bus and a
            # ContextBus() made in a cell use the session the notebook pinned.
            self.session.use_id(self.kernel.session_id)
        engine = cell_engine(self.user_ns, getattr(args, "engine", None), self.engine)
        return CellContext(
            engine=engine,
            user_ns=self.user_ns,
            errors=self.errors,
            kernel=self.kernel,
            display=self.display,
            stream=self.stream and not getattr(args, "no_stream", False),
            default_model=self.default_model,
            shell=self.shell,
            manager_factory=lambda: (
                self.manager if engine is self.engine else self._manager_of(engine)
            ),
        )

    def _manager_of(self, engine: Any) -> Any:
        """The named pipelines of a cell's ``--engine`` (each engine keeps its own)."""
        if engine not in self._managers:
            from ..pipeline import PipelineManager

            self._managers[engine] = PipelineManager(engine)
        return self._managers[engine]

    # -- kept for code written against the magics object (handlers use the context) -----
    def namespace(self) -> Mapping[str, Any]:
        """What placeholders see: the user's variables, ``In``, ``Out`` and ``Err``."""
        return self.context().namespace

    def input_value(self, args: argparse.Namespace) -> Any:
        """The value of ``--input`` (``None`` without it)."""
        from .cells import input_value

        return input_value(self.context(args), args)

    def bind(self, out: str | None, value: Any) -> None:
        """Keep ``value`` as the last result, and in ``out`` when given."""
        self.context().bind(out, value)

    def streaming(self, args: argparse.Namespace) -> bool:
        """Whether this cell streams (``--no-stream`` or the ``stream`` trait turn it off)."""
        return self.context(args).stream

    def block(
        self,
        start: Callable[[Callable[[Any], None]], Any],
        view: Any,
        *,
        stream: bool = True,
        cancel: Callable[[], None] | None = None,
    ) -> Any:
        """Run ``start(observer)`` on the runtime, the cell blocking; events go to ``view``."""
        ctx = self.context()
        ctx.stream = stream
        return ctx.block(start, view, cancel=cancel)

    def _announce_session(self, ctx: CellContext) -> None:
        """Once per kernel: where the session id came from, or that it is this process's
        own (so context will not survive a restart) and how to pin it."""
        if self.kernel.session_source:
            return
        ctx.kernel.note_once(
            "session",
            f"session context is kept under {ctx.session_id}, this kernel's own id: it does "
            "not survive a restart. Pin it with '%orchestrate session NAME' (or "
            "ORCHESTRATION_SESSION_ID).",
        )


def _check_not_code(option: str, name: str | None, user_ns: Mapping[str, Any]) -> None:
    """Refuse ``--out print`` or ``--out pd``: the result would hide a built-in or replace a
    module, class or function of the kernel (a data variable, say an earlier result, is
    replaced as the user asked). Nothing has run yet, so nothing is lost."""
    if name is None:
        return
    if name in user_ns:
        held = user_ns[name]
        if not is_code(held):
            return
        what = f"the {type(held).__name__} {name} of this kernel"
    elif hasattr(builtins, name):
        what = f"Python's built-in {name}"
    else:
        return
    raise usage(
        f"{option} {name} would replace {what}; choose another name, e.g. --out {name}_result"
    )


def _check_identifier(option: str, name: str | None) -> None:
    if name is not None and (not name.isidentifier() or keyword.iskeyword(name)):
        raise usage(f"{option} {name!r} is not a valid Python variable name")
