"""An optimization's child backtests seen as backtests: `backtests/read {projectId, backtestId}`
reads them (lean-cli's `cloud optimize` does, for the best one), though `backtests/list` does not
list them (whether the real service does is not known).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .state import Backtest, Optimization

if TYPE_CHECKING:
    from .app import App

CHILD_POINTS, CHILD_ORDERS = 120, 60   # child backtests are small: they are many


@dataclass
class ChildBacktest(Backtest):
    optimization_id: str = ""
    runs_from: float = 0.0
    runs_to: float = 0.0
    stopped_at: float = math.inf      # when the optimization was aborted


def window(app: "App", o: Optimization, i: int) -> tuple[float, float]:
    """When child `i` runs: after the queue, in batches of `parallelNodes`."""
    queue, each = app.timing("optimization_queue"), app.timing("optimization_backtest")
    start = o.created + queue + (i // o.parallel_nodes) * each
    return start, start + each


def as_backtest(app: "App", o: Optimization, i: int) -> ChildBacktest:
    child = o.children[i]
    start, end = window(app, o, i)
    return ChildBacktest(
        id=child["id"], project_id=o.project_id, compile_id=o.compile_id,
        name=f"{o.name} #{i + 1}", created=start, parameters=dict(child["parameterSet"]),
        sources=o.sources, seed=child["seed"], optimization_id=o.id, runs_from=start,
        runs_to=end, stopped_at=o.aborted_at if o.aborted_at is not None else math.inf)


def find(app: "App", project_id: int, backtest_id: str) -> ChildBacktest | None:
    for o in app.state.optimizations.values():
        if o.project_id != project_id:
            continue
        for i, child in enumerate(o.children):
            if child["id"] == backtest_id:
                return as_backtest(app, o, i)
    return None
