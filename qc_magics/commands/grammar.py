"""The one grammar of `%qc` and `qc-magics`: subcommand first, then its arguments and options.

Both faces parse with `parse(tokens)`; a mistake raises `GrammarError` with one line that names
the fix (an unknown subcommand suggests the nearest).
"""
from __future__ import annotations

import argparse
from typing import Callable

from ..errors import QCError
from ..vocabulary import (DEFAULT_NODE_TYPE, DEFAULT_PARALLEL_NODES, DEFAULT_TARGET, NODE_LIMITS,
                          NODE_TYPES, TARGETS)
from . import numbers


class GrammarError(QCError):
    """The line does not follow the grammar; the message is one line with the fix."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        raise GrammarError(f"{self.prog}: {message}")

    def _get_formatter(self) -> argparse.HelpFormatter:
        return formatter(self)


def formatter(parser: argparse.ArgumentParser) -> argparse.HelpFormatter:
    """argparse's formatter, at the width argparse gives it. argparse asks shutil for the width,
    on every add_argument, and importing shutil was ~5 ms of every command's start-up."""
    from .render import terminal_columns
    return parser.formatter_class(prog=parser.prog, width=terminal_columns(80) - 2)


MULTI_WORD = {"backtest": {"read", "rename", "delete", "logs"},
              "optimize": {"estimate", "run", "read", "abort", "delete"},
              "store": {"ls", "get", "put", "rm"}}


def _project(p: argparse.ArgumentParser, folder: bool = False) -> None:
    p.add_argument("--project", "-p", metavar="P", help="project name or id (default: the one `use` chose)")
    if folder:
        p.add_argument("--to", metavar="DIR", help="local folder (default: the configured one)")


def _all(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all", action="store_true", help="every file of the project")


def _dry_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true",
                   help="say what would be done, and change nothing")


def _out(p: argparse.ArgumentParser) -> None:
    # A notebook variable: the shell has none (it refuses --out, pointing to --json), so its
    # help does not offer it.
    notebook = p.prog.startswith("%")
    p.add_argument("--out", metavar="VAR", help="store the result in VAR and show nothing"
                   if notebook else argparse.SUPPRESS)


def _organization(p: argparse.ArgumentParser) -> None:
    p.add_argument("--organization", metavar="ORG",
                   help="organization id (default: the credentials' organization)")


def _store_key(p: argparse.ArgumentParser) -> None:
    p.add_argument("key", metavar="KEY", help='an Object Store key, e.g. "results/folds.csv"')


def _optimize(p: argparse.ArgumentParser) -> None:
    _project(p)
    p.add_argument("--param", action="append", default=[], metavar="NAME=MIN:MAX:STEP",
                   required=True, type=numbers.parameter_range,
                   help="a parameter range (repeat for several)")
    p.add_argument("--target", choices=TARGETS, default=DEFAULT_TARGET,
                   help="what the grid maximises (drawdown: minimises) unless --min/--max")
    way = p.add_mutually_exclusive_group()
    way.add_argument("--min", dest="direction", action="store_const", const="min")
    way.add_argument("--max", dest="direction", action="store_const", const="max")
    p.add_argument("--constraint", action="append", default=[], metavar='"METRIC OP VALUE"',
                   type=numbers.constraint, help='e.g. "drawdown <= 0.25" (repeat for several)')
    p.add_argument("--node", choices=NODE_TYPES, default=DEFAULT_NODE_TYPE)
    p.add_argument("--parallel", type=numbers.nodes, metavar="N", help=(
        f"nodes run at once (default {DEFAULT_PARALLEL_NODES}; " +
        ", ".join(f"{node} allows {most}" for node, most in NODE_LIMITS.items()) + ")"))
    p.add_argument("--name", metavar="N")
    _out(p)


# (name, one-line summary, how its arguments look) in the order help lists them.
COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None]]] = [
    ("help", "the commands, or one command's usage",
     lambda p: p.add_argument("topic", nargs="*")),
    ("login", "ask for your user id and API token, check and save them (mode 0600)",
     lambda p: p.add_argument("rest", nargs=argparse.REMAINDER)),
    ("whoami", "who is connected: user, organization, API URL (the token masked)", _out),
    ("projects", "your projects", _out),
    ("use", "make PROJECT the default for every command",
     lambda p: p.add_argument("project", metavar="PROJECT")),
    ("new", "create a project", lambda p: (p.add_argument("name", metavar="NAME"), p.add_argument(
        "--language", "-l", choices=["Py", "C#"], default="Py"),
        p.add_argument("--allow-duplicate", action="store_true",
                       help="create it even if a project of that name exists"), _out(p))),
    ("files", "the project's files in the cloud", lambda p: (_project(p), _out(p))),
    ("status", "each file's state, local folder vs cloud", lambda p: (
        p.add_argument("paths", nargs="*", metavar="PATH"), _project(p, True), _out(p))),
    ("pull", "bring cloud changes here, keeping local work", lambda p: (
        p.add_argument("paths", nargs="*", metavar="PATH"), _all(p), _project(p, True),
        p.add_argument("--force", action="store_true",
                       help="take the cloud copy even over local changes (backed up first)"),
        _dry_run(p), _out(p))),
    ("push", "send local changes to the cloud, never over cloud changes", lambda p: (
        p.add_argument("paths", nargs="*", metavar="PATH"), _all(p), _project(p, True),
        p.add_argument("--as", dest="as_name", metavar="NAME",
                       help="push one file under another cloud name"),
        p.add_argument("--param", action="append", default=[], metavar="K=V",
                       help="a parameter for the notebook's injected-parameters cell"),
        p.add_argument("--keep-outputs", action="store_true",
                       help="send notebooks with their outputs (default: without)"),
        p.add_argument("--force", action="store_true",
                       help="push even over changes made in the cloud since the last sync"),
        _dry_run(p), _out(p))),
    ("sync", "pull then push every file once; --watch keeps doing it live until --stop",
     lambda p: (
        p.add_argument("--watch", action="store_true",
                       help="keep syncing both ways in the background (in a shell: until "
                            "Ctrl-C); a conflict stops that file and keeps both versions"),
        p.add_argument("--stop", action="store_true", help="stop the folder's live sync"),
        p.add_argument("--interval", type=numbers.interval, metavar="S",
                       help="seconds between cloud checks after activity (default 2)"),
        p.add_argument("--max-interval", type=numbers.interval, metavar="S",
                       help="the longest wait between cloud checks when idle (default 30)"),
        _project(p, True), _out(p))),
    ("diff", "compare a local file with the cloud (or the last synced version)", lambda p: (
        p.add_argument("path", metavar="PATH"), p.add_argument("--base", action="store_true"),
        _project(p, True), _out(p))),
    ("rm", "delete a cloud file (the local copy moves to the backups)", lambda p: (
        p.add_argument("name", metavar="NAME"), p.add_argument("--yes", "-y", action="store_true"),
        p.add_argument("--force", action="store_true",
                       help="delete even a file whose cloud copy changed since the last sync "
                            "(its cloud text is backed up first)"),
        _project(p, True))),
    ("mv", "rename a cloud file (the local file follows)", lambda p: (
        p.add_argument("old", metavar="OLD"), p.add_argument("new", metavar="NEW"),
        _project(p, True))),
    ("write", "{input} becomes cloud file NAME, created or updated", lambda p: (
        p.add_argument("name", metavar="NAME"), p.add_argument("--force", action="store_true"),
        _project(p, True))),
    ("outputs", "a notebook's outputs as Python values", lambda p: (
        p.add_argument("name", metavar="NAME"), _project(p, True), _out(p))),
    ("wait", "wait for a notebook to be run in the cloud, then pull it", lambda p: (
        p.add_argument("name", metavar="NAME"), p.add_argument(
            "--timeout", type=numbers.seconds, metavar="S",
            help="give up after S seconds (default 900; 0 checks once and does not wait)"),
        _project(p, True), _out(p))),
    ("compile", "compile the project", lambda p: (_project(p), _out(p))),
    ("backtest", "run a backtest and follow it", lambda p: (
        _project(p), p.add_argument("--name", metavar="N"),
        p.add_argument("--param", action="append", default=[], metavar="K=V"),
        p.add_argument("--no-wait", action="store_true"), _out(p))),
    ("backtests", "the project's backtests with their statistics", lambda p: (_project(p), _out(p))),
    ("backtest read", "read a backtest (--wait: follow it to the end)", lambda p: (
        p.add_argument("id", metavar="ID"), p.add_argument("--wait", action="store_true"),
        _project(p), _out(p))),
    ("backtest logs", "a backtest's log lines (UTC time, message) as a table", lambda p: (
        p.add_argument("id", metavar="ID"),
        p.add_argument("--query", metavar="TEXT", help="only lines containing TEXT (any case)"),
        p.add_argument("--pattern", metavar="REGEX",
                       help="a regular expression whose named groups become typed columns, "
                            "e.g. 'sharpe=(?P<sharpe>\\S+)'"),
        p.add_argument("--tail", type=numbers.lines, metavar="N",
                       help="only the last N lines (the shell shows the last 20 by default)"),
        _project(p), _out(p))),
    ("backtest rename", "rename a backtest", lambda p: (
        p.add_argument("id", metavar="ID"), p.add_argument("name", metavar="NAME"), _project(p))),
    ("backtest delete", "delete a backtest", lambda p: (
        p.add_argument("id", metavar="ID"), p.add_argument("--yes", "-y", action="store_true"),
        _project(p))),
    ("compare", "backtests side by side: statistics and equity", lambda p: (
        p.add_argument("ids", nargs="+", metavar="ID"), _project(p), _out(p))),
    ("optimize estimate", "what an optimization would take and cost (free)", _optimize),
    ("optimize run", "run an optimization after you accept its cost", lambda p: (
        _optimize(p), p.add_argument("--yes", "-y", action="store_true"),
        p.add_argument("--max-cost", type=numbers.dollars, metavar="USD",
                       help="go ahead without asking if the estimate is at most USD"),
        p.add_argument("--no-wait", action="store_true"))),
    ("optimizations", "the project's optimizations", lambda p: (_project(p), _out(p))),
    ("optimize read", "read an optimization (--wait: follow it)", lambda p: (
        p.add_argument("id", metavar="ID"), p.add_argument("--wait", action="store_true"), _out(p))),
    ("optimize abort", "stop an optimization", lambda p: p.add_argument("id", metavar="ID")),
    ("optimize delete", "delete an optimization", lambda p: (
        p.add_argument("id", metavar="ID"), p.add_argument("--yes", "-y", action="store_true"))),
    ("store ls", "the Object Store: files and folders in PATH (default: the top)", lambda p: (
        p.add_argument("path", nargs="?", default="/", metavar="PATH"), _organization(p),
        _out(p))),
    ("store get", "an Object Store value (CSV, Parquet, JSON: a table); --to FILE saves it",
     lambda p: (
        _store_key(p), p.add_argument("--to", metavar="FILE",
                                      help="write the stored bytes to FILE (atomically)"),
        p.add_argument("--force", action="store_true", help="with --to: replace FILE if it "
                       "exists"),
        p.add_argument("--allow-pickle", action="store_true",
                       help="load a pickle (it runs code chosen by whoever wrote it)"),
        _organization(p), _out(p))),
    ("store put", "store FILE (or {input}{from_var}) under KEY", lambda p: (
        _store_key(p), p.add_argument("file", nargs="?", metavar="FILE"),
        p.add_argument("--from", dest="source", metavar="VAR",
                       help="a notebook variable: DataFrame (CSV/Parquet/JSON by KEY's "
                            "extension), dict or list (JSON), str or bytes"),
        _organization(p))),
    ("store rm", "delete an Object Store key (shows it and asks first)", lambda p: (
        _store_key(p), p.add_argument("--yes", "-y", action="store_true"), _organization(p))),
    ("panel", "buttons to sync, run backtests and load results", _project),
    ("doctor", "check the service's answers against what qc_magics expects (read-only, free)",
     lambda p: (_project(p), p.add_argument("--report", metavar="FILE",
                                            help="write a redacted JSON report for a bug report"),
                p.add_argument("--wait", type=float, default=60.0, metavar="S",
                               help="how long to wait for a chart or report being prepared"),
                _out(p))),
]
NAMES = [name for name, _, _ in COMMANDS]
# What a summary's {input} and {from_var} say in each face: the shell has no cell, no variables.
FACE_WORDS = {"qc-magics": {"input": "standard input", "from_var": ""}}
NOTEBOOK_WORDS = {"input": "the %%qc cell", "from_var": ", or --from VAR"}


def summary_for(summary: str, prog: str) -> str:
    """A command's summary in the words of the face `prog` names."""
    return summary.format(**FACE_WORDS.get(prog, NOTEBOOK_WORDS))


def build(prog: str) -> dict[str, argparse.ArgumentParser]:
    return {name: _parser(prog, name, summary, add) for name, summary, add in COMMANDS}


def _parser(prog: str, name: str, summary: str, add) -> argparse.ArgumentParser:
    p = _Parser(prog=f"{prog} {name}", description=summary_for(summary, prog), add_help=False)
    add(p)
    return p


def _join(tokens: list[str]) -> list[str]:
    if len(tokens) > 1 and tokens[0] in MULTI_WORD and tokens[1] in MULTI_WORD[tokens[0]]:
        return [f"{tokens[0]} {tokens[1]}"] + tokens[2:]
    return tokens


def parse(tokens: list[str], prog: str = "%qc") -> tuple[str, argparse.Namespace]:
    """(command, arguments). No tokens, `-h` or `--help` mean help."""
    tokens = _join(list(tokens))
    if not tokens or tokens[0] in ("-h", "--help"):
        return "help", argparse.Namespace(topic=[])
    command, rest = tokens[0], tokens[1:]
    # Only the command's own parser: building all ~40 is a tenth of a short command's start-up.
    parsers = {name: (summary, add) for name, summary, add in COMMANDS}
    if command in MULTI_WORD and command not in parsers:
        raise GrammarError(f"{prog} {command} needs one of: {', '.join(_group(command))} "
                           f"({prog} help {command})")
    if command not in parsers:
        import difflib   # here: only a mistyped command needs it
        near = difflib.get_close_matches(command, [n.split()[0] for n in NAMES], n=1, cutoff=0.5)
        hint = f"; did you mean {prog} {near[0]}?" if near else f"; see {prog} help"
        raise GrammarError(f"unknown subcommand {command!r}{hint}")
    if "-h" in rest or "--help" in rest:
        return "help", argparse.Namespace(topic=command.split())
    return command, _parser(prog, command, *parsers[command]).parse_args(rest)


def overview(prog: str) -> str:
    width = max(len(n) for n in NAMES)
    lines = [f"{prog} SUBCOMMAND [ARGS]: QuantConnect from here. {prog} help COMMAND for one.", ""]
    lines += [f"  {name:<{width}}  {summary_for(summary, prog)}"
              for name, summary, _ in COMMANDS]
    if prog in FACE_WORDS:   # the shell has no variables to store into
        lines += ["", "Most commands take --project P (default: the one `use` chose)."]
    else:
        lines += ["", "Most commands take --project P (default: the one `use` chose) and --out VAR",
                  "(store the result, show nothing)."]
    return "\n".join(lines)


def _group(head: str) -> list[str]:
    """A multi-word group's second words, in the order help lists them."""
    return [n.split()[1] for n in NAMES if n.startswith(f"{head} ")]


def usage(command: str, prog: str) -> str:
    parsers = build(prog)
    name = " ".join(command) if isinstance(command, list) else command
    if name in MULTI_WORD and name not in parsers:   # `help store`: each of the group
        return "\n\n".join(parsers[f"{name} {sub}"].format_help().rstrip()
                            for sub in _group(name))
    if name not in parsers:
        raise GrammarError(f"no subcommand {name!r}; see {prog} help")
    return parsers[name].format_help().rstrip()
