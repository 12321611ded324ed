"""The panel's "Live sync" toggle, without ipywidgets: start (or join) the folder's live sync, stop
it, and turn its events into the panel's log lines, status line and conflict choices.

A part of PanelController (it uses the controller's `ws`, `project_ref`, `say`, `_act`, `_emit`
and `conflicts`), kept apart because it is one idea of its own.
"""
from __future__ import annotations

from typing import Any


class LiveSyncControls:
    live: Any = None   # the running live sync (workspace.watch.WatchHandle), or None

    def live_sync(self, on: bool) -> None:
        """The "Live sync" toggle: start (or join) the folder's live sync with the chosen project,
        or stop it. Its events land in the log and the Files tab's status line; a conflict is
        shown with both choices, as any other."""
        if not on:
            live, self.live = self.live, None
            if live is not None:
                self.say(f"live sync stopped: {live.stop().summary()}", "live sync")
            self._emit("live")
            return
        if self.live is not None and self.live.running:
            return

        def work():
            try:
                running = self.ws.watching()
                if running is not None:   # started by %qc sync --watch in this kernel
                    running.listen(self._live_event)
                    self.live = running
                    self.say("live sync was already on; its events show here", "live sync")
                else:
                    self.live = self.ws.watch(project=self.project_ref,
                                              on_event=self._live_event)
            finally:
                self._emit("live")     # the toggle shows what is, started or not
        self._act("live sync", work)

    def _live_event(self, event) -> None:
        """One event of the live sync (from its thread): a line in the log and the status."""
        if event.kind == "stopped":
            live = self.live
            if live is not None:   # stopped elsewhere (%qc sync --stop) or on an error
                self.live = None
                self.say(f"live sync stopped: {event.detail}", "live sync",
                         failed=live.status.error is not None)
                self._emit("live")
            return
        text = f"live sync: {event.kind} {event.name}".rstrip() + (
            f": {event.detail}" if event.detail else "")
        failed = event.kind in ("conflict", "error", "failed", "refused")
        if event.kind == "conflict" and event.name not in self.conflicts:
            self.conflicts.append(event.name)
            self._emit("conflicts")
        self.say(text, "live sync", failed=failed)
