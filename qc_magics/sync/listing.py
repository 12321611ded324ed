"""The cloud project as the sync sees it: its files by name, and the names it refuses, with why.

One `files/read` of the whole project. A name outside the sync rule (names.py), a file that is
also a folder, or the twin of a known name (clashes.py) is refused: reported, never written.
"""
from __future__ import annotations

from typing import Any, Iterable

from .clashes import folders_of, twin_reason, twins
from .names import Outside, outside


def read_cloud(client: Any, project_id: int, include_libraries: bool
               ) -> tuple[dict[str, dict], dict[str, Outside]]:
    """Cloud files by name (one request), and the names outside the sync rule with what is done
    about them and why. Library files count only when asked for."""
    files: dict[str, dict] = {}
    refused: dict[str, Outside] = {}
    for f in client.read_files(project_id):
        if f.get("isLibrary") and not include_libraries:
            continue
        name = str(f.get("name") or "")
        verdict = outside(name)
        if verdict is None:
            files[name] = f
        else:
            refused[name] = verdict
    # "x" beside "x/y.py": a disk holds one or the other. The folder is kept (it holds the
    # other files); the file is reported, so the pull is the same whatever order it runs in.
    folders = {folder: n for n in files for folder in folders_of(n)}
    for name in [n for n in files if n in folders]:
        del files[name]
        refused[name] = Outside("refused", f"is both a file and a folder in the cloud "
                                           f"({folders[name]!r}); rename one of them there")
    return files, refused


def one_per_disk_name(cloud: dict[str, dict], refused: dict[str, Outside],
                      known: Iterable[str]) -> None:
    """Cloud names that differ only in case or Unicode form ("Main.py", "main.py") are one file
    on macOS and Windows disks: the one already synced or here is kept, the others move from
    `cloud` to `refused`, so a pull is the same on every disk and never writes one over the
    other."""
    for name, keep in twins(cloud, known).items():
        del cloud[name]
        refused[name] = Outside("refused", twin_reason(keep, "in the cloud"))
