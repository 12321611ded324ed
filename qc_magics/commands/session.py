"""What the commands share between calls: settings, the client (made lazily), how to ask."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import QCError


class Refused(QCError):
    """A command that cannot go on as asked (no project chosen, no way to confirm, ...)."""


@dataclass
class Settings:
    project: str | None = None
    folder: str = "."
    api_url: str | None = None
    progress: str = "auto"
    poll_interval: float = 0.5
    timeout: float | None = None
    concurrency: int = 8
    size_cap: int = 32_000

    @property
    def poll(self) -> tuple[float, float]:
        return (self.poll_interval, max(self.poll_interval, 5.0))


@dataclass
class Asker:
    """How a face asks the person: `ask` for a visible answer, `secret` for a hidden one. Each
    returns None when there is no way to ask (no terminal, a notebook run without stdin)."""

    ask: Callable[[str], str | None]
    secret: Callable[[str], str | None]
    say: Callable[[str], None] = print


@dataclass
class Session:
    """One per face: the magics keep one per IPython shell, the CLI one per run."""

    prog: str                                  # "%qc" or "qc-magics": used in messages
    settings: Callable[[], Settings]
    asker: Asker
    remember_project: Callable[[str], None] = lambda ref: None
    # A notebook variable by name (`--from VAR`); None where there are none (the shell).
    variable: Callable[[str], Any] | None = None
    frames: bool = True          # tables as DataFrames (notebooks); False: the shell's text
    _client: Any = field(default=None, repr=False)

    @property
    def client(self) -> Any:
        if self._client is None:
            from .. import config
            s = self.settings()
            # Room for a push's waves to grow (sync/waves.py): connections are made as needed.
            self._client = config.client(api_url=s.api_url, pool_size=max(64, s.concurrency))
        return self._client

    def reset_client(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None

    def project(self, given: str | None) -> str:
        ref = given or self.settings().project
        if not ref:
            raise Refused(f"no project chosen: add --project P, or run {self.prog} use PROJECT "
                          f"once ({self.prog} projects lists them)")
        return ref

    def folder(self, args: Any):
        from ..sync import ProjectFolder
        s = self.settings()
        given = getattr(args, "to", None)
        root = given or s.folder
        self._check_folder(root, "--to" if given else None)
        return ProjectFolder(self.client, self.project(getattr(args, "project", None)),
                             root, concurrency=s.concurrency, size_cap=s.size_cap,
                             progress=s.progress)

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

    def confirm(self, question: str, *, yes: bool, how_to_skip: str) -> None:
        """Go on only with --yes or a "y" typed at the prompt; without a prompt, refuse."""
        if yes:
            return
        answer = self.asker.ask(f"{question} [y/N] ")
        if answer is None:
            raise Refused(f"cannot ask for confirmation here; add {how_to_skip} to go ahead")
        if answer.strip().lower() not in ("y", "yes"):
            raise Refused("cancelled; nothing was changed")


def cli_settings_file() -> Path:
    from ..config import config_dir
    return config_dir() / "settings.json"


def load_cli_settings() -> Settings:
    """The shell keeps its default project (from `qc-magics use`) in settings.json."""
    data = _read_settings()
    project, folder = data.get("project"), data.get("folder", ".")
    # A hand-edited file may hold anything: what is not text is ignored, not a traceback.
    return Settings(project=str(project) if isinstance(project, (str, int)) and project != ""
                    and not isinstance(project, bool) else None,
                    folder=folder if isinstance(folder, str) and folder else ".")


def _read_settings() -> dict:
    try:
        data = json.loads(cli_settings_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_cli_project(ref: str) -> None:
    from ..sync.disk import write_atomic
    path = cli_settings_file()
    data = _read_settings()
    data["project"] = ref
    write_atomic(path, json.dumps(data, indent=2))
