"""Pulling one file: its action from its state, written safely, reported in one line.

The rules (see folder.py): cloud-changed files are taken; local changes are kept; when both
sides changed, the changes are merged against the last synced version when they do not overlap
(merge.py: the local file before the merge goes to the backups, the report says `merged` and
from where each change came); when they overlap, the local file stays and the cloud version goes
beside it as a conflict copy, recorded in the sync state, and the report names what clashes;
nothing holding unsynced content is replaced without a backup; a file that cannot be written is
reported and the others are still pulled.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import QCError
from .content import InvalidNotebook, fingerprint, is_notebook
from .disk import CONFLICT_TAG, INVALID_TAG, ChangedMeanwhile, backup, \
    copy_name as first_copy_name, local_path, read_bytes, write_atomic
from .merge import FileMerge, try_merge
from .names import printable
from .names import typed
from .sides import Side, cloud_content, local_side, side
from .state import Base, SyncState
from .status import SyncReport, classify


def pull_one(root: Path, name: str, cfile: dict | None, lpath: Path | None, state: SyncState,
             force: bool, report: SyncReport, taken: frozenset[str] = frozenset()) -> None:
    """Pull `name`. One file that cannot be written (a name too long, a file where its folder
    should be, a symlink on the way) is reported as failed; the caller goes on with the rest.
    `taken` holds every project name on either side, which a conflict copy must not take."""
    st: str | None = ""
    try:
        seen = _stat(lpath)   # before reading: what the decision is made on
        lside = local_side(name, lpath) if lpath else None
        cside = side(name, cloud_content(cfile)) if cfile else None
        st = classify(lside and lside.fp, state.get(name), cside and cside.fp)
        _act(root, name, st, state.get(name), lpath, lside, cside, state, force, report, taken,
             seen)
    except ChangedMeanwhile:
        report.add(name, "skipped", st or "", "changed here while pulling; it is compared "
                                              "again next time")
    except (QCError, OSError) as e:
        # What the disk or the service refused, for this file alone. Not ValueError: the
        # sync's own refusals are QCErrors (InvalidNotebook included), so any other exception
        # is a bug, and keeps its traceback.
        report.add(name, "failed", st or "", one_line(e))


def _stat(path: Path | None) -> tuple[int, int] | None:
    try:
        st = path.lstat() if path is not None else None
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size) if st is not None else None


def one_line(e: BaseException) -> str:
    text = str(e) if isinstance(e, QCError) else f"{type(e).__name__}: {e}"
    return printable(text.strip().splitlines()[0] if text.strip() else type(e).__name__)


def copy_name(name: str, tag: str, taken: frozenset[str]) -> str:
    """Where the cloud version of `name` goes beside it: research.cloud.ipynb, unless a project
    file already has that name (then research.cloud-2.ipynb, ...)."""
    copy, n = first_copy_name(name, tag), 2
    while copy in taken:
        copy, n = first_copy_name(name, f"{tag}-{n}"), n + 1
    return copy


def write_copy(root: Path, copy: str, origin: str, text: str, state: SyncState) -> None:
    """Write a copy of the cloud version beside a file, recorded in the state first (so it is
    never taken for a project file, even after a crash). An earlier copy with other content
    (perhaps being merged by hand) goes to the backups first."""
    path = local_path(root, copy)
    state.mark_copy(copy, origin)
    old = read_bytes(path) if path.exists() else None
    if old is not None and old != text.encode("utf-8"):
        backup(root, copy, path)
    write_atomic(path, text)


# Said after a pull-merge whose result the cloud has not got yet (a later push drops it).
MERGE_NOT_SENT = "; a diff against the base shows it, a push sends it"


def _write_merge(root: Path, name: str, lpath: Path, merge: FileMerge, cside: Side,
                 state: SyncState, report: SyncReport, seen=None) -> None:
    """Write a clean merge over the local file, its pre-merge content in the backups first.
    The base becomes the cloud version: the merge holds local work the cloud has not got, so
    status says local-changed and the next push sends it (and `diff --base` shows it)."""
    detail = f"both sides changed; merged: {merge.taken or 'the same changes'}"
    pending = fingerprint(name, merge.text or "").work != cside.fp.work
    if not report.dry_run:
        saved = backup(root, name, lpath)
        write_atomic(lpath, merge.text or "", expect=seen)
        state.record(name, cside.text or "")
        detail += f"; previous local content backed up to {saved.relative_to(root)}"
    if pending and not report.dry_run:
        detail += MERGE_NOT_SENT
    report.add(name, "merged", "conflict", detail)


def _not_a_notebook(name: str, cside: Side) -> str | None:
    """Why the cloud's .ipynb cannot replace a local notebook, by the same check push, write and
    outputs use (notebook_check): a cloud copy push would refuse never lands on a good one."""
    if not is_notebook(name):
        return None
    if cside.invalid:
        return cside.invalid
    from .notebook_check import check_notebook
    try:
        check_notebook(name, cside.text or "")
    except InvalidNotebook as e:
        return str(e).removeprefix(f"{name} is not a valid notebook: ")
    return None


def _act(root: Path, name: str, st: str | None, base: Base | None, lpath: Path | None,
         lside: Side | None, cside: Side | None, state: SyncState, force: bool,
         report: SyncReport, taken: frozenset[str], seen=None) -> None:
    dry = report.dry_run
    note = f" ({lside.unreadable})" if lside and lside.unreadable else ""
    if st is None or cside is None:
        if st == "deleted-in-cloud":
            report.add(name, "kept", st, "deleted in the cloud; the local file is kept")
        elif st == "local-only":
            report.add(name, "skipped", st, ("only here; push it to send it" if not note
                                             else note.strip(" ()")))
        return
    invalid = _not_a_notebook(name, cside)
    if invalid:
        copy = copy_name(name, INVALID_TAG, taken)
        if not dry:
            write_copy(root, copy, name, cside.text or "", state)
        report.add(name, "invalid", st, f"the cloud copy is not a valid notebook "
                                         f"({invalid}); saved raw as {copy}")
        return
    never_synced = lside is not None and (base is None or lside.fp.whole != base.whole)
    if st == "in-sync":
        if not dry and (base is None or base.whole != cside.fp.whole):
            state.record(name, cside.text or "")
        report.add(name, "up-to-date", st)
        return
    if st == "deleted-locally" and base is not None and cside.fp.whole != base.whole:
        # Deleted here, but changed in the cloud since: restoring loses nothing and keeps
        # the cloud's new work in sight.
        force = True
    clashing = ""
    if st == "conflict" and not force and lpath is not None:
        merge = try_merge(name, lside, cside, state)
        if merge is not None and merge.clean:
            _write_merge(root, name, lpath, merge, cside, state, report, seen)
            return
        if merge is not None:
            clashing = f" (clashing: {'; '.join(merge.clashes)})"
    if st in ("local-changed", "deleted-locally", "conflict") and not force:
        q = typed(name)
        take_cloud = report.command(f"pull {q} --force", f"pull([{name!r}], force=True)")
        if st == "local-changed":
            report.add(name, "kept", st, "local changes kept; push them, or take the cloud's "
                                         f"with {take_cloud}" + note)
        elif st == "deleted-locally":
            report.add(name, "kept", st, f"deleted here; {take_cloud} restores it")
        else:
            copy = copy_name(name, CONFLICT_TAG, taken)
            if not dry:
                write_copy(root, copy, name, cside.text or "", state)
            compare = report.command(f"diff {q}", f"diff({name!r})")
            keep_yours = report.command(f"push {q} --force", f"push([{name!r}], force=True)")
            report.add(name, "conflict-copy", st,
                       f"both sides changed{clashing}: local kept, cloud version saved as "
                       f"{copy}; compare with {compare}, then keep yours with {keep_yours} or "
                       f"the cloud's with {take_cloud}" + note)
        return
    detail = ""
    target = lpath or local_path(root, name)
    if lpath is None and target.is_file() and not target.is_symlink():
        # A file the scan does not count as a project file (a recorded conflict copy) is where
        # this cloud file goes: it may hold edits, so it is kept in the backups.
        never_synced = True
        if not dry:
            state.drop_copies([name])
    if never_synced and target.exists():
        detail = "previous local content backed up"
        if not dry:
            saved = backup(root, name, target)
            detail = f"previous local content backed up to {saved.relative_to(root)}"
    if not dry:
        write_atomic(target, cside.text or "", expect=seen if lpath is not None else None)
        state.record(name, cside.text or "")
    report.add(name, "restored" if st == "deleted-locally" else "pulled", st, detail)
