"""What push, named reads and waiting for a cloud run need from a folder, as a type.

They take a `Linked` rather than importing `ProjectFolder`, so the folder module sits above them
and imports flow one way (folder -> push, named, cloud_run; never back).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, Sequence

from .state import SyncState
from .status import SyncReport


class Linked(Protocol):
    """A local folder linked to one cloud project (ProjectFolder is the one implementation)."""

    client: Any
    root: Path
    concurrency: int
    max_concurrency: int
    include_libraries: bool
    progress: str
    wave_sizes: list[int]

    @property
    def project_id(self) -> int: ...

    def _state(self) -> SyncState: ...

    def pull(self, names: Sequence[str] | str | None = None, *, all: bool = False,
             force: bool = False, dry_run: bool = False) -> SyncReport: ...
