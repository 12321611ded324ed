"""The panel in a real browser: JupyterLab on 127.0.0.1, Debian's Chromium driven by Playwright.

It opens the panel example, runs it, clicks Pull, Push, Run backtest and Load, and checks the files
on disk, the cloud, the panel's table and log, and the loaded backtest in the kernel. Screenshots
go to $QC_SCREENSHOT_DIR (default: test-artifacts/). Without Chromium, Playwright or JupyterLab the
test skips, unless QC_REQUIRE_BROWSER=1 (CI sets it), where it fails.
"""
from __future__ import annotations

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

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).parents[1]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (apt-get install -y chromium)"
    for module in ("playwright", "jupyterlab"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install {module})"
    return None


@pytest.fixture(scope="module")
def browser_ready():
    why = _missing()
    if why:
        if os.environ.get("QC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here but {why}")
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(browser_ready, emu, tmp_path):
    """JupyterLab serving a copy of the panel example, its kernels wired to the emulator."""
    emu.app.timing.scale = 0.05
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(ROOT / "example_notebooks" / "05_panel.ipynb", work / "05_panel.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "QC_USER_ID": emu.user_id, "QC_API_TOKEN": emu.api_token,
           "QC_API_URL": emu.api_url, "MPLBACKEND": "Agg", "JUPYTER_PLATFORM_DIRS": "1"}
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.disable_check_xsrf=True"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []), env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if requests.get(f"{base}/api/status?token={token}", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None:
                raise RuntimeError((tmp_path / "lab.log").read_text()[-2000:])
            time.sleep(0.25)
        yield {"url": f"{base}/lab/tree/05_panel.ipynb?token={token}", "work": work}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _shot(page, name: str) -> None:
    folder = Path(os.environ.get("QC_SCREENSHOT_DIR", ROOT / "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    page.locator(".qc-panel").screenshot(path=str(folder / name))


def test_panel_in_jupyterlab(lab, emu):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(90_000)
        page.goto(lab["url"])
        page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext.session")
        page.wait_for_function("window.jupyterapp.shell.currentWidget.sessionContext.session"
                               ".kernel.status === 'idle'")
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        panel = page.locator(".qc-panel")
        expect(panel).to_be_visible()
        expect(panel.get_by_text("organization")).to_be_visible()
        expect(panel.locator(".qc-state-cloud-only").first).to_be_visible()

        # Files: pull main.py, change it on disk, push it back
        panel.locator("select[multiple]").select_option(["main.py"])
        panel.get_by_role("button", name="Pull", exact=True).click()
        expect(panel.locator(".qc-state-in-sync")).to_have_count(1)
        local = lab["work"] / "panel_project" / "main.py"
        assert local.exists()
        pid = next(iter(emu.app.state.projects))
        local.write_text(local.read_text() + "\n# edited in the browser test\n")
        panel.get_by_role("button", name="Refresh", exact=True).click()
        expect(panel.locator(".qc-state-local-changed")).to_have_count(1)
        panel.locator("select[multiple]").select_option(["main.py"])
        panel.get_by_role("button", name="Push", exact=True).click()
        expect(panel.locator("textarea").last).to_have_value(
            re.compile("push main.py: pushed"))
        assert emu.cloud_files(pid)["main.py"].endswith("# edited in the browser test\n")
        _shot(page, "panel-files.png")

        # Backtests: run one, wait for it, load it into `bt`
        page.get_by_role("tab", name="Backtests").click()
        panel.get_by_placeholder("optional").fill("from the browser")
        panel.get_by_placeholder("ema_fast=10, ema_slow=50").fill("ema_fast=12")
        panel.get_by_role("button", name="Run backtest").click()
        expect(panel.locator("textarea").last).to_have_value(
            re.compile(r"Completed, Sharpe"), timeout=120_000)
        expect(panel.locator(".qc-backtests")).to_contain_text("from the browser")
        panel.get_by_role("button", name="Load", exact=True).click()
        expect(panel.locator("textarea").last).to_have_value(
            re.compile("into bt"))
        _shot(page, "panel-backtests.png")

        # The last cell shows the loaded backtest's statistics as a DataFrame
        page.evaluate("""() => {
            const nb = window.jupyterapp.shell.currentWidget.content;
            nb.activeCellIndex = nb.widgets.length - 1;
            return window.jupyterapp.commands.execute('notebook:run-cell');
        }""")
        last = page.locator(".jp-Cell").last.locator(".jp-OutputArea-output")
        expect(last).to_contain_text("Total Orders")
        expect(last.locator("table")).to_be_visible()
        browser.close()
    assert emu.api_token not in (lab["work"] / "05_panel.ipynb").read_text()
