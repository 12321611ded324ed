"""The workspace's own state: settings, the client (made when first needed), and the projects it
has resolved, so each is asked of the service once a session.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..errors import QCError
from .settings import Settings

# fraction done (0..1) and the service's status; raising KeyboardInterrupt stops the wait.
Progress = Callable[[float, str], None]


class Refused(QCError):
    """An action that cannot go on as asked (no project chosen, a file where a folder goes...)."""


class WorkspaceBase:
    """Settings, client and the project cache every action shares.

    `settings` is a Settings, or a callable returning the current one (the magic's traitlets
    change between calls). `prog` is how messages name commands: "%qc", "qc-magics".
    """

    def __init__(self, settings: Settings | Callable[[], Settings] | None = None, *,
                 client: Any = None, prog: str = "qc-magics"):
        self._settings = settings if callable(settings) else (lambda s=settings or Settings(): s)
        self._client = client
        self.prog = prog
        self._projects: dict[str, dict] = {}   # "name" and "id" -> the project as read

    @property
    def settings(self) -> Settings:
        return self._settings()

    # --- the client -----------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            from ..config import client
            s = self.settings
            # Room for a push's waves to grow (sync/waves.py): connections are made as needed.
            self._client = client(api_url=s.api_url, pool_size=max(64, s.concurrency))
        return self._client

    def reconnect(self, client: Any = None) -> None:
        """Forget the client (new credentials or API URL) and all it told us."""
        if self._client is not None and self._client is not client:
            self._client.close()
        self._client = client
        self._projects.clear()

    # --- the project ----------------------------------------------------------------------------
    def project_ref(self, given: str | int | None = None, folder: str | None = None) -> str:
        """The project an action is about: the one given, the one chosen in this session, the
        one the folder was synced with (a pulled folder knows its project, as a git folder knows
        its remote), then the saved default. A `use` made elsewhere (another notebook, the shell)
        never redirects work in a folder pulled from another project."""
        s = self.settings
        ref = given if given not in (None, "") else \
            None if s.project_is_saved_default else s.project
        if ref in (None, ""):
            from ..sync.state import SyncState
            recorded = SyncState.recorded_project(Path(folder or s.folder).expanduser())
            ref = recorded[0] if recorded else s.project
        if ref in (None, ""):
            raise Refused(f"no project chosen: add --project P, or run {self.prog} use PROJECT "
                          f"once ({self.prog} projects lists them)")
        return str(ref).strip()

    def folder_project(self, to: str | None = None) -> tuple[int, str | None] | None:
        """(id, name) of the project the folder was pulled from, or None."""
        from ..sync.state import SyncState
        return SyncState.recorded_project(Path(to or self.settings.folder).expanduser())

    def project(self, given: str | int | None = None) -> dict:
        """The project as the service describes it, read once a session."""
        ref = self.project_ref(given)
        if ref not in self._projects:
            from ..api.lookup import find_project
            self._remember(find_project(self.client, ref), ref)
        return self._projects[ref]

    def project_id(self, given: str | int | None = None) -> int:
        return int(self.project(given)["projectId"])

    def _remember(self, project: dict, *refs: str) -> None:
        for ref in (*refs, str(project.get("projectId")), project.get("name")):
            if isinstance(ref, str) and ref:
                self._projects[ref] = project

    def forget_projects(self) -> None:
        """A project was created, renamed or deleted: names may now mean another project."""
        self._projects.clear()

    # --- the folder -----------------------------------------------------------------------------
    def folder(self, project: str | int | None = None, to: str | None = None):
        """The local folder synced with the project (sync.ProjectFolder)."""
        from ..sync import ProjectFolder
        s = self.settings
        root = to or s.folder
        self._check_folder(root, "--to" if to else None)
        ref = self.project_ref(project, root)
        return ProjectFolder(self.client, self._known(ref, root), root,
                             concurrency=s.concurrency, size_cap=s.size_cap, progress=s.progress,
                             prog=self.prog)

    def _known(self, ref: str, root: str) -> dict | str:
        """The project for a folder, at no cost when it can be: resolved before this session, or
        named by the folder's own record (its id, or its name as last synced; the folder then
        asks nothing). Otherwise it is resolved now, once."""
        if ref in self._projects:
            return self._projects[ref]
        from ..sync.state import SyncState
        recorded = SyncState.recorded_project(Path(root).expanduser())
        if recorded is not None and ref in (str(recorded[0]), recorded[1]):
            return ref
        return self.project(ref)

    def _check_folder(self, root: str, option: str | None) -> None:
        """A file where the folder should be (or above it) is a one-line refusal, not a traceback
        from deep in the sync."""
        path = Path(root).expanduser()
        while not path.exists() and path != path.parent:
            path = path.parent
        if path.exists() and not path.is_dir():
            fix = (f"give {option} a folder" if option else
                   "%config QCMagics.folder = 'DIR' sets it" if self.prog == "%qc" else
                   "add --to DIR")
            raise Refused(f"{path} is a file, not a folder: {root} cannot hold the project; {fix}")
