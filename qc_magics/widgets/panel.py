"""The ipywidgets panel: each widget binds to PanelController and redraws when it says so.

No logic lives here; background work reaches the screen only by setting widget traits from the
controller's callbacks.
"""
from __future__ import annotations

import base64
import html
from typing import Any

import ipywidgets as W

from ..text import printable
from ..vocabulary import (DEFAULT_NODE_TYPE, DEFAULT_PARALLEL_NODES, DEFAULT_TARGET, NODE_LIMITS,
                          NODE_TYPES, TARGETS, default_direction)
from .controller import LOG_TAIL_LINES, RANGES_HINT, TABS, PanelController

CELL = "padding:2px 10px;text-align:left"
WIDE = {"description_width": "initial"}   # labels in full, never "Paramet..."

STATE_COLORS = {"in-sync": "#2e7d32", "local-changed": "#1565c0", "cloud-changed": "#6a1b9a",
                "conflict": "#c62828", "local-only": "#00838f", "cloud-only": "#ef6c00",
                "deleted-locally": "#795548", "deleted-in-cloud": "#795548"}


def _button(text: str, style: str = "", tooltip: str = "") -> W.Button:
    return W.Button(description=text, button_style=style, tooltip=tooltip or text,
                    layout=W.Layout(width="auto"))


class Panel:
    """`%qc panel`: connection, files, backtests and optimizations of one project."""

    def __init__(self, workspace: Any, project: str | None = None, *,
                 namespace: dict | None = None, controller: PanelController | None = None):
        if namespace is None:
            try:
                from IPython import get_ipython
                shell = get_ipython()
                namespace = shell.user_ns if shell is not None else {}
            except ImportError:
                namespace = {}
        self.c = controller or PanelController(workspace, project, namespace=namespace)
        self._build()
        self.c.on_change(self._redraw)
        self.c.connect()

    # --- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        c = self.c
        self.header = W.HTML("<b>QuantConnect</b> connecting…")
        self.project = W.Dropdown(description="Project", options=[], style=WIDE,
                                  layout=W.Layout(width="420px"))
        # Each tab's last action's result or error, next to its buttons (controller.status).
        self.status_views = {tab: W.HTML(layout=W.Layout(min_height="1.6em")) for tab in TABS}
        self._drawing = False   # set while redrawing, so widget events we cause are not actions
        self.project.observe(lambda ch: ch["new"] and not self._drawing
                             and c.select_project(ch["new"]), names="value")

        # files
        self.files_table = W.HTML()
        self.files = W.SelectMultiple(options=[], rows=8, description="Files", style=WIDE,
                                      layout=W.Layout(width="420px"))
        self.pull_button = _button("Pull", "primary", "Bring cloud changes here")
        self.push_button = _button("Push", "primary", "Send local changes to the cloud")
        self.diff_button = _button("Diff", tooltip="Local vs cloud, for one selected file")
        self.refresh_button = _button("Refresh", tooltip="Read both sides again")
        self.sync_button = _button("Sync this notebook", "info")
        self.notebook = W.Text(placeholder="this notebook's name, e.g. research.ipynb",
                               value=c.notebook or "", layout=W.Layout(width="300px"))
        # Live sync: pushes saves and pulls cloud changes until switched off (controller.live_sync).
        self.live_toggle = W.ToggleButton(value=False, description="Live sync", icon="refresh",
                                          tooltip="Keep this folder and the cloud project in "
                                                  "sync both ways; a conflict stops that file "
                                                  "and keeps both versions",
                                          layout=W.Layout(width="auto"))
        self.live_toggle.observe(lambda ch: not self._drawing and c.live_sync(ch["new"]),
                                 names="value")
        self.conflict_box = W.VBox([])
        self.diff_view = W.HTML()
        self.pull_button.on_click(lambda b: c.pull(list(self.files.value)))
        self.push_button.on_click(lambda b: c.push(list(self.files.value)))
        self.diff_button.on_click(lambda b: c.show_diff(self.files.value[0] if self.files.value
                                                        else None))
        self.refresh_button.on_click(lambda b: c.refresh_files())
        self.sync_button.on_click(lambda b: c.sync_notebook(self.notebook.value.strip() or None))
        files_tab = W.VBox([self.status_views["files"], self.files_table, self.files,
                            W.HBox([self.pull_button, self.push_button, self.diff_button,
                                    self.refresh_button]),
                            W.HBox([self.sync_button, self.notebook, self.live_toggle]),
                            self.conflict_box,
                            self.diff_view])

        # backtests
        self.backtests_table = W.HTML()
        self.backtest = W.Dropdown(description="Backtest", options=[], style=WIDE,
                                   layout=W.Layout(width="420px"))
        self.bt_name = W.Text(description="Name", placeholder="optional", style=WIDE)
        self.bt_params = W.Text(description="Parameters", style=WIDE,
                                placeholder="e.g. ema_fast=10, ema_slow=50")
        self.run_button = _button("Run backtest", "success")
        self.cancel_button = _button("Cancel", "warning", "Stop waiting; the job goes on")
        # Shown only while a job runs; when it ends the tab's status line says how it ended.
        self.progress = W.FloatProgress(value=0, min=0, max=1, description="", style=WIDE,
                                        layout=W.Layout(width="360px", display="none"))
        self.variable = W.Text(value="bt", description="Variable", style=WIDE,
                               layout=W.Layout(width="220px"))
        self.load_button = _button("Load", tooltip="Put the selected backtest in the variable")
        self.plot_button = _button("Plot", tooltip="Equity and drawdown of the selected backtest")
        self.plot_view = W.Output()
        self.log_tail = W.Textarea(value="", disabled=True, rows=LOG_TAIL_LINES,
                                   placeholder="the selected backtest's last log lines",
                                   description="Its log", style=WIDE,
                                   layout=W.Layout(width="100%"))
        # A person's selection reads its log; a redraw's passing values do not (see below).
        self.backtest.observe(lambda ch: not self._drawing and c.select_backtest(ch["new"]),
                              names="value")
        self.run_button.on_click(lambda b: c.run_backtest(self.bt_name.value, self.bt_params.value))
        self.cancel_button.on_click(lambda b: c.cancel())
        self.load_button.on_click(lambda b: c.load_backtest(self.backtest.value,
                                                            self.variable.value))
        self.plot_button.on_click(lambda b: c.plot_backtest(self.backtest.value))
        backtests_tab = W.VBox([self.status_views["backtests"], self.backtests_table,
                                W.HBox([self.bt_name, self.bt_params]),
                                W.HBox([self.run_button, self.cancel_button, self.progress]),
                                self.backtest, W.HBox([self.variable, self.load_button,
                                                       self.plot_button]), self.log_tail,
                                self.plot_view])

        # optimizations
        # Empty, with a hint that reads as a hint (a sample grid would look like a typed value).
        self.ranges = W.Textarea(value="", description="Ranges", placeholder=RANGES_HINT,
                                 rows=3, style=WIDE, layout=W.Layout(width="460px"))
        self.target = W.Dropdown(description="Target", options=TARGETS, value=DEFAULT_TARGET,
                                 style=WIDE)
        self.direction = W.ToggleButtons(options=["max", "min"], description="Aim", style=WIDE,
                                         value=default_direction(DEFAULT_TARGET))
        self.node = W.Dropdown(description="Node", options=NODE_TYPES, value=DEFAULT_NODE_TYPE,
                               style=WIDE)
        self.parallel = W.BoundedIntText(value=DEFAULT_PARALLEL_NODES, min=1,
                                         max=NODE_LIMITS[DEFAULT_NODE_TYPE],
                                         description="Parallel nodes", style=WIDE)
        # The aim follows the target (drawdown is minimised), the most nodes follow the node.
        self.target.observe(lambda ch: setattr(self.direction, "value",
                                               default_direction(ch["new"])), names="value")
        self.node.observe(lambda ch: setattr(self.parallel, "max", NODE_LIMITS[ch["new"]]),
                          names="value")
        self.estimate_button = _button("Estimate", "info", "What it would take and cost (free)")
        self.estimate_view = W.HTML()
        self.confirm_button = _button("Confirm and run", "danger",
                                      "Start the optimization just estimated; this costs money")
        self.confirm_button.disabled = True
        self.opt_progress = W.FloatProgress(value=0, min=0, max=1, style=WIDE,
                                            layout=W.Layout(width="360px", display="none"))
        self.grid_view = W.HTML()
        self.heatmap_view = W.Output()
        self.estimate_button.on_click(lambda b: c.estimate_optimization(
            self.ranges.value, self.target.value, self.direction.value, self.node.value,
            self.parallel.value))
        self.confirm_button.on_click(lambda b: c.confirm_optimization())
        opt_tab = W.VBox([self.status_views["optimizations"], self.ranges,
                          W.HBox([self.target, self.direction]),
                          W.HBox([self.node, self.parallel]), self.estimate_button,
                          self.estimate_view, W.HBox([self.confirm_button, self.opt_progress]),
                          self.grid_view, self.heatmap_view])

        self.tabs = W.Tab(children=[files_tab, backtests_tab, opt_tab])
        for i, title in enumerate(["Files", "Backtests", "Optimizations"]):
            self.tabs.set_title(i, title)
        self.log = W.Textarea(value="", disabled=True, rows=6, style=WIDE,
                              layout=W.Layout(width="100%"), description="Activity")
        self.widget = W.VBox([W.HBox([self.header]), self.project, self.tabs, self.log],
                             layout=W.Layout(border="1px solid #ddd", padding="6px"))
        self.widget.add_class("qc-panel")

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # Where the widget cannot be drawn (a reader without the widget state, a text export),
        # one line that says what was here instead of "VBox(children=(HBox(...".
        if isinstance(bundle, dict) and "text/plain" in bundle:
            where = f" for project {self.c.project_ref}" if self.c.project_ref else ""
            bundle["text/plain"] = (f"QuantConnect panel{where} (a widget: shown while its "
                                    "kernel runs; %qc panel opens it again)")
        return bundle

    # --- redraw on the controller's word --------------------------------------------------------
    def _redraw(self, topic: str) -> None:
        self._drawing = True
        try:
            getattr(self, f"_draw_{topic.replace('-', '_')}", lambda: None)()
        finally:
            self._drawing = False

    def _draw_log(self) -> None:
        # Newest first: the line an action just wrote is the one in view.
        self.log.value = "\n".join(reversed(self.c.log[-200:]))

    def _draw_status(self) -> None:
        for tab, view in self.status_views.items():
            line = self.c.status.get(tab, "")
            failed = tab in self.c.status_failed
            color = "#c62828" if failed else "#2e7d32"
            view.value = (f"<div class='qc-status qc-status-{tab}"
                          f"{' qc-status-failed' if failed else ''}' style='color:{color};"
                          f"font-size:12px;padding:2px 0'>{html.escape(line)}</div>"
                          if line else "")

    def _draw_connection(self) -> None:
        if self.c.connection_error:
            self.header.value = ("<b>QuantConnect</b> &middot; <span class='qc-not-connected' "
                                 "style='color:#c62828'>not connected: "
                                 f"{html.escape(self.c.connection_error)}</span>")
            return
        info = self.c.connection
        self.header.value = (f"<b>QuantConnect</b> &middot; user {html.escape(str(info['user']))}"
                             f" &middot; organization {html.escape(str(info['organization']))}"
                             f" &middot; <code>{html.escape(info['api_url'])}</code>")
        current = self.project.value
        self.project.options = [("", None)] + self.c.projects
        if current in [v for _, v in self.c.projects]:
            self.project.value = current

    def _draw_project(self) -> None:
        if self.c.project_id in [v for _, v in self.c.projects]:
            self.project.value = self.c.project_id

    def _draw_files(self) -> None:
        report = self.c.files
        rows = "".join(
            f"<tr><td>{html.escape(f.name)}</td><td style='color:{STATE_COLORS[f.state]};"
            f"font-weight:600' class='qc-state-{f.state}'>{f.state}</td>"
            f"<td>{'' if f.local_size is None else f.local_size}</td>"
            f"<td>{'' if f.cloud_size is None else f.cloud_size}</td></tr>"
            for f in report.files)
        self.files_table.value = ("<table class='qc-files' style='font-size:12px'><tr>"
                                  "<th>file</th><th>state</th>"
                                  f"<th>local</th><th>cloud</th></tr>{rows}</table>")
        keep = [n for n in self.files.value if n in [f.name for f in report.files]]
        self.files.options = [f.name for f in report.files]
        self.files.value = tuple(keep)

    def _draw_conflicts(self) -> None:
        boxes = []
        for name in self.c.conflicts:
            mine = _button(f"Keep mine: push {name}", "warning")
            theirs = _button(f"Take the cloud's: pull {name}", "warning")
            mine.on_click(lambda b, n=name: self.c.resolve(n, "mine"))
            theirs.on_click(lambda b, n=name: self.c.resolve(n, "cloud"))
            boxes.append(W.HBox([W.HTML(f"<b>conflict</b> {html.escape(name)}: "), mine, theirs]))
        self.conflict_box.children = boxes

    def _draw_live(self) -> None:
        self.live_toggle.value = self.c.live is not None

    def _draw_ask_notebook(self) -> None:
        self.notebook.layout.border = "2px solid #ef6c00"

    def _draw_diff(self) -> None:
        self.diff_view.value = self.c.diff._repr_html_() if self.c.diff is not None else ""

    def _draw_backtests(self) -> None:
        frame = self.c.backtests
        if frame is None or frame.empty:
            self.backtests_table.value = "<i>no backtests yet</i>"
            self.backtest.options = []
            return
        from ..results.formats import backtest_status, format_statistic

        # The same numbers as every other face: Sharpe to 3 decimals, percents to 2.
        shown = [("sharpe_ratio", "Sharpe Ratio"), ("compounding_annual_return",
                  "Compounding Annual Return"), ("drawdown", "Drawdown"),
                 ("net_profit", "Net Profit"), ("trades", "Total Orders")]
        right = "style='padding:2px 10px;text-align:right'"
        rows = "".join(
            f"<tr><td>{html.escape(str(r['name']))}</td><td><code>{bid[:8]}</code></td>"
            f"<td>{html.escape(backtest_status(r['status'], r.get('progress')))}</td>"
            + "".join(f"<td {right}>{format_statistic(stat, r[column])}</td>"
                      for column, stat in shown)
            + "</tr>"
            for bid, r in frame.iterrows())
        head = "".join(f"<th style='{CELL}'>{h}</th>" for h in (
            "backtest", "id", "status", "Sharpe", "CAR", "drawdown", "net profit", "trades"))
        self.backtests_table.value = (
            "<table class='qc-backtests' style='border-collapse:collapse;font-size:12px'>"
            f"<tr>{head}</tr>{rows.replace('<td>', f'<td style={chr(34)}{CELL}{chr(34)}>')}"
            "</table>")
        self.backtest.options = [(f"{row['name']} ({bid[:8]})", bid)
                                 for bid, row in frame.iterrows()]
        # The controller's choice: a backtest just run, else the kept selection, else the newest.
        if self.c.selected_backtest in frame.index:
            self.backtest.value = self.c.selected_backtest

    def _draw_figure(self) -> None:
        self._show_png(self.plot_view, self.c.figure or b"")

    @staticmethod
    def _show_png(output: W.Output, png: bytes) -> None:
        # The output record itself: Output.append_display_data would make an InteractiveShell
        # singleton of its own to format it, which clashes with the shell a test or app has.
        output.outputs = ({"output_type": "display_data", "metadata": {},
                           "data": {"image/png": base64.b64encode(png).decode(),
                                    "text/plain": "<figure>"}},)

    def _draw_log_tail(self) -> None:
        # Lines the algorithm wrote: escaped, so a control or bidi character shows as what it is.
        self.log_tail.value = "\n".join(printable(line) for line in self.c.log_tail)

    def _draw_job(self) -> None:
        busy = self.c.busy
        for button in (self.pull_button, self.push_button, self.sync_button, self.run_button,
                       self.estimate_button, self.load_button):
            button.disabled = busy
        self.confirm_button.disabled = busy or self.c.estimate is None
        self.cancel_button.disabled = not busy
        target = self.opt_progress if self.c.job_label == "run optimization" else self.progress
        # Only while a job runs: a saved notebook keeps the status line's summary, not a bar.
        for bar in (self.progress, self.opt_progress):
            shown = busy and bar is target
            bar.layout.display = "" if shown else "none"
            bar.value = self.c.job_progress if shown else 0.0
            bar.description = self.c.job_label if shown else ""

    def _draw_estimate(self) -> None:
        est, spent = self.c.estimate, self.c.spent_estimate
        # The estimate stays in view after its run, marked as what the run was held to.
        text = (str(est) if est else
                f"{spent} Confirmed for the last run; estimate again for another." if spent
                else "")
        self.estimate_view.value = (f"<div class='qc-estimate'>{html.escape(text)}</div>"
                                    if text else "")
        self.confirm_button.disabled = self.c.busy or est is None

    def _draw_optimization(self) -> None:
        from ..results.display import grid_view
        opt = self.c.optimization
        # Compact (parameters, the target, key statistics, best first) and scrolling sideways
        # inside the panel rather than widening it.
        self.grid_view.value = (
            "<div class='qc-grid' style='overflow-x:auto;max-width:100%'>"
            f"{grid_view(opt)._repr_html_()}</div>" if len(opt.grid) else "")
        if self.c.heatmap:
            self._show_png(self.heatmap_view, self.c.heatmap)
