"""An emulator-only route: a person pressing "Run All" on a Research notebook in the cloud.

The real API cannot execute notebooks; people do, in the cloud IDE, and tools read the outputs
back. This route lets tests and demos play that person: it executes the stored notebook with a
local Jupyter kernel (nbclient) and stores the executed notebook, outputs included, as the file.
"""
from __future__ import annotations

import tempfile
import threading
from typing import TYPE_CHECKING

from ..errors import Wording
from .projects import find_project
from .request import Request, RouteError

if TYPE_CHECKING:
    from .app import App


def _execute(content: str, timeout: int) -> str:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.reads(content, as_version=4)
    with tempfile.TemporaryDirectory(prefix="qc-emulator-run-") as cwd:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": cwd}}).execute()
    return nbformat.writes(nb)


def _run(app: "App", project_id: int, name: str, content: str, timeout: int) -> None:
    run = app.notebook_runs[(project_id, name)]
    try:
        executed = _execute(content, timeout)
    except Exception as e:  # the run fails as a person's would: the file stays as it was
        run.update(state="failed", error=f"{type(e).__name__}: {e}")
        return
    with app.state.lock:
        p = app.state.projects.get(project_id)
        if p is None or name not in p.files:
            run.update(state="failed", error="the notebook was deleted while it ran")
            return
        f = p.files[name]
        f.content, f.modified = executed, app.now()
        p.modified = f.modified
        app.state.save()
    run.update(state="completed")


def run_notebook(app: "App", req: Request) -> dict:
    """{projectId, name, wait?, timeout?} -> {state: running|completed|failed}."""
    try:
        import nbclient  # noqa: F401  (only checks it is installed)
    except ImportError:
        raise RouteError("The emulator needs nbclient and ipykernel to run notebooks: "
                         "pip install 'qc-magics[emulator]'") from None
    with app.state.lock:
        p = find_project(app, req)
        name = req.str("name")
        if name not in p.files:
            raise RouteError(Wording.FILE_NOT_FOUND.format(name=name))
        if not name.endswith(".ipynb"):
            raise RouteError(f"{name} is not a notebook (.ipynb)")
        key = (p.id, name)
        if app.notebook_runs.get(key, {}).get("state") == "running":
            raise RouteError(f"{name} is already running")
        app.notebook_runs[key] = {"state": "running"}
        worker = threading.Thread(target=_run, name=f"run-all {name}", daemon=True,
                                  args=(app, p.id, name, p.files[name].content,
                                        req.int("timeout", 600)))
    worker.start()
    if req.bool("wait"):
        worker.join()
    return {"name": name, **app.notebook_runs[key]}


def run_status(app: "App", req: Request) -> dict:
    with app.state.lock:
        p = find_project(app, req)
    name = req.str("name")
    return {"name": name, **app.notebook_runs.get((p.id, name), {"state": "idle"})}


ROUTES = {"/emulator/notebooks/run": run_notebook, "/emulator/notebooks/status": run_status}
