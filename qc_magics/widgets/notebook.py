"""Which notebook the panel runs in: the front end says so through the kernel (VS Code's
`__vsc_ipynb_file__`, Jupyter's `JPY_SESSION_NAME`), relative to the synced folder."""
from __future__ import annotations

import os
from pathlib import Path


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
