"""What a session is set to: the default project and folder, the API URL, how to wait and show.

The magic keeps them as traitlets (`%config QCMagics.project = ...`), the shell in settings.json
(`qc-magics use`); both hand the workspace a `Settings`.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..records import Record
from ..vocabulary import CONCURRENCY, DEFAULT_POLL


class Settings(Record):
    """What a session is set to (see the module docstring); every field has a default."""

    project: str | None = None
    # True when `project` is only the saved default (settings.json), not chosen in this session:
    # a pulled folder's own project then comes first (see WorkspaceBase.project_ref).
    project_is_saved_default: bool = False
    folder: str = "."
    api_url: str | None = None
    progress: str = "auto"
    poll_interval: float = DEFAULT_POLL[0]
    timeout: float | None = None
    concurrency: int = CONCURRENCY
    size_cap: int = 32_000
    # Live sync (`sync --watch`): seconds between cloud checks right after activity, growing
    # to the maximum while nothing happens.
    watch_interval: float = 2.0
    watch_max_interval: float = 30.0

    def __init__(self, project: str | None = None, project_is_saved_default: bool = False,
                 folder: str = ".", api_url: str | None = None, progress: str = "auto",
                 poll_interval: float = DEFAULT_POLL[0], timeout: float | None = None,
                 concurrency: int = CONCURRENCY, size_cap: int = 32_000,
                 watch_interval: float = 2.0, watch_max_interval: float = 30.0):
        self.project, self.project_is_saved_default = project, project_is_saved_default
        self.folder, self.api_url, self.progress = folder, api_url, progress
        self.poll_interval, self.timeout = poll_interval, timeout
        self.concurrency, self.size_cap = concurrency, size_cap
        self.watch_interval, self.watch_max_interval = watch_interval, watch_max_interval

    @property
    def poll(self) -> tuple[float, float]:
        """(first interval, cap): waits grow from the interval to at least the default cap."""
        return (self.poll_interval, max(self.poll_interval, DEFAULT_POLL[1]))


def settings_file() -> Path:
    from ..config import config_dir
    return config_dir() / "settings.json"


def load_settings() -> Settings:
    """The shell keeps its default project (from `qc-magics use`) in settings.json."""
    data = _read()
    project, folder = data.get("project"), data.get("folder", ".")
    # A hand-edited file may hold anything: what is not text is ignored, not a traceback.
    return Settings(project=str(project) if isinstance(project, (str, int)) and project != ""
                    and not isinstance(project, bool) else None,
                    project_is_saved_default=True,
                    folder=folder if isinstance(folder, str) and folder else ".")


def _read() -> dict:
    try:
        data = json.loads(settings_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_project(ref: str) -> None:
    """Remember the shell's default project (kept beside whatever else the file holds)."""
    from ..sync.disk import write_atomic
    data = _read()
    data["project"] = ref
    write_atomic(settings_file(), json.dumps(data, indent=2))
