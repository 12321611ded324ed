"""Which notebook the panel runs in, as the front end tells the kernel, and where it is relative
to the synced folder.

- VS Code puts the notebook's absolute path in the user namespace as `__vsc_ipynb_file__`.
- jupyter_server (JupyterLab, Notebook 7) starts a notebook's kernel with `JPY_SESSION_NAME` in
  its environment (the notebook's absolute path, or its path from the server's root), and
  ipykernel copies it into the user namespace as `__session__`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SOURCES = (("__vsc_ipynb_file__", "VS Code"), ("__session__", "the Jupyter session"))


@dataclass(frozen=True)
class NotebookPlace:
    path: Path            # the notebook, absolute
    name: str | None      # its name relative to the synced folder; None when it is outside it
    source: str           # who said so ("VS Code", "the Jupyter session")


def _said(namespace: dict) -> list[tuple[str, str]]:
    said = [(str(namespace[key]), source) for key, source in SOURCES if namespace.get(key)]
    if os.environ.get("JPY_SESSION_NAME"):
        said.append((os.environ["JPY_SESSION_NAME"], "the Jupyter session"))
    return said


def locate_notebook(namespace: dict, folder: Path) -> NotebookPlace | None:
    """The notebook this kernel runs, if the front end says and it exists on disk."""
    root = folder.resolve()
    for raw, source in _said(namespace):
        if not raw.endswith(".ipynb"):
            continue   # a console's session, or an unsaved "Untitled" with no path yet
        path = Path(raw)
        # A server-relative path: the kernel runs in the notebook's own directory.
        guesses = [path] if path.is_absolute() else [Path.cwd() / path.name, Path.cwd() / path]
        for guess in guesses:
            if guess.is_file():
                found = guess.resolve()
                try:
                    name: str | None = found.relative_to(root).as_posix()
                except ValueError:
                    name = None
                return NotebookPlace(found, name, source)
    return None


def find_notebook(namespace: dict, folder: Path) -> str | None:
    """The notebook this kernel runs, relative to the synced folder; None when the front end does
    not say or the notebook is outside the folder."""
    place = locate_notebook(namespace, folder)
    return place.name if place else None


def outside_message(place: NotebookPlace, folder: Path) -> str:
    """What "Sync this notebook" says for a notebook outside the synced folder: where it is,
    and where it would have to be to sync."""
    name = place.path.name
    return (f"sync notebook: {name} is outside the synced folder {_short(folder).rstrip('/')}/; "
            "saved as "
            f"{_short(folder / name)} it would sync to the project as {name}")


def _short(path: Path) -> str:
    """A path as a person reads it: relative to the working directory when under it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)
