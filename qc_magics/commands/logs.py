"""`backtest logs ID`: a backtest's log as a table, filtered by the service (--query), its
metrics pulled into typed columns (--pattern), cut to the last lines (--tail)."""
from __future__ import annotations

from argparse import Namespace
from typing import Any, Callable

from .session import Session


def _backtest_logs(s: Session, a: Namespace, cell: str | None):
    from ..api.lookup import find_project
    from ..errors import NotFoundError
    from ..results import Backtest
    from ..results.logs import compile_pattern
    if a.pattern is not None:
        compile_pattern(a.pattern)   # a bad regex is one line before any request
    st = s.settings()
    ref = s.project(a.project)
    project_id = int(find_project(s.client, ref)["projectId"])
    bt = Backtest(s.client, project_id, a.id, concurrency=st.concurrency, poll=st.poll)
    try:
        # Read first: the log endpoint may answer an unknown id with an empty log, which would
        # look like a backtest that logged nothing.
        bt.refresh()
    except NotFoundError:
        raise NotFoundError("/backtests/read", [f"no backtest {a.id}"],
                            f"no backtest {a.id} in project {ref}; {s.prog} backtests "
                            f"--project {ref} lists them") from None
    frame = bt.logs_frame(query=a.query, pattern=a.pattern)
    if a.tail is not None:
        frame = frame.tail(a.tail)
    # How the shell shows it (commands/render.py): the last lines as text, not a wide table.
    frame.attrs["qc_magics.view"] = "log"
    frame.attrs["qc_magics.tail"] = a.tail
    return frame


HANDLERS: dict[str, Callable[[Session, Namespace, str | None], Any]] = {
    "backtest logs": _backtest_logs,
}
