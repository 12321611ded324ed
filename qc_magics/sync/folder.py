"""`ProjectFolder`: a local folder mirroring a cloud project, synced without ever losing work.

>>> folder = ProjectFolder(client, "Momentum", "~/qc/momentum")
>>> folder.pull(all=True)
>>> folder.status().to_frame()
>>> folder.push(["research.ipynb"])

Rules (see the issue "Push and pull ... without ever losing work"):
- pull updates cloud-changed files, keeps local changes, merges a file both sides changed when
  the changes do not overlap (merge.py; reported `merged`), and on a real conflict keeps the local
  file and writes the cloud version beside it (research.cloud.ipynb); it never deletes a local
  file;
- push reads each changed file's cloud copy just before sending it, merges first a file both
  sides changed when the changes do not overlap, and refuses one that changed since the last
  sync otherwise (pull, or force=True); a file unchanged here needs no request; it never
  deletes a cloud file;
- a local file holding content never synced is backed up before anything replaces it;
- a name the sync refuses, on either side, shows in status with why and is never synced.

The work itself lives beside this class: listing.py (the cloud as the sync sees it), selection.py
(which files a command names), pull.py, push.py, cloud_edits.py (rename, remove), cloud_run.py.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .. import progress as progress_bars
from ..api.lookup import find_project
from ..errors import InvalidArgument
from ..waiting import CONCURRENCY, Meanwhile, bounded_pool
from . import cloud_edits
from .clashes import local_clashes
from .content import InvalidNotebook, is_notebook
from .disk import LocalScan, check_name, clean_leftovers, list_local, local_path, read_text, scan
from .errors import NoSuchFile, SyncError  # noqa: F401 (SyncError: re-exported, as before)
from .listing import one_per_disk_name, read_cloud
from .named import read_named, worth_reading_by_name
from .names import Outside
from .selection import refuse_named, select
from .sides import cloud_content as _content, local_side as _local_side, side as _side, \
    size as _size
from .state import SyncState
from .status import FileStatus, StatusReport, SyncReport, classify

DEFAULT_SIZE_CAP = 32_000


class ProjectFolder:
    """A cloud project (name, id, or the project as `projects/read` gave it, which saves asking
    again) and the local folder that mirrors it."""

    def __init__(self, client: Any, project: int | str | Mapping[str, Any],
                 folder: str | os.PathLike = ".", *, concurrency: int = CONCURRENCY,
                 size_cap: int = DEFAULT_SIZE_CAP,
                 include_libraries: bool = False, progress: str = "auto",
                 max_concurrency: int | None = None, prog: str | None = None):
        if concurrency < 1:
            raise InvalidArgument(f"concurrency must be at least 1, not {concurrency}")
        # A push of many files starts with `concurrency` requests in flight and grows up to
        # max_concurrency while answers stay fast (sync/waves.py); by default up to the
        # client's connection pool, so that no request waits for a connection.
        pool = getattr(client, "pool_size", concurrency)
        self.max_concurrency = max(concurrency, max_concurrency if max_concurrency is not None
                                   else pool if isinstance(pool, int) else concurrency)
        self.wave_sizes: list[int] = []   # the last push's waves (tests and benchmarks)
        self.client = client
        self.root = Path(folder).expanduser()
        resolved = isinstance(project, Mapping)
        self._project_ref = project["projectId"] if resolved else project
        self._project: dict | None = dict(project) if resolved else None
        self._known_id: int | None = None   # from the folder's state (see project_id)
        self.concurrency = concurrency
        self.size_cap = size_cap
        self.include_libraries = include_libraries
        self.progress = progress
        self.prog = prog   # whose commands reports name (SyncReport.command)

    # --- what the two sides hold ----------------------------------------------------------------
    @property
    def project(self) -> dict:
        """The cloud project, as `projects/read` gives it (asked for once, when first needed)."""
        if self._project is None:
            self._project = find_project(self.client, self._project_ref)
        return self._project

    @property
    def project_id(self) -> int:
        """The project's id: from the folder's own state when it names this project (no
        request), else from the project."""
        if self._project is None:
            if self._known_id is None:
                self._known_id = self._recorded_id()
            if self._known_id is not None:
                return self._known_id
        return int(self.project["projectId"])

    def _recorded_id(self) -> int | None:
        """The id of the project this folder is synced with, when the reference names it (its
        id, or its name as last seen): the folder's own state answers, with no request."""
        recorded = SyncState.recorded_project(self.root)
        if recorded is None:
            return None
        pid, name = recorded
        ref = str(self._project_ref).strip()
        return pid if ref == str(pid) or (name is not None and ref == name) else None

    def _state(self) -> SyncState:
        state = SyncState.load(self.root, self.project_id)
        if self._project is not None and isinstance(self._project.get("name"), str):
            state.remember_name(self._project["name"])
        return state

    def _cloud(self) -> tuple[dict[str, dict], dict[str, Outside]]:
        """Cloud files by name (one request), and the names refused, with why (listing.py)."""
        return read_cloud(self.client, self.project_id, self.include_libraries)

    def _cloud_meanwhile(self) -> Meanwhile:
        """_cloud on a thread of its own, while the caller reads the folder. The project is
        looked up first, here: looked up by both threads at once, it would be asked for twice."""
        self.project_id
        return Meanwhile(self._cloud)

    _one_per_disk_name = staticmethod(one_per_disk_name)

    def _scan(self, state: SyncState, found: LocalScan | None = None) -> LocalScan:
        """Project files here (the sync rule decides), less the conflict copies the state
        recorded writing, plus our leftover temp files and the names refused here. `found`: the
        folder as scanned already (status scans it before it loads the state)."""
        found = scan(self.root) if found is None else found
        found.gone_copies = [c for c in state.copies if c not in found.files]
        for copy in state.copies:
            found.files.pop(copy, None)
        return found

    def _local(self) -> dict[str, Path]:
        """Project files here by name (see _scan)."""
        return self._scan(self._state()).files

    def _where(self) -> str:
        return f"project {self.project['name']!r} or in {self.root}"

    def _selection(self, names: Sequence[str] | str | None, everything: bool,
                   known: Iterable[str]) -> list[str]:
        return select(names, everything, known, where=self._where)

    # --- status ---------------------------------------------------------------------------------
    def status(self, names: Sequence[str] | str | None = None) -> StatusReport:
        """Every file's state (see sync.status), with sizes and times; names the sync refuses,
        on either side, with why."""
        # The request waits on the network; reading and hashing the local files overlaps it.
        # Reading only: the state is loaded once the cloud has answered, as it always was, so
        # that a failed read changes nothing here (loading may migrate and save the state) and
        # its error is the one shown.
        asked = self._cloud_meanwhile()
        scanned = scan(self.root)
        sides = {n: _local_side(n, p) for n, p in scanned.files.items()} \
            if names is None else {}
        cloud, refused = asked.result()
        state = self._state()
        found = self._scan(state, scanned)
        local = found.files
        self._one_per_disk_name(cloud, refused, set(state.bases) | set(local))
        # What a push would refuse here: named by the rule (found.refused), or clashing with
        # the cloud (a twin, a file where a folder is).
        here = dict(found.refused)
        here.update(local_clashes([n for n in local if n not in cloud], local,
                                  set(cloud) | set(refused), state.bases))
        report = StatusReport(self.project_id, str(self.root))
        known = set(cloud) | set(local) | set(state.bases) | set(refused) | set(here)
        for name in self._selection(names, False, known):
            if name in refused or name in here:
                side, verdict = ("cloud-only", refused[name]) if name in refused else \
                    ("local-only", here[name])
                report.files.append(FileStatus(name, side, note=f"not synced: it {verdict.why}"))
                continue
            lpath = local.get(name)
            lside = (sides.get(name) or _local_side(name, lpath)) if lpath else None
            cfile = cloud.get(name)
            cside = _side(name, _content(cfile)) if cfile else None
            st = classify(lside and lside.fp, state.get(name), cside and cside.fp)
            if st is None:
                continue
            notes = [f"{side} copy is not a valid notebook" for side, s in
                     (("local", lside), ("cloud", cside)) if s and s.invalid]
            if lside and lside.unreadable:
                notes.append(lside.unreadable)
            try:
                modified = lpath.lstat().st_mtime if lpath else None
            except OSError:
                modified = None
            report.files.append(FileStatus(
                name, st, _size(lside), _size(cside), modified,
                cfile.get("modified") if cfile else None, "; ".join(notes)))
        return report

    # --- pull -----------------------------------------------------------------------------------
    def pull(self, names: Sequence[str] | str | None = None, *, all: bool = False,
             force: bool = False, dry_run: bool = False) -> SyncReport:
        """Bring cloud changes here. Local work is never lost: see the module docstring.

        force=True takes the cloud version even over local changes (backing them up first).
        """
        if names is None and not all:
            raise InvalidArgument("name the files to pull, or pull all=True")
        state = self._state()
        # All files: the one read of the project overlaps the scan of the folder (status too).
        asked = self._cloud_meanwhile() if all else None
        found = self._scan(state)
        local = found.files
        known = set(state.bases) | set(local)
        named = None
        if not all and names:
            wanted = [names] if isinstance(names, str) else list(dict.fromkeys(names))
            if worth_reading_by_name(wanted, len(known)):
                named = read_named(self, wanted, known)   # pull FILE reads that file only
        cloud, refused = named if named is not None else \
            asked.result() if asked is not None else self._cloud()
        self._one_per_disk_name(cloud, refused, known)
        if not dry_run:
            clean_leftovers(found.leftovers)   # temp files of runs that were killed
            state.drop_copies(found.gone_copies)   # deleted by the user: names free again
        report = SyncReport("pull", dry_run, prog=self.prog)
        taken = frozenset(set(cloud) | set(local) | set(state.bases) | set(refused))
        selected = self._selection(names, all, taken | set(found.refused))
        for name in selected:
            if name in refused:
                report.add(name, refused[name].action, "cloud-only",
                           f"not written: it {refused[name].why}")
            elif name in found.refused and not all:   # named: say why, not "no such file"
                report.add(name, "refused", "local-only",
                           f"not synced: it {found.refused[name].why}")
        bar = progress_bars.bar(len(selected), "pull", "none" if dry_run else self.progress,
                                unit="file")
        todo = [n for n in selected if n not in refused and n not in found.refused]
        stop = threading.Event()
        from concurrent.futures import as_completed
        from .pull import pull_one   # here, not at the top: status imports neither (start-up)

        def one(name: str) -> None:
            if stop.is_set():    # a crash or Ctrl-C in another thread: start nothing new
                return
            try:
                pull_one(self.root, name, cloud.get(name), local.get(name), state, force,
                         report, taken)
            except BaseException:
                stop.set()
                raise

        # One request brought every file; what is left is disk work (temp file, fsync, rename),
        # which waits on the disk, not the CPU, so a few threads do it several times faster.
        try:
            with bounded_pool(min(self.concurrency, len(todo)), "qc-pull") as pool, state.batch():
                futures = [pool.submit(one, name) for name in todo]
                for future in as_completed(futures):
                    future.result()
                    bar.update()
        finally:
            bar.close()
        return report

    # --- push -----------------------------------------------------------------------------------
    def push(self, names: Sequence[str] | str | None = None, *, all: bool = False,
             force: bool = False, dry_run: bool = False, keep_outputs: bool = False,
             as_name: str | None = None,
             parameters: Mapping[str, Any] | None = None) -> SyncReport:
        """Send local changes to the cloud, refusing any file whose cloud copy changed since the
        last sync unless force=True. Notebooks go without outputs unless keep_outputs=True.

        as_name pushes one local file under another cloud name; parameters are injected into a
        notebook (papermill-style, locally too, once the cloud write is going ahead). A name the
        sync refuses, or that would clash in the cloud (a twin, a file where a folder is), is
        reported refused with why; the other files still go.
        """
        if names is None and not all:
            raise InvalidArgument("name the files to push, or push all=True")
        state = self._state()
        found = self._scan(state)
        local = found.files
        if not dry_run:
            clean_leftovers(found.leftovers)   # temp files of runs that were killed, as in pull
        selected = self._selection(names, all, set(local) | set(found.refused))
        refused = {n: found.refused[n].why for n in selected if n in found.refused}
        selected = [n for n in selected if n not in refused]
        if as_name is not None and len(selected) != 1:
            raise InvalidArgument("as_name renames one file; name exactly one")
        if parameters:
            for name in selected:
                if not is_notebook(name):
                    raise InvalidArgument(f"parameters go into notebooks; {name} is not one")
        here = set(local)
        if as_name is not None:
            check_name(as_name)
            here = (here - set(selected)) | {as_name}
        clashing = local_clashes([as_name or n for n in selected], here, state.bases,
                                 state.bases)
        refused.update({n: clashing[as_name or n].why for n in selected
                        if (as_name or n) in clashing})
        selected = [n for n in selected if n not in refused]
        skipped: dict[str, str] = {}
        from .push import prepare_outgoing, push_outgoing
        outgoing = prepare_outgoing(selected, local, size_cap=self.size_cap,
                                    keep_outputs=keep_outputs, as_name=as_name,
                                    parameters=parameters, skipped=skipped)
        return push_outgoing(self, outgoing, force=force, dry_run=dry_run,
                             keep_outputs=keep_outputs, skipped=skipped, refused=refused,
                             local_names=here)

    def write(self, name: str, text: str, *, force: bool = False) -> SyncReport:
        """Make `text` the content of file `name` here and in the cloud (created or updated).

        Everything is checked first (name, content, size, notebook validity, the cloud copy):
        the local file changes only when the cloud write goes ahead, and content never synced
        is backed up before it is replaced. A cloud copy changed since the last sync is not
        overwritten unless force=True.
        """
        from .push import outgoing_item, push_outgoing
        check_name(name)
        if not text:
            raise InvalidArgument(f"no content to write to {name} (the input was empty); an "
                                  "empty file can be created locally and pushed")
        try:
            item = outgoing_item(name, text, size_cap=self.size_cap)
            item.read = None   # the text given replaces whatever the file holds (backed up)
        except InvalidNotebook as e:
            raise InvalidNotebook(f"nothing was written: {e}") from None
        except SyncError as e:
            raise SyncError(f"nothing was written: {e}") from None
        local_path(self.root, name)   # refuses a path that leads outside before any request
        state = self._state()
        here = set(self._scan(state).files) | {name}
        clash = local_clashes([name], here, state.bases, state.bases).get(name)
        if clash is not None:
            raise SyncError(f"nothing was written: {name!r} {clash.why}")
        item.changes_local = True
        # No merge: the text given is to be the content; a cloud edit since is refused.
        return push_outgoing(self, {name: item}, force=force, dry_run=False, keep_outputs=False,
                             local_names=here, merge=False)

    # --- one file at a time ---------------------------------------------------------------------
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
        found = scan(self.root)
        refuse_named(name, found.refused, "here")
        path = found.files.get(name)
        if path is None:
            raise NoSuchFile(f"{name} is not in {self.root}; pull it first")
        return read_outputs(path)

    def diff(self, name: str, against: str = "cloud"):
        """Local versus the cloud copy ("cloud") or the last synced version ("base")."""
        from .diff import diff_texts
        if against not in ("cloud", "base"):
            raise InvalidArgument(f"diff against 'cloud' or 'base', not {against!r}")
        found = scan(self.root)
        refuse_named(name, found.refused, "here")
        local = found.files
        lpath = local.get(name)
        ltext = read_text(lpath) if lpath else None
        if against == "base":
            other = self._state().base_text(name)
            label = "last synced"
        else:
            cloud, refused = self._cloud()
            refuse_named(name, refused, "in the cloud")
            self._selection([name], False, set(cloud) | set(local))
            other = cloud[name]["content"] if name in cloud else None
            label = "cloud"
        return diff_texts(name, other, ltext, a_label=f"{label}/{name}", b_label=f"local/{name}")

    def remove(self, name: str, *, force: bool = False, dry_run: bool = False) -> SyncReport:
        """Delete a cloud file; the local copy moves to the backups folder (cloud_edits.py).

        A cloud copy that changed since the last sync (or that this folder never saw, beside a
        different local copy) holds work the local copy lacks: it is refused unless force=True.
        """
        cloud, refused = self._cloud()
        # A refused name maps to no safe backup path here: rename it first (mv), then remove.
        refuse_named(name, refused, "in the cloud")
        self._selection([name], False, cloud)
        return cloud_edits.remove(self, name, cloud[name], force=force, dry_run=dry_run)

    def rename(self, old: str, new: str, *, dry_run: bool = False) -> SyncReport:
        """Rename a cloud file; the local file and its sync state follow (cloud_edits.py).

        Any cloud name may be renamed, a refused one included (that is how it gets a name the
        sync takes); the new name must be one the sync takes, free on both sides.
        """
        check_name(new)
        cloud, refused = self._cloud()
        self._selection([old], False, set(cloud) | set(refused))
        return cloud_edits.rename(self, old, new, set(cloud) | set(refused), dry_run=dry_run)
