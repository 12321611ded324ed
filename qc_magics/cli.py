"""`qc-magics`: the `%qc` subcommands in a shell, plus `emulator` and `demo`.

Tables print as text; `--json` prints machine-readable output. Exit codes: 0 success, 1 an API or
sync error, 2 a usage error (130 after Ctrl-C).
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Sequence

from .errors import InvalidArgument, QCError, WaitInterrupted, user_text

SHELL_ONLY = {"emulator": "serve a local emulator of the QuantConnect API",
              "demo": "run the quick-start flow against a built-in emulator (no account needed)"}


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        # main() says "qc-magics: " once; the subcommand's name follows, not the program again.
        raise _Usage(f"{self.prog.removeprefix('qc-magics ')}: {message}")

    def _get_formatter(self) -> argparse.HelpFormatter:
        from .commands.grammar import formatter
        return formatter(self)


def _number(low: float, high: float, kind: type = float):
    """An argparse type: a finite `kind` from low to high, or a one-line usage error."""
    def parse(text: str):
        try:
            value = kind(text)
        except (TypeError, ValueError):
            value = None
        if value is None or not low <= value <= high:   # nan fails every comparison
            raise argparse.ArgumentTypeError(f"give a {kind.__name__} from {low:g} to "
                                             f"{high:g}, not {text!r}")
        return value
    return parse


def _emulator_parser() -> argparse.ArgumentParser:
    from .commands.numbers import port
    p = _Parser(prog="qc-magics emulator",
                description="Serve a local emulator of the QuantConnect API v2 at "
                            "http://HOST:PORT/api/v2/ until Ctrl-C.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=5612)
    p.add_argument("--user-id", default="1")
    p.add_argument("--api-token", default=None, help="default: a new random token")
    p.add_argument("--latency-ms", type=_number(0, 600_000), default=0.0,
                   help="added to every answer")
    p.add_argument("--fault-rate", type=_number(0, 1), default=0.0,
                   help="share of requests failing with 429, 500, 503 or a dropped connection")
    p.add_argument("--retry-after", type=_number(0, 3600), default=1.0,
                   help="seconds the 429/503 faults ask clients to wait")
    p.add_argument("--seed", type=int, default=0, help="results and ids follow from it")
    p.add_argument("--state-dir", default=None, help="persist the cloud's state here")
    p.add_argument("--time-scale", type=_number(0.0001, 10_000), default=1.0,
                   help="multiply job durations (0.1: ten times faster)")
    p.add_argument("--max-file-size", type=_number(1, 100_000_000, int), default=32_000,
                   help="per-file size cap in characters")
    return p


def _run_emulator(argv: list[str]) -> int:
    from .emulator import Emulator
    args = _emulator_parser().parse_args(argv)
    if not 0.0 <= args.fault_rate < 1.0:
        raise _Usage(f"--fault-rate must be in [0, 1), not {args.fault_rate}")
    if args.state_dir is not None:
        from pathlib import Path
        where = Path(args.state_dir).expanduser()
        if where.exists() and not where.is_dir():
            raise _Usage(f"emulator: --state-dir {args.state_dir} is a file; give a folder "
                         "(it is made if missing)")
    emu = Emulator(host=args.host, port=args.port, user_id=args.user_id,
                   api_token=args.api_token, seed=args.seed, latency_ms=args.latency_ms,
                   fault_rate=args.fault_rate, retry_after=args.retry_after,
                   time_scale=args.time_scale, max_file_size=args.max_file_size,
                   state_dir=args.state_dir)
    try:
        emu.bind()
    except OSError as e:
        import socket
        fix = "check --host" if isinstance(e, socket.gaierror) else "pick another --port"
        print(f"qc-magics emulator: cannot listen on {args.host}:{args.port}: "
              f"{e.strerror or e}; {fix}", file=sys.stderr)
        return 1
    # These are the emulator's own credentials, made up for this run: printing them is the point.
    print(f"QuantConnect API emulator at {emu.api_url}\n"
          f"  user id:   {emu.user_id}\n  api token: {emu.api_token}\n"
          f"Point qc_magics (or lean-cli, or curl) at it:\n"
          f"  export QC_API_URL={emu.api_url} QC_USER_ID={emu.user_id} "
          f"QC_API_TOKEN={emu.api_token}\nCtrl-C to stop.", flush=True)
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped.")
    return 0


def _run_demo(argv: list[str]) -> int:
    from .demo import add_arguments, run
    p = _Parser(prog="qc-magics demo", description=SHELL_ONLY["demo"])
    add_arguments(p)
    return run(p.parse_args(argv))


def _ask(prompt: str) -> str | None:
    if not sys.stdin or not sys.stdin.isatty():
        return None
    try:
        return input(prompt)
    except EOFError:
        return None


def _secret(prompt: str) -> str | None:
    if not sys.stdin or not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(prompt)
    except EOFError:
        return None


def _session():
    from .commands import Asker, Session
    from .workspace import Workspace, load_settings, save_project
    return Session(prog="qc-magics", workspace=Workspace(load_settings, prog="qc-magics"),
                   asker=Asker(ask=_ask, secret=_secret, say=lambda t: print(t, file=sys.stderr)),
                   remember_project=save_project, frames=False,
                   # `sync --watch` runs in the foreground, one line per event, until Ctrl-C.
                   notify=lambda t: print(t, flush=True), foreground=True)


def _help_text() -> str:
    from .commands import overview
    extra = "\n".join(f"  {name:<17}  {summary}" for name, summary in SHELL_ONLY.items())
    return (overview("qc-magics") + "\n\nIn the shell only:\n" + extra +
            "\n  --json             machine-readable output\n  --version          the version")


def _run_command(argv: list[str], as_json: bool) -> int:
    from .commands import execute, parse
    from .commands.render import as_text, jsonable
    command, args = parse(argv, "qc-magics")
    if command == "help" and not args.topic:
        print(_help_text())
        return 0
    if getattr(args, "out", None):
        raise _Usage("--out stores into a notebook variable; in the shell use --json")
    if command == "panel":
        raise _Usage("the panel is a notebook widget: %qc panel in Jupyter")
    cell = None
    if command == "write":
        if sys.stdin is None or sys.stdin.isatty():
            raise _Usage("qc-magics write NAME reads the content from standard input: "
                         "qc-magics write NAME < FILE")
        try:
            cell = sys.stdin.read()
            cell.encode("utf-8")   # under a C locale stdin decodes bytes to lone surrogates
        except UnicodeError:
            raise _Usage("qc-magics write NAME takes text (UTF-8) on standard input; this is "
                         "not text") from None
    elif command == "store put" and args.file is None and args.source is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise _Usage("qc-magics store put KEY FILE, or qc-magics store put KEY < FILE")
        cell = sys.stdin.buffer.read()   # bytes: an object need not be text
        if not cell:   # a script's empty stdin must not blank a stored value
            raise _Usage("qc-magics store put KEY: standard input is empty; nothing was "
                         "stored (give FILE to store an empty file on purpose)")
    value = execute(_session(), command, args, cell)
    if as_json:
        print(json.dumps(jsonable(value), indent=2, default=str))
    else:
        text = as_text(value)
        if text:
            print(text)
    return _exit_code(value)


def _exit_code(value: object) -> int:
    """1 when the command did not do all it was asked: a doctor check failed, or a sync refused
    or failed some files (the report is printed all the same, so scripts notice and people see)."""
    if type(value).__module__.startswith("qc_magics.doctor"):   # without importing it for others
        return value.exit_code
    return 1 if _incomplete(value) else 0


def _incomplete(value: object) -> bool:
    """A sync that refused or failed some files did not do what was asked: exit 1, so scripts
    notice (the report is printed all the same)."""
    from .sync import SyncReport
    return isinstance(value, SyncReport) and any(a.action in ("refused", "failed")
                                                 for a in value.actions)


def _say(e: BaseException) -> None:
    from .commands.render import printable
    if isinstance(e, OSError) and not isinstance(e, QCError):
        text = f"cannot use {e.filename or ''}: {e.strerror or e}"
    else:
        text = user_text(e)   # an api error's endpoint is for logs, not for the person
    text = printable(text, keep_newlines=True)
    # Usage errors already start with the command ("qc-magics wait: argument ..."): one prefix.
    print(text if text.startswith("qc-magics") else f"qc-magics: {text}", file=sys.stderr)


def _interrupted(e: BaseException) -> bool:
    from .api.objectstore import DownloadInterrupted
    return isinstance(e, DownloadInterrupted) or bool(getattr(e, "interrupted", False))


def main(argv: Sequence[str] | None = None) -> int:
    from .commands import GrammarError, Refused
    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):
        # A name the terminal's encoding cannot show is written escaped, never a traceback.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    as_json = "--json" in argv
    argv = [a for a in argv if a != "--json"]
    try:
        if argv[:1] == ["--version"]:
            from .version import __version__
            print(__version__)
            return 0
        if argv[:1] == ["emulator"]:
            return _run_emulator(argv[1:])
        if argv[:1] == ["demo"]:
            return _run_demo(argv[1:])
        return _run_command(argv, as_json)
    except (_Usage, GrammarError, Refused, InvalidArgument) as e:
        _say(e)
        return 2
    except WaitInterrupted as e:
        _say(e)
        return 130
    except QCError as e:
        _say(e)   # an Object Store download interrupted, a create interrupted: Ctrl-C's code
        return 130 if _interrupted(e) else 1
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError,
            FileExistsError) as e:
        _say(e)   # the service's errors, and folders or files named that cannot be used
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`qc-magics projects | head -1`): stop quietly, as cat does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second error at exit
        return 141


if __name__ == "__main__":
    sys.exit(main())
