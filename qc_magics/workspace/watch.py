"""Live sync for every face: `ws.watch()` runs sync.watch's engine in a background thread over this
workspace's own pull and push, and returns a handle (`stop()`, `status`, events).

One live sync per folder per workspace (the magic has one workspace per kernel). The thread is a
daemon with a stop Event, and every live sync is stopped at interpreter exit, so a kernel that
shuts down finishes the file it is writing (writes are atomic anyway) and goes.
"""
from __future__ import annotations

import atexit
import threading
import weakref
from pathlib import Path
from typing import Any, Callable

from ..errors import InvalidArgument
from ..records import replace
from .base import Refused, WorkspaceBase

_LIVE: "weakref.WeakSet[WatchHandle]" = weakref.WeakSet()


def _stop_all() -> None:
    for handle in list(_LIVE):
        handle.stop(timeout=5.0)


atexit.register(_stop_all)


class WorkspaceCloud:
    """The engine's cloud side (sync.watch.Cloud) over a workspace: its pull and push, and the
    project's `modified` stamp as the probe (one small `projects/read`)."""

    def __init__(self, ws: Any, project: str, folder: str, project_id: int):
        self.ws, self.project, self.folder, self.project_id = ws, project, folder, project_id

    def probe(self) -> str | None:
        modified = self.ws.client.read_project(self.project_id).get("modified")
        return str(modified) if modified else None

    def pull(self):
        return self.ws.pull(all=True, project=self.project, to=self.folder)

    def push(self, name: str):
        return self.ws.push([name], project=self.project, to=self.folder)


class WatchHandle:
    """A running live sync: `stop()`, `status`, `resume(name)`, `listen(fn)`."""

    def __init__(self, watcher: Any, folder: str, project: str,
                 forget: Callable[["WatchHandle"], None]):
        self.watcher = watcher
        self.folder, self.project = folder, project
        self._forget = forget
        self._stop = threading.Event()
        # Set when the thread has ended. Waiting on it, not on Thread.join: a join interrupted by
        # Ctrl-C can leave the thread marked stopped while it still runs (CPython gh-90882).
        self._done = threading.Event()
        self._lock = threading.Lock()   # one step at a time: the thread's, or a resume's
        self._thread = threading.Thread(target=self._run, name=f"qc-sync-watch {folder}",
                                        daemon=True)

    def start(self) -> "WatchHandle":
        self.watcher.status.running = True
        _LIVE.add(self)
        self.watcher.emit("started", "", f"live sync of {self.folder} with project "
                                         f"{self.project}")
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                with self._lock:
                    delay = self.watcher.step()
                self._stop.wait(delay)
        except Exception as e:   # a bug: said once, and the sync stops rather than spins
            self.watcher.status.error = f"{type(e).__name__}: {e}"
            self.watcher.emit("error", "", f"live sync stopped: {type(e).__name__}: {e}")
        finally:
            self.watcher.status.running = False
            self._forget(self)
            _LIVE.discard(self)
            self.watcher.emit("stopped", "", self.watcher.status.summary())
            self._done.set()

    @property
    def status(self):
        """sync.watch.WatchStatus: per-file states, conflicts, the last cloud check."""
        return self.watcher.status

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._done.is_set()

    def listen(self, listener: Callable) -> None:
        """Also call `listener(event)` for every event (a panel joining a running sync)."""
        self.watcher.listeners.append(listener)

    def resume(self, name: str) -> None:
        """Sync `name` again after a conflict."""
        with self._lock:
            self.watcher.resume(name)

    def stop(self, timeout: float | None = 30.0):
        """Stop after the step under way (a file being written is finished); the status."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._done.wait(timeout)
        return self.status

    def wait(self, poll: float = 0.2) -> None:
        """Block until stopped (the shell's foreground sync); Ctrl-C reaches the caller."""
        while not self._done.wait(poll):
            pass

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<live sync of {self.folder} with project {self.project}: {state}>"


class WatchActions(WorkspaceBase):
    """`watch`, `watching`, `stop_watching` and one round of `sync`."""

    @property
    def _watchers(self) -> dict[str, WatchHandle]:
        # Made when first needed: WorkspaceBase's constructor stays as it is.
        if "_watch_registry" not in self.__dict__:
            self.__dict__["_watch_registry"] = {}
        return self.__dict__["_watch_registry"]

    def _folder_key(self, to: str | None) -> str:
        return str(Path(to or self.settings.folder).expanduser().resolve())

    def watching(self, to: str | None = None) -> WatchHandle | None:
        """The live sync running for the folder, if any."""
        handle = self._watchers.get(self._folder_key(to))
        return handle if handle is not None and handle.running else None

    def watch(self, *, project: str | None = None, to: str | None = None,
              on_event: Callable | None = None, min_interval: float | None = None,
              max_interval: float | None = None, settle: float | None = None,
              full_every: float | None = None) -> WatchHandle:
        """Start a live sync of the folder with the project, in a background thread."""
        from ..sync import watch as engine
        s = self.settings
        lo = min_interval if min_interval is not None else s.watch_interval
        hi = max_interval if max_interval is not None else max(lo, s.watch_max_interval)
        if not (0 < lo <= hi):
            raise InvalidArgument(f"the live sync's interval must be more than 0 and at most "
                                  f"its maximum ({hi:g} s), not {lo:g}")
        key = self._folder_key(to)
        if self.watching(to) is not None:
            raise Refused(f"{key} is already live-synced; {self.prog} sync --stop stops it")
        folder = self.folder(project, to)         # checks the folder, resolves the project once
        ref = self.project_ref(project, to or s.folder)
        # The folder as it is now: a notebook's %cd later must not move what is synced.
        quiet = type(self)(replace(s, progress="none", folder=key),
                           client=self.client, prog=self.prog)
        quiet._projects = self._projects          # what this session resolved, shared
        cloud = WorkspaceCloud(quiet, ref, key, folder.project_id)
        watcher = engine.Watcher(
            Path(key), folder.project_id, cloud, min_interval=lo, max_interval=hi,
            settle=settle if settle is not None else engine.DEFAULT_SETTLE,
            full_every=full_every if full_every is not None else engine.DEFAULT_FULL_EVERY,
            on_event=on_event)
        handle = WatchHandle(watcher, key, ref,
                             lambda h: self._watchers.pop(key, None) if
                             self._watchers.get(key) is h else None)
        self._watchers[key] = handle
        return handle.start()

    def stop_watching(self, to: str | None = None):
        """Stop the folder's live sync; its last status (None when none was running)."""
        handle = self.watching(to)
        return handle.stop() if handle is not None else None

    def sync(self, *, project: str | None = None, to: str | None = None):
        """One round both ways: pull every cloud change (keeping local work), then push every
        local change (never over a cloud change). One report of what moved."""
        from ..sync import SyncReport
        from ..sync.pull import MERGE_NOT_SENT
        pulled = self.pull(all=True, project=project, to=to)
        pushed = self.push(all=True, project=project, to=to)
        report = SyncReport("sync")
        # A file's pull "kept local changes" (or "only here") and its push "pushed" are one
        # story: say the push. A merge the push then sent needs no "a push sends it".
        moved_out = {a.name for a in pushed.actions if a.action not in ("unchanged",
                                                                           "up-to-date")}
        for a in pulled.actions:
            if a.name in moved_out and a.action in ("kept", "skipped"):
                continue
            if a.name in moved_out and a.action == "merged":
                a = replace(a, detail=a.detail.replace(MERGE_NOT_SENT, ""))
            if a.action != "up-to-date":
                report.actions.append(a)
        report.actions += [a for a in pushed.actions if a.action not in ("unchanged",
                                                                            "up-to-date")]
        return report


__all__ = ["WatchActions", "WatchHandle", "WorkspaceCloud"]
