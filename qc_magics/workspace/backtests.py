"""Backtests: compile, run and follow one, list them, read, rename, delete, compare, read logs."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..errors import NotFoundError
from .base import Progress, WorkspaceBase


class BacktestActions(WorkspaceBase):
    def compile(self, *, project: str | None = None) -> dict:
        """Compile the project: {projectId, compileId, state, logs} as the service gave them;
        a failed build raises CompileError with its logs."""
        from ..jobs import build
        project_id = self.project_id(project)
        return {"projectId": project_id, **build(self.client, project_id,
                                                 poll=self.settings.poll)}

    def run_backtest(self, name: str | None = None, parameters: Mapping[str, Any] | None = None,
                     *, wait: bool = True, on_progress: Progress | None = None,
                     project: str | None = None):
        """Compile, start a backtest and (wait=True) follow it to the end.

        Progress shows as a bar (settings.progress), or goes to `on_progress(fraction, status)`.
        >>> ws.run_backtest("ema 10", {"ema_fast": 10}).statistics["Sharpe Ratio"]
        """
        from ..jobs import run_backtest
        s = self.settings
        bt = run_backtest(self.client, self.project(project), name, dict(parameters or {}),
                          wait=False, progress="none" if on_progress else s.progress,
                          poll=s.poll, timeout=s.timeout, concurrency=s.concurrency)
        if not wait:
            return bt
        return bt.wait(timeout=s.timeout, on_progress=on_progress)

    def backtests(self, *, project: str | None = None):
        """The project's backtests with their statistics, newest first (a DataFrame)."""
        from ..results import backtests_frame
        return backtests_frame(self.client, self.project(project))

    def backtest(self, backtest_id: str, *, project: str | None = None, read: bool = True):
        """A backtest's handle, read now (an unknown id is an error here, not later)."""
        from ..results import Backtest
        s = self.settings
        bt = Backtest(self.client, self.project_id(project), backtest_id, progress=s.progress,
                      concurrency=s.concurrency, poll=s.poll)
        if not read:
            return bt
        try:
            return bt.refresh()
        except NotFoundError:
            raise self._no_backtest([backtest_id], project) from None

    def _no_backtest(self, ids: Sequence[str], project: str | None) -> NotFoundError:
        ref = self.project_ref(project)
        return NotFoundError("/backtests/read", [f"no backtest {i}" for i in ids],
                             f"no backtest {', '.join(ids)} in project {ref}; {self.prog} "
                             f"backtests --project {ref} lists them")

    def wait_backtest(self, backtest, *, on_progress: Progress | None = None):
        """Follow a started backtest to the end (Ctrl-C stops waiting, never the backtest)."""
        return backtest.wait(timeout=self.settings.timeout, on_progress=on_progress)

    def rename_backtest(self, backtest_id: str, name: str, *, project: str | None = None):
        return self.backtest(backtest_id, project=project, read=False).rename(name)

    def delete_backtest(self, backtest_id: str, *, project: str | None = None) -> None:
        """Delete a backtest; the face shows it and asks first."""
        self.backtest(backtest_id, project=project, read=False).delete()

    def compare(self, ids: Sequence[str], *, project: str | None = None):
        """Backtests side by side (results.Comparison); each is read now, so an unknown id is
        named at once, all of them together."""
        from ..results import Comparison
        handles, unknown = [], []
        for backtest_id in ids:
            try:
                handles.append(self.backtest(backtest_id, project=project))
            except NotFoundError:
                unknown.append(backtest_id)
        if unknown:
            raise self._no_backtest(unknown, project)
        return Comparison(handles)

    def backtest_logs(self, backtest_id: str, *, query: str | None = None,
                      pattern: str | None = None, tail: int | None = None,
                      project: str | None = None):
        """A backtest's log as a table (UTC time, message): filtered by the service (`query`),
        metrics pulled into typed columns (`pattern`), cut to the last `tail` lines."""
        from ..results.logs import compile_pattern
        if pattern is not None:
            compile_pattern(pattern)   # a bad regex is one line before any request
        # Read first: the log endpoint may answer an unknown id with an empty log, which would
        # look like a backtest that logged nothing.
        frame = self.backtest(backtest_id, project=project).logs_frame(query=query,
                                                                        pattern=pattern)
        return frame.tail(tail) if tail is not None else frame

    def log_tail(self, backtest_id: str, lines: int, *, project: str | None = None) -> list[str]:
        """The last `lines` lines of a backtest's log, in two small requests at most."""
        from ..results.logs import last_lines
        client, project_id = self.client, self.project_id(project)
        return last_lines(lambda s, e: client.read_backtest_log(project_id, backtest_id, s, e),
                          lines, poll=self.settings.poll)
