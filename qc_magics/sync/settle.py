"""Which local files changed since they were last in sync, by `stat` alone, and when each one is
completely written.

A live sync must not read a file an editor is still writing, nor send anything when nothing
changed. So a file counts as changed only when its (mtime, size) differs from what it had when
last in sync, and as ready only once that (mtime, size) stayed the same at two checks at least
`settle` seconds apart. A ready file whose content still matches the last synced version (touched,
or re-saved with only notebook outputs changed) is adopted silently: nothing to send.
No request is made here; content is read only for files whose stat moved.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .content import InvalidNotebook, fingerprint
from .disk import LocalReadError, read_text, scan
from .state import Base

Stat = tuple[int, int]   # (st_mtime_ns, st_size)


def stat_of(path: Path) -> Stat | None:
    """The file's (mtime in ns, size); None when it is gone."""
    try:
        st = path.lstat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def matches_base(name: str, path: Path, base: Base | None) -> bool:
    """The local file holds what was last synced (for a notebook, the same work: outputs made
    here are not something to push)."""
    if base is None:
        return False
    try:
        text = read_text(path)
    except LocalReadError:
        return False
    if text is None:
        return False
    try:
        fp = fingerprint(name, text)
    except InvalidNotebook:
        return False
    return fp.whole == base.whole or fp.work == base.work


@dataclass
class Look:
    """What one check found."""

    ready: list[str] = field(default_factory=list)     # changed, completely written: push them
    changing: list[str] = field(default_factory=list)  # changed, maybe still being written
    gone: list[str] = field(default_factory=list)      # were in sync, deleted here since
    adopted: list[str] = field(default_factory=list)   # touched, but the content is the synced one
    moved: bool = False   # some file's stat moved since the previous check (someone is saving)


class LocalChanges:
    """The stat of each local file when last in sync, and of each changed file as last seen."""

    def __init__(self, root: Path, settle: float, clock: Callable[[], float]):
        self.root = root
        self.settle = settle
        self.clock = clock
        self.synced: dict[str, Stat] = {}              # name -> stat when last in sync
        self.seen: dict[str, tuple[Stat, float]] = {}  # name -> (stat, when first seen so)
        self._previous: dict[str, Stat] | None = None  # every file's stat at the last check

    def files(self, skip: Iterable[str] = ()) -> dict[str, Path]:
        """The project files here (the sync's own rule: scan), less `skip` (conflict copies)."""
        found = scan(self.root).files
        for name in skip:
            found.pop(name, None)
        return found

    def look(self, bases: Callable[[str], Base | None], skip: Iterable[str] = ()) -> Look:
        """Compare every file's stat with its synced one. `bases` gives a file's last synced
        version, read only for a file whose stat moved."""
        now = self.clock()
        found = Look()
        current: dict[str, Stat] = {}
        for name, path in self.files(skip).items():
            st = stat_of(path)
            if st is None:
                continue
            current[name] = st
            if self._previous is not None and self._previous.get(name) != st:
                found.moved = True
            if self.synced.get(name) == st:
                self.seen.pop(name, None)
                continue
            first = self.seen.get(name)
            if first is None or first[0] != st:
                # New or changed again since the last check: wait until it holds still.
                self.seen[name] = (st, now)
                found.changing.append(name)
                continue
            if now - first[1] < self.settle:
                found.changing.append(name)
                continue
            if matches_base(name, path, bases(name)) and stat_of(path) == st:
                self.adopt(name, st)
                found.adopted.append(name)
            else:
                found.ready.append(name)
        if self._previous is not None and set(self._previous) - set(current):
            found.moved = True
        for name in list(self.synced):
            if name not in current:
                del self.synced[name]
                found.gone.append(name)
        for name in list(self.seen):
            if name not in current:
                del self.seen[name]
        self._previous = current
        return found

    def still(self, skip: Iterable[str] = ()) -> bool:
        """No file was saved, added or removed since the last check (looked at again now, just
        before a pull decides on the files)."""
        if self._previous is None:
            return True
        now = {name: stat_of(path) for name, path in self.files(skip).items()}
        return now == self._previous

    def adopt(self, name: str, st: Stat | None) -> None:
        """`name` had stat `st` when it was in sync (a push sent it, or there was nothing to
        send): only a later change counts."""
        self.seen.pop(name, None)
        if st is None:
            self.synced.pop(name, None)
        else:
            self.synced[name] = st

    def forget(self, name: str) -> None:
        """Compare `name` afresh at the next check (its content decides, not its stat)."""
        self.synced.pop(name, None)
        self.seen.pop(name, None)

    def stat(self, name: str) -> Stat | None:
        return stat_of(self.root.joinpath(*name.split("/")))

