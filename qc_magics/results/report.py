"""Waiting for a backtest's report while the service generates it.

While the report is being made the service answers `success: false` (Lean's own client retries
that for a minute) or, in our emulator, `{"generating": true}`. Both mean "not yet", not an error:
the reader waits, within a bound, and only past it says what the service last said. A report that
does not exist because the backtest does not (NotFoundError) or a lock (ConflictError) is raised at
once: waiting would not change it.
"""
from __future__ import annotations

from typing import Any, Callable

from ..errors import ApiError, ConflictError, NotFoundError, WaitTimeout
from ..waiting import poll_until

REPORT_TIMEOUT = 120.0   # seconds; Lean's client gives up after 60


def wait_for_report(read: Callable[[], dict[str, Any]], *, what: str,
                    poll: tuple[float, float], timeout: float = REPORT_TIMEOUT) -> str:
    """The report's HTML once `read()` answers one; WaitTimeout past `timeout` seconds.

    >>> wait_for_report(lambda: client.read_backtest_report(pid, bid), what="the report of ...",
    ...                 poll=(0.5, 5.0))
    """
    said: list[str] = []

    def ready() -> str | None:
        try:
            answer = read()
        except (NotFoundError, ConflictError):
            raise
        except ApiError as e:   # success: false while it is being generated
            said[:] = e.errors
            return None
        report = answer.get("report")
        if isinstance(report, str) and report.strip():
            return report
        said[:] = [str(e) for e in answer.get("errors") or []] or (
            ["still generating"] if answer.get("generating") else ["no report in the answer"])
        return None

    try:
        return poll_until(ready, poll=poll, timeout=timeout, what=what)
    except WaitTimeout:
        raise WaitTimeout(f"{what} was not ready within {timeout:g}s (the service said: "
                          f"{'; '.join(said) or 'nothing'}); it may still be generated: "
                          f"read it again later") from None
