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


def parse_assignments(items: list[str]) -> dict[str, Any]:
    # Imported when a command runs: loading the extension must not import sync/ (nor requests).
    from ..sync.parameters import parse_assignments as parse
    return parse(items)


# --- account and projects ------------------------------------------------------------------------

def _help(s: Session, a: Namespace, cell: str | None) -> str:
    return usage(a.topic, s.prog) if a.topic else overview(s.prog)


def _login(s: Session, a: Namespace, cell: str | None) -> str:
    if a.rest:
        raise Refused(f"{s.prog} login takes nothing on the line: a token typed there would be "
                      "kept in the notebook and its history. Run it alone and paste the token at "
                      "the prompt.")
    from .. import config
    user_id = s.asker.ask("QuantConnect user id: ")
    token = s.asker.secret("API token (hidden): ") if user_id is not None else None
    if not user_id or not token:
        raise Refused("login needs a terminal or notebook that can prompt; or set QC_USER_ID "
                      "and QC_API_TOKEN in the environment")
    client = config.client(user_id=user_id.strip(), api_token=token.strip(),
                           api_url=s.settings().api_url)
    client.authenticate()
    path = config.save(client.credentials)
    s.reset_client()
    return f"logged in as user {client.user_id}; credentials saved to {path} (mode 0600)"


def _whoami(s: Session, a: Namespace, cell: str | None) -> dict:
    from .render import Summary
    c = s.client
    account = c.read_account()
    who = {"user_id": c.user_id,
           "organization_id": account.get("organizationId") or c.credentials.organization_id,
           "api_url": c.api_url, "api_token": c.credentials.api_token.masked(),
           "credentials_from": c.credentials.source}
    return Summary(who, f"user {who['user_id']} in organization {who['organization_id']} at "
                        f"{who['api_url']}, token {who['api_token']} (from "
                        f"{who['credentials_from']})")


def _projects(s: Session, a: Namespace, cell: str | None):
    from ..results import projects_frame
    return projects_frame(s.client)


def _use(s: Session, a: Namespace, cell: str | None) -> str:
    from ..api.lookup import find_project
    project = find_project(s.client, a.project)
    s.remember_project(str(project["projectId"]))
    return f"default project: {project['name']!r} (id {project['projectId']})"


def _new(s: Session, a: Namespace, cell: str | None) -> dict:
    from .render import Summary
    project = s.client.create_project(a.name, language=a.language)
    return Summary(project, f"created project {project.get('name')!r} (id "
                            f"{project.get('projectId')}, {project.get('language', a.language)})")


def _files(s: Session, a: Namespace, cell: str | None):
    from ..results import files_frame
    return files_frame(s.client, s.project(a.project))


# --- files ---------------------------------------------------------------------------------------

def _status(s: Session, a: Namespace, cell: str | None):
    report = s.folder(a).status(a.paths or None)
    # A notebook shows (and --out stores) a DataFrame; a terminal needs text, and no pandas.
    return report.to_frame() if s.frames else report


def _pull(s: Session, a: Namespace, cell: str | None):
    if not a.paths and not a.all:
        raise InvalidArgument(f"name the files to pull, or add --all ({s.prog} status lists them)")
    return s.folder(a).pull(a.paths or None, all=a.all, force=a.force, dry_run=a.dry_run)


def _push(s: Session, a: Namespace, cell: str | None):
    if not a.paths and not a.all:
        raise InvalidArgument(f"name the files to push, or add --all ({s.prog} status lists them)")
    return s.folder(a).push(a.paths or None, all=a.all, force=a.force, dry_run=a.dry_run,
                            keep_outputs=a.keep_outputs, as_name=a.as_name,
                            parameters=parse_assignments(a.param) or None)


def _diff(s: Session, a: Namespace, cell: str | None):
    return s.folder(a).diff(a.path, against="base" if a.base else "cloud")


def _rm(s: Session, a: Namespace, cell: str | None):
    folder = s.folder(a)
    s.confirm(f"delete {a.name} from the cloud project?", yes=a.yes, how_to_skip="--yes")
    return folder.remove(a.name, force=a.force)


def _mv(s: Session, a: Namespace, cell: str | None):
    return s.folder(a).rename(a.old, a.new)


def _write(s: Session, a: Namespace, cell: str | None):
    if cell is None:
        raise InvalidArgument(f"write takes the file's content from the cell: use %%qc write "
                              f"{a.name} with the content below it")
    return s.folder(a).write(a.name, cell, force=a.force)


def _outputs(s: Session, a: Namespace, cell: str | None):
    return s.folder(a).outputs(a.name)


def _wait(s: Session, a: Namespace, cell: str | None):
    folder = s.folder(a)
    try:
        # 0 is a timeout too (check once): only a missing one falls back to the default.
        timeout = next(t for t in (a.timeout, s.settings().timeout, 900.0) if t is not None)
        return folder.wait_for_run(a.name, timeout=timeout,
                                   poll_interval=max(1.0, s.settings().poll_interval))
    except KeyboardInterrupt:
        raise WaitInterrupted(f"a cloud run of {a.name}", None,
                              f"{s.prog} wait {a.name}") from None


# --- backtests -----------------------------------------------------------------------------------

def _compile(s: Session, a: Namespace, cell: str | None) -> dict:
    from ..api.lookup import find_project
    from ..jobs import build
    project_id = int(find_project(s.client, s.project(a.project))["projectId"])
    return {"projectId": project_id, **build(s.client, project_id, poll=s.settings().poll)}


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
    from ..jobs import run_backtest
    st = s.settings()
    return _resumable(s, lambda: run_backtest(
        s.client, s.project(a.project), a.name, parse_assignments(a.param), wait=not a.no_wait,
        progress=st.progress, poll=st.poll, timeout=st.timeout, concurrency=st.concurrency),
        "backtest", "backtest read")


def _backtests(s: Session, a: Namespace, cell: str | None):
    from ..results import backtests_frame
    return backtests_frame(s.client, s.project(a.project))


def _backtest_handle(s: Session, a: Namespace):
    from ..api.lookup import find_project
    from ..results import Backtest
    st = s.settings()
    project_id = int(find_project(s.client, s.project(a.project))["projectId"])
    return Backtest(s.client, project_id, a.id, progress=st.progress,
                    concurrency=st.concurrency, poll=st.poll)


def _backtest_read(s: Session, a: Namespace, cell: str | None):
    bt = _backtest_handle(s, a).refresh()
    if a.wait:
        return _resumable(s, lambda: bt.wait(timeout=s.settings().timeout),
                          "backtest", "backtest read")
    return bt


def _backtest_rename(s: Session, a: Namespace, cell: str | None) -> str:
    bt = _backtest_handle(s, a).rename(a.name)
    return f"renamed backtest {bt.id} to {bt.name!r}"


def _backtest_delete(s: Session, a: Namespace, cell: str | None) -> str:
    bt = _backtest_handle(s, a).refresh()
    s.confirm(f"delete backtest {bt.id} ({bt.name!r})?", yes=a.yes, how_to_skip="--yes")
    bt.delete()
    return f"deleted backtest {bt.id} ({bt.name!r})"


def _compare(s: Session, a: Namespace, cell: str | None):
    from ..api.lookup import find_project
    from ..errors import NotFoundError
    from ..results import Backtest, Comparison
    ref = s.project(a.project)
    project_id = int(find_project(s.client, ref)["projectId"])
    handles, unknown = [], []
    for backtest_id in a.ids:   # read each now: an unknown id is an error, not a lazy surprise
        try:
            handles.append(Backtest(s.client, project_id, backtest_id).refresh())
        except NotFoundError:
            unknown.append(backtest_id)
    if unknown:
        raise NotFoundError("/backtests/read", [f"no backtest {i}" for i in unknown],
                            f"no backtest {', '.join(unknown)} in project {ref}; "
                            f"{s.prog} backtests --project {ref} lists them")
    return Comparison(handles)


# --- optimizations -------------------------------------------------------------------------------

def _optimize_args(s: Session, a: Namespace) -> dict[str, Any]:
    from ..jobs import DEFAULT_PARALLEL_NODES
    # The grammar parsed and checked the ranges and constraints (commands/numbers.py).
    return dict(parameters=list(a.param), target=a.target,
                direction=a.direction or ("min" if a.target == "drawdown" else "max"),
                constraints=list(a.constraint), node_type=a.node,
                parallel_nodes=a.parallel if a.parallel is not None else DEFAULT_PARALLEL_NODES,
                name=a.name)


def _optimize_estimate(s: Session, a: Namespace, cell: str | None):
    from ..jobs import estimate_optimization
    return estimate_optimization(s.client, s.project(a.project), **_optimize_args(s, a))


def _optimize_run(s: Session, a: Namespace, cell: str | None):
    from ..jobs import estimate_optimization, run_optimization
    project = s.project(a.project)
    options = _optimize_args(s, a)
    confirmed = None
    if not a.yes and a.max_cost is None:
        estimate = estimate_optimization(s.client, project, **options)
        s.asker.say(str(estimate))
        s.confirm("Run it and pay for it?", yes=False, how_to_skip="--yes or --max-cost USD")
        confirmed = estimate   # the run re-estimates and refuses to cost more than this
    st = s.settings()
    return _resumable(s, lambda: run_optimization(
        s.client, project, **options, confirm=a.yes, max_cost=a.max_cost, confirmed=confirmed,
        wait=not a.no_wait, progress=st.progress, poll=st.poll, timeout=st.timeout),
        "optimization", "optimize read")


def _optimizations(s: Session, a: Namespace, cell: str | None):
    from ..results import optimizations_frame
    return optimizations_frame(s.client, s.project(a.project))


def _optimization(s: Session, a: Namespace):
    from ..results import Optimization
    st = s.settings()
    return Optimization(s.client, a.id, progress=st.progress, poll=st.poll)


def _optimize_read(s: Session, a: Namespace, cell: str | None):
    opt = _optimization(s, a).refresh()
    if a.wait:
        return _resumable(s, lambda: opt.wait(timeout=s.settings().timeout), "optimization",
                          "optimize read")
    return opt


def _optimize_abort(s: Session, a: Namespace, cell: str | None):
    return _optimization(s, a).abort()


def _optimize_delete(s: Session, a: Namespace, cell: str | None) -> str:
    opt = _optimization(s, a).refresh()
    s.confirm(f"delete optimization {opt.id} ({opt.name!r})?", yes=a.yes, how_to_skip="--yes")
    opt.delete()
    return f"deleted optimization {opt.id}"


def _panel(s: Session, a: Namespace, cell: str | None):
    from ..widgets import Panel
    return Panel(s, project=a.project)


def _doctor(s: Session, a: Namespace, cell: str | None):
    from ..doctor import probe, write_report
    st = s.settings()
    result = probe(s.client, a.project or st.project, wait=a.wait, poll=st.poll)
    if a.report:
        result.report_path = str(write_report(result, a.report))
    return result


HANDLERS: dict[str, Callable[[Session, Namespace, str | None], Any]] = {
    "help": _help, "login": _login, "whoami": _whoami, "projects": _projects, "use": _use,
    "new": _new, "files": _files, "status": _status, "pull": _pull, "push": _push,
    "diff": _diff, "rm": _rm, "mv": _mv, "write": _write, "outputs": _outputs, "wait": _wait,
    "compile": _compile, "backtest": _backtest, "backtests": _backtests,
    "backtest read": _backtest_read, "backtest rename": _backtest_rename,
    "backtest delete": _backtest_delete, "compare": _compare,
    "optimize estimate": _optimize_estimate, "optimize run": _optimize_run,
    "optimizations": _optimizations, "optimize read": _optimize_read,
    "optimize abort": _optimize_abort, "optimize delete": _optimize_delete, "panel": _panel,
    "doctor": _doctor,
}


HANDLERS.update(logs.HANDLERS)
HANDLERS.update(store.HANDLERS)


def execute(session: Session, command: str, args: Namespace,
            cell: str | bytes | None = None) -> Any:
    """Run one parsed command. `cell` is what a face read besides the line: the %%qc cell, or
    standard input in the shell (bytes for `store put`, whose content need not be text)."""
    try:
        return HANDLERS[command](session, args, cell)
    except QCError as e:
        if not may_have_acted(e):
            raise
        project = getattr(args, "project", None) or session.settings().project
        raise explain(e, session.prog, project) from e
