"""The panel's face logic, without ipywidgets: every button is a method here, every view a field.

Each action is one call of the session's Workspace (the same calls `%qc` and `qc-magics` make);
what is kept here is what only a panel has: the background thread, `busy` while a job is
followed (so clashing buttons can be disabled), Cancel, the activity `log` where every action
and every error lands, and each tab's `status` line (its last action's result or error, shown
next to the buttons). Widgets bind to it (widgets/panel.py) and redraw when it calls them back
with the name of what changed.
"""
from __future__ import annotations

import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable

from ..errors import QCError, WaitInterrupted, user_text
from ..vocabulary import DEFAULT_NODE_TYPE, DEFAULT_PARALLEL_NODES, DEFAULT_TARGET
from ..workspace.words import parameters as parameters_from
from .live import LiveSyncControls
from .notebook import locate_notebook, outside_message

Listener = Callable[[str], None]
LOG_TAIL_LINES = 10   # the last lines of the selected backtest's log the panel shows
TABS = ("files", "backtests", "optimizations")
# The tab whose status line shows an action's result (actions are named by their `_act` label).
ACTION_TABS = {"connect": "files", "select project": "files", "refresh files": "files",
               "pull": "files", "push": "files", "diff": "files", "sync notebook": "files",
               "refresh backtests": "backtests", "run backtest": "backtests",
               "load backtest": "backtests", "plot": "backtests", "log": "backtests",
               "estimate": "optimizations", "run optimization": "optimizations",
               "live sync": "files"}
RANGES_HINT = "one NAME=MIN:MAX:STEP per line, e.g. ema_fast=5:30:5"


def one_line(error: BaseException, limit: int = 220) -> str:
    """An error as one short line: its first line, cut at `limit` characters."""
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return text if len(text) <= limit else text[:limit - 1] + "…"


class Cancelled(KeyboardInterrupt):
    """Raised inside a job's progress callback when the person pressed Cancel."""


def run_now(fn: Callable[[], None]) -> None:
    fn()


def run_in_thread(fn: Callable[[], None]) -> None:
    threading.Thread(target=fn, name="qc-panel", daemon=True).start()


class PanelController(LiveSyncControls):
    def __init__(self, workspace: Any, project: str | None = None, *,
                 namespace: dict | None = None, runner: Callable = run_in_thread):
        self.ws = workspace
        self.namespace = namespace if namespace is not None else {}
        self.runner = runner
        self.listeners: list[Listener] = []
        self.project_ref = str(project) if project else workspace.settings.project
        self.connection: dict[str, Any] = {}
        self.projects: list[tuple[str, int]] = []
        self.files = None            # sync.StatusReport
        self.diff = None             # sync.Diff
        self.conflicts: list[str] = []
        self.backtests = None        # DataFrame
        self.selected_backtest: str | None = None   # the dropdown's choice (newest by default)
        self.log_tail: list[str] = []   # the last lines of the selected backtest's log
        self.log_tail_of: str | None = None   # the backtest those lines are (to be) of
        self.estimate = None         # jobs.OptimizationEstimate, until it is confirmed
        self.spent_estimate = None   # the estimate the last optimization run was held to
        self._estimate_inputs: dict | None = None
        self.optimization = None     # results.Optimization
        self.figure: bytes | None = None   # the last plot, as PNG
        self.heatmap: bytes | None = None  # the last optimization's heatmap, as PNG
        self.busy = False
        self.job_label = ""
        self.job_progress = 0.0
        self.log: list[str] = []     # oldest first (the panel shows newest first)
        self.status: dict[str, str] = {tab: "" for tab in TABS}   # tab -> its last line
        self.status_failed: set[str] = set()   # tabs whose last line is an error or a refusal
        self.live = None             # the running live sync (workspace.watch.WatchHandle)
        self._cancel = threading.Event()
        # The notebook the panel runs in, as the front end says (None: ask for its name).
        self.notebook_place = locate_notebook(self.namespace, Path(workspace.settings.folder))
        self.notebook = self.notebook_place.name if self.notebook_place else None
        self.connection_error: str | None = None   # why connecting failed, in one line

    # --- plumbing -------------------------------------------------------------------------------
    def on_change(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def _emit(self, topic: str) -> None:
        for listener in list(self.listeners):
            listener(topic)

    def say(self, message: str, action: str | None = None, *, failed: bool = False) -> None:
        """Log a line; with `action` (an `_act` label or a tab) it is also that tab's status."""
        self.log.append(f"{time.strftime('%H:%M:%S')}  {message}")
        self._emit("log")
        tab = ACTION_TABS.get(action, action) if action else None
        if tab in self.status:
            self.status[tab] = message.splitlines()[0] if message else ""
            (self.status_failed.add if failed else self.status_failed.discard)(tab)
            self._emit("status")

    def _act(self, label: str, fn: Callable[[], None], *, background: bool = False) -> None:
        """Run an action; log its failure as one line instead of raising into the void."""
        if self.busy:
            self.say(f"{label}: wait for {self.job_label} to finish (or cancel it)", label,
                     failed=True)
            return

        def work() -> None:
            try:
                fn()
            except WaitInterrupted as e:
                self.say(f"{label}: {e}", label, failed=True)
            except QCError as e:
                self.say(f"{label} failed: {user_text(e)}", label, failed=True)
            except Exception as e:   # a bug must still be seen, not vanish with the thread
                self.say(f"{label} failed unexpectedly: {type(e).__name__}: {e}", label,
                         failed=True)
                # One entry, so the log's newest-first view keeps the traceback in order.
                self.log[-1] += "\n" + "\n".join(traceback.format_exc().splitlines()[-3:])
                self._emit("log")
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
            self.say(f"cancelling {self.job_label}: it goes on in the cloud", self.job_label)

    @property
    def project_id(self) -> int | None:
        """The chosen project's id, once chosen (select_project stores it as its id)."""
        ref = self.project_ref
        return int(ref) if ref and str(ref).isdigit() else None

    # --- connection and project -----------------------------------------------------------------
    def connect(self) -> None:
        """Who is connected and the projects to choose from; then the chosen project's files and
        backtests. The listing makes every project known, so choosing one asks nothing more."""
        def work():
            try:
                who = self.ws.whoami()
                frame = self.ws.projects()
            except Exception as e:   # the header says why, instead of "connecting…" for ever
                self.connection_error = one_line(e)
                self._emit("connection")
                raise
            self.connection_error = None
            self.connection = {"user": who.user_id, "api_url": who.api_url,
                               "organization": who.organization_id}
            self.projects = [(f"{name} ({pid})", int(pid)) for pid, name in frame["name"].items()]
            self._emit("connection")
            self.say(f"connected as user {who.user_id} to {who.api_url}", "connect")
        self._act("connect", work)
        if self.project_ref:
            self.select_project(self.project_ref)

    def select_project(self, ref: Any) -> None:
        def work():
            project = self.ws.project(str(ref))
            self.project_ref = str(project["projectId"])
            self.say(f"project {project['name']!r} (id {project['projectId']})",
                     "select project")
            self._emit("project")
        self._act("select project", work)
        if self.project_ref:
            self.refresh_files()
            self.refresh_backtests()

    # --- files ----------------------------------------------------------------------------------
    def refresh_files(self) -> None:
        def work():
            self.files = self.ws.status(project=self.project_ref)
            self._emit("files")
            self.say(f"refreshed: {self.files.summary()}", "refresh files")
        self._act("refresh files", work)

    def _sync(self, label: str, call: Callable[[], Any]) -> None:
        def work():
            report = call()
            for action in report.actions:
                self.say(f"{label} {action.name}: {action.action}"
                         + (f" ({action.detail})" if action.detail else ""))
                if action.action == "conflict-copy" and action.name not in self.conflicts:
                    self.conflicts.append(action.name)
            self.say(report.summary() or f"{label}: nothing to do", label,
                     failed=bool(report.conflicts or report.refused))
            self._emit("conflicts")
            self.diff = None        # what it showed is no longer what is on either side
            self._emit("diff")
            self.files = self.ws.status(project=self.project_ref)
            self._emit("files")
        self._act(label, work)

    def pull(self, names: list[str], force: bool = False) -> None:
        if not names:
            self.say("pull: select the files first", "pull", failed=True)
            return
        self._sync("pull", lambda: self.ws.pull(names, force=force, project=self.project_ref))

    def push(self, names: list[str], force: bool = False) -> None:
        if not names:
            self.say("push: select the files first", "push", failed=True)
            return
        self._sync("push", lambda: self.ws.push(names, force=force, project=self.project_ref))

    def show_diff(self, name: str | None) -> None:
        if not name:
            self.say("diff: select one file", "diff", failed=True)
            return

        def work():
            self.diff = self.ws.diff(name, project=self.project_ref)
            self._emit("diff")
            found = ("no differences" if self.diff.identical else
                     self.diff.note if self.diff.kind == "missing" and self.diff.note else
                     "differences shown below")
            self.say(f"diff {name}: {found}", "diff")
        self._act("diff", work)

    def sync_notebook(self, path: str | None = None) -> None:
        """Push or pull the notebook this panel runs in, by its state; a conflict is shown with
        both choices and never settled here."""
        if path:
            self.notebook = path
        if not self.notebook and self.notebook_place is not None:
            self.say(outside_message(self.notebook_place, Path(self.ws.settings.folder)),
                     "sync notebook", failed=True)
            self._emit("ask-notebook")
            return
        if not self.notebook:
            self.say("sync notebook: which notebook is this? type its name in the field",
                     "sync notebook", failed=True)
            self._emit("ask-notebook")
            return
        name = self.notebook

        def work():
            state = self.ws.status([name], project=self.project_ref).states().get(name)
            if state in ("local-changed", "local-only"):
                self.push([name])
            elif state in ("cloud-changed", "cloud-only", "deleted-locally"):
                self.pull([name])
            elif state == "conflict":
                if name not in self.conflicts:
                    self.conflicts.append(name)
                self.say(f"{name} changed on both sides: keep yours (push over the cloud) or take "
                         "the cloud's (yours is backed up)", "sync notebook", failed=True)
                self._emit("conflicts")
            elif state is None:
                self.say(f"sync notebook: {name} is neither here nor in the cloud",
                         "sync notebook", failed=True)
            else:
                self.say(f"{name} is {state}", "sync notebook")
        self._act("sync notebook", work)

    def resolve(self, name: str, keep: str) -> None:
        """Settle a conflict the person chose: keep="mine" pushes over the cloud, keep="cloud"
        pulls over the local file (backed up first)."""
        if keep not in ("mine", "cloud"):
            raise ValueError(f"keep 'mine' or 'cloud', not {keep!r}")
        if keep == "mine":
            self.push([name], force=True)
        else:
            self.pull([name], force=True)
        if name in self.conflicts:
            self.conflicts.remove(name)
        self._emit("conflicts")
        if self.live is not None:    # settled: the live sync takes the file up again
            self.live.resume(name)

    # --- backtests ------------------------------------------------------------------------------
    def refresh_backtests(self) -> None:
        def work():
            self._read_backtests()
            self.say(f"refreshed: {len(self.backtests)} backtests", "refresh backtests")
        self._act("refresh backtests", work)

    def _read_backtests(self, select: str | None = None) -> None:
        """Read the list; select `select` (a backtest just run), else keep the selection, else
        the newest (lists come newest first); then show the selected one's log tail."""
        self.backtests = frame = self.ws.backtests(project=self.project_ref)
        ids = list(frame.index) if frame is not None else []
        before = self.selected_backtest
        self.selected_backtest = (select if select in ids else before if before in ids
                                  else ids[0] if ids else None)
        self._emit("backtests")
        if select is not None or self.selected_backtest != self.log_tail_of:
            self.show_log_tail(self.selected_backtest)

    def select_backtest(self, backtest_id: str | None) -> None:
        """The person chose a backtest: it is what Load and Plot act on; its log tail shows."""
        self.selected_backtest = backtest_id
        self.show_log_tail(backtest_id)

    def run_backtest(self, name: str = "", parameters: str = "") -> None:
        """Parameters as typed: K=V items separated by spaces (as `--param K=V` on a line)."""
        def work():
            params = parameters_from(parameters)
            bt = self.ws.run_backtest(name or None, params, wait=False,
                                      on_progress=self._progress, project=self.project_ref)
            self.say(f"backtest {bt.id} started", "run backtest")
            try:
                self.ws.wait_backtest(bt, on_progress=self._progress)
            except WaitInterrupted:
                self.say(f"stopped following backtest {bt.id}; it goes on in the cloud",
                         "run backtest", failed=True)
                return
            finally:
                self._read_backtests(select=bt.id)
            self.say(f"backtest {bt.id} ({bt.name!r}): {bt.status.rstrip('.')}, Sharpe "
                     f"{bt.statistics.get('Sharpe Ratio', float('nan')):.3f}", "run backtest")
        self._act("run backtest", work, background=True)

    def load_backtest(self, backtest_id: str | None, variable: str) -> None:
        """Load `backtest_id` (by default the selected one) into the namespace as `variable`."""
        backtest_id = backtest_id or self.selected_backtest
        if not backtest_id or not variable.isidentifier():
            self.say("load: select a backtest and give a Python variable name",
                     "load backtest", failed=True)
            return

        def work():
            bt = self.ws.backtest(backtest_id, project=self.project_ref)
            self.namespace[variable] = bt
            self.say(f"loaded backtest {bt.id} ({bt.name!r}) into {variable}", "load backtest")
            self._emit("loaded")
        self._act("load backtest", work)

    def plot_backtest(self, backtest_id: str | None) -> None:
        """Draw the backtest's equity and drawdown as a PNG (the `figure` view), off the
        kernel's own matplotlib state."""
        if not backtest_id:
            self.say("plot: select a backtest", "plot", failed=True)
            return

        def work():
            from .figures import backtest_png
            self.figure = backtest_png(self.ws.backtest(backtest_id, project=self.project_ref))
            self._emit("figure")
            self.say(f"plotted backtest {backtest_id}", "plot")
        self._act("plot", work)

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
            try:
                lines = self.ws.log_tail(backtest_id, LOG_TAIL_LINES, project=self.project_ref)
            except QCError as e:
                self.say(f"log of backtest {backtest_id} failed: {user_text(e)}", "log",
                         failed=True)
                lines = []
            if self.log_tail_of == backtest_id:
                self.log_tail = lines
                self._emit("log-tail")
        self.runner(work)

    # --- optimizations --------------------------------------------------------------------------
    def estimate_optimization(self, ranges: str, target: str = DEFAULT_TARGET,
                              direction: str | None = None, node: str = DEFAULT_NODE_TYPE,
                              parallel: int = DEFAULT_PARALLEL_NODES) -> None:
        """What the grid typed (NAME=MIN:MAX:STEP items) would take and cost; free."""
        inputs = dict(parameters=ranges, target=target, direction=direction, node_type=node,
                      parallel_nodes=int(parallel))

        def work():
            self.estimate = self.ws.estimate_optimization(**inputs, project=self.project_ref)
            self._estimate_inputs = inputs
            self.say(str(self.estimate), "estimate")
            self._emit("estimate")
        self.estimate, self._estimate_inputs, self.spent_estimate = None, None, None
        self._emit("estimate")
        if not ranges.strip():      # nothing to ask the service about
            self.say(f"estimate: no ranges; type {RANGES_HINT}", "estimate", failed=True)
            return
        self._act("estimate", work)

    def confirm_optimization(self) -> None:
        """Run the optimization just estimated, held to that estimate: the only way the panel
        spends money."""
        if self.estimate is None or self._estimate_inputs is None:
            self.say("run optimization: estimate it first, then confirm", "run optimization",
                     failed=True)
            return
        inputs, estimate = self._estimate_inputs, self.estimate

        def work():
            opt = self.ws.run_optimization(**inputs, confirmed=estimate, wait=False,
                                           on_progress=self._progress, project=self.project_ref)
            self.say(f"optimization {opt.id} started ({estimate})", "run optimization")
            self.optimization = opt
            try:
                self.ws.wait_optimization(opt, on_progress=self._progress)
            except WaitInterrupted:
                self.say(f"stopped following optimization {opt.id}; it goes on in the cloud",
                         "run optimization", failed=True)
                return
            from ..results.display import best_line
            from .figures import heatmap_png
            self.heatmap = heatmap_png(opt, inputs["target"])
            self._emit("optimization")
            best = best_line(opt)
            self.say(f"optimization {opt.id} {opt.status}: {len(opt.grid)} backtests"
                     + (f"; {best}" if best else ""), "run optimization")
        # A second run needs a second estimate; this one stays on view as what the run costs.
        self.estimate, self.spent_estimate = None, estimate
        self._emit("estimate")
        self._act("run optimization", work, background=True)

