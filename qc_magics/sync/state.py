"""`SyncState`: what each file held when it was last in sync, kept beside the synced files.

Only fingerprints are trusted, never timestamps. The state file (.qc-sync/state.json) is rewritten
atomically after every file that is pulled or pushed, so an interrupted run resumes from where it
stopped. A copy of each base's content (.qc-sync/base/NAME) lets `diff` compare with the last synced
version; it is a convenience, checked against the fingerprint before use.

The state also records every conflict copy it writes (`copies`: copy name -> the file it is a
copy of). That record, not the name's pattern, is what makes `x.cloud.py` a copy rather than a
project file: a user's own `notes.cloud.py` syncs like any other file.
"""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from ..errors import QCError
from ..records import FrozenRecord
from .content import Fingerprint, fingerprint, migrate_fingerprint
from .disk import CONFLICT_TAG, INVALID_TAG, LocalWriteError, copy_name, meta_dir, meta_path, \
    read_text, write_atomic

STATE_VERSION = 2   # 2: notebook fingerprints count metadata (content.NOTEBOOK_FP)


class Base(FrozenRecord):
    """What a file was when it was last in sync: its fingerprint, and when."""

    work: str
    whole: str
    outputs: str
    synced_at: float

    def __init__(self, work: str, whole: str, outputs: str, synced_at: float):
        self._set(work=work, whole=whole, outputs=outputs, synced_at=synced_at)

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint(self.work, self.whole, self.outputs)


class SyncState:
    """Bases by cloud file name, for one project in one folder. Thread-safe."""

    def __init__(self, root: Path, project_id: int, bases: dict[str, Base] | None = None,
                 copies: dict[str, str] | None = None, project_name: str | None = None):
        self.root = root
        self.project_id = project_id
        # The project's name as last seen, so that a command naming the folder's own project
        # needs no request to find its id (a folder is synced with one project, by id).
        self.project_name = project_name
        self.bases: dict[str, Base] = dict(bases or {})
        self.copies: dict[str, str] = dict(copies or {})
        self._lock = threading.Lock()
        self._batching = 0
        self._dirty = False
        self._saved_at = 0.0

    @property
    def path(self) -> Path:
        return meta_dir(self.root) / "state.json"

    @staticmethod
    def recorded_project(root: Path) -> tuple[int, str | None] | None:
        """The project id (and name as last seen) this folder is synced with; None when there is
        no readable state. Never raises: the caller falls back to asking the service."""
        try:
            data = json.loads(read_text(meta_dir(root) / "state.json") or "null")
            name = data.get("projectName")
            return int(data["projectId"]), name if isinstance(name, str) else None
        except (QCError, OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def remember_name(self, name: str) -> None:
        """Keep the project's current name (saved with the next save)."""
        with self._lock:
            if name != self.project_name:
                self.project_name = name
                self._dirty = True

    @classmethod
    def load(cls, root: Path, project_id: int) -> "SyncState":
        path = meta_dir(root) / "state.json"   # refuses a .qc-sync that is a symlink
        text = read_text(path)
        if text is None:
            return cls(root, project_id)
        try:
            data = json.loads(text)
            bases = {name: Base(**b) for name, b in data["files"].items()}
            copies = {str(k): str(v) for k, v in data.get("copies", {}).items()}
            if "copies" not in data:
                # Written before copies were recorded: the copies beside synced files are
                # adopted by their first-choice name, once; from then on the record decides.
                for origin in data["files"]:
                    for tag in (CONFLICT_TAG, INVALID_TAG):
                        copy = copy_name(origin, tag)
                        if root.joinpath(*PurePosixPath(copy).parts).is_file():
                            copies[copy] = origin
            stored_project = int(data["projectId"])
        except (ValueError, KeyError, TypeError) as e:
            raise QCError(f"{path} is damaged ({type(e).__name__}); move it away to start the "
                          "sync afresh (every file will be compared as on a first sync)") from None
        if stored_project != project_id:
            raise QCError(f"{root} is synced with project {stored_project}, not {project_id}; "
                          "use another folder for this project")
        name = data.get("projectName")
        state = cls(root, project_id, bases, copies, name if isinstance(name, str) else None)
        if data.get("version", 1) < STATE_VERSION:
            state._migrate()
        return state

    def _migrate(self) -> None:
        """Bases recorded before notebook metadata counted, in today's fingerprints (see
        content.migrate_fingerprint); a base that cannot be recomputed is forgotten."""
        for name, base in list(self.bases.items()):
            fp = migrate_fingerprint(name, base.fingerprint, read_text(self._base_copy(name)))
            if fp is None:
                del self.bases[name]
            elif fp != base.fingerprint:
                self.bases[name] = Base(fp.work, fp.whole, fp.outputs, base.synced_at)
        try:
            self._save()
        except LocalWriteError:
            pass   # a read-only folder: the migration holds in memory, and is redone next time

    def get(self, name: str) -> Base | None:
        with self._lock:
            return self.bases.get(name)

    @contextmanager
    def batch(self):
        """Within a pull or push of many files, save at most once a second and at the end.

        A record lost to a crash costs nothing: the next run finds both sides equal, calls the
        file in sync and records it again. Saving after every file would cost O(files^2).
        """
        with self._lock:
            self._batching += 1
        try:
            yield self
        finally:
            with self._lock:
                self._batching -= 1
                if not self._batching and self._dirty:
                    self._save()

    def record(self, name: str, text: str) -> None:
        """`text` is now in sync on both sides: remember it as the base and save."""
        fp = fingerprint(name, text)
        write_atomic(self._base_copy(name), text, durable=False)
        with self._lock:
            self.bases[name] = Base(fp.work, fp.whole, fp.outputs, time.time())
            if self._batching and time.monotonic() - self._saved_at < 1.0:
                self._dirty = True
            else:
                self._save()

    def is_copy(self, name: str) -> bool:
        with self._lock:
            return name in self.copies

    def mark_copy(self, copy: str, origin: str) -> None:
        """Record `copy` as a conflict copy of `origin`, saved at once: a copy on disk that the
        state does not know would look like a user's file and be pushed."""
        with self._lock:
            if self.copies.get(copy) == origin:
                return
            self.copies[copy] = origin
            self._save()

    def drop_copies(self, names) -> None:
        """Forget copies that are no longer on disk (saved with the next save)."""
        with self._lock:
            for name in names:
                if self.copies.pop(name, None) is not None:
                    self._dirty = True

    def forget(self, name: str) -> None:
        with self._lock:
            self.bases.pop(name, None)
            self._save()
        self._base_copy(name).unlink(missing_ok=True)

    def rename(self, old: str, new: str) -> None:
        text = self.base_text(old)
        with self._lock:
            base = self.bases.pop(old, None)
            if base:
                self.bases[new] = base
            self._save()
        if text is not None:
            write_atomic(self._base_copy(new), text, durable=False)
        self._base_copy(old).unlink(missing_ok=True)

    def base_text(self, name: str) -> str | None:
        """The last synced content, if its copy is there and matches the recorded base."""
        base = self.get(name)
        text = read_text(self._base_copy(name))
        if base is None or text is None:
            return None
        try:
            return text if fingerprint(name, text).whole == base.whole else None
        except ValueError:
            return None

    def _base_copy(self, name: str) -> Path:
        return meta_path(self.root, "base", *PurePosixPath(name).parts)

    def _save(self) -> None:
        data = {"version": STATE_VERSION, "projectId": self.project_id,
                **({"projectName": self.project_name} if self.project_name else {}),
                "files": {n: b.__dict__ for n, b in sorted(self.bases.items())},
                "copies": dict(sorted(self.copies.items()))}
        # Not fsynced: a state lost to a power cut only makes the next run compare files as on a
        # first sync, which keeps both sides' work.
        write_atomic(self.path, json.dumps(data, separators=(",", ":")), durable=False)
        self._dirty = False
        self._saved_at = time.monotonic()
