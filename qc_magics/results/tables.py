"""Project-level tables: every backtest with its numbers (one request), comparisons, optimizations."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..api.lookup import find_project
from .backtest import Backtest
from .parse import as_mapping, list_percents, snake, to_floats as _floats
from .times import to_utc

def newest_first(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows by `column`, latest first; rows without a time last. Times are to the second,
    so ties are common: they keep the service's order reversed (it lists the oldest first)."""
    return frame.iloc[::-1].sort_values(column, ascending=False, na_position="last",
                                        kind="mergesort")


def projects_frame(client: Any, rows: list[dict] | None = None) -> pd.DataFrame:
    """Every project of the user: name, language, times, by project id; the latest modified
    first. `rows`: the listing when it was already read."""
    rows = client.list_projects() if rows is None else rows
    return newest_first(pd.DataFrame({
        "name": pd.array([r.get("name") for r in rows], dtype="string"),
        "language": pd.array([r.get("language") for r in rows], dtype="string"),
        "created": to_utc([r.get("created") for r in rows]),
        "modified": to_utc([r.get("modified") for r in rows]),
        "description": pd.array([r.get("description") or "" for r in rows], dtype="string"),
    }, index=pd.Index([int(r["projectId"]) for r in rows], dtype="int64", name="project_id")),
        "modified")


def files_frame(client: Any, project: int | str) -> pd.DataFrame:
    """The project's files in the cloud: size in characters, modified time, library or not; the
    latest modified first."""
    project_id = int(find_project(client, project)["projectId"])
    rows = client.read_files(project_id)
    return newest_first(pd.DataFrame({
        "size": np.array([len(r.get("content") or "") for r in rows], dtype="int64"),
        "modified": to_utc([r.get("modified") for r in rows]),
        "library": np.array([bool(r.get("isLibrary")) for r in rows], dtype="bool"),
    }, index=pd.Index([r.get("name") for r in rows], dtype="string", name="name")), "modified")


def objects_frame(objects: list[dict[str, Any]]) -> pd.DataFrame:
    """One Object Store folder (`ObjectStore.ls`): size in bytes, modified time, mime type and
    whether it is a folder, by key; folders first, then keys in order."""
    frame = pd.DataFrame({
        "name": pd.array([o.get("name") for o in objects], dtype="string"),
        "size": pd.array([o.get("size") if isinstance(o.get("size"), int) else None
                          for o in objects], dtype="Int64"),
        "modified": to_utc([o.get("modified") for o in objects]),
        "mime": pd.array([o.get("mime") for o in objects], dtype="string"),
        "folder": np.array([bool(o.get("folder")) for o in objects], dtype="bool"),
    }, index=pd.Index([o.get("key") for o in objects], dtype="string", name="key"))
    return frame.sort_values(["folder", "key"], ascending=[False, True], kind="mergesort")


SUMMARY_NUMBERS = ["sharpeRatio", "sortinoRatio", "compoundingAnnualReturn", "netProfit",
                   "drawdown", "alpha", "beta", "psr", "winRate", "lossRate", "treynorRatio",
                   "trades"]
# The summary numbers that are percentages: fractions in the frames, whatever the list sent.
LIST_PERCENT = ["compoundingAnnualReturn", "netProfit", "drawdown", "psr", "winRate", "lossRate"]


def backtests_frame(client: Any, project: int | str) -> pd.DataFrame:
    """Every backtest of the project with its numeric statistics, from one request; the newest
    first. `display.table_view` shows it compact (name, created, status, key statistics).

    The percentages (net_profit, compounding_annual_return, drawdown, psr, win_rate,
    loss_rate) are fractions, as in `Backtest.statistics` and an optimization's grid: whether
    the list answer holds fractions or percent numbers is not known (nothing in QuantConnect's
    own code or tests shows one), so the answer as a whole decides (parse.list_percents).
    """
    project_id = int(find_project(client, project)["projectId"])
    rows = client.list_backtests(project_id, include_statistics=True)
    percents = list_percents(rows, LIST_PERCENT)
    frame = pd.DataFrame({
        "name": pd.array([r.get("name") for r in rows], dtype="string"),
        "status": pd.array([r.get("status") for r in rows], dtype="string"),
        "created": to_utc([r.get("created") for r in rows]),
        "progress": _floats(r.get("progress") for r in rows),
        **{snake(k): percents[k] if k in percents else _floats(r.get(k) for r in rows)
           for k in SUMMARY_NUMBERS},
        # Values as the service kept them (numbers or text); {} for none (it may send []).
        "parameters": [as_mapping(r.get("parameterSet")) for r in rows],
    }, index=pd.Index([r.get("backtestId") for r in rows], dtype="string", name="backtest_id"))
    return newest_first(frame, "created")


def optimizations_frame(client: Any, project: int | str) -> pd.DataFrame:
    """Every optimization of the project, the newest first: status, node, target, and the
    best backtest's Sharpe ratio and PSR. The PSR is a fraction, as in the grid: the list
    gives it as Lean writes an optimization's statistics, a percent number (77.188 for
    77.188 %), or as "77.188%" (parse.list_percents reads either)."""
    project_id = int(find_project(client, project)["projectId"])
    rows = client.list_optimizations(project_id)
    return newest_first(pd.DataFrame({
        "name": pd.array([r.get("name") for r in rows], dtype="string"),
        "status": pd.array([r.get("status") for r in rows], dtype="string"),
        "node_type": pd.array([r.get("nodeType") for r in rows], dtype="string"),
        "created": to_utc([r.get("created") for r in rows]),
        "target": pd.array([(r.get("criterion") or {}).get("target", "").rsplit(".", 1)[-1]
                            for r in rows], dtype="string"),
        "sharpe_ratio": _floats(r.get("sharpeRatio") for r in rows),
        "psr": list_percents(rows, ["psr"])["psr"],
    }, index=pd.Index([r.get("optimizationId") for r in rows], dtype="string",
                      name="optimization_id")), "created")


@dataclass
class Comparison:
    """Several backtests side by side: `statistics` (a column each) and `equity` (overlaid)."""

    backtests: list[Backtest]

    def _label(self, bt: Backtest) -> str:
        names = [b.name for b in self.backtests]
        return bt.name if names.count(bt.name) == 1 else f"{bt.name} ({bt.id[:8]})"

    @property
    def statistics(self) -> pd.DataFrame:
        return pd.DataFrame({self._label(bt): bt.statistics for bt in self.backtests})

    @property
    def equity(self) -> pd.DataFrame:
        """Equity curves on one UTC index (a column each), forward-filled across gaps."""
        return pd.DataFrame({self._label(bt): bt.equity for bt in self.backtests}).ffill()

    def plot(self, ax=None, normalise: bool = True):
        from .plots import plot_comparison
        return plot_comparison(self, ax=ax, normalise=normalise)

    def view(self):
        """Statistics as users read them ("15.31%", "$1,234.50"); `.frame` is `statistics`."""
        from .display import comparison_view
        return comparison_view(self)

    def _repr_html_(self) -> str:
        return self.view()._repr_html_()

    def __str__(self) -> str:
        return self.view().to_text(max_rows=None)


def compare(client: Any, project: int | str, backtests: Sequence[Backtest | str]) -> Comparison:
    project_id = int(find_project(client, project)["projectId"])
    handles = [b if isinstance(b, Backtest) else Backtest(client, project_id, b)
               for b in backtests]
    return Comparison(handles)
