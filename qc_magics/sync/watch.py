"""Live two-way sync, one step at a time: push local saves, pull cloud changes, stop on conflicts.

The engine makes no decision about content: a cloud change is taken by the normal pull, a local
save goes out by the normal push, so whatever they do (conflict copies, backups, merges) holds
here too. What it adds is *when*:

- local saves are found by `stat` (settle.py) and pushed once completely written; a file whose
  content is the synced one is never sent;
- the cloud is asked the cheapest question that shows a change (`Cloud.probe`, e.g. the project's
  `modified` stamp) and read in full only when the answer moved; the stamp has one-second
  resolution, so after a read caused by a move one more read follows a second later (an edit
  later in that same second leaves the stamp where it was); a full read also comes every
  `full_every` seconds in case the service's stamp misses a change;
- the time between cloud checks adapts: `min_interval` after activity, doubling to
  `max_interval` while nothing happens;
- a pull waits while any local file is being saved (its stat moved since the last check) and
  is retried at the next check, so the pull never decides on a half-saved file;
- a file that ends in conflict (the pull kept both versions) stops syncing until the person
  settles it (taking either side with force makes it match the last sync again; the engine then
  resumes it) or `resume(name)`.

Nothing here sleeps or starts a thread: `step()` does one check and says when to call it again,
so tests drive it with a fake clock (workspace/watch.py runs it in a thread).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from ..errors import QCError
from .names import printable
from .errors import SyncError
from .settle import LocalChanges, Look, stat_of
from .state import SyncState
from .status import SyncReport

DEFAULT_MIN_INTERVAL = 2.0     # seconds between cloud checks right after activity
DEFAULT_MAX_INTERVAL = 30.0    # ... growing to this while idle
DEFAULT_SETTLE = 0.5           # a save is complete once its stat held still this long
DEFAULT_FULL_EVERY = 300.0     # a full read at least this often, whatever the probe says
STAMP_RESOLUTION = 1.0         # the probe's stamp moves at most once a second
PULL_PATIENCE = 3              # checks a pull waits for saves to end before it goes anyway


class Cloud(Protocol):
    """The cloud side, as the engine needs it (workspace/watch.py makes it of a Workspace)."""

    def probe(self) -> str | None:
        """A small answer that changes when the project changes; None when unknown (read)."""

    def pull(self) -> SyncReport:
        """Pull every file (the normal pull: it keeps local changes and both versions)."""

    def push(self, name: str) -> SyncReport:
        """Push one file (the normal push: it never overwrites a cloud change)."""


@dataclass(frozen=True)
class WatchEvent:
    """Something worth a line: a file went one way, a conflict, an error, start and stop."""

    # started, pushed, pulled (or any other pull action: restored...), conflict, resumed,
    # refused, skipped, kept (deleted in the cloud), deleted (here), failed, error, stopped
    kind: str
    name: str = ""
    detail: str = ""
    at: float = 0.0  # wall-clock time

    def __str__(self) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(self.at)) if self.at else ""
        what = f"{self.kind} {printable(self.name)}".strip()
        return " ".join(p for p in (stamp, what + (f": {printable(self.detail)}"
                                                   if self.detail else "")) if p)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@dataclass
class WatchStatus:
    """Where a live sync stands: each file's state, the conflicts it stopped on, the rounds."""

    folder: str
    files: dict[str, str] = field(default_factory=dict)   # name -> synced/changed/conflict/...
    conflicts: dict[str, str] = field(default_factory=dict)   # name -> what was kept where
    rounds: int = 0            # cloud checks made
    reads: int = 0             # full cloud reads (pulls) made
    pushes: int = 0            # files sent
    last_round: float | None = None   # wall-clock time of the last cloud check
    interval: float = 0.0      # seconds until the next cloud check, as last decided
    running: bool = False
    error: str | None = None   # the last error, if the sync stopped on one

    def summary(self) -> str:
        """One line: "3 files in sync, 1 conflict (research.ipynb); 12 checks, 2 pulls, 1 push"."""
        counts: dict[str, int] = {}
        for state in self.files.values():
            counts[state] = counts.get(state, 0) + 1
        files = ", ".join(f"{_count(n, 'file')} {state}" for state, n in sorted(counts.items())) \
            or "no files"
        conflicts = (f"; stopped on {_count(len(self.conflicts), 'conflict')}: "
                     f"{', '.join(printable(n) for n in self.conflicts)}" if self.conflicts else "")
        return (f"{files}{conflicts}; {_count(self.rounds, 'cloud check')}, "
                f"{_count(self.reads, 'read')}, {_count(self.pushes, 'file')} sent")


Listener = Callable[[WatchEvent], None]
QUIET = ("kept", "skipped", "up-to-date", "unchanged", "refused")   # a pull that changed nothing


class Watcher:
    """One folder's live sync. Call `step()` until stopped; it returns the seconds to wait."""

    def __init__(self, root: Path, project_id: int, cloud: Cloud, *,
                 min_interval: float = DEFAULT_MIN_INTERVAL,
                 max_interval: float = DEFAULT_MAX_INTERVAL, settle: float = DEFAULT_SETTLE,
                 full_every: float = DEFAULT_FULL_EVERY,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time, on_event: Listener | None = None):
        if not 0 < min_interval <= max_interval:
            raise ValueError(f"intervals must be 0 < min ({min_interval}) <= max ({max_interval})")
        self.root = Path(root)
        self.project_id = project_id
        self.cloud = cloud
        self.min_interval, self.max_interval = min_interval, max_interval
        self.settle, self.full_every = settle, full_every
        self.clock, self.wall = clock, wall
        self.listeners: list[Listener] = [on_event] if on_event else []
        self.local = LocalChanges(self.root, settle, clock)
        self.paused: dict[str, str] = {}         # conflicts: name -> detail
        self.blocked: dict[str, tuple] = {}      # refused pushes: name -> stat it was refused at
        self.after_pull: set[str] = set()        # pushes refused for a cloud change: pull first
        self.retry_at: dict[str, float] = {}     # pushes that failed on the network
        self.told: set[str] = set()              # one-time notes already said (deleted in cloud)
        self.interval = min_interval
        self.next_check = clock()                # the first step checks the cloud at once
        self.stamp: str | None = None
        self.confirm_at: float | None = None     # a second read due (see the module docstring)
        self.last_read: float | None = None
        self.waited = 0                          # checks a pull waited for saves to end
        self.owed: str | None = None             # a read postponed by a save, still due
        self.last_error: str | None = None
        self.status = WatchStatus(str(self.root))

    # --- events ---------------------------------------------------------------------------------
    def emit(self, kind: str, name: str = "", detail: str = "") -> None:
        event = WatchEvent(kind, name, detail, self.wall())
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:   # a face's drawing error must not stop the sync
                pass

    # --- one step -------------------------------------------------------------------------------
    def step(self) -> float:
        """One local check, plus a cloud check when due; returns seconds until the next step."""
        now = self.clock()
        state = self._state()
        look = self.local.look(state.get, skip=state.copies)
        self._resume_settled(look)
        for name in look.gone:
            if name not in self.paused:
                self.emit("deleted", name, "deleted here; the cloud copy is kept (rm deletes it "
                                           "there)")
        active = bool(look.ready or look.gone)
        if now >= self.next_check:
            if look.moved and self.waited < PULL_PATIENCE:
                # Someone is saving right now: decide on the cloud next check, not on half a save.
                self.waited += 1
                self.next_check = now + self.settle
            else:
                active |= self._check_cloud(now)
        active |= self._push(look.ready)
        if active:
            self.interval = self.min_interval
            self.next_check = min(self.next_check, now + self.min_interval)
        self._update_status(look)
        return max(0.0, min(self.settle, self.next_check - self.clock()))

    def _state(self) -> SyncState:
        try:
            return SyncState.load(self.root, self.project_id)
        except QCError:
            return SyncState(self.root, self.project_id)

    # --- the cloud ------------------------------------------------------------------------------
    def _check_cloud(self, now: float) -> bool:
        """Probe; read and pull when the cloud moved. True when anything changed here."""
        self.status.rounds += 1
        self.status.last_round = self.wall()
        why = None
        try:
            why = self._why_read(now)
            if why in ("first", "stamp"):
                # An edit later in the stamp's second leaves it where it is: a read that starts
                # a second after this one sees it.
                self.confirm_at = self.clock() + STAMP_RESOLUTION + 0.1
            elif why == "confirm":
                self.confirm_at = None
            if why and not self.local.still(self._state().copies) \
                    and self.waited < PULL_PATIENCE:
                # A save landed since the check (during the probe): the read is owed, and
                # decided on the next check, not on half a save.
                self.owed = why
                self.waited += 1
                self.next_check = self.clock() + self.settle
                return False
            self.owed, self.waited = None, 0
            report = self.cloud.pull() if why else None
        except QCError as e:
            self.owed = why or self.owed   # a read that failed is still due
            self._trouble(e)
            self._schedule(now, active=False)
            return False
        self.last_error = None
        if report is None:
            self._schedule(now, active=False)
            return False
        self.status.reads += 1
        self.last_read = now
        self.after_pull.clear()
        changed = self._pulled(report)
        self._schedule(now, active=changed)
        return changed

    def _why_read(self, now: float) -> str | None:
        """Why the cloud is read now (None: it is not). The probe is the only request made
        when nothing changed."""
        if self.owed:                # postponed while a file was being saved
            return self.owed
        if self.after_pull:          # a push was refused for a cloud change: read it now
            return "refused"
        stamp = self.cloud.probe()
        moved = stamp is None or stamp != self.stamp
        self.stamp = stamp
        if self.last_read is None:
            return "first"
        if moved:
            return "stamp"
        if self.confirm_at is not None and now >= self.confirm_at:
            return "confirm"
        if now - self.last_read >= self.full_every:
            return "full"   # in case the service's stamp misses a change
        return None

    def _schedule(self, now: float, *, active: bool) -> None:
        self.interval = (self.min_interval if active else
                         min(self.max_interval, self.interval * 2))
        if self.confirm_at is not None:   # the second read comes soon, not after a long idle
            self.interval = min(self.interval, max(self.min_interval, self.confirm_at - now))
        self.next_check = now + self.interval

    def _pulled(self, report: SyncReport) -> bool:
        """Say what the pull did; stop syncing files it left in conflict. Whatever else the pull
        learns to do (a clean merge, say) is said by its own action's name."""
        changed = False
        conflicts = {a.name for a in report.conflicts}
        for a in report.actions:
            if a.name in conflicts or a.action == "invalid":
                changed = True
                if a.name not in self.paused:
                    self.paused[a.name] = a.detail
                    self.emit("conflict", a.name, f"{a.detail}; live sync of this file "
                                                  "stopped until you settle it")
            elif a.action == "failed":
                self.emit("failed", a.name, a.detail)
            elif a.action == "kept" and a.state == "deleted-in-cloud":
                if a.name not in self.told:
                    self.told.add(a.name)
                    self.emit("kept", a.name, a.detail)
            elif a.action not in QUIET:
                changed = True
                self.local.forget(a.name)   # its new stat is ours: adopted once it matches
                self.emit(a.action, a.name, a.detail)
        return changed

    # --- local saves ----------------------------------------------------------------------------
    def _push(self, ready: list[str]) -> bool:
        sent = False
        now = self.clock()
        for name in ready:
            if name in self.paused or name in self.after_pull:
                continue
            st = self.local.stat(name)
            if self.blocked.get(name) == st or self.retry_at.get(name, 0.0) > now:
                continue
            self.blocked.pop(name, None)
            try:
                report = self.cloud.push(name)
            except SyncError as e:
                # The file itself cannot go (a notebook that is not valid, over the size cap):
                # said once, tried again when it changes. No request was made.
                self.blocked[name] = st
                self.emit("refused", name, _first_line(e))
                continue
            except QCError as e:
                self._trouble(e, name)
                self.retry_at[name] = now + self.interval
                continue
            self.retry_at.pop(name, None)
            sent |= self._pushed(name, st, report)
        return sent

    def _pushed(self, name: str, st, report: SyncReport) -> bool:
        actions = [a for a in report.actions if a.name == name] or report.actions
        sent = False
        for a in actions:
            if a.action in ("pushed", "created"):
                sent = True
                self.status.pushes += 1
                self.local.adopt(name, st)   # the stat it had before it was read and sent
                self.emit("pushed", name, a.detail)
            elif a.action in ("unchanged", "up-to-date"):
                self.local.adopt(name, st)
            elif a.action == "refused" and a.state in ("cloud-changed", "conflict"):
                # The cloud changed too: the next check pulls, which keeps both versions.
                self.after_pull.add(name)
            elif a.action == "failed":       # the service or the network: try again later
                self.retry_at[name] = self.clock() + self.interval
                if a.detail != self.last_error:   # said once, not at every retry
                    self.last_error = a.detail
                    self.emit("failed", name, a.detail + "; retrying")
            else:
                self.blocked[name] = st      # tried again once the file changes
                self.emit(a.action, name, a.detail)
        return sent

    def _resume_settled(self, look: Look) -> None:
        """A conflict the person settled (took one side with force): the file matches the last
        sync again, so it syncs again."""
        for name in look.adopted:
            if name in self.paused:
                del self.paused[name]
                self.emit("resumed", name, "settled; live sync of this file goes on")

    def resume(self, name: str) -> None:
        """Sync `name` again after a conflict (its content decides what happens next)."""
        if self.paused.pop(name, None) is not None:
            self.local.forget(name)
            self.blocked.pop(name, None)
            self.emit("resumed", name)

    def _trouble(self, e: QCError, name: str = "") -> None:
        text = _first_line(e)
        if text != self.last_error:   # one line per new problem, not one per retry
            self.last_error = text
            self.emit("error", name, text + "; retrying")

    # --- status ---------------------------------------------------------------------------------
    def _update_status(self, look: Look) -> None:
        files = {name: "synced" for name in self.local.synced}
        for name in look.changing + look.ready:
            files[name] = "changed"
        for name in self.blocked:
            files[name] = "refused"
        for name in self.paused:
            files[name] = "conflict"
        self.status.files = dict(sorted(files.items()))
        self.status.conflicts = dict(self.paused)
        self.status.interval = self.interval


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # "nothing was pushed:" says little alone: the line after it names the file and why.
    if len(lines) > 1 and lines[0].endswith(":"):
        return printable(f"{lines[0]} {lines[1]}")
    return printable(lines[0] if lines else type(e).__name__)


__all__ = ["Watcher", "WatchEvent", "WatchStatus", "Cloud", "stat_of", "DEFAULT_MIN_INTERVAL",
           "DEFAULT_MAX_INTERVAL", "DEFAULT_SETTLE", "DEFAULT_FULL_EVERY"]
