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

from .. import progress as progress_bars
from ..errors import InvalidArgument
from ..vocabulary import DEFAULT_POLL
from . import frames
from .formats import LOWER_IS_BETTER
from .handle import Handle
from .layout import shorten
from .parse import as_mapping, parse_number, percent_to_fraction, split_statistics
from .times import to_utc

# The statistics of an optimization's child backtests come by position, not by name: Lean's
# OptimizationBacktestJsonConverter writes them as a list (older: 21) or as an object keyed
# "0".."24" plus the names of custom statistics. Positions, by the labels backtest statistics use:
POSITIONAL = ["Alpha", "Annual Standard Deviation", "Annual Variance", "Average Loss",
              "Average Win", "Beta", "Compounding Annual Return", "Drawdown",
              "Estimated Strategy Capacity", "Expectancy", "Information Ratio", "Loss Rate",
              "Net Profit", "Probabilistic Sharpe Ratio", "Profit-Loss Ratio", "Sharpe Ratio",
              "Total Fees", "Total Orders", "Tracking Error", "Treynor Ratio", "Win Rate",
              "Sortino Ratio", "Start Equity", "End Equity", "Drawdown Recovery"]
# Lean strips the "%" of these and sends the percent number (PSR 77.188 means 77.188 %); they
# become fractions, as "77.188%" does in a backtest's statistics.
PERCENT = {"Average Loss", "Average Win", "Compounding Annual Return", "Drawdown", "Loss Rate",
           "Net Profit", "Probabilistic Sharpe Ratio", "Win Rate"}
SHORT = {"sharpe": "Sharpe Ratio", "car": "Compounding Annual Return",
         "psr": "Probabilistic Sharpe Ratio", "drawdown": "Drawdown", "sortino": "Sortino Ratio"}


def _statistic(label: str, value: Any) -> float:
    """One positional value as stored in frames: percentages as fractions, the rest as floats."""
    if isinstance(value, str) and value.strip().endswith("%"):
        number = parse_number(value)          # a "%" that was not stripped: already a fraction
        return np.nan if number is None else number
    if label in PERCENT:
        return percent_to_fraction(value)
    number = parse_number(value)
    return np.nan if number is None else number


def statistics_by_name(values: Any) -> dict[str, float]:
    """A child backtest's statistics by name, from any form the service sends.

    - a list (older answers, 21 or fewer values): position i is POSITIONAL[i];
    - an object keyed "0".."24" (Lean since Dec 2025) plus custom statistics by their own names:
      custom ones are kept as sent (the service stripped any "%", so their unit is the user's);
    - `[]` or null: no statistics yet.

    Percent numbers become fractions (see parse: one convention for every frame).

    >>> statistics_by_name({"13": 77.188, "15": 1.707, "customstat": 5.4})
    {'Probabilistic Sharpe Ratio': 0.77188, 'Sharpe Ratio': 1.707, 'customstat': 5.4}
    """
    if isinstance(values, dict):
        positional: dict[int, Any] = {}
        custom: dict[str, Any] = {}
        for key, value in values.items():
            k = str(key)
            if k.isdigit() and int(k) < len(POSITIONAL):
                positional[int(k)] = value
            else:
                custom[k] = value
    elif isinstance(values, (list, tuple)):
        positional, custom = dict(enumerate(values)), {}
    else:
        return {}
    out: dict[str, float] = {}
    for i in sorted(positional):
        label = POSITIONAL[i] if i < len(POSITIONAL) else f"Statistic {i}"
        out[label] = _statistic(label, positional[i])
    for name, value in custom.items():
        if name not in out:   # a custom statistic never hides one of Lean's
            number = parse_number(value)
            out[name] = np.nan if number is None else number
    return out


def child_backtests(raw: Any) -> dict[str, dict]:
    """The optimization's backtests by id: an object keyed by id, a list, or `[]` when none."""
    if isinstance(raw, dict):
        return {str(k): v for k, v in raw.items() if isinstance(v, dict)}
    if isinstance(raw, list):
        return {str(b.get("id") or b.get("backtestId") or i): b
                for i, b in enumerate(raw) if isinstance(b, dict)}
    return {}


def _number(text: Any) -> Any:
    """A parameter value as a number when it is one ("19" -> 19, "0.5" -> 0.5), else as sent."""
    if isinstance(text, (bool, int, float)):   # the service may keep numbers as numbers
        return text
    try:
        value = float(text)
    except (TypeError, ValueError):
        return text
    integral = value.is_integer() and not any(c in str(text) for c in ".eE")
    return int(value) if integral else value


class Optimization(Handle):
    """A handle on a cloud optimization; `grid` and the rest are read lazily."""

    kind = "optimization"

    def __init__(self, client: Any, optimization_id: str, data: dict | None = None, *,
                 progress: str = "auto", poll: tuple[float, float] = DEFAULT_POLL):
        super().__init__(client, optimization_id, data, progress=progress, poll=poll)

    def __repr__(self) -> str:
        status = self._data.get("status", "?") if self._data else "not read yet"
        return f"<Optimization {self.id}: {status}>"

    def view(self):
        """The grid, compact and best first: parameters, target, key statistics, and a "best:"
        line; `.frame` is the full `grid`."""
        from .display import grid_view
        return grid_view(self)

    def _repr_html_(self) -> str:
        return self.view()._repr_html_()

    def __str__(self) -> str:
        return self.view().to_text()

    # --- the record and waiting (Handle.wait) ---------------------------------------------------
    def _read(self) -> dict:
        return self.client.read_optimization(self.id)

    def resume_call(self) -> str:
        return f"Optimization(client, {self.id!r}).wait()"

    def _finished(self) -> bool:
        return self.status in ("completed", "aborted")

    def _bar(self) -> Any:
        # A name, or the whole id: a cut id is one nobody can type.
        what = (f"optimization {shorten(self.name, 26)!r}" if self.name
                else f"optimization {self.id}")
        return progress_bars.bar(None, what, self.progress_mode, unit="backtest")

    def _show(self, bar: Any) -> float:
        # Parsed by results: `[]` while empty, counts from their text ("1,234" included).
        counts = {k: v for k, v in self.runtime.items() if isinstance(v, float)}
        total, finished = int(counts.get("Total", 0)), int(counts.get("Completed", 0))
        if total and bar.total != total:
            bar.total = total
        bar.update(finished - bar.n)
        bar.set_postfix_str(self.status)
        return finished / total if total else 0.0

    @property
    def project_id(self) -> int:
        return int(self.data.get("projectId"))

    @property
    def parameter_names(self) -> list[str]:
        return [p.get("name") or p.get("key") for p in self.data.get("parameters") or []]

    @property
    def runtime_statistics(self) -> dict[str, str]:
        """The service's runtime statistics as sent ({} while there are none: it sends [])."""
        return as_mapping(self.data.get("runtimeStatistics"))

    @property
    def runtime(self) -> dict[str, Any]:
        """Runtime statistics as values: counts and money as floats, "hh:mm:ss" as Timedeltas."""
        numbers, others = split_statistics(self.data.get("runtimeStatistics"))
        return {**others, **numbers}

    @property
    def backtests(self) -> dict[str, dict]:
        """The child backtests as sent, by backtest id ({} while none has started)."""
        return child_backtests(self.data.get("backtests"))

    @property
    def grid(self) -> pd.DataFrame:
        """One row per child backtest (index: its id): parameter values as numbers, then every
        statistic by name (fractions for percentages), custom statistics after them, progress
        and exit code (and start/end dates when the service sends them)."""
        names = self.parameter_names
        rows, statistics = [], {}
        for bid, b in self.backtests.items():
            ps = b.get("parameterSet") if isinstance(b.get("parameterSet"), dict) else {}
            row: dict[str, Any] = {"backtest_id": bid}
            row.update({n: _number(ps.get(n)) for n in names or ps})
            stats = statistics_by_name(b.get("statistics"))
            statistics.update(dict.fromkeys(stats))
            row.update(stats)
            row["progress"] = parse_number(b.get("progress")) or 0.0
            row["exit_code"] = b.get("exitCode")
            for key, column in (("startDate", "start_date"), ("endDate", "end_date")):
                if b.get(key) is not None:
                    row[column] = b.get(key)
            rows.append(row)
        if not rows:
            empty = pd.DataFrame(columns=["backtest_id", *names, *POSITIONAL])
            return empty.set_index("backtest_id")
        frame = pd.DataFrame(rows)
        for column in statistics:   # NaN where a backtest has not got that statistic yet
            frame[column] = frame[column].astype("float64")
        for column in ("start_date", "end_date"):
            if column in frame:
                frame[column] = to_utc(frame[column])
        frame["progress"] = frame["progress"].astype("float64")
        frame["exit_code"] = frame["exit_code"].astype("Int64")
        return frame.set_index("backtest_id").sort_values(names or list(frame.columns[:1]))

    @property
    def equity(self) -> pd.DataFrame:
        """Each child backtest's equity on one UTC index (a column per backtest id): the close of
        [t, o, h, l, c] candles, or the value of old [t, v] pairs."""
        arrays = {bid: frames._point_arrays(b.get("equity") or [])
                  for bid, b in self.backtests.items()}
        if not arrays:
            return pd.DataFrame(index=frames.UTC_EMPTY)
        if all(a is not None for a in arrays.values()):
            # The usual grid: every child on the same days. One block, no alignment to do.
            first = next(iter(arrays.values()))[0]
            if (first.is_monotonic_increasing and not first.hasnans and not first.has_duplicates
                    and all(first.equals(index) for index, _, _ in arrays.values())):
                return pd.DataFrame(
                    np.column_stack([arr[:, -1] for _, _, arr in arrays.values()]),
                    index=first, columns=pd.Index(list(arrays)))
        curves = {}
        for bid, b in self.backtests.items():
            part = frames.series_frame(b.get("equity") or [])
            values = part["close"] if "close" in part else part["value"]
            curves[bid] = values[~values.index.duplicated(keep="last")]
        return pd.DataFrame(curves).sort_index()

    def _metric(self, metric: str) -> str:
        label = SHORT.get(metric.lower(), metric)
        custom = [c for c in self.grid.columns if c not in POSITIONAL]
        if label not in POSITIONAL and label not in custom:
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
