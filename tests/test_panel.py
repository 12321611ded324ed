"""The panel, headless: through its controller and through its widgets (.click(), .value)."""
from __future__ import annotations

import threading

import matplotlib
import pytest

from qc_magics.workspace import Settings, Workspace
from conftest import make_client
from qc_magics.results import Backtest
from qc_magics.widgets.controller import PanelController, run_now
from qc_magics.widgets.notebook import find_notebook, locate_notebook

matplotlib.use("Agg")


@pytest.fixture
def session(emu_env, emu, tmp_path):
    # A client retrying in milliseconds: a test of a 500 must not sleep the real backoff.
    return Workspace(Settings(folder=str(tmp_path), progress="none", poll_interval=0.01),
                     client=make_client(emu), prog="%qc")


@pytest.fixture
def project(session):
    return session.client.create_project("Panel Project")["projectId"]


@pytest.fixture
def controller(session, project):
    c = PanelController(session, str(project), namespace={}, runner=run_now)
    c.connect()
    return c


def test_connects_without_showing_the_token(controller, emu):
    assert controller.connection["user"] == emu.user_id
    assert emu.api_token not in repr(controller.connection) + "\n".join(controller.log)
    assert controller.files.states() == {"main.py": "cloud-only", "research.ipynb": "cloud-only"}


def test_pull_push_and_a_conflict_that_is_never_settled_silently(controller, emu, tmp_path,
                                                                  project):
    controller.pull(["main.py", "research.ipynb"])
    assert set(controller.files.states().values()) == {"in-sync"}
    (tmp_path / "main.py").write_text("local = 1\n")
    controller.push(["main.py"])
    assert emu.cloud_files(project)["main.py"] == "local = 1\n"
    (tmp_path / "main.py").write_text("local = 2\n")
    emu.cloud_write(project, "main.py", "cloud = 2\n")
    controller.refresh_files()
    assert controller.files.states()["main.py"] == "conflict"
    controller.sync_notebook("main.py")
    assert controller.conflicts == ["main.py"]
    assert (tmp_path / "main.py").read_text() == "local = 2\n"           # nothing picked
    assert emu.cloud_files(project)["main.py"] == "cloud = 2\n"
    controller.resolve("main.py", "mine")
    assert emu.cloud_files(project)["main.py"] == "local = 2\n" and controller.conflicts == []


def test_take_the_cloud_backs_up_local_work(controller, emu, tmp_path, project):
    controller.pull(["main.py"])
    (tmp_path / "main.py").write_text("mine = 1\n")
    emu.cloud_write(project, "main.py", "theirs = 1\n")
    controller.pull(["main.py"])
    assert controller.conflicts == ["main.py"] and (tmp_path / "main.cloud.py").exists()
    controller.resolve("main.py", "cloud")
    assert (tmp_path / "main.py").read_text() == "theirs = 1\n"
    assert [p.read_text() for p in (tmp_path / ".qc-sync" / "backups").rglob("main.py")] == \
        ["mine = 1\n"]


def test_api_errors_land_in_the_log(controller, emu):
    emu.script_fault("/files/read", "500", times=10)
    controller.refresh_files()
    assert "refresh files failed:" in controller.log[-1] and "HTTP 500" in controller.log[-1]
    assert "/files/read" not in controller.log[-1] and "/files/read" not in \
        controller.status["files"]   # people read what failed, not the endpoint
    controller.pull([])
    assert controller.log[-1].endswith("pull: select the files first")


def test_run_load_and_plot_a_backtest(controller):
    controller.run_backtest("from panel", "ema=10, mode=long")   # the service keeps 10 a number
    assert controller.backtests["name"].tolist() == ["from panel"]
    bid = controller.backtests.index[0]
    controller.load_backtest(bid, "bt")
    loaded = controller.namespace["bt"]
    assert isinstance(loaded, Backtest) and loaded.parameters == {"ema": 10, "mode": "long"}
    assert not controller.busy


def test_cancel_stops_waiting_but_keeps_the_cloud_job(session, project, emu):
    emu.app.timing.scale = 1.0
    started = threading.Event()
    c = PanelController(session, str(project), namespace={})     # real background thread
    c.connect()
    c.on_change(lambda topic: topic == "job" and c.busy and started.set())
    c.run_backtest("long one")
    assert started.wait(10) and c.busy
    c.cancel()
    deadline = threading.Event()
    for _ in range(200):
        if not c.busy:
            break
        deadline.wait(0.05)
    assert not c.busy
    assert any("stopped following backtest" in line for line in c.log)
    assert len(session.client.list_backtests(project)) == 1          # still there, not deleted
    assert emu.count("/backtests/delete") == 0


def test_optimization_needs_an_estimate_before_confirm(controller, emu):
    controller.confirm_optimization()
    assert controller.log[-1].endswith("estimate it first, then confirm")
    assert emu.count("/optimizations/create") == 0
    controller.estimate_optimization("fast=1:3:1\nslow=10:20:10", "sharpe", "max", "O2-8", 2)
    assert controller.estimate.backtests == 6
    controller.confirm_optimization()
    assert controller.optimization.status == "completed" and len(controller.optimization.grid) == 6
    assert controller.estimate is None          # a second run needs a second estimate
    controller.confirm_optimization()
    assert emu.count("/optimizations/create") == 1


def test_the_notebook_is_found_from_the_front_end(tmp_path, monkeypatch):
    nb = tmp_path / "study.ipynb"
    nb.write_text("{}")
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    # VS Code: the absolute path in the namespace.
    assert find_notebook({"__vsc_ipynb_file__": str(nb)}, tmp_path) == "study.ipynb"
    # JupyterLab and Notebook 7: ipykernel's `__session__`, from the server's JPY_SESSION_NAME.
    assert find_notebook({"__session__": str(nb)}, tmp_path) == "study.ipynb"
    assert locate_notebook({"__session__": str(nb)}, tmp_path).source == "the Jupyter session"
    # The environment variable itself: absolute, or relative to the server's root (the kernel
    # runs in the notebook's directory).
    monkeypatch.setenv("JPY_SESSION_NAME", str(nb))
    assert find_notebook({}, tmp_path) == "study.ipynb"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/study.ipynb")
    assert find_notebook({}, tmp_path) == "study.ipynb"
    # A console's session, an unsaved notebook, or nothing said: not found.
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "console-1"))
    assert find_notebook({"__session__": str(tmp_path / "gone.ipynb")}, tmp_path) is None
    monkeypatch.delenv("JPY_SESSION_NAME")
    assert find_notebook({}, tmp_path) is None


def test_a_notebook_in_a_subfolder_keeps_its_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    (tmp_path / "research").mkdir()
    nb = tmp_path / "research" / "deep.ipynb"
    nb.write_text("{}")
    assert find_notebook({"__vsc_ipynb_file__": str(nb)}, tmp_path) == "research/deep.ipynb"


def test_a_notebook_outside_the_folder_is_not_synced_and_says_where_it_would_go(
        session, project, tmp_path, monkeypatch, emu):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir()
    nb = outside / "analysis.ipynb"
    nb.write_text("{}")
    assert find_notebook({"__session__": str(nb)}, tmp_path) is None
    place = locate_notebook({"__session__": str(nb)}, tmp_path)
    assert place.path == nb.resolve() and place.name is None
    c = PanelController(session, str(project), namespace={"__session__": str(nb)},
                        runner=run_now)
    c.connect()
    before = emu.count("/files/create") + emu.count("/files/update")
    c.sync_notebook()
    line = c.status["files"]
    assert "analysis.ipynb is outside the synced folder" in line
    assert str(tmp_path / "analysis.ipynb") in line and "files" in c.status_failed
    assert emu.count("/files/create") + emu.count("/files/update") == before   # nothing sent
    assert "analysis.ipynb" not in emu.cloud_files(project)


def test_this_notebook_in_the_folder_is_pushed_by_sync(session, project, tmp_path, monkeypatch,
                                                       emu):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    import nbformat
    nb = tmp_path / "mine.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), nb)
    c = PanelController(session, str(project), namespace={"__vsc_ipynb_file__": str(nb)},
                        runner=run_now)
    c.connect()
    assert c.notebook == "mine.ipynb"
    c.sync_notebook()
    assert "mine.ipynb" in emu.cloud_files(project) and "files" not in c.status_failed


# --- through the widgets ---------------------------------------------------------------------

@pytest.fixture
def panel(session, project):
    from qc_magics.widgets import Panel
    c = PanelController(session, str(project), namespace={}, runner=run_now)
    return Panel(session, str(project), controller=c)


def test_widgets_show_state_and_buttons_act(panel, emu, tmp_path, project):
    assert "user 4242" in panel.header.value and emu.api_token not in panel.header.value
    assert panel.project.value == project
    assert "qc-state-cloud-only" in panel.files_table.value
    panel.files.value = ("main.py",)
    panel.pull_button.click()
    assert "qc-state-in-sync" in panel.files_table.value and (tmp_path / "main.py").exists()
    (tmp_path / "main.py").write_text("changed = True\n")
    panel.refresh_button.click()
    assert "qc-state-local-changed" in panel.files_table.value
    panel.files.value = ("main.py",)
    panel.diff_button.click()
    assert "+changed = True" in panel.diff_view.value
    panel.push_button.click()
    assert emu.cloud_files(project)["main.py"] == "changed = True\n"
    assert "push main.py: pushed" in panel.log.value


def test_widgets_conflict_offers_both_choices(panel, emu, tmp_path, project):
    panel.files.value = ("main.py",)
    panel.pull_button.click()
    (tmp_path / "main.py").write_text("mine\n")
    emu.cloud_write(project, "main.py", "theirs\n")
    panel.notebook.value = "main.py"
    panel.sync_button.click()
    buttons = panel.conflict_box.children[0].children[1:]
    assert [b.description for b in buttons] == ["Keep mine: push main.py",
                                                "Take the cloud's: pull main.py"]
    buttons[1].click()
    assert (tmp_path / "main.py").read_text() == "theirs\n"
    assert panel.conflict_box.children == ()


def test_widgets_run_load_plot_and_optimize(panel, emu):
    panel.bt_name.value = "widget run"
    panel.bt_params.value = "ema=5"
    panel.run_button.click()
    assert panel.backtest.options[0][0].startswith("widget run")
    panel.backtest.value = panel.backtest.options[0][1]
    panel.variable.value = "loaded"
    panel.load_button.click()
    assert isinstance(panel.c.namespace["loaded"], Backtest)
    panel.plot_button.click()
    assert panel.plot_view.outputs                       # the figure went into the Output
    assert panel.confirm_button.disabled
    panel.ranges.value = "a=1:2:1\nb=5:10:5"
    panel.parallel.value = 2
    panel.estimate_button.click()
    assert "4 backtests" in panel.estimate_view.value and not panel.confirm_button.disabled
    panel.confirm_button.click()
    assert "qc-grid" in panel.grid_view.value and panel.confirm_button.disabled
    assert panel.heatmap_view.outputs


def test_busy_disables_clashing_buttons(panel):
    panel.c.busy, panel.c.job_label = True, "run backtest"
    panel._redraw("job")
    assert panel.run_button.disabled and panel.push_button.disabled
    assert not panel.cancel_button.disabled
    panel.c.busy = False
    panel._redraw("job")
    assert not panel.run_button.disabled and panel.cancel_button.disabled


def test_qc_panel_magic_returns_the_panel(emu, monkeypatch, tmp_path, ipshell):
    monkeypatch.setenv("QC_USER_ID", emu.user_id)
    monkeypatch.setenv("QC_API_TOKEN", emu.api_token)
    monkeypatch.setenv("QC_API_URL", emu.api_url)
    ip = ipshell
    ip.run_line_magic("load_ext", "qc_magics")
    try:
        from qc_magics import QCClient
        pid = QCClient(**emu.client_kwargs()).create_project("Magic Panel")["projectId"]
        magics = ip.magics_manager.registry["QCMagics"]
        magics.session.reset_client()
        ip.run_line_magic("config", f"QCMagics.folder = {str(tmp_path)!r}")
        shown = ip.run_line_magic("qc", f"panel --project {pid}")
        bundle = shown._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle
        # Without the widget, one line says what was there.
        assert bundle["text/plain"] == (f"QuantConnect panel for project {pid} (a widget: shown "
                                        "while its kernel runs; %qc panel opens it again)")
    finally:
        ip.run_line_magic("unload_ext", "qc_magics")


def test_the_selected_backtest_shows_its_last_log_lines_read_cheaply(controller, emu):
    controller.run_backtest("logged")
    bid = controller.backtests.index[0]
    every = controller.ws.backtest(bid, project=controller.project_ref).logs_frame()
    raw_tail = [line for line in controller.ws.client.read_backtest_log(
        int(controller.project_ref), bid, len(every) - 10, len(every))["logs"]]
    before = emu.count("/backtests/read/log")
    controller.show_log_tail(bid)
    assert controller.log_tail == raw_tail and len(raw_tail) == 10
    assert raw_tail[-1].endswith(every["message"].iloc[-1])
    assert emu.count("/backtests/read/log") - before == 2   # length first, then the end
    controller.show_log_tail(None)
    assert controller.log_tail == []
    controller.show_log_tail("nope")
    assert controller.log_tail == [] and "log of backtest nope failed" in controller.log[-1]


def test_a_short_log_costs_one_request():
    from qc_magics.results.logs import last_lines
    calls = []

    def fetch(start, end):
        calls.append((start, end))
        return {"logs": ["a", "b", "c"][start:end], "length": 3}
    assert last_lines(fetch, 10) == ["a", "b", "c"] and calls == [(0, 10)]
    calls.clear()
    many = [f"line {i}" for i in range(1000)]
    assert last_lines(lambda s, e: calls.append((s, e)) or {"logs": many[s:e + 1],  # inclusive
                                                              "length": 1000}, 5) == many[-5:]
    assert calls == [(0, 5), (995, 1000)]


def test_widgets_show_the_selected_backtests_log(panel, emu):
    before = emu.count("/backtests/read/log")
    panel.run_button.click()          # the new backtest becomes the selection, which reads its log
    assert emu.count("/backtests/read/log") - before == 2   # once, not per passing value
    lines = panel.log_tail.value.splitlines()
    assert len(lines) == 10 and lines == panel.c.log_tail and panel.c.log_tail
    panel.run_button.click()
    before = emu.count("/backtests/read/log")
    other = next(bid for _, bid in panel.backtest.options if bid != panel.backtest.value)
    panel.backtest.value = other      # selecting another reads that one's log
    assert emu.count("/backtests/read/log") - before == 2
    assert panel.log_tail.value.splitlines() == panel.c.log_tail


# --- what a user sees: feedback next to the action ---------------------------------------------

def test_every_action_sets_its_tabs_status_line(controller, emu, tmp_path):
    assert controller.status["files"].startswith("refreshed: 2 files")
    controller.pull(["main.py"])
    assert controller.status["files"] == "pulled main.py"
    controller.push([])
    assert controller.status["files"] == "push: select the files first"
    assert "files" in controller.status_failed
    (tmp_path / "main.py").write_text("x = 1\n")
    controller.push(["main.py"])
    assert controller.status["files"] == "pushed main.py"
    assert "files" not in controller.status_failed
    emu.script_fault("/files/read", "500", times=10)
    controller.refresh_files()
    assert controller.status["files"].startswith("refresh files failed:")
    assert "HTTP 500" in controller.status["files"] and "files" in controller.status_failed
    assert controller.status["backtests"].startswith("refreshed: 0 backtests")   # untouched
    controller.run_backtest("status run")
    bid = controller.backtests.index[0]
    # The job's end as plain text: what a saved notebook still shows once the bar is gone.
    assert controller.status["backtests"].startswith(f"backtest {bid} ('status run'): Completed")
    assert "Sharpe" in controller.status["backtests"]
    controller.load_backtest(None, "not an identifier")
    assert controller.status["backtests"].startswith("load: select a backtest")
    controller.confirm_optimization()
    assert controller.status["optimizations"] == "run optimization: estimate it first, then confirm"


def test_a_failed_job_says_so_in_its_tab(controller, emu):
    emu.script_fault("/backtests/create", "500", times=10)
    controller.run_backtest("doomed")
    assert controller.status["backtests"].startswith("run backtest failed:")
    assert "backtests" in controller.status_failed and not controller.busy
    assert controller.log[-1].endswith(controller.status["backtests"])


def test_diff_and_refresh_are_logged(controller, tmp_path):
    controller.pull(["main.py"])
    (tmp_path / "main.py").write_text("changed = 1\n")
    controller.refresh_files()
    assert controller.log[-1].endswith("refreshed: 2 files: 1 local-changed, 1 cloud-only")
    controller.show_diff("main.py")
    assert controller.log[-1].endswith("diff main.py: differences shown below")
    assert controller.status["files"] == "diff main.py: differences shown below"
    controller.refresh_backtests()
    assert controller.log[-1].endswith("refreshed: 0 backtests")


def test_push_and_pull_clear_the_stale_diff(controller, tmp_path):
    controller.pull(["main.py"])
    (tmp_path / "main.py").write_text("changed = 1\n")
    controller.show_diff("main.py")
    assert controller.diff
    controller.push(["main.py"])
    assert controller.diff is None
    controller.show_diff("main.py")
    assert controller.diff is not None
    controller.pull(["main.py"])
    assert controller.diff is None


def test_an_empty_estimate_asks_nothing(controller, emu):
    before = len(emu.requests)
    controller.estimate_optimization("  \n ")
    assert len(emu.requests) == before and emu.count("/optimizations/estimate") == 0
    assert controller.status["optimizations"].startswith("estimate: no ranges; type one NAME=")
    assert "optimizations" in controller.status_failed and controller.estimate is None


def test_the_backtest_just_run_is_selected_and_loaded(controller):
    controller.run_backtest("first")
    first = controller.selected_backtest
    assert controller.log_tail_of == first and controller.log_tail
    controller.run_backtest("second")
    second = controller.selected_backtest
    assert second != first and controller.log_tail_of == second
    controller.select_backtest(first)
    controller.run_backtest("third")       # the new one wins over the person's earlier choice
    third = controller.selected_backtest
    assert third not in (first, second) and controller.log_tail_of == third
    controller.load_backtest(None, "bt")   # no id: the selected one
    assert controller.namespace["bt"].id == third
    controller.refresh_backtests()         # a refresh keeps the selection
    assert controller.selected_backtest == third


def test_the_estimate_stays_and_the_run_ends_in_a_summary(controller):
    controller.estimate_optimization("fast=1:3:1\nslow=10:20:10", "sharpe", "max", "O2-8", 2)
    estimate = controller.estimate
    controller.confirm_optimization()
    assert controller.estimate is None and controller.spent_estimate is estimate
    opt = controller.optimization
    line = controller.status["optimizations"]
    assert line.startswith(f"optimization {opt.id} completed: 6 backtests; best: fast=")
    assert "Sharpe" in line


# --- the same, through the widgets --------------------------------------------------------------

def test_widgets_status_lines_are_escaped_and_next_to_the_action(panel, emu, tmp_path):
    files_tab, backtests_tab, opt_tab = panel.tabs.children
    assert files_tab.children[0] is panel.status_views["files"]
    assert backtests_tab.children[0] is panel.status_views["backtests"]
    assert opt_tab.children[0] is panel.status_views["optimizations"]
    panel.files.value = ("main.py",)
    panel.pull_button.click()
    assert ">pulled main.py</div>" in panel.status_views["files"].value
    panel.files.value = ()
    panel.push_button.click()
    assert "qc-status-failed" in panel.status_views["files"].value
    assert "push: select the files first" in panel.status_views["files"].value
    panel.bt_name.value = "<img src=x onerror=alert(1)>"
    panel.run_button.click()
    shown = panel.status_views["backtests"].value
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown and "<img" not in shown
    assert ": Completed, Sharpe" in shown
    # The bar is gone once the job ended; the status line holds the result.
    assert panel.progress.layout.display == "none" and not panel.progress.description


def test_widgets_log_shows_the_newest_first(panel, tmp_path):
    panel.files.value = ("main.py",)
    panel.pull_button.click()
    panel.refresh_button.click()
    panel.diff_button.click()
    lines = panel.log.value.splitlines()
    assert lines[0].endswith("diff main.py: no differences")
    assert lines[1].endswith("refreshed: 2 files: 1 in-sync, 1 cloud-only")
    assert lines.index(next(l for l in lines if l.endswith("pulled main.py"))) > 1


def test_widgets_clear_the_diff_after_push(panel, tmp_path):
    panel.files.value = ("main.py",)
    panel.pull_button.click()
    (tmp_path / "main.py").write_text("changed = True\n")
    panel.files.value = ("main.py",)
    panel.diff_button.click()
    assert "+changed = True" in panel.diff_view.value
    panel.push_button.click()
    assert panel.diff_view.value == ""


def test_widgets_empty_ranges_show_a_hint_and_ask_nothing(panel, emu):
    assert panel.ranges.value == ""
    assert panel.ranges.placeholder.startswith("one NAME=MIN:MAX:STEP per line")
    for widget in (panel.ranges, panel.parallel, panel.target, panel.bt_params, panel.variable):
        assert widget.style.description_width == "initial"
    assert panel.parallel.description == "Parallel nodes"
    before = len(emu.requests)
    panel.estimate_button.click()
    assert len(emu.requests) == before
    assert "estimate: no ranges" in panel.status_views["optimizations"].value
    assert panel.estimate_view.value == "" and panel.confirm_button.disabled


def test_widgets_select_the_backtest_just_run_and_load_it(panel):
    panel.bt_name.value = "one"
    panel.run_button.click()
    panel.bt_name.value = "two"
    panel.run_button.click()
    newest = panel.c.backtests.index[0]
    older = panel.c.backtests.index[1]
    assert panel.backtest.value == newest
    panel.backtest.value = older                 # the person picks the older one
    assert panel.c.selected_backtest == older and panel.c.log_tail_of == older
    panel.bt_name.value = "three"
    panel.run_button.click()
    newest = panel.c.backtests.index[0]
    assert panel.backtest.value == newest and panel.backtest.label.startswith("three")
    assert panel.log_tail.value.splitlines() == panel.c.log_tail and panel.c.log_tail_of == newest
    panel.variable.value = "chosen"
    panel.load_button.click()
    assert panel.c.namespace["chosen"].id == newest
    panel.backtest.value = older
    panel.load_button.click()
    assert panel.c.namespace["chosen"].id == older


def test_widgets_grid_is_compact_scrolls_and_the_estimate_stays(panel):
    panel.ranges.value = "a=1:2:1\nb=5:10:5"
    panel.parallel.value = 2
    panel.estimate_button.click()
    panel.confirm_button.click()
    grid = panel.grid_view.value
    assert "overflow-x:auto" in grid and "max-width:100%" in grid
    opt = panel.c.optimization
    from qc_magics.results.display import grid_view
    view = grid_view(opt)
    headers = view.cells.headers
    assert headers[:2] == ["a", "b"] and len(headers) <= 2 + 7 < len(opt.grid.columns)
    assert all(f">{h}</th>" in grid for h in headers)
    assert headers[2] == "Sharpe"                        # the target, then key statistics
    best = opt.grid.sort_values("Sharpe Ratio", ascending=False).iloc[0]
    assert view.cells.rows[0][:2] == [str(int(best["a"])), str(int(best["b"]))]   # best first
    assert "best: a=" in grid
    # The estimate the run was held to is still in view, the run's summary in its status line.
    assert "4 backtests" in panel.estimate_view.value and panel.confirm_button.disabled
    assert "completed: 4 backtests; best: a=" in panel.status_views["optimizations"].value
    assert panel.opt_progress.layout.display == "none"


# --- when connecting fails ------------------------------------------------------------------

@pytest.mark.parametrize("how", ["wrong token", "nothing listening"])
def test_the_header_says_why_connecting_failed(emu, tmp_path, how):
    from qc_magics import QCClient
    from qc_magics.api import RetryPolicy, Timeouts
    from qc_magics.widgets import Panel
    from conftest import new_token
    token = new_token() if how == "wrong token" else emu.api_token
    url = emu.api_url
    if how == "nothing listening":
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]          # closed again: nothing listens there
        url = f"http://127.0.0.1:{port}/api/v2"
    client = QCClient(user_id=emu.user_id, api_token=token, api_url=url,
                      retry=RetryPolicy(attempts=2, base=0.01, cap=0.02),
                      timeouts=Timeouts(connect=1.0, read=2.0))
    ws = Workspace(Settings(folder=str(tmp_path), progress="none"), client=client, prog="%qc")
    panel = Panel(ws, None, controller=PanelController(ws, None, namespace={}, runner=run_now))
    header = panel.header.value
    assert "connecting" not in header and "not connected: " in header
    reason = header.split("not connected: ", 1)[1].removesuffix("</span>")
    assert "\n" not in reason and len(reason) < 260
    assert ("refused the credentials" if how == "wrong token" else "failed") in reason
    assert token not in header and token not in "\n".join(panel.c.log)
    assert panel.c.status["files"].startswith("connect failed")
