"""Names that cannot live side by side, whichever side they come from.

names.py judges each name alone; these rules judge a name against the others of the project:

- a name cannot be both a file and a folder ("x" beside "x/y.py"): no disk holds both;
- names that differ only in case or Unicode form ("Main.py" and "main.py", NFC and NFD "café.py")
  are one file on macOS and Windows disks.

The name already synced (or here) wins and the others are refused, so a pull, a push and a
status say the same whatever order they meet the names in. `where` in each reason says where the
user renames ("in the cloud", "here").
"""
from __future__ import annotations

from typing import Iterable

from .names import Outside, folded


def folders_of(name: str) -> list[str]:
    """The folders a name lives in: "a/b/c.py" -> ["a", "a/b"]."""
    parts = name.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def twins(names: Iterable[str], *preferred: Iterable[str]) -> dict[str, str]:
    """Each name refused as the twin of another (differing only in case or Unicode form), with
    the name kept instead: one in the first of the `preferred` sets (synced, say), else in the
    next (here), else the first in code-point order. The same rule everywhere."""
    tiers = [set(p) for p in preferred]
    groups: dict[str, list[str]] = {}
    for name in set(names):
        groups.setdefault(folded(name), []).append(name)
    refused: dict[str, str] = {}
    for group in groups.values():
        if len(group) > 1:
            keep = min(group, key=lambda n: (*(n not in t for t in tiers), n))
            refused.update({n: keep for n in group if n != keep})
    return refused


def twin_of(name: str, others: Iterable[str]) -> str | None:
    """Another name that differs from `name` only in case or Unicode form."""
    key = folded(name)
    return next((o for o in sorted(others) if o != name and folded(o) == key), None)


def file_above(name: str, files: Iterable[str] | set[str]) -> str | None:
    """A file among `files` that is one of the folders `name` lives in."""
    files = files if isinstance(files, (set, frozenset, dict)) else set(files)
    return next((f for f in folders_of(name) if f in files), None)


def file_inside(name: str, files: Iterable[str]) -> str | None:
    """A file among `files` that lives in `name`, as if `name` were a folder."""
    return next((f for f in sorted(files) if f.startswith(name + "/")), None)


def first_inside(files: Iterable[str]) -> dict[str, str]:
    """Every folder the `files` make, with the first file (in code-point order) inside it:
    `file_inside` for many names at once, in one pass instead of a sort per name."""
    inside: dict[str, str] = {}
    for f in files:
        for folder in folders_of(f):
            if folder not in inside or f < inside[folder]:
                inside[folder] = f
    return inside


def twin_reason(keep: str, where: str) -> str:
    return (f"differs from {keep!r} only in case or Unicode form, which macOS and Windows disks "
            f"take for one file; rename one of them {where}")


def under_a_file_reason(above: str, where: str) -> str:
    return (f"is under {above!r}, which is a file {where}: a name cannot be both a file and a "
            "folder; rename one of them")


def holds_files_reason(inside: str, where: str) -> str:
    return (f"is both a file and a folder {where} ({inside!r} is inside it); rename one of "
            "them")


def local_clashes(names: Iterable[str], local: Iterable[str], cloud: Iterable[str],
                  synced: Iterable[str] = ()) -> dict[str, Outside]:
    """Why each of `names` (local files, by the cloud name they would take) cannot go to the
    cloud beside the names `cloud` holds (as far as known: synced names, or a fresh listing)
    and the other files `local` holds. Checked before any request, so a refused push of one
    changes nothing.

    Of twins, the one synced wins, then one in the cloud, then the first in code-point order:
    the one a pull keeps too."""
    names, local, cloud = list(names), set(local), set(cloud)
    refused: dict[str, Outside] = {}
    keep = twins(local | cloud | set(names), synced, cloud)
    holding = first_inside(cloud)
    for name in names:
        if name in keep:
            refused[name] = Outside("refused", twin_reason(keep[name], "here or in the cloud"))
        elif (above := file_above(name, cloud)) is not None:
            refused[name] = Outside("refused", under_a_file_reason(above, "in the cloud"))
        elif (inside := holding.get(name)) is not None:
            refused[name] = Outside("refused", holds_files_reason(inside, "in the cloud"))
    return refused
