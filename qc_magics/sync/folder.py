"""`ProjectFolder`: a local folder mirroring a cloud project, synced without ever losing work.

>>> folder = ProjectFolder(client, "Momentum", "~/qc/momentum")
>>> folder.pull(all=True)
>>> folder.status().to_frame()
>>> folder.push(["research.ipynb"])

Rules (see the issue "Push and pull ... without ever losing work"):
- pull updates cloud-changed files, keeps local changes, and on a conflict keeps the local file and
  writes the cloud version beside it (research.cloud.ipynb); it never deletes a local file;
- push re-reads the cloud first and refuses a file whose cloud copy changed since the last sync
  (pull, or force=True); it never deletes a cloud file;
- a local file holding content never synced is backed up before anything replaces it.
"""
from __future__ import annotations

import os
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..errors import InvalidArgument, NotFoundError
from .. import progress as progress_bars
from ..api.lookup import find_project, near
from ..waiting import bounded_pool
from .content import Fingerprint, InvalidNotebook, fingerprint, is_notebook
from .disk import (INVALID_TAG, LocalWriteError, UnsafePath, backup, check_name, conflict_name,
                   list_local, local_path, read_text, write_atomic)
from .state import SyncState
from .push import (SyncError, cloud_text, outgoing_item,  # noqa: F401 (re-export)
                   prepare_outgoing, push_outgoing)
from .status import FileStatus, StatusReport, SyncReport, classify

DEFAULT_SIZE_CAP = 32_000


@dataclass
class _Side:
    text: str
    fp: Fingerprint
    invalid: str | None = None   # why a .ipynb is not a notebook


def _side(name: str, text: str | None) -> _Side | None:
    if text is None:
        return None
    try:
        return _Side(text, fingerprint(name, text))
    except InvalidNotebook as e:
        # Compared as plain text, so it still has a state, but it is never taken as a notebook.
        return _Side(text, fingerprint(name + ".txt", text), str(e))


class ProjectFolder:
    """A cloud project (name or id) and the local folder that mirrors it."""

    def __init__(self, client: Any, project: int | str, folder: str | os.PathLike = ".", *,
                 concurrency: int = 8, size_cap: int = DEFAULT_SIZE_CAP,
                 include_libraries: bool = False, progress: str = "auto"):
        if concurrency < 1:
            raise InvalidArgument(f"concurrency must be at least 1, not {concurrency}")
        self.client = client
        self.root = Path(folder).expanduser()
        self._project_ref = project
        self._project: dict | None = None
        self.concurrency = concurrency
        self.size_cap = size_cap
        self.include_libraries = include_libraries
        self.progress = progress

    # --- what the two sides hold ----------------------------------------------------------------
    @property
    def project(self) -> dict:
        if self._project is None:
            self._project = find_project(self.client, self._project_ref)
        return self._project

    @property
    def project_id(self) -> int:
        return int(self.project["projectId"])

    def _state(self) -> SyncState:
        return SyncState.load(self.root, self.project_id)

    def _cloud(self) -> tuple[dict[str, dict], dict[str, str]]:
        """Cloud files by name (one request), and the names refused as unsafe, with why."""
        files, unsafe = {}, {}
        for f in self.client.read_files(self.project_id):
            if f.get("isLibrary") and not self.include_libraries:
                continue
            try:
                files[check_name(f["name"])] = f
            except UnsafePath as e:
                unsafe[f["name"]] = str(e)
        return files, unsafe

    def _selection(self, names: Sequence[str] | str | None, everything: bool,
                   known: Iterable[str]) -> list[str]:
        if isinstance(names, str):
            names = [names]
        if names and everything:
            raise InvalidArgument("name files or ask for all of them, not both")
        known = sorted(set(known))
        if everything or names is None:
            return known
        missing = [n for n in names if n not in known]
        if missing:
            hints = {n: near(n, known) for n in missing}
            text = "; ".join(f"{n!r}" + (f" (did you mean {', '.join(map(repr, h))}?)" if h else "")
                             for n, h in hints.items())
            raise NotFoundError("/files/read", [f"no such file: {text}"],
                                f"no such file in project {self.project['name']!r} or in "
                                f"{self.root}: {text}")
        return list(dict.fromkeys(names))

    # --- status ---------------------------------------------------------------------------------
    def status(self, names: Sequence[str] | str | None = None) -> StatusReport:
        """Every file's state (see sync.status), with sizes and times."""
        cloud, unsafe = self._cloud()
        local = list_local(self.root)
        state = self._state()
        report = StatusReport(self.project_id, str(self.root))
        for name in self._selection(names, False, set(cloud) | set(local) | set(state.bases)):
            lpath = local.get(name)
            lside = _side(name, read_text(lpath)) if lpath else None
            cfile = cloud.get(name)
            cside = _side(name, cfile.get("content", "")) if cfile else None
            st = classify(lside and lside.fp, state.get(name), cside and cside.fp)
            if st is None:
                continue
            notes = [f"{side} copy is not a valid notebook" for side, s in
                     (("local", lside), ("cloud", cside)) if s and s.invalid]
            report.files.append(FileStatus(
                name, st, len(lside.text) if lside else None,
                len(cside.text) if cside else None,
                lpath.stat().st_mtime if lpath else None,
                cfile.get("modified") if cfile else None, "; ".join(notes)))
        for name, why in unsafe.items():
            report.files.append(FileStatus(name, "cloud-only", note=why))
        return report

    # --- pull -----------------------------------------------------------------------------------
    def pull(self, names: Sequence[str] | str | None = None, *, all: bool = False,
             force: bool = False, dry_run: bool = False) -> SyncReport:
        """Bring cloud changes here. Local work is never lost: see the module docstring.

        force=True takes the cloud version even over local changes (backing them up first).
        """
        if names is None and not all:
            raise InvalidArgument("name the files to pull, or pull all=True")
        cloud, unsafe = self._cloud()
        local = list_local(self.root)
        state = self._state()
        report = SyncReport("pull", dry_run)
        for name, why in unsafe.items():
            report.add(name, "refused", "cloud-only", why)
        selected = self._selection(names, all, set(cloud) | set(local) | set(state.bases)
                                   | set(unsafe))
        bar = progress_bars.bar(len(selected), "pull", "none" if dry_run else self.progress,
                                unit="file")
        todo = [n for n in selected if n not in unsafe]
        # One request brought every file; what is left is disk work (temp file, fsync, rename),
        # which waits on the disk, not the CPU, so a few threads do it several times faster.
        try:
            with bounded_pool(min(self.concurrency, len(todo)), "qc-pull") as pool, state.batch():
                futures = [pool.submit(self._pull_one, name, cloud.get(name), local.get(name),
                                       state, force, report) for name in todo]
                for future in as_completed(futures):
                    future.result()
                    bar.update()
        finally:
            bar.close()
        return report

    def _write_copy(self, copy: str, text: str) -> None:
        """Write a copy of the cloud version beside a file. An earlier copy with other content
        (perhaps being merged by hand) goes to the backups first."""
        path = local_path(self.root, copy)
        old = read_text(path) if path.exists() else None
        if old is not None and old != text:
            backup(self.root, copy, path)
        write_atomic(path, text)

    def _pull_one(self, name: str, cfile: dict | None, lpath: Path | None, state: SyncState,
                  force: bool, report: SyncReport) -> None:
        base = state.get(name)
        target = lpath or local_path(self.root, name)
        lside = _side(name, read_text(lpath)) if lpath else None
        cside = _side(name, cfile.get("content", "")) if cfile else None
        st = classify(lside and lside.fp, base, cside and cside.fp)
        dry = report.dry_run
        if st is None or cside is None:
            if st == "deleted-in-cloud":
                report.add(name, "kept", st, "deleted in the cloud; the local file is kept")
            elif st == "local-only":
                report.add(name, "skipped", st, "only here; push it to send it")
            return
        if cside.invalid and is_notebook(name):
            copy = conflict_name(name, INVALID_TAG)
            copy = copy[: -len(".ipynb")] + ".txt" if copy.endswith(".ipynb") else copy + ".txt"
            if not dry:
                self._write_copy(copy, cside.text)
            report.add(name, "invalid", st, f"the cloud copy is not a notebook "
                                             f"({cside.invalid}); saved raw as {copy}")
            return
        never_synced = lside is not None and (base is None or lside.fp.whole != base.whole)
        if st == "in-sync":
            if not dry and (base is None or base.whole != cside.fp.whole):
                state.record(name, cside.text)
            report.add(name, "up-to-date", st)
            return
        if st == "deleted-locally" and base is not None and cside.fp.whole != base.whole:
            # Deleted here, but changed in the cloud since: restoring loses nothing and keeps
            # the cloud's new work in sight.
            force = True
        if st in ("local-changed", "deleted-locally", "conflict") and not force:
            if st == "local-changed":
                report.add(name, "kept", st, "local changes kept; push them, or pull with force")
            elif st == "deleted-locally":
                report.add(name, "kept", st, "deleted here; pull with force to restore it")
            else:
                copy = conflict_name(name)
                if not dry:
                    self._write_copy(copy, cside.text)
                report.add(name, "conflict-copy", st,
                           f"both sides changed: local kept, cloud version saved as {copy}; "
                           f"compare with diff({name!r}), then push with force or pull with force")
            return
        detail = ""
        if never_synced and lpath is not None:
            detail = "previous local content backed up"
            if not dry:
                saved = backup(self.root, name, lpath)
                detail = f"previous local content backed up to {saved.relative_to(self.root)}"
        if not dry:
            write_atomic(target, cside.text)
            state.record(name, cside.text)
        action = "restored" if st == "deleted-locally" else "pulled"
        report.add(name, action, st, detail)

    # --- push -----------------------------------------------------------------------------------
    def push(self, names: Sequence[str] | str | None = None, *, all: bool = False,
             force: bool = False, dry_run: bool = False, keep_outputs: bool = False,
             as_name: str | None = None,
             parameters: Mapping[str, Any] | None = None) -> SyncReport:
        """Send local changes to the cloud, refusing any file whose cloud copy changed since the
        last sync unless force=True. Notebooks go without outputs unless keep_outputs=True.

        as_name pushes one local file under another cloud name; parameters are injected into a
        notebook (papermill-style, locally too, once the cloud write is going ahead).
        """
        if names is None and not all:
            raise InvalidArgument("name the files to push, or push all=True")
        local = list_local(self.root)
        selected = self._selection(names, all, local)
        if as_name is not None and len(selected) != 1:
            raise InvalidArgument("as_name renames one file; name exactly one")
        if parameters:
            for name in selected:
                if not is_notebook(name):
                    raise InvalidArgument(f"parameters go into notebooks; {name} is not one")
        skipped: dict[str, str] = {}
        outgoing = prepare_outgoing(selected, local, size_cap=self.size_cap,
                                    keep_outputs=keep_outputs, as_name=as_name,
                                    parameters=parameters, skipped=skipped)
        return push_outgoing(self, outgoing, force=force, dry_run=dry_run,
                             keep_outputs=keep_outputs, skipped=skipped)

    def write(self, name: str, text: str, *, force: bool = False) -> SyncReport:
        """Make `text` the content of file `name` here and in the cloud (created or updated).

        Everything is checked first (name, content, size, notebook validity, the cloud copy):
        the local file changes only when the cloud write goes ahead, and content never synced
        is backed up before it is replaced. A cloud copy changed since the last sync is not
        overwritten unless force=True.
        """
        check_name(name)
        if not text:
            raise InvalidArgument(f"no content to write to {name} (the input was empty); an "
                                  "empty file can be created locally and pushed")
        try:
            item = outgoing_item(name, text, size_cap=self.size_cap)
        except InvalidNotebook as e:
            raise InvalidNotebook(f"nothing was written: {e}") from None
        except SyncError as e:
            raise SyncError(f"nothing was written: {e}") from None
        local_path(self.root, name)   # refuses a path that leads outside before any request
        item.changes_local = True
        return push_outgoing(self, {name: item}, force=force, dry_run=False, keep_outputs=False)

    # --- the rest -------------------------------------------------------------------------------
    def wait_for_run(self, name: str, *, timeout: float = 900.0, poll_interval: float = 5.0):
        """Wait until notebook `name` has been run in the cloud, then pull it (see cloud_run)."""
        from .cloud_run import wait_for_run
        return wait_for_run(self, name, timeout=timeout, poll_interval=poll_interval)

    def outputs(self, name: str):
        """The outputs of the local copy of notebook `name` as Python values."""
        from .outputs import read_outputs
        if not is_notebook(name):
            raise InvalidArgument(f"{name} is not a notebook (.ipynb): outputs come from "
                                  "notebooks")
        path = list_local(self.root).get(name)
        if path is None:
            raise NotFoundError("/files/read", [f"{name} is not in {self.root}"],
                                f"{name} is not in {self.root}; pull it first")
        return read_outputs(path)

    def diff(self, name: str, against: str = "cloud"):
        """Local versus the cloud copy ("cloud") or the last synced version ("base")."""
        from .diff import diff_texts
        if against not in ("cloud", "base"):
            raise InvalidArgument(f"diff against 'cloud' or 'base', not {against!r}")
        local = list_local(self.root)
        lpath = local.get(name)
        ltext = read_text(lpath) if lpath else None
        if against == "base":
            other = self._state().base_text(name)
            label = "last synced"
        else:
            cloud, _ = self._cloud()
            self._selection([name], False, set(cloud) | set(local))
            other = cloud[name]["content"] if name in cloud else None
            label = "cloud"
        return diff_texts(name, other, ltext, a_label=f"{label}/{name}", b_label=f"local/{name}")

    def remove(self, name: str, *, force: bool = False, dry_run: bool = False) -> SyncReport:
        """Delete a cloud file; the local copy moves to the backups folder.

        A cloud copy that changed since the last sync (or that this folder never saw, beside a
        different local copy) holds work the local copy lacks: it is refused unless force=True.
        Whenever the cloud text differs from the local copy it is backed up too, and the report
        says where, so nothing deleted exists nowhere.
        """
        cloud, _ = self._cloud()
        self._selection([name], False, cloud)
        report = SyncReport("remove", dry_run)
        lpath = list_local(self.root).get(name)
        base = self._state().get(name)
        cside = _side(name, cloud_text(cloud[name]))
        lside = _side(name, read_text(lpath)) if lpath else None
        st = classify(lside and lside.fp, base, cside.fp) or "cloud-only"
        unseen = (cside.fp.whole != base.whole) if base is not None else \
            (lside is not None and lside.fp.whole != cside.fp.whole)
        if unseen and not force:
            why = ("its cloud copy changed since the last sync" if base is not None else
                   "its cloud copy was never synced here and differs from the local file")
            report.add(name, "refused", st, f"{why}: pull it first to keep that work, or "
                                            "remove with force (the cloud text is backed up)")
            return report
        keep_cloud = lside is None or lside.fp.whole != cside.fp.whole
        notes = []
        if not dry_run:
            if keep_cloud:
                saved = self._backup_cloud_text(name, cside.text)
                notes.append(f"cloud copy backed up to {saved.relative_to(self.root)}")
            self.client.delete_file(self.project_id, name)
            if lpath is not None:
                saved = backup(self.root, name, lpath)
                lpath.unlink()
                notes.append(f"local copy moved to {saved.relative_to(self.root)}")
            self._state().forget(name)
        elif keep_cloud:
            notes.append("the cloud copy would be backed up")
        report.add(name, "removed", st, "; ".join(notes))
        return report

    def _backup_cloud_text(self, name: str, text: str) -> Path:
        """Keep a cloud file's text in .qc-sync/backups/<time>-cloud/<name> before deleting it."""
        import time
        from pathlib import PurePosixPath

        from .disk import META_DIR
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 1_000_000:06d}-cloud"
        target = self.root / META_DIR / "backups" / stamp / PurePosixPath(name)
        write_atomic(target, text)
        return target

    def rename(self, old: str, new: str, *, dry_run: bool = False) -> SyncReport:
        """Rename a cloud file; the local file and its sync state follow."""
        check_name(new)
        cloud, _ = self._cloud()
        self._selection([old], False, cloud)
        if new in cloud:
            raise InvalidArgument(f"{new!r} already exists in the cloud project")
        local = list_local(self.root)
        target = local_path(self.root, new)
        if new in local or target.exists():
            raise InvalidArgument(f"{target} already exists locally; move it away first")
        report = SyncReport("rename", dry_run)
        if not dry_run:
            self.client.rename_file(self.project_id, old, new)
            if old in local:
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.replace(local[old], target)
                except OSError as e:
                    raise LocalWriteError(f"renamed in the cloud, but not locally: {e}") from None
            self._state().rename(old, new)
        report.add(old, "renamed", "in-sync", f"now {new}")
        return report
