"""`Handle`: what a backtest and an optimization share as handles on a cloud job: the record read
lazily and refreshed on demand, its name and status, and waiting for the job to end.

Waiting lives here, with the handles, and not in jobs: jobs starts runs and hands back handles,
and a handle made from an id alone (`Backtest(client, pid, bid).wait()`) must wait the same way.
Ctrl-C while waiting never deletes or aborts the cloud job: it raises WaitInterrupted with the
handle and the exact call that resumes.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

from .. import progress as progress_bars
from ..errors import WaitInterrupted, WaitTimeout
from ..vocabulary import DEFAULT_POLL
from ..waiting import poll_until

H = TypeVar("H", bound="Handle")
# on_progress(fraction done 0..1, the service's status), called after every poll.
OnProgress = Callable[[float, str], None]


class Handle:
    """A cloud job by id. Nothing is read until `data` (or a property built on it) is asked for.

    Subclasses say how to read the record (`_read`), what "finished" means (`_finished`), how the
    progress bar looks (`_bar`, `_show`) and how to resume (`resume_call`).
    """

    kind = "job"   # "backtest", "optimization": the word in messages

    def __init__(self, client: Any, job_id: str, data: dict | None = None, *,
                 progress: str = "auto", poll: tuple[float, float] = DEFAULT_POLL):
        self.client = client
        self.id = job_id
        self.progress_mode = progress
        self.poll = poll
        self._data = data
        self._cache: dict[str, Any] = {}

    # --- the record -----------------------------------------------------------------------------
    @property
    def data(self) -> dict:
        """The service's record of the job, read once and kept until `refresh`."""
        if self._data is None:
            self.refresh()
        return self._data

    def refresh(self: H) -> H:
        """Read the record again; anything derived from the old one is forgotten."""
        self._data = self._read()
        self._cache.clear()
        return self

    @property
    def name(self) -> str:
        return self.data.get("name", "")

    @property
    def status(self) -> str:
        return self.data.get("status", "")

    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # --- waiting --------------------------------------------------------------------------------
    def wait(self: H, timeout: float | None = None,
             on_progress: OnProgress | None = None) -> H:
        """Poll until the job is finished, with a progress bar (`progress` mode of the handle).

        on_progress(fraction, status) is called after every poll (a panel's progress bar);
        raising KeyboardInterrupt from it stops waiting the way Ctrl-C does. Past `timeout`
        seconds, WaitTimeout (its `handle` is this); on Ctrl-C, WaitInterrupted with the call
        that resumes. The cloud job goes on either way.
        """
        bar = self._bar()

        def finished() -> bool:
            self.refresh()
            fraction = self._show(bar)
            if on_progress:
                on_progress(fraction, self.status)
            return self._finished()

        what = f"{self.kind} {self.id}"
        try:
            poll_until(finished, poll=self.poll, timeout=timeout, what=what)
        except WaitTimeout as e:
            e.handle = self   # so a face can say how to go on waiting
            raise
        except KeyboardInterrupt:
            raise WaitInterrupted(what, self, self.resume_call()) from None
        finally:
            bar.close()
        return self

    def resume_call(self) -> str:
        """The Python call that goes on waiting for this job."""
        raise NotImplementedError

    def _read(self) -> dict:
        raise NotImplementedError

    def _finished(self) -> bool:
        raise NotImplementedError

    def _bar(self) -> Any:
        return progress_bars.bar(None, f"{self.kind} {self.id}"[:40], self.progress_mode)

    def _show(self, bar: Any) -> float:
        """Move the bar to the record just read; the fraction done (0 when unknown)."""
        bar.set_postfix_str(self.status)
        return 0.0
