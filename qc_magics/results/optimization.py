"""`Optimization`: a cloud optimization, its grid of child backtests as a DataFrame, a heatmap.

>>> opt = Optimization(client, "O-...")
>>> opt.grid                                   # one row per backtest: parameters, statistics
>>> opt.best("Sharpe Ratio")                   # the row with the best value
>>> opt.heatmap("ema_fast", "ema_slow", "Sharpe Ratio")
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidArgument

# The positional statistics of an optimization's backtests, in the spec's order, by the labels
# backtest statistics use. Those the spec marks "(%)" arrive in percent and become fractions.
POSITIONAL = ["Alpha", "Annual Standard Deviation", "Annual Variance", "Average Loss",
              "Average Win", "Beta", "Compounding Annual Return", "Drawdown",
              "Estimated Strategy Capacity", "Expectancy", "Information Ratio", "Loss Rate",
              "Net Profit", "Probabilistic Sharpe Ratio", "Profit-Loss Ratio", "Sharpe Ratio",
              "Total Fees", "Total Orders", "Tracking Error", "Treynor Ratio", "Win Rate"]
PERCENT = {"Average Loss", "Average Win", "Compounding Annual Return", "Drawdown", "Loss Rate",
           "Net Profit", "Win Rate"}
SHORT = {"sharpe": "Sharpe Ratio", "car": "Compounding Annual Return",
         "psr": "Probabilistic Sharpe Ratio", "drawdown": "Drawdown", "sortino": "Sortino Ratio"}
LOWER_IS_BETTER = {"Drawdown", "Annual Standard Deviation", "Annual Variance", "Total Fees",
                   "Loss Rate", "Tracking Error"}


def statistics_by_name(values: Any) -> dict[str, float]:
    """A child backtest's statistics, from the positional list or a {"0": .., "1": ..} dict."""
    if isinstance(values, dict):
        ordered = [values.get(str(i)) for i in range(max((int(k) for k in values
                                                          if str(k).isdigit()), default=-1) + 1)]
    else:
        ordered = list(values or [])
    out: dict[str, float] = {}
    for i, v in enumerate(ordered):
        label = POSITIONAL[i] if i < len(POSITIONAL) else f"Statistic {i}"
        try:
            number = float(v)
        except (TypeError, ValueError):
            number = np.nan
        out[label] = number / 100.0 if label in PERCENT else number
    return out


def _number(text: Any) -> Any:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return text
    return int(value) if value.is_integer() and "." not in str(text) else value


class Optimization:
    """A handle on a cloud optimization; `grid` and the rest are read lazily."""

    def __init__(self, client: Any, optimization_id: str, data: dict | None = None, *,
                 progress: str = "auto", poll: tuple[float, float] = (0.5, 5.0)):
        self.client = client
        self.id = optimization_id
        self.progress_mode = progress
        self.poll = poll
        self._data = data

    def __repr__(self) -> str:
        status = self._data.get("status", "?") if self._data else "not read yet"
        return f"<Optimization {self.id}: {status}>"

    def _repr_html_(self) -> str:
        import html
        stats = ", ".join(f"{k} {v}" for k, v in self.runtime_statistics.items()
                          if k in ("Completed", "Total", "Consumed"))
        head = (f"<div><b>{html.escape(self.name)}</b> &middot; optimization <code>{self.id}</code>"
                f" &middot; {self.status} &middot; {html.escape(stats)}</div>")
        grid = self.grid
        return head + (grid.head(20)._repr_html_() if len(grid) else "")

    def __str__(self) -> str:
        grid = self.grid
        return (f"optimization {self.id} {self.name!r}: {self.status}\n"
                + (grid.head(20).to_string() if len(grid) else "(no backtest finished yet)"))

    @property
    def data(self) -> dict:
        if self._data is None:
            self.refresh()
        return self._data

    def refresh(self) -> "Optimization":
        self._data = self.client.read_optimization(self.id)
        return self

    def wait(self, timeout: float | None = None) -> "Optimization":
        from ..jobs import follow_optimization
        return follow_optimization(self, timeout=timeout)

    @property
    def name(self) -> str:
        return self.data.get("name", "")

    @property
    def status(self) -> str:
        return self.data.get("status", "")

    @property
    def project_id(self) -> int:
        return int(self.data.get("projectId"))

    @property
    def parameter_names(self) -> list[str]:
        return [p.get("name") or p.get("key") for p in self.data.get("parameters") or []]

    @property
    def runtime_statistics(self) -> dict[str, str]:
        return dict(self.data.get("runtimeStatistics") or {})

    @property
    def grid(self) -> pd.DataFrame:
        """One row per child backtest (index: its id): parameter values as numbers, then every
        statistic by name (fractions for percentages), progress and exit code."""
        rows = []
        names = self.parameter_names
        for bid, b in (self.data.get("backtests") or {}).items():
            ps = b.get("parameterSet") if isinstance(b.get("parameterSet"), dict) else {}
            row: dict[str, Any] = {"backtest_id": bid}
            row.update({n: _number(ps.get(n)) for n in names or ps})
            row.update(statistics_by_name(b.get("statistics")))
            row["progress"] = float(b.get("progress") or 0)
            row["exit_code"] = b.get("exitCode")
            rows.append(row)
        frame = pd.DataFrame(rows)
        if frame.empty:
            return pd.DataFrame(columns=["backtest_id", *names, *POSITIONAL]).set_index("backtest_id")
        for column in [c for c in POSITIONAL if c in frame]:
            frame[column] = frame[column].astype("float64")
        frame["exit_code"] = frame["exit_code"].astype("Int64")
        return frame.set_index("backtest_id").sort_values(names or list(frame.columns[:1]))

    def _metric(self, metric: str) -> str:
        label = SHORT.get(metric.lower(), metric)
        if label not in POSITIONAL:
            raise InvalidArgument(f"unknown statistic {metric!r}; use one of "
                                  f"{', '.join(POSITIONAL)} (or sharpe, car, psr, drawdown)")
        return label

    def best(self, metric: str = "Sharpe Ratio", maximize: bool | None = None) -> pd.Series:
        """The grid row with the best `metric` (lowest for drawdown-like ones unless told)."""
        label = self._metric(metric)
        grid = self.grid.dropna(subset=[label])
        if grid.empty:
            raise InvalidArgument(f"no finished backtest has {label!r} yet")
        if maximize is None:
            maximize = label not in LOWER_IS_BETTER
        return grid.loc[grid[label].idxmax() if maximize else grid[label].idxmin()]

    def heatmap(self, x: str, y: str, metric: str = "Sharpe Ratio", *, plot: bool = False,
                ax=None) -> pd.DataFrame:
        """`metric` over two parameters, as a pivoted DataFrame (rows y, columns x); plot=True
        also draws it (matplotlib)."""
        label = self._metric(metric)
        grid = self.grid
        for p in (x, y):
            if p not in grid.columns or p in POSITIONAL:
                raise InvalidArgument(f"{p!r} is not a parameter of this optimization; its "
                                      f"parameters: {', '.join(self.parameter_names)}")
        table = grid.pivot_table(index=y, columns=x, values=label, aggfunc="mean")
        table = table.sort_index().sort_index(axis=1)
        if plot:
            from .plots import plot_heatmap
            plot_heatmap(table, label, ax=ax)
        return table

    def rename(self, name: str) -> "Optimization":
        self.client.update_optimization(self.id, name)
        return self.refresh()

    def abort(self) -> "Optimization":
        self.client.abort_optimization(self.id)
        return self.refresh()

    def delete(self) -> None:
        self.client.delete_optimization(self.id)
