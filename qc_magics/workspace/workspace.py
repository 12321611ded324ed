"""`Workspace`: every user action, once, for all three faces (magics, panel, command line).

It holds the client, the settings and the projects it has resolved; it returns values and reports
progress through callbacks. It never prints, never parses a command line, never touches widgets:
the faces do that, each in its own way, over the same calls.

>>> ws = Workspace(Settings(project="Momentum", folder="~/qc/momentum"))
>>> ws.pull(all=True)
>>> bt = ws.run_backtest(parameters={"ema_fast": 10})
"""
from __future__ import annotations

from .account import AccountActions
from .backtests import BacktestActions
from .files import FileActions
from .objects import StoreActions
from .optimizations import OptimizationActions
from .watch import WatchActions


class Workspace(AccountActions, FileActions, BacktestActions, OptimizationActions, StoreActions,
                WatchActions):
    """One per session: the magic keeps one per IPython shell, the command line one per run, a
    panel shares its magic's."""
