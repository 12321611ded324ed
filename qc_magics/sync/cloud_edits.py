"""Renaming and removing one cloud file, with the local file and the sync state following.

Everything that can refuse is checked before the first request, so a refused rename or removal
changes nothing on either side. Nothing deleted exists nowhere: the local copy and (when it
differs) the cloud text go to the backups folder first.
"""
from __future__ import annotations

import os
import time
from pathlib import Path, PurePosixPath

from ..errors import InvalidArgument
from .clashes import file_above, file_inside, twin_of
from .disk import LocalWriteError, backup, list_local, local_path, meta_path, write_atomic
from .linked import Linked
from .names import printable
from .sides import cloud_content, local_side, side
from .status import SyncReport, classify


def remove(folder: Linked, name: str, cfile: dict, *, force: bool = False,
           dry_run: bool = False) -> SyncReport:
    """Delete cloud file `name` (its listing entry `cfile`); the local copy moves to the backups.

    A cloud copy that changed since the last sync (or that this folder never saw, beside a
    different local copy) holds work the local copy lacks: it is refused unless force=True.
    Whenever the cloud text differs from the local copy it is backed up too, and the report
    says where, so nothing deleted exists nowhere.
    """
    report = SyncReport("remove", dry_run)
    lpath = list_local(folder.root).get(name)
    base = folder._state().get(name)
    cside = side(name, cloud_content(cfile))
    lside = local_side(name, lpath) if lpath else None
    st = classify(lside and lside.fp, base, cside.fp) or "cloud-only"
    unseen = (cside.fp.whole != base.whole) if base is not None else \
        (lside is not None and lside.fp.whole != cside.fp.whole)
    if unseen and not force:
        why = ("its cloud copy changed since the last sync" if base is not None else
               "its cloud copy was never synced here and differs from the local file")
        report.add(name, "refused", st, f"{why}: pull it first to keep that work, or "
                                        "remove with --force (the cloud text is backed up)")
        return report
    keep_cloud = lside is None or lside.fp.whole != cside.fp.whole
    notes = []
    if not dry_run:
        if keep_cloud:
            saved = _backup_cloud_text(folder.root, name, cside.text)
            notes.append(f"cloud copy backed up to {saved.relative_to(folder.root)}")
        folder.client.delete_file(folder.project_id, name)
        if lpath is not None:
            saved = backup(folder.root, name, lpath)
            lpath.unlink()
            notes.append(f"local copy moved to {saved.relative_to(folder.root)}")
        folder._state().forget(name)
    elif keep_cloud:
        notes.append("the cloud copy would be backed up")
    report.add(name, "removed", st, "; ".join(notes))
    return report


def _backup_cloud_text(root: Path, name: str, text: str) -> Path:
    """Keep a cloud file's text in .qc-sync/backups/<time>-cloud/<name> before deleting it."""
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 1_000_000:06d}-cloud"
    target = meta_path(root, "backups", stamp, *PurePosixPath(name).parts)
    write_atomic(target, text)
    return target


def rename_problem(old: str, new: str, cloud: set[str], local: set[str], root: Path) -> str | None:
    """Why `old` cannot become `new` (one line), on either side; None when it can. `new` has
    passed the sync rule already."""
    others = cloud - {old}
    if new in others:
        return f"{new!r} already exists in the cloud project"
    if (above := file_above(new, others)) is not None:
        return (f"{above!r} is a file in the cloud project, so it cannot also be the folder of "
                f"{new!r}: a name cannot be both a file and a folder")
    if (inside := file_inside(new, others)) is not None:
        return f"{new!r} is a folder in the cloud project (it holds {inside!r})"
    if (twin := twin_of(new, others | (local - {old}))) is not None:
        return (f"{new!r} differs from {twin!r} only in case or Unicode form, which macOS and "
                "Windows disks take for one file")
    target = local_path(root, new)   # refuses a path through a symlink
    here = local - {old}
    if new in here or target.exists() or target.is_symlink():
        return f"{printable(target)} already exists locally; move it away first"
    for folder in PurePosixPath(new).parents:
        path = root.joinpath(*folder.parts) if folder.parts else root
        if path != root and (path.exists() or path.is_symlink()) and not path.is_dir():
            return (f"{printable(path)} is a file here, so it cannot also be the folder of "
                    f"{new!r}: a name cannot be both a file and a folder")
    return None


def rename(folder: Linked, old: str, new: str, cloud: set[str], *,
           dry_run: bool = False) -> SyncReport:
    """Rename cloud file `old` (one of the `cloud` names) to `new`; the local file and its sync
    state follow. Every check on both sides comes before the request."""
    local = list_local(folder.root)
    problem = rename_problem(old, new, cloud, set(local), folder.root)
    if problem:
        raise InvalidArgument(f"cannot rename {old!r} to {new!r}: {problem}; nothing changed")
    target = local_path(folder.root, new)
    report = SyncReport("rename", dry_run)
    if not dry_run:
        if old in local:
            try:   # made before the request: a folder that cannot be made stops it there
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise LocalWriteError(f"cannot rename {old!r} to {new!r}: cannot make the folder "
                                      f"{printable(target.parent)} ({e.strerror or e}); "
                                      "nothing changed") from None
        folder.client.rename_file(folder.project_id, old, new)
        if old in local:
            try:
                os.replace(local[old], target)
            except OSError as e:
                raise LocalWriteError(f"renamed in the cloud, but not locally: {e}") from None
        folder._state().rename(old, new)
    report.add(old, "renamed", "in-sync", f"now {new}")
    return report
