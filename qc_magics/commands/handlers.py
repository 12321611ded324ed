"""One small function per subcommand: turn parsed arguments into one call of the layer below.

Each returns the value the face shows (or stores with --out).
"""
from __future__ import annotations

from argparse import Namespace
from typing import Any, Callable

from ..errors import InvalidArgument, QCError, WaitInterrupted, WaitTimeout
from . import logs, store
from .creates import explain, may_have_acted
from .grammar import overview, usage
from .session import Refused, Session


def parameters(items: list[str]) -> dict[str, Any]:
    # Imported when a command runs: loading the extension must not import sync/ (nor requests).
    from ..workspace.words import parameters as parse
    return parse(items)


# --- account and projects ------------------------------------------------------------------------

def _help(s: Session, a: Namespace, cell: str | None) -> str:
    return usage(a.topic, s.prog) if a.topic else overview(s.prog)


def _login(s: Session, a: Namespace, cell: str | None) -> str:
    if a.rest:
        raise Refused(f"{s.prog} login takes nothing on the line: a token typed there would be "
                      "kept in the notebook and its history. Run it alone and paste the token at "
                      "the prompt.")
    user_id = s.asker.ask("QuantConnect user id: ")
    token = s.asker.secret("API token (hidden): ") if user_id is not None else None
    if not user_id or not token:
        where = "a terminal" if s.prog == "qc-magics" else "a notebook"
        raise Refused(f"{s.prog} login needs {where} that can prompt; or set QC_USER_ID and "
                      "QC_API_TOKEN in the environment")
    path = s.ws.login(user_id, token)
    return f"logged in as user {s.ws.client.user_id}; credentials saved to {path} (mode 0600)"


def _whoami(s: Session, a: Namespace, cell: str | None):
    from .render import Summary
    who = s.ws.whoami()
    return Summary(who.as_dict(), str(who))


def _projects(s: Session, a: Namespace, cell: str | None):
    return s.ws.projects()


def _use(s: Session, a: Namespace, cell: str | None) -> str:
    project = s.ws.use(a.project)
    s.remember_project(str(project["projectId"]))
    said = f"default project: {project['name']!r} (id {project['projectId']})"
    here = s.ws.folder_project()
    if here and here[0] != project["projectId"] and s.prog != "%qc":
        # The shell's default does not redirect a pulled folder: say which project wins here.
        said += (f"\nthis folder is synced with {here[1] or 'project'!r} (id {here[0]}): "
                 f"commands run here keep using it (--project overrides)")
    return said


def _new(s: Session, a: Namespace, cell: str | None):
    from .render import Summary
    same = s.ws.projects_named(a.name)
    if same and not a.allow_duplicate:
        ids = ", ".join(str(p["projectId"]) for p in same)
        s.confirm(f"a project named {same[0]['name']!r} exists (id {ids}); create another?",
                  yes=False,
                  how_to_skip="--allow-duplicate")
    project = s.ws.new_project(a.name, a.language, allow_duplicate=True)
    return Summary(project, f"created project {project.get('name')!r} (id "
                            f"{project.get('projectId')}, {project.get('language', a.language)})")


def _files(s: Session, a: Namespace, cell: str | None):
    return s.ws.files(project=a.project)


# --- files ---------------------------------------------------------------------------------------

def _status(s: Session, a: Namespace, cell: str | None):
    report = s.ws.status(a.paths, project=a.project, to=a.to)
    # A notebook shows (and --out stores) a DataFrame; a terminal needs text, and no pandas.
    return report.to_frame() if s.frames else report


def _pull(s: Session, a: Namespace, cell: str | None):
    return s.ws.pull(a.paths, all=a.all, force=a.force, dry_run=a.dry_run, project=a.project,
                     to=a.to)


def _push(s: Session, a: Namespace, cell: str | None):
    return s.ws.push(a.paths, all=a.all, force=a.force, dry_run=a.dry_run,
                     keep_outputs=a.keep_outputs, as_name=a.as_name,
                     parameters=parameters(a.param), project=a.project, to=a.to)


def _sync(s: Session, a: Namespace, cell: str | None):
    """One round both ways; --watch: live (in the background, or in the shell until Ctrl-C);
    --stop: stop the folder's live sync."""
    if a.stop:
        if a.watch:
            raise InvalidArgument("sync: --watch starts a live sync and --stop stops it; "
                                  "give one of them")
        status = s.ws.stop_watching(to=a.to)
        if status is not None:
            return f"live sync stopped: {status.summary()}"
        # The shell's live sync runs in its own process, in the foreground: Ctrl-C stops it.
        return ("no live sync was running for this folder" if not s.foreground else
                f"no live sync runs in this process; {s.prog} sync --watch stops with Ctrl-C")
    if not a.watch:
        if a.interval is not None or a.max_interval is not None:
            raise InvalidArgument("sync: --interval and --max-interval go with --watch")
        return s.ws.sync(project=a.project, to=a.to)
    def say(event) -> None:
        if event.kind != "stopped":   # the stop is said once, by what stopped it (below)
            s.notify(str(event))

    handle = s.ws.watch(project=a.project, to=a.to, min_interval=a.interval,
                        max_interval=a.max_interval, on_event=say)
    if not s.foreground:
        # Its "started" line is said already and events follow as they come; --out VAR keeps
        # the handle (VAR.status, VAR.stop()).
        return handle if getattr(a, "out", None) else None
    try:
        handle.wait()
    except KeyboardInterrupt:
        pass
    return f"live sync stopped: {handle.stop().summary()}"


def _diff(s: Session, a: Namespace, cell: str | None):
    return s.ws.diff(a.path, base=a.base, project=a.project, to=a.to)


def _rm(s: Session, a: Namespace, cell: str | None):
    s.ws.folder(a.project, a.to)   # a wrong project or folder is said before the question
    s.confirm(f"delete {a.name} from the cloud project?", yes=a.yes, how_to_skip="--yes")
    return s.ws.remove(a.name, force=a.force, project=a.project, to=a.to)


def _mv(s: Session, a: Namespace, cell: str | None):
    return s.ws.rename(a.old, a.new, project=a.project, to=a.to)


def _write(s: Session, a: Namespace, cell: str | None):
    if cell is None:
        raise InvalidArgument(f"write takes the file's content from the cell: use %%qc write "
                              f"{a.name} with the content below it")
    return s.ws.write(a.name, cell, force=a.force, project=a.project, to=a.to)


def _outputs(s: Session, a: Namespace, cell: str | None):
    return s.ws.outputs(a.name, project=a.project, to=a.to)


def _wait(s: Session, a: Namespace, cell: str | None):
    try:
        return s.ws.wait_for_run(a.name, timeout=a.timeout, project=a.project, to=a.to)
    except KeyboardInterrupt:
        raise WaitInterrupted(f"a cloud run of {a.name}", None,
                              f"{s.prog} wait {a.name}") from None


# --- backtests -----------------------------------------------------------------------------------

def _compile(s: Session, a: Namespace, cell: str | None) -> dict:
    from .render import Summary
    built = s.ws.compile(project=a.project)
    project = built.get("projectId")
    # The compile id and logs are for --json: no command of this face takes a compile id.
    return Summary(built, f"compiled{f' project {project}' if project else ''}: "
                          f"{built.get('state')}")


def _resumable(s: Session, run: Callable[[], Any], what: str, command: str) -> Any:
    """Run a wait; on Ctrl-C say which command of this face resumes it."""
    try:
        return run()
    except WaitInterrupted as e:
        raise WaitInterrupted(f"{what} {e.handle.id}", e.handle,
                              f"{s.prog} {command} {e.handle.id} --wait") from None
    except WaitTimeout as e:
        handle = getattr(e, "handle", None)
        if handle is None:
            raise
        raise WaitTimeout(f"{e}. Go on waiting with: {s.prog} {command} {handle.id} "
                          "--wait") from None


def _backtest(s: Session, a: Namespace, cell: str | None):
    return _resumable(s, lambda: s.ws.run_backtest(a.name, parameters(a.param),
                                                   wait=not a.no_wait, project=a.project),
                      "backtest", "backtest read")


def _backtests(s: Session, a: Namespace, cell: str | None):
    return s.ws.backtests(project=a.project)


def _backtest_read(s: Session, a: Namespace, cell: str | None):
    bt = s.ws.backtest(a.id, project=a.project)
    if a.wait:
        return _resumable(s, lambda: s.ws.wait_backtest(bt), "backtest", "backtest read")
    return bt


def _backtest_rename(s: Session, a: Namespace, cell: str | None) -> str:
    bt = s.ws.rename_backtest(a.id, a.name, project=a.project)
    return f"renamed backtest {bt.id} to {bt.name!r}"


def _backtest_delete(s: Session, a: Namespace, cell: str | None) -> str:
    bt = s.ws.backtest(a.id, project=a.project)
    s.confirm(f"delete backtest {bt.id} ({bt.name!r})?", yes=a.yes, how_to_skip="--yes")
    s.ws.delete_backtest(bt.id, project=a.project)
    return f"deleted backtest {bt.id} ({bt.name!r})"


def _compare(s: Session, a: Namespace, cell: str | None):
    return s.ws.compare(a.ids, project=a.project)


# --- optimizations -------------------------------------------------------------------------------

def _optimize_args(a: Namespace) -> dict[str, Any]:
    # The grammar parsed and checked the ranges and constraints (commands/numbers.py).
    options = dict(target=a.target, direction=a.direction, constraints=list(a.constraint),
                   node_type=a.node, name=a.name, project=a.project)
    if a.parallel is not None:
        options["parallel_nodes"] = a.parallel
    return options


def _optimize_estimate(s: Session, a: Namespace, cell: str | None):
    return s.ws.estimate_optimization(a.param, **_optimize_args(a))


def _optimize_run(s: Session, a: Namespace, cell: str | None):
    options = _optimize_args(a)
    confirmed = None
    if not a.yes and a.max_cost is None:
        confirmed = s.ws.estimate_optimization(a.param, **options)
        s.asker.say(str(confirmed))
        s.confirm("Run it and pay for it?", yes=False, how_to_skip="--yes or --max-cost USD")
    # Held to what was accepted: the run estimates again and refuses to cost more.
    return _resumable(s, lambda: s.ws.run_optimization(
        a.param, **options, confirm=a.yes, max_cost=a.max_cost, confirmed=confirmed,
        wait=not a.no_wait), "optimization", "optimize read")


def _optimizations(s: Session, a: Namespace, cell: str | None):
    return s.ws.optimizations(project=a.project)


def _optimize_read(s: Session, a: Namespace, cell: str | None):
    opt = s.ws.optimization(a.id)
    if a.wait:
        return _resumable(s, lambda: s.ws.wait_optimization(opt), "optimization",
                          "optimize read")
    return opt


def _optimize_abort(s: Session, a: Namespace, cell: str | None):
    return s.ws.abort_optimization(a.id)


def _optimize_delete(s: Session, a: Namespace, cell: str | None) -> str:
    opt = s.ws.optimization(a.id)
    s.confirm(f"delete optimization {opt.id} ({opt.name!r})?", yes=a.yes, how_to_skip="--yes")
    s.ws.delete_optimization(opt.id)
    return f"deleted optimization {opt.id}"


def _doctor(s: Session, a: Namespace, cell: str | None):
    return s.ws.doctor(project=a.project, wait=a.wait, report=a.report)


HANDLERS: dict[str, Callable[[Session, Namespace, str | None], Any]] = {
    "help": _help, "login": _login, "whoami": _whoami, "projects": _projects, "use": _use,
    "new": _new, "files": _files, "status": _status, "pull": _pull, "push": _push,
    "sync": _sync,
    "diff": _diff, "rm": _rm, "mv": _mv, "write": _write, "outputs": _outputs, "wait": _wait,
    "compile": _compile, "backtest": _backtest, "backtests": _backtests,
    "backtest read": _backtest_read, "backtest rename": _backtest_rename,
    "backtest delete": _backtest_delete, "compare": _compare,
    "optimize estimate": _optimize_estimate, "optimize run": _optimize_run,
    "optimizations": _optimizations, "optimize read": _optimize_read,
    "optimize abort": _optimize_abort, "optimize delete": _optimize_delete, "doctor": _doctor,
}


HANDLERS.update(logs.HANDLERS)
HANDLERS.update(store.HANDLERS)


def execute(session: Session, command: str, args: Namespace,
            cell: str | bytes | None = None) -> Any:
    """Run one parsed command. `cell` is what a face read besides the line: the %%qc cell, or
    standard input in the shell (bytes for `store put`, whose content need not be text)."""
    handler = session.own.get(command) or HANDLERS.get(command)
    if handler is None:   # in the grammar, but this face has no such thing (the shell's panel)
        raise Refused(f"{session.prog} {command} is not available here")
    try:
        return handler(session, args, cell)
    except QCError as e:
        if not may_have_acted(e):
            raise
        project = getattr(args, "project", None) or session.settings().project
        raise explain(e, session.prog, project) from e
