"""`%qc` and `%%qc`: parse the line, call one command, show (or store) what comes back.

Settings are traitlets, so `%config QCMagics.project = "Momentum"` and ipython_config.py both
work. Credentials are never settings: they come from `%qc login`, the environment or files.
"""
from __future__ import annotations

import getpass
import keyword
import math
import shlex
from pathlib import Path

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from traitlets import Bool, CaselessStrEnum, Float, Int, TraitError, Unicode, validate

from ..commands import Asker, Session, execute, parse
from ..workspace import Settings, Workspace, load_settings, save_project
from ..commands.numbers import MAX_WAIT
from ..commands.render import for_notebook, printable
from ..errors import QCError, WaitInterrupted, user_text
from ..vocabulary import CONCURRENCY

CELL_COMMANDS = ("write", "store put")   # the ones whose content can be the cell's body
_NO_PROMPT = (EOFError, OSError, NotImplementedError)
# Folders and files the user named that cannot be read or written: a message, not a traceback.
_DISK_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError,
                FileExistsError)


def _ask(prompt: str) -> str | None:
    try:
        return input(prompt)
    except _NO_PROMPT:   # no stdin: a notebook run headless, or output captured by a test
        return None
    except Exception as e:   # IPython kernels raise StdinNotImplementedError
        if type(e).__name__ == "StdinNotImplementedError":
            return None
        raise


def _secret(prompt: str) -> str | None:
    try:
        return getpass.getpass(prompt)
    except _NO_PROMPT:
        return None
    except Exception as e:
        if type(e).__name__ == "StdinNotImplementedError":
            return None
        raise


class BadSetting(UsageError, TraitError):
    """A setting refused when set: one line at `%config` (a UsageError), and still the
    TraitError traitlets and its callers expect."""


def _within(proposal, low: float, high: float, unit: str) -> float:
    value = proposal["value"]
    if value is not None and not (math.isfinite(value) and low <= value <= high):
        name = proposal["trait"].name
        raise BadSetting(f"QCMagics.{name} must be {low:g} to {high:g} {unit}, not {value!r}")
    return value


@magics_class
class QCMagics(Magics):
    """QuantConnect from IPython: `%qc help` lists the subcommands."""

    project = Unicode(None, allow_none=True, help="Default project (name or id) for every "
                      "command; `%qc use P` sets it.").tag(config=True)
    api_url = Unicode(None, allow_none=True, help="API base URL; default from QC_API_URL or "
                      "https://www.quantconnect.com/api/v2.").tag(config=True)
    folder = Unicode(".", help="Local folder that mirrors the project.").tag(config=True)
    progress = CaselessStrEnum(["auto", "text", "none"], default_value="auto",
                               help="Progress bars: auto (widget or text), text, or none."
                               ).tag(config=True)
    poll_interval = Float(0.5, help="First wait between polls of a job, in seconds (0.01 to "
                          "3600); later waits grow to 5 s.").tag(config=True)
    timeout = Float(None, allow_none=True, help="Give up waiting on a job after this many "
                    "seconds (the job goes on); 0 checks once, None waits as long as it takes."
                    ).tag(config=True)
    concurrency = Int(CONCURRENCY, help="Requests in flight at once for many files or order "
                      "windows (1 to 64).").tag(config=True)
    size_cap = Int(32_000, help="Per-file size cap in characters (larger plans allow more)."
                   ).tag(config=True)
    show_tracebacks = Bool(False, help="Show full tracebacks instead of one-line errors."
                           ).tag(config=True)
    watch_interval = Float(2.0, help="Live sync (`%qc sync --watch`): seconds between cloud "
                           "checks right after activity (0.05 to 3600).").tag(config=True)
    watch_max_interval = Float(30.0, help="Live sync: the longest wait between cloud checks "
                               "while nothing happens, in seconds (0.05 to 3600)."
                               ).tag(config=True)

    # Checked when set (%config or ipython_config.py), so a bad value never reaches a job.
    @validate("poll_interval")
    def _check_poll_interval(self, proposal):
        return _within(proposal, 0.01, 3600, "seconds")

    @validate("timeout")
    def _check_timeout(self, proposal):
        return _within(proposal, 0, MAX_WAIT, "seconds (0: check once, None: no limit)")

    @validate("watch_interval", "watch_max_interval")
    def _check_watch_interval(self, proposal):
        return _within(proposal, 0.05, 3600, "seconds")

    @validate("concurrency")
    def _check_concurrency(self, proposal):
        return _within(proposal, 1, 64, "requests")

    @validate("size_cap")
    def _check_size_cap(self, proposal):
        return _within(proposal, 1, 100_000_000, "characters")

    @validate("folder")
    def _check_folder(self, proposal):
        path = Path(proposal["value"]).expanduser()
        if path.exists() and not path.is_dir():
            raise BadSetting(f"QCMagics.folder must be a folder; {path} is a file")
        return proposal["value"]

    def __init__(self, shell=None, **kwargs):
        super().__init__(shell=shell, **kwargs)
        self.workspace = Workspace(self._settings, prog="%qc")
        self.session = Session(prog="%qc", workspace=self.workspace,
                               asker=Asker(ask=_ask, secret=_secret),
                               remember_project=self._remember_project,
                               variable=self._variable, own={"panel": self._panel})
        self.observe(lambda change: self.workspace.reconnect(), names=["api_url"])

    def _settings(self) -> Settings:
        # One default project for the shell and every notebook: `qc-magics use` and `%qc use`
        # both keep it in settings.json; QCMagics.project set in this shell comes first.
        chosen = self.project is not None
        project = self.project if chosen else load_settings().project
        return Settings(project=project, project_is_saved_default=not chosen,
                        folder=self.folder, api_url=self.api_url,
                        progress=self.progress, poll_interval=self.poll_interval,
                        timeout=self.timeout, concurrency=self.concurrency,
                        size_cap=self.size_cap, watch_interval=self.watch_interval,
                        watch_max_interval=self.watch_max_interval)

    def _panel(self, session: Session, args, cell):
        """`%qc panel`: the widgets over this shell's workspace (a notebook has them; a shell
        does not, so the subcommand is this face's own)."""
        from ..widgets import Panel
        return Panel(self.workspace, project=args.project, namespace=self.shell.user_ns)

    def _remember_project(self, ref: str) -> None:
        self.project = ref
        save_project(ref)

    def _variable(self, name: str):
        """A notebook variable for `--from VAR`; a missing one is a usage error, not a KeyError."""
        try:
            return self.shell.user_ns[name]
        except KeyError:
            raise UsageError(f"--from {name}: no variable {name!r} in this notebook") from None

    @line_cell_magic
    def qc(self, line: str, cell: str | None = None):
        """%qc SUBCOMMAND [ARGS]; %%qc write NAME. `%qc help` for all of them."""
        try:
            tokens = shlex.split(line)
        except ValueError as e:
            raise UsageError(f"%qc: cannot read the line ({e}); check its quotes") from None
        try:
            command, args = parse(tokens, "%qc")
        except QCError as e:
            raise UsageError(printable(e)) from None
        if cell is not None and command not in CELL_COMMANDS:
            raise UsageError(f"%%qc is for `%%qc write NAME` and `%%qc store put KEY`; use "
                             f"%qc {command} on one line")
        out = getattr(args, "out", None)
        if out is not None and (not out.isidentifier() or keyword.iskeyword(out)):
            raise UsageError(f"--out takes a Python variable name, not {out!r}")
        try:
            value = execute(self.session, command, args, cell)
        except WaitInterrupted as e:
            if out:
                self.shell.user_ns[out] = e.handle
            print(printable(e, keep_newlines=True) +
                  (f"\nThe handle is in {out}." if out and e.handle else ""))
            return None
        except (QCError, *_DISK_ERRORS) as e:
            # Only our own errors (InvalidArgument included) and the disk's are the user's to
            # fix; anything else is a bug and keeps its traceback.
            if self.show_tracebacks:
                raise
            raise UsageError(_one_line(e)) from None
        value = for_notebook(value)
        if out:
            self.shell.user_ns[out] = value
            return None
        if isinstance(value, str):
            print(printable(value, keep_newlines=True))
            return None
        return value



def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and not isinstance(e, QCError):
        where = f"{e.filename}" if e.filename else ""
        return printable(f"cannot use {where}: {e.strerror or e}")
    return printable(user_text(e), keep_newlines=True)   # no endpoint paths: commands
