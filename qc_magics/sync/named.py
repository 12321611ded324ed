"""Reading a few named cloud files, each by name, instead of the whole project.

`pull FILE` needs one file's cloud copy, not every file's content: one `files/read` with its name.
What the whole listing told beyond that file is checked against what this folder knows (its files
and the bases of the last sync): a name that is a folder of a known file (or under a known file),
or that differs from a known name only in case or Unicode form, is refused as the whole-project
read refuses it. A conflict copy's name is chosen among the names known here; if a cloud file
not yet pulled has that name, pulling it later finds the copy and backs it up first (pull.py).
"""
from __future__ import annotations

from typing import Iterable

from ..errors import NotFoundError
from ..waiting import bounded_pool
from .clashes import (file_above, file_inside, holds_files_reason, twin_of, twin_reason,
                      under_a_file_reason)
from .linked import Linked
from .names import Outside, outside

CHEAPER = 4   # by name while the named files are at most a quarter of the known project


def worth_reading_by_name(names: list[str], known: int) -> bool:
    """Whether reading `names` one by one beats one read of a project of `known` files."""
    return len(names) == 1 or CHEAPER * len(names) <= known


def read_named(folder: Linked, names: list[str], known: Iterable[str]
               ) -> tuple[dict[str, dict], dict[str, Outside]] | None:
    """Cloud files by name and refused names, as listing.read_cloud gives them, for `names`
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
    """The whole-listing checks (listing.py, clashes.py), against the names known here."""
    inside = file_inside(name, known)
    if inside is not None:
        return Outside("refused", holds_files_reason(inside, "in the cloud"))
    above = file_above(name, known)
    if above is not None:
        return Outside("refused", under_a_file_reason(above, "here"))
    twin = twin_of(name, known)
    if twin is not None:
        return Outside("refused", twin_reason(twin, "in the cloud"))
    return None
