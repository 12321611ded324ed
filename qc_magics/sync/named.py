"""Reading a few named cloud files, each by name, instead of the whole project.

`pull FILE` needs one file's cloud copy, not every file's content: one `files/read` with its name.
What the whole listing told beyond that file is checked against what this folder knows (its files
and the bases of the last sync): a name that is a folder of a known file (or under a known file),
or that differs from a known name only in case or Unicode form, is refused as the whole-project
read refuses it. A conflict copy's name is chosen among the names known here; if a cloud file
not yet pulled has that name, pulling it later finds the copy and backs it up first (pull.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..errors import NotFoundError
from ..waiting import bounded_pool
from .names import Outside, folded, outside

if TYPE_CHECKING:
    from .folder import ProjectFolder

CHEAPER = 4   # by name while the named files are at most a quarter of the known project


def worth_reading_by_name(names: list[str], known: int) -> bool:
    return len(names) == 1 or CHEAPER * len(names) <= known


def read_named(folder: "ProjectFolder", names: list[str], known: Iterable[str]
               ) -> tuple[dict[str, dict], dict[str, Outside]] | None:
    """Cloud files by name and refused names, as ProjectFolder._cloud gives them, for `names`
    only; None when a name is nowhere (in the cloud or here): the caller reads the whole
    project, which names near ones."""
    known = set(known)

    def read(name: str) -> dict | None:
        try:
            return folder.client.read_file(folder.project_id, name)
        except NotFoundError:
            return None

    with bounded_pool(min(folder.concurrency, len(names)), "qc-read") as pool:
        answers = dict(zip(names, pool.map(read, names)))
    files: dict[str, dict] = {}
    refused: dict[str, Outside] = {}
    for name, f in answers.items():
        if f is None or (f.get("isLibrary") and not folder.include_libraries):
            if name not in known:
                return None
            continue
        verdict = outside(name) or _clash(name, known)
        if verdict is None:
            files[name] = f
        else:
            refused[name] = verdict
    return files, refused


def _clash(name: str, known: set[str]) -> Outside | None:
    """The whole-listing checks (folder.py), against the names known here."""
    inside = next((k for k in sorted(known) if k.startswith(name + "/")), None)
    if inside is not None:
        return Outside("refused", f"is both a file and a folder ({inside!r}); rename one of "
                                  "them in the cloud")
    parts = name.split("/")
    above = next((p for p in ("/".join(parts[:i]) for i in range(1, len(parts))) if p in known),
                 None)
    if above is not None:
        return Outside("refused", f"is under {above!r}, which is a file; rename one of them in "
                                  "the cloud")
    twin = next((k for k in sorted(known) if k != name and folded(k) == folded(name)), None)
    if twin is not None:
        return Outside("refused", f"differs from {twin!r} only in case or Unicode form, which "
                                  "macOS and Windows disks take for one file; rename one of them "
                                  "in the cloud")
    return None
