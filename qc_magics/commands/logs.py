"""`backtest logs ID`: a backtest's log as a table, filtered by the service (--query), its
metrics pulled into typed columns (--pattern), cut to the last lines (--tail)."""
from __future__ import annotations

from argparse import Namespace
from typing import Any, Callable

from .session import Session


def _backtest_logs(s: Session, a: Namespace, cell: str | None):
    frame = s.ws.backtest_logs(a.id, query=a.query, pattern=a.pattern, tail=a.tail,
                               project=a.project)
    # How the shell shows it (commands/render.py): the last lines as text, not a wide table.
    frame.attrs["qc_magics.view"] = "log"
    frame.attrs["qc_magics.tail"] = a.tail
    return frame


HANDLERS: dict[str, Callable[[Session, Namespace, str | None], Any]] = {
    "backtest logs": _backtest_logs,
}
