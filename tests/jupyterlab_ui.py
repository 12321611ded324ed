"""What a person does in JupyterLab (open a notebook, Run All from the menu, Ctrl+S, reload),
what the page then shows, and screenshots of it: Playwright helpers for tests/test_browser.py."""
from __future__ import annotations

import re
import time
from pathlib import Path

import requests

from test_examples import NAT, SCIENTIFIC

WIDTH = 1200   # the page's width: screenshots are this wide, less the side bar


def open_notebook(page, lab, name: str) -> None:
    """Open `name` alone in the main area (File > Open, as the file browser does), its kernel
    started and idle."""
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    page.evaluate("""async name => {
        const app = window.jupyterapp;
        for (const w of [...app.shell.widgets('main')]) {
            if (w.context) { w.context.model.dirty = false; }
            w.dispose();
        }
        await app.commands.execute('docmanager:open', {path: name});
    }""", name)
    page.wait_for_function(
        """name => { const w = window.jupyterapp.shell.currentWidget;
            return w && w.context && w.context.path === name && w.sessionContext
                && w.sessionContext.session && w.sessionContext.session.kernel
                && w.sessionContext.session.kernel.status === 'idle'
                && w.content.widgets.length > 0; }""", arg=name)
    page.evaluate("window.jupyterapp.shell.collapseLeft()")


def run_all_from_the_menu(page) -> None:
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^Run All Cells")).click()


CELLS_STATE = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    const code = w.content.widgets.filter(c => c.model.type === 'code');
    return {
        kernel: w.sessionContext.session.kernel.status,
        running: code.filter(c => (c.promptNode.textContent || '').includes('*')).length,
        notRun: code.filter(c => c.model.executionCount === null).map(c => w.content.widgets.indexOf(c)),
        errors: code.flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === 'error')
                                  .map(o => `${o.ename}: ${o.evalue}`)),
    };
}"""


def wait_until_every_cell_ran(page, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        state = page.evaluate(CELLS_STATE)
        idle = state["kernel"] == "idle" and state["running"] == 0
        if idle and (not state["notRun"] or state["errors"]):
            break
        time.sleep(0.3)
    assert state.get("errors") == [], f"a cell failed: {state.get('errors')}"
    assert state.get("notRun") == [], f"cells never ran: {state}"


def save_with_the_keyboard(page) -> None:
    page.locator(".jp-NotebookPanel-notebook").first.focus()
    page.keyboard.press("Escape")        # command mode: Ctrl+S saves the notebook
    page.keyboard.press("Control+s")
    page.wait_for_function("!window.jupyterapp.shell.currentWidget.context.model.dirty")


def reload_and_reopen(page, name: str) -> None:
    page.reload()
    page.wait_for_function(
        """name => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            return w && w.context && w.context.path === name && w.context.isReady
                && w.content.widgets.length > 0; }""", arg=name)
    page.evaluate("window.jupyterapp.shell.collapseLeft()")
    # Widgets come back from the kernel (or the saved state): wait until none is still loading.
    page.wait_for_function("""() => ![...document.querySelectorAll('.jp-OutputArea-output')]
        .some(n => (n.textContent || '').includes('Loading widget...'))""")
    page.wait_for_timeout(500)


def what_the_page_shows(page) -> dict:
    return page.evaluate("""() => {
        const nb = window.jupyterapp.shell.currentWidget.content.node;
        const text = n => n.innerText || n.textContent || '';
        return {
            all: text(nb),
            shown: [...nb.querySelectorAll('.jp-OutputArea-output')].map(text).join('\\n'),
            stderr: [...nb.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')].map(text),
            tables: [...nb.querySelectorAll('.jp-OutputArea-output table')].map(text),
            outputs: nb.querySelectorAll('.jp-OutputArea-output').length,
        };
    }""")


def check_what_the_page_shows(page, token: str) -> dict:
    shown = what_the_page_shows(page)
    assert shown["outputs"] > 0
    assert [t for t in shown["stderr"] if "Traceback" in t or "Error" in t] == []
    assert "Traceback" not in shown["all"]
    assert "Error displaying widget" not in shown["all"]
    assert NAT.findall(shown["shown"]) == []    # in outputs (a comment may say "no NaT")
    assert [SCIENTIFIC.findall(t) for t in shown["tables"] if SCIENTIFIC.search(t)] == []
    assert [t for t in shown["tables"] if "Unnamed: 0" in t] == []
    assert token not in shown["all"]
    return shown


def expect_the_panel_as_saved(page, token: str, status: dict, lines: dict) -> None:
    """A reopened notebook's panel: drawn (not "Error displaying widget"), each status line as
    it was. The widget manager draws from the saved state once the page has settled (a new
    kernel may be starting meanwhile, on a busy machine for seconds): what counts is what
    stays."""
    from playwright.sync_api import expect
    expect(page.locator("#main")).not_to_contain_text("Error displaying widget", timeout=60_000)
    check_what_the_page_shows(page, token)
    for tab, view in status.items():
        expect(view).to_have_text(lines[tab])


SCREENSHOT_STYLE = """
    .jp-Notebook .jp-Cell .jp-Collapser { visibility: hidden !important; }
    .jp-Notebook .jp-Cell, .jp-Notebook .jp-Cell * {
        box-shadow: none !important; outline: none !important; }
    .jp-Notebook .jp-Cell.jp-mod-selected, .jp-Notebook .jp-Cell.jp-mod-active {
        background: transparent !important; border-color: transparent !important; }
    .jp-Notebook .jp-cell-toolbar { display: none !important; }
    #jp-main-dock-panel .lm-TabBar-tab { max-width: 420px !important; }
    #jp-main-dock-panel .lm-TabBar-tabCloseIcon { visibility: hidden !important; }
"""


def screenshot_notebook(page, path: Path) -> None:
    """The whole notebook at the page's width (the page made as tall as the notebook), from its
    tab to its last cell, without the marks of the selected cell."""
    page.add_style_tag(content=SCREENSHOT_STYLE)
    page.evaluate("window.jupyterapp.shell.currentWidget.context.model.dirty = false")
    measure = """() => {
        const nb = window.jupyterapp.shell.currentWidget.content;
        const cells = nb.widgets;
        const last = cells[cells.length - 1].node.getBoundingClientRect();
        const first = cells[0].node.getBoundingClientRect();
        const dock = document.querySelector('#jp-main-dock-panel').getBoundingClientRect();
        return {top: dock.top, left: dock.left, width: dock.width,
                cells: last.bottom - first.top, above: first.top - dock.top}; }"""
    box = page.evaluate(measure)
    page.set_viewport_size({"width": WIDTH,
                            "height": min(int(box["cells"] + box["above"] + box["top"]) + 200,
                                          14_000)})
    page.wait_for_timeout(500)
    box = page.evaluate(measure)
    page.screenshot(path=str(path), clip={"x": box["left"], "y": box["top"],
                                          "width": box["width"],
                                          "height": box["above"] + box["cells"] + 12})
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    shrink_png(path)


def shrink_png(path: Path) -> None:
    """At most 256 colours: a page of text and plots reads the same at a third of the bytes."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                              dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def screenshot_element(element, path: Path) -> None:
    """The whole element (the panel): the page made taller than it first, so nothing is cut."""
    page = element.page
    height = element.bounding_box()["height"]
    page.set_viewport_size({"width": WIDTH, "height": max(1000, int(height) + 300)})
    page.wait_for_timeout(300)
    element.scroll_into_view_if_needed()
    element.screenshot(path=str(path))
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    shrink_png(path)


def shut_down_kernels(lab) -> None:
    auth = {"Authorization": f"token {lab['token']}"}
    for session in requests.get(f"{lab['base']}/api/sessions", headers=auth, timeout=10).json():
        requests.delete(f"{lab['base']}/api/sessions/{session['id']}", headers=auth, timeout=30)
