"""The panel's logic, without ipywidgets: every button is a method here, every view a field.

Widgets bind to it (widgets/panel.py) and redraw when it calls them back with the name of what
changed. Work that waits on the cloud runs in a background thread; while it runs, `busy` is set so
clashing buttons can be disabled. Every action and every error lands in `log`.
"""
from __future__ import annotations

import os
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable

from ..errors import QCError, WaitInterrupted

Listener = Callable[[str], None]
LOG_TAIL_LINES = 10   # the last lines of the selected backtest's log the panel shows


class Cancelled(KeyboardInterrupt):
    """Raised inside a job's progress callback when the person pressed Cancel."""


def run_now(fn: Callable[[], None]) -> None:
    fn()


def run_in_thread(fn: Callable[[], None]) -> None:
    threading.Thread(target=fn, name="qc-panel", daemon=True).start()


def _ranges(text: str) -> list:
    """One NAME=MIN:MAX:STEP per line (or comma-separated), as typed in the panel."""
    from ..api import ParameterRange
    return [ParameterRange.parse(p) for p in text.replace(",", "\n").splitlines() if p.strip()]


def find_notebook(namespace: dict, folder: Path) -> str | None:
    """The notebook this kernel runs, relative to the synced folder, if the front end says."""
    candidates = [namespace.get("__vsc_ipynb_file__"), os.environ.get("JPY_SESSION_NAME")]
    for raw in candidates:
        if not raw or not str(raw).endswith(".ipynb"):
            continue
        path = Path(str(raw))
        for guess in ([path] if path.is_absolute() else [Path.cwd() / path,
                                                           Path.cwd() / path.name]):
            if not guess.exists():
                continue
            try:
                return guess.resolve().relative_to(folder.resolve()).as_posix()
            except ValueError:
                continue
    return None


class PanelController:
    def __init__(self, session: Any, project: str | None = None, *,
                 namespace: dict | None = None, runner: Callable = run_in_thread):
        self.session = session
        self.namespace = namespace if namespace is not None else {}
        self.runner = runner
        self.listeners: list[Listener] = []
        self.project_ref = project or session.settings().project
        self.connection: dict[str, Any] = {}
        self.projects: list[tuple[str, int]] = []
        self.files = None            # sync.StatusReport
        self.diff = None             # sync.Diff
        self.conflicts: list[str] = []
        self.backtests = None        # DataFrame
        self.log_tail: list[str] = []   # the last lines of the selected backtest's log
        self.log_tail_of: str | None = None   # the backtest those lines are (to be) of
        self.estimate = None         # jobs.OptimizationEstimate
        self._estimate_inputs: tuple | None = None
        self.optimization = None     # results.Optimization
        self.busy = False
        self.job_label = ""
        self.job_progress = 0.0
        self.log: list[str] = []
        self._cancel = threading.Event()
        self.notebook = find_notebook(self.namespace, Path(session.settings().folder))

    # --- plumbing -------------------------------------------------------------------------------
    def on_change(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def _emit(self, topic: str) -> None:
        for listener in list(self.listeners):
            listener(topic)

    def say(self, message: str) -> None:
        self.log.append(f"{time.strftime('%H:%M:%S')}  {message}")
        self._emit("log")

    def _act(self, label: str, fn: Callable[[], None], *, background: bool = False) -> None:
        """Run an action; log its failure as one line instead of raising into the void."""
        if self.busy:
            self.say(f"{label}: wait for {self.job_label} to finish (or cancel it)")
            return

        def work() -> None:
            try:
                fn()
            except WaitInterrupted as e:
                self.say(f"{label}: {e}")
            except (QCError, ValueError) as e:
                self.say(f"{label} failed: {e}")
            except Exception as e:   # a bug must still be seen, not vanish with the thread
                self.say(f"{label} failed unexpectedly: {type(e).__name__}: {e}")
                self.log.extend(traceback.format_exc().splitlines()[-3:])
            finally:
                if background:
                    self.busy, self.job_label = False, ""
                    self._emit("job")

        if background:
            self.busy, self.job_label, self.job_progress = True, label, 0.0
            self._cancel.clear()
            self._emit("job")
            self.runner(work)
        else:
            work()

    def _progress(self, fraction: float, status: str) -> None:
        if self._cancel.is_set():
            raise Cancelled()
        self.job_progress = fraction
        self._emit("job")

    def cancel(self) -> None:
        """Stop waiting on the running job; the cloud job goes on."""
        if self.busy:
            self._cancel.set()
            self.say(f"cancelling {self.job_label}: it goes on in the cloud")

    @property
    def project_id(self) -> int | None:
        return int(self.project_ref) if self.project_ref and str(self.project_ref).isdigit() \
            else None

    def _folder(self):
        from argparse import Namespace
        return self.session.folder(Namespace(project=self.project_ref, to=None))

    # --- connection and project -----------------------------------------------------------------
    def connect(self) -> None:
        def work():
            from ..results import projects_frame
            c = self.session.client
            self.connection = {"user": c.user_id, "api_url": c.api_url,
                               "organization": c.read_account().get("organizationId", "")}
            frame = projects_frame(c)
            self.projects = [(f"{name} ({pid})", int(pid)) for pid, name in frame["name"].items()]
            self._emit("connection")
            self.say(f"connected as user {c.user_id} to {c.api_url}")
        self._act("connect", work)
        if self.project_ref:
            self.select_project(self.project_ref)

    def select_project(self, ref: Any) -> None:
        def work():
            from ..api.lookup import find_project
            project = find_project(self.session.client, ref)
            self.project_ref = str(project["projectId"])
            self.say(f"project {project['name']!r} (id {project['projectId']})")
            self._emit("project")
        self._act("select project", work)
        if self.project_ref:
            self.refresh_files()
            self.refresh_backtests()

    # --- files ----------------------------------------------------------------------------------
    def refresh_files(self) -> None:
        def work():
            self.files = self._folder().status()
            self._emit("files")
        self._act("refresh files", work)

    def _sync(self, label: str, call: Callable[[Any], Any]) -> None:
        def work():
            report = call(self._folder())
            for action in report.actions:
                self.say(f"{label} {action.name}: {action.action}"
                         + (f" ({action.detail})" if action.detail else ""))
                if action.action == "conflict-copy" and action.name not in self.conflicts:
                    self.conflicts.append(action.name)
            self._emit("conflicts")
            self.files = self._folder().status()
            self._emit("files")
        self._act(label, work)

    def pull(self, names: list[str], force: bool = False) -> None:
        if not names:
            self.say("pull: select the files first")
            return
        self._sync("pull", lambda f: f.pull(names, force=force))

    def push(self, names: list[str], force: bool = False) -> None:
        if not names:
            self.say("push: select the files first")
            return
        self._sync("push", lambda f: f.push(names, force=force))

    def show_diff(self, name: str | None) -> None:
        if not name:
            self.say("diff: select one file")
            return

        def work():
            self.diff = self._folder().diff(name)
            self._emit("diff")
        self._act("diff", work)

    def sync_notebook(self, path: str | None = None) -> None:
        """Push or pull the notebook this panel runs in, by its state; a conflict is shown with
        both choices and never settled here."""
        if path:
            self.notebook = path
        if not self.notebook:
            self.say("sync notebook: which notebook is this? type its name in the field")
            self._emit("ask-notebook")
            return
        name = self.notebook

        def work():
            folder = self._folder()
            state = folder.status().states().get(name)
            if state in ("local-changed", "local-only"):
                self._sync("push", lambda f: f.push([name]))
            elif state in ("cloud-changed", "cloud-only", "deleted-locally"):
                self._sync("pull", lambda f: f.pull([name]))
            elif state == "conflict":
                if name not in self.conflicts:
                    self.conflicts.append(name)
                self.say(f"{name} changed on both sides: keep yours (push over the cloud) or take "
                         "the cloud's (yours is backed up)")
                self._emit("conflicts")
            elif state is None:
                self.say(f"sync notebook: {name} is neither here nor in the cloud")
            else:
                self.say(f"{name} is {state}")
        self._act("sync notebook", work)

    def resolve(self, name: str, keep: str) -> None:
        """Settle a conflict the person chose: keep="mine" pushes over the cloud, keep="cloud"
        pulls over the local file (backed up first)."""
        if keep not in ("mine", "cloud"):
            raise ValueError(f"keep 'mine' or 'cloud', not {keep!r}")
        if keep == "mine":
            self._sync("push", lambda f: f.push([name], force=True))
        else:
            self._sync("pull", lambda f: f.pull([name], force=True))
        if name in self.conflicts:
            self.conflicts.remove(name)
        self._emit("conflicts")

    # --- backtests ------------------------------------------------------------------------------
    def refresh_backtests(self) -> None:
        self._act("refresh backtests", self._read_backtests)

    def run_backtest(self, name: str = "", parameters: str = "") -> None:
        from ..sync.parameters import parse_assignments

        def work():
            from ..jobs import follow_backtest, run_backtest
            st = self.session.settings()
            params = parse_assignments([p.strip() for p in parameters.split(",") if p.strip()])
            bt = run_backtest(self.session.client, self.project_ref, name or None, params,
                              wait=False, progress="none", poll=st.poll)
            self.say(f"backtest {bt.id} started")
            try:
                follow_backtest(bt, on_progress=self._progress)
            except WaitInterrupted:
                self.say(f"stopped following backtest {bt.id}; it goes on in the cloud")
                return
            finally:
                self._read_backtests()
            self.say(f"backtest {bt.id}: {bt.status.rstrip('.')}, Sharpe "
                     f"{bt.statistics.get('Sharpe Ratio', float('nan')):.3f}")
        self._act("run backtest", work, background=True)

    def _read_backtests(self) -> None:
        from ..results import backtests_frame
        self.backtests = backtests_frame(self.session.client, self.project_ref)
        self._emit("backtests")

    def load_backtest(self, backtest_id: str | None, variable: str) -> None:
        if not backtest_id or not variable.isidentifier():
            self.say("load: select a backtest and give a Python variable name")
            return

        def work():
            from ..results import Backtest
            bt = Backtest(self.session.client, int(self.project_id or self.project_ref),
                          backtest_id).refresh()
            self.namespace[variable] = bt
            self.say(f"loaded backtest {bt.id} ({bt.name!r}) into {variable}")
            self._emit("loaded")
        self._act("load backtest", work)

    def show_log_tail(self, backtest_id: str | None) -> None:
        """Read the last lines of the selected backtest's log (two small requests at most, in
        the background). Not an action that waits on the cloud: it runs while a job is busy, and
        a later selection wins over an earlier read still in flight."""
        self.log_tail_of = backtest_id
        if not backtest_id:
            self.log_tail = []
            self._emit("log-tail")
            return

        def work() -> None:
            from ..results.logs import last_lines
            client = self.session.client
            project_id = int(self.project_id or self.project_ref)
            try:
                lines = last_lines(lambda s, e: client.read_backtest_log(project_id, backtest_id,
                                                                          s, e),
                                   LOG_TAIL_LINES, poll=self.session.settings().poll)
            except QCError as e:
                self.say(f"log of backtest {backtest_id} failed: {e}")
                lines = []
            if self.log_tail_of == backtest_id:
                self.log_tail = lines
                self._emit("log-tail")
        self.runner(work)

    def backtest(self, backtest_id: str):
        from ..results import Backtest
        return Backtest(self.session.client, int(self.project_id or self.project_ref), backtest_id)

    # --- optimizations --------------------------------------------------------------------------
    def estimate_optimization(self, ranges: str, target: str = "sharpe", direction: str = "max",
                              node: str = "O2-8", parallel: int = 4) -> None:
        inputs = (ranges, target, direction, node, int(parallel))

        def work():
            from ..jobs import estimate_optimization
            self.estimate = estimate_optimization(self.session.client, self.project_ref,
                                                  _ranges(ranges),
                                                  target=target, direction=direction,
                                                  node_type=node, parallel_nodes=int(parallel))
            self._estimate_inputs = inputs
            self.say(str(self.estimate))
            self._emit("estimate")
        self.estimate, self._estimate_inputs = None, None
        self._emit("estimate")
        self._act("estimate", work)

    def confirm_optimization(self) -> None:
        """Run the optimization just estimated: the only way the panel spends money."""
        if self.estimate is None or self._estimate_inputs is None:
            self.say("run optimization: estimate it first, then confirm")
            return
        ranges, target, direction, node, parallel = self._estimate_inputs
        estimate = self.estimate

        def work():
            from ..jobs import follow_optimization, run_optimization
            opt = run_optimization(self.session.client, self.project_ref, _ranges(ranges),
                                   target=target,
                                   direction=direction, node_type=node, parallel_nodes=parallel,
                                   max_cost=estimate.cost, wait=False, progress="none",
                                   poll=self.session.settings().poll)
            self.say(f"optimization {opt.id} started ({estimate})")
            self.optimization = opt
            try:
                follow_optimization(opt, on_progress=self._progress)
            except WaitInterrupted:
                self.say(f"stopped following optimization {opt.id}; it goes on in the cloud")
                return
            self.say(f"optimization {opt.id} {opt.status}")
            self._emit("optimization")
        self.estimate = None
        self._emit("estimate")
        self._act("run optimization", work, background=True)
