"""Every example notebook in a real browser: JupyterLab on 127.0.0.1, Debian's Chromium driven by
Playwright, as a person uses them.

One JupyterLab and one browser serve all six notebooks, their kernels wired to one emulator (fast
jobs). For each notebook: open it, Run All from the Run menu, wait until every cell ran, save it
with Ctrl+S, reload the page, and read what the page shows: no error, no traceback, no "Error
displaying widget", no NaT, no number in scientific notation in a table. In the panel example it
also clicks the panel's buttons (Sync this notebook, Pull, Push, Run backtest, Load, Estimate,
Confirm and run) and checks each tab's status line, the files on disk and the cloud, before and
after the reload. A screenshot of each notebook after the reload, and of each panel tab, goes to
$QC_SCREENSHOT_DIR (default: test-artifacts/; the README's come from docs/).

Without Chromium, Playwright or JupyterLab the tests skip, unless QC_REQUIRE_BROWSER=1 (CI sets
it), where they fail.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import new_token
from jupyterlab_ui import (WIDTH, check_what_the_page_shows, expect_the_panel_as_saved,
                           open_notebook, reload_and_reopen, run_all_from_the_menu,
                           save_with_the_keyboard, screenshot_element, screenshot_notebook,
                           shut_down_kernels, wait_until_every_cell_ran)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "example_notebooks").glob("*.ipynb"))
# JupyterLab's settings for the test's server: every cell in the page (no windowing, so a
# screenshot and the page's text hold the whole notebook), widget state saved with the notebook
# (Settings > Save Widget State Automatically), and no news or update toasts over the screenshots.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyter-widgets/jupyterlab-manager/plugin": {"saveState": True},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (apt-get install -y chromium)"
    for module in ("playwright", "jupyterlab"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install {module})"
    return None


def _skip_or_fail(why: str | None) -> None:
    if why:
        if os.environ.get("QC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here but {why}")
        pytest.skip(why)


@pytest.fixture(scope="module")
def browser_ready():
    _skip_or_fail(_missing())


def test_a_missing_browser_fails_where_it_is_required(monkeypatch):
    monkeypatch.setenv("QC_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="required here but chromium is gone"):
        _skip_or_fail("chromium is gone")
    monkeypatch.delenv("QC_REQUIRE_BROWSER")
    with pytest.raises(pytest.skip.Exception):
        _skip_or_fail("chromium is gone")
    _skip_or_fail(None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cloud(browser_ready):
    """One emulator for every notebook, its jobs fast."""
    from qc_magics.emulator import Emulator
    with Emulator(api_token=new_token(), user_id="4242", seed=7, time_scale=0.02,
                  retry_after=0.01) as e:
        yield e


@pytest.fixture(scope="module")
def lab(cloud, tmp_path_factory):
    """JupyterLab serving copies of the example notebooks, its kernels wired to the emulator."""
    tmp = tmp_path_factory.mktemp("browser")
    work, settings, home = tmp / "lab", tmp / "settings", tmp / "home"
    work.mkdir()
    home.mkdir()
    for notebook in EXAMPLES:
        shutil.copy(notebook, work / notebook.name)
    for plugin, values in LAB_SETTINGS.items():
        target = settings / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "QC_USER_ID": cloud.user_id, "QC_API_TOKEN": cloud.api_token,
           "QC_API_URL": cloud.api_url, "MPLBACKEND": "Agg", "JUPYTER_PLATFORM_DIRS": "1",
           "HOME": str(home), "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
           "PYTHONPATH": os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get(
               "PYTHONPATH")] if p])}
    log = open(tmp / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.disable_check_xsrf=True"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if requests.get(f"{base}/api/status?token={token}", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None:
                raise RuntimeError((tmp / "lab.log").read_text()[-2000:])
            time.sleep(0.25)
        yield {"base": base, "token": token, "work": work}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import expect, sync_playwright
    expect.set_options(timeout=60_000)   # jobs and kernels on a busy two-core CI machine
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
        page.set_default_timeout(90_000)
        page.goto(f"{lab['base']}/lab?token={lab['token']}")   # the token becomes a cookie
        page.wait_for_function("window.jupyterapp && window.jupyterapp.commands"
                               ".hasCommand('docmanager:open')")
        page.evaluate("window.jupyterapp.restored")
        yield page
        browser.close()


def _folder() -> Path:
    folder = Path(os.environ.get("QC_SCREENSHOT_DIR", ROOT / "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- the notebooks ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", [p.name for p in EXAMPLES if p.name != "05_panel.ipynb"])
def test_example_in_jupyterlab(page, lab, cloud, name):
    open_notebook(page, lab, name)
    run_all_from_the_menu(page)
    wait_until_every_cell_ran(page)
    save_with_the_keyboard(page)
    reload_and_reopen(page, name)
    check_what_the_page_shows(page, cloud.api_token)
    screenshot_notebook(page, _folder() / f"example-{name[:2]}.png")
    shut_down_kernels(lab)
    assert cloud.api_token not in (lab["work"] / name).read_text()


def test_panel_example_in_jupyterlab(page, lab, cloud):
    from playwright.sync_api import expect

    name = "05_panel.ipynb"
    open_notebook(page, lab, name)
    run_all_from_the_menu(page)
    panel = page.locator(".qc-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_text("organization")).to_be_visible()
    wait_until_every_cell_ran(page)      # the notebook's own run and Load are done
    status = {tab: panel.locator(f".qc-status-{tab}") for tab in
              ("files", "backtests", "optimizations")}

    # Files: this notebook sits beside the synced folder, not in it: the panel says where it
    # would have to be, and sends nothing.
    panel.get_by_role("button", name="Sync this notebook").click()
    expect(status["files"]).to_contain_text(
        "05_panel.ipynb is outside the synced folder panel_project/; saved as "
        "panel_project/05_panel.ipynb it would sync to the project as 05_panel.ipynb")
    pid = next(iter(cloud.app.state.projects))
    assert "05_panel.ipynb" not in cloud.cloud_files(pid)

    # Pull main.py, change it on disk, push it back.
    expect(panel.locator(".qc-state-cloud-only").first).to_be_visible()
    panel.locator("select[multiple]").select_option(["main.py"])
    panel.get_by_role("button", name="Pull", exact=True).click()
    expect(status["files"]).to_contain_text("pulled")
    local = lab["work"] / "panel_project" / "main.py"
    assert local.exists()
    local.write_text(local.read_text() + "\n# edited in the browser test\n")
    panel.get_by_role("button", name="Refresh", exact=True).click()
    expect(panel.locator(".qc-state-local-changed")).to_have_count(1)
    panel.locator("select[multiple]").select_option(["main.py"])
    panel.get_by_role("button", name="Push", exact=True).click()
    expect(status["files"]).to_contain_text("pushed")
    expect(panel.locator("textarea").last).to_have_value(re.compile("push main.py: pushed"))
    assert cloud.cloud_files(pid)["main.py"].endswith("# edited in the browser test\n")
    panel.locator("select[multiple]").select_option([])
    screenshot_element(panel, _folder() / "panel-files.png")

    # Backtests: run one, wait for it, load it into `bt`.
    page.get_by_role("tab", name="Backtests").click()
    panel.get_by_placeholder("optional").fill("from the browser")
    panel.get_by_placeholder("ema_fast=10, ema_slow=50").fill("ema_fast=12")
    panel.get_by_role("button", name="Run backtest").click()
    expect(status["backtests"]).to_contain_text("Completed, Sharpe", timeout=120_000)
    expect(panel.locator(".qc-backtests")).to_contain_text("from the browser")
    panel.get_by_role("button", name="Load", exact=True).click()
    expect(status["backtests"]).to_contain_text("('from the browser') into bt")
    screenshot_element(panel, _folder() / "panel-backtests.png")

    # Optimizations: estimate (free), then confirm and run; the grid and the heatmap show.
    page.get_by_role("tab", name="Optimizations").click()
    panel.get_by_placeholder(re.compile("NAME=MIN:MAX:STEP")).fill(
        "ema_fast=5:30:5\nema_slow=50:150:50")
    panel.get_by_role("button", name="Estimate").click()
    expect(status["optimizations"]).to_contain_text("18 backtests")
    panel.get_by_role("button", name="Confirm and run").click()
    expect(status["optimizations"]).to_contain_text("18 backtests", timeout=120_000)
    expect(status["optimizations"]).to_contain_text(re.compile(r"optimization \S+ \w+: 18"),
                                                    timeout=120_000)
    expect(panel.locator(".qc-grid table")).to_be_visible()
    expect(panel.locator("img").first).to_be_visible()
    screenshot_element(panel, _folder() / "panel-optimization.png")

    # The last cell, run again, shows the backtest just loaded from the browser.
    page.evaluate("""() => {
        const nb = window.jupyterapp.shell.currentWidget.content;
        nb.activeCellIndex = nb.widgets.length - 1;
        return window.jupyterapp.commands.execute('notebook:run-cell');
    }""")
    last = page.locator(".jp-Cell").last.locator(".jp-OutputArea-output")
    expect(last).to_contain_text("from the browser")
    wait_until_every_cell_ran(page)
    lines = {tab: view.text_content() for tab, view in status.items()}

    # Saved and reloaded (the kernel still runs): the same panel, each status line as it was.
    save_with_the_keyboard(page)
    reload_and_reopen(page, name)
    expect_the_panel_as_saved(page, cloud.api_token, status, lines)
    expect(page.locator(".qc-panel textarea").last).to_have_value(
        re.compile("05_panel.ipynb is outside the synced folder"))
    screenshot_notebook(page, _folder() / "example-05.png")

    # Reopened another day (its kernel gone): the panel as it was saved, drawn from the widget
    # state saved with the notebook, not "Error displaying widget".
    shut_down_kernels(lab)
    page.goto(f"{lab['base']}/lab/tree/{name}?reset")
    reload_and_reopen(page, name)
    expect_the_panel_as_saved(page, cloud.api_token, status, lines)
    shut_down_kernels(lab)
    assert cloud.api_token not in (lab["work"] / name).read_text()
