"""`Backtest`: one cloud backtest, its results as pandas objects, read lazily and cached.

>>> bt = Backtest(client, project_id, backtest_id)
>>> bt.statistics["Sharpe Ratio"]       # float64 Series: "15.3%" -> 0.153, "$1,234.50" -> 1234.5
>>> bt.equity.plot(); bt.orders.head()  # UTC time index, named categories for enums
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from .. import progress as progress_bars
from ..errors import BacktestRuntimeError, NotFoundError, WaitTimeout
from ..vocabulary import DEFAULT_POLL
from ..waiting import CONCURRENCY, poll_until
from . import frames, order_rows
from .handle import Handle, OnProgress
from .layout import shorten
from .parse import (as_mapping, parse_number, parse_timespan, split_statistics,
                    statistics_values)
from .report import REPORT_TIMEOUT, wait_for_report
from .times import epoch_seconds, to_timestamp
from .windows import read_all

CHART_POINTS = 100_000
EQUITY = ("Strategy Equity", "Equity")
RETURNS = ("Strategy Equity", "Return")
DRAWDOWN = ("Drawdown", "Equity Drawdown")
BENCHMARK = ("Benchmark", "Benchmark")
# How long "completed" may come without statistics before waiting gives up.
STATISTICS_GRACE = 120.0


@dataclass
class Performance:
    """totalPerformance: trade statistics and portfolio statistics as Series (camelCase keys),
    and the values that are not numbers (durations, text) beside them."""

    trade: pd.Series
    portfolio: pd.Series
    other: dict[str, Any]

    def view(self):
        """As users read it ("15.31%", "$1,234.50", "2 days 03:04:05"); `.frame` the values."""
        from .display import performance_view
        return performance_view(self)

    def _repr_html_(self) -> str:
        return self.view()._repr_html_()

    def __str__(self) -> str:
        return self.view().to_text(max_rows=None)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


def _performance_series(raw: Any) -> tuple[pd.Series, dict[str, Any]]:
    """Lean writes decimals as strings ("2.7145"), the service may pass numbers: both become
    float64. Keys become camelCase whatever the case they came in; durations become
    Timedeltas and dates UTC Timestamps beside the numbers."""
    numbers, other = {}, {}
    for key, value in as_mapping(raw).items():
        key = key[:1].lower() + key[1:]   # older results used PascalCase
        number = parse_number(value)
        if number is not None:
            numbers[key] = number
        elif value is not None:
            span = parse_timespan(value)
            if span is not None:
                other[key] = span
            elif isinstance(value, str) and _DATE.match(value):
                other[key] = to_timestamp(value)
            else:
                other[key] = value
    return pd.Series(numbers, dtype="float64"), other


def _total_performance(data: dict) -> dict:
    return as_mapping(data.get("totalPerformance") or data.get("TotalPerformance"))


def _either(raw: dict, camel: str) -> Any:
    """A key in camelCase or in the PascalCase of older results."""
    value = raw.get(camel)
    return value if value is not None else raw.get(camel[:1].upper() + camel[1:])


class Backtest(Handle):
    """A handle on a cloud backtest. Nothing is read until a property asks for it."""

    kind = "backtest"

    def __init__(self, client: Any, project_id: int, backtest_id: str, data: dict | None = None,
                 *, progress: str = "auto", concurrency: int = CONCURRENCY,
                 poll: tuple[float, float] = DEFAULT_POLL):
        super().__init__(client, backtest_id, data, progress=progress, poll=poll)
        self.project_id = int(project_id)
        self.concurrency = concurrency
        self._completed_at: float | None = None

    def __repr__(self) -> str:
        status = self._data.get("status", "?") if self._data else "not read yet"
        name = f" {self._data.get('name')!r}" if self._data else ""
        return f"<Backtest {self.id}{name} of project {self.project_id}: {status}>"

    def view(self, only: list[str] | None = None):
        """The statistics as users read them ("15.31%", "$1,234.50", "0.523", "12"), a row each
        (`only`: these, in this order); `.frame` holds the float64 values (`statistics`)."""
        from .display import statistics_view
        return statistics_view(self, only)

    def _repr_html_(self) -> str:
        return self.view()._repr_html_()

    def __str__(self) -> str:
        return self.view().to_text(max_rows=None)

    # --- the backtest record --------------------------------------------------------------------
    def _read(self) -> dict:
        return self.client.read_backtest(self.project_id, self.id)

    @property
    def completed(self) -> bool:
        return bool(self.data.get("completed"))

    @property
    def failed(self) -> bool:
        """A runtime error, an error text, or a failure in Initialize (error may still be null)."""
        return (self.status == "Runtime Error" or bool(self.data.get("error"))
                or self.data.get("hasInitializeError") is True)

    @property
    def done(self) -> bool:
        """Finished and its results arrived (or it failed): nothing more will change."""
        return self.completed and (bool(self.data.get("statistics")) or self.failed)

    @property
    def error(self) -> str:
        return self.data.get("error") or ""

    @property
    def stacktrace(self) -> str:
        return self.data.get("stacktrace") or ""

    @property
    def parameters(self) -> dict[str, Any]:
        """The parameter values as the service kept them: numbers stay numbers, text text
        ({} when there are none: the service may send `[]`)."""
        return as_mapping(self.data.get("parameterSet"))

    @property
    def created(self) -> pd.Timestamp:
        """When the backtest was created, in UTC (NaT if the service did not say)."""
        return to_timestamp(self.data.get("created"))

    # --- waiting --------------------------------------------------------------------------------
    def wait(self, timeout: float | None = None,
             on_progress: OnProgress | None = None) -> "Backtest":
        """Follow the backtest until done: completed with its statistics, or failed
        (BacktestRuntimeError, the backtest kept on it). See Handle.wait for the rest."""
        self._completed_at = None   # each wait gives the statistics their full grace
        super().wait(timeout, on_progress)
        if self.failed:
            raise BacktestRuntimeError(self, self.error or self.status, self.stacktrace)
        return self

    def resume_call(self) -> str:
        return f"Backtest(client, {self.project_id}, {self.id!r}).wait()"

    def _finished(self) -> bool:
        if self.completed and not self.done:
            # The service says completed a moment before the statistics arrive: keep reading.
            now = time.monotonic()
            if self._completed_at is None:
                self._completed_at = now
            elif now - self._completed_at > STATISTICS_GRACE:
                raise WaitTimeout(f"backtest {self.id} completed but its statistics did not "
                                  f"arrive within {STATISTICS_GRACE:g}s; read it again later")
        return self.done

    def _bar(self) -> Any:
        what = f"backtest {shorten(self.name, 30)!r}" if self.name else f"backtest {self.id}"
        return progress_bars.bar(100, what, self.progress_mode, unit="%")

    def _show(self, bar: Any) -> float:
        fraction = float(self.data.get("progress") or 0)
        bar.update(max(0.0, round(fraction * 100) - bar.n))
        # The service's running status is a template ("'Running: _%'"); the bar shows the number.
        bar.set_postfix_str("running" if "Running" in self.status else self.status)
        return fraction

    # --- statistics -----------------------------------------------------------------------------
    def _split(self, field: str) -> tuple[dict, dict]:
        return self._cached(f"split:{field}", lambda: split_statistics(self.data.get(field)))

    @property
    def statistics(self) -> pd.Series:
        """Every numeric statistic as float64, keyed by QuantConnect's labels; percentages as
        fractions. "Total Trades" and "Total Orders" both answer."""
        return pd.Series(self._split("statistics")[0], dtype="float64", name="statistics")

    @property
    def statistics_other(self) -> dict[str, Any]:
        """Statistics that are not numbers: durations as Timedeltas, text as text."""
        return dict(self._split("statistics")[1])

    @property
    def statistics_raw(self) -> dict[str, str]:
        return as_mapping(self.data.get("statistics"))

    @property
    def statistics_values(self) -> dict[str, Any]:
        """Every statistic in the service's order, numbers as in `statistics` (percentages as
        fractions), the rest as sent: what `--json` gives."""
        return statistics_values(self.data.get("statistics"))

    @property
    def runtime_statistics_values(self) -> dict[str, Any]:
        return statistics_values(self.data.get("runtimeStatistics"))

    @property
    def runtime_statistics(self) -> pd.Series:
        return pd.Series(self._split("runtimeStatistics")[0], dtype="float64",
                         name="runtime_statistics")

    @property
    def runtime_statistics_raw(self) -> dict[str, str]:
        return as_mapping(self.data.get("runtimeStatistics"))

    @property
    def performance(self) -> Performance:
        def make():
            tp = _total_performance(self.data)
            trade, other_t = _performance_series(_either(tp, "tradeStatistics"))
            portfolio, other_p = _performance_series(_either(tp, "portfolioStatistics"))
            return Performance(trade, portfolio, {**other_t, **other_p})
        return self._cached("performance", make)

    @property
    def trades(self) -> pd.DataFrame:
        """Closed trades from totalPerformance."""
        tp = _total_performance(self.data)
        return self._cached("trades", lambda: frames.trades_frame(
            _either(tp, "closedTrades") or []))

    # --- charts ---------------------------------------------------------------------------------
    @property
    def charts(self) -> list[str]:
        return sorted(as_mapping(self.data.get("charts")).keys())

    def chart(self, name: str, *, timeout: float = 120.0) -> pd.DataFrame:
        """One chart as a DataFrame on a UTC index, columns (series, field); see frames."""
        key = f"chart:{name}"
        if key not in self._cache:
            self._cache[key] = frames.chart_frame(self._read_chart(name, timeout))
        return self._cache[key]

    def _read_chart(self, name: str, timeout: float) -> dict:
        known = self.charts
        if known and name not in known:
            from ..api.lookup import near
            hint = near(name, known)
            raise NotFoundError("/backtests/chart/read", [f"no chart {name!r}"],
                                f"backtest {self.id} has no chart {name!r}" +
                                (f"; did you mean {' or '.join(map(repr, hint))}?" if hint else
                                 f"; its charts: {', '.join(known)}"))
        # The service makes start/end optional, but what it answers without them is not
        # documented: ask for the whole backtest, a day either side, never before 1970.
        start = max(0, epoch_seconds(self.data.get("backtestStart"), 0) - 86_400)
        end = max(start, epoch_seconds(self.data.get("backtestEnd"), int(time.time())) + 86_400)
        answer = poll_until(
            lambda: self.client.read_backtest_chart(self.project_id, self.id, name, start=start,
                                                    end=end, count=CHART_POINTS).get("chart"),
            poll=self.poll, timeout=timeout, what=f"chart {name!r} of backtest {self.id}")
        return answer

    def _series(self, chart: str, series: str, fractions: bool, label: str) -> pd.Series:
        frame = self.chart(chart)
        if series not in frame.columns.get_level_values(0):
            return pd.Series(dtype="float64", name=label, index=frames.UTC_EMPTY)
        part = frame[series]
        values = part["close"] if "close" in part.columns else part["value"]
        values = values.dropna().astype("float64")
        return (values / 100.0 if fractions else values).rename(label)

    @property
    def equity(self) -> pd.Series:
        """Portfolio value (the close of each "Strategy Equity" candle)."""
        return self._series(*EQUITY, fractions=False, label="equity")

    @property
    def returns(self) -> pd.Series:
        """Period returns as fractions ("Strategy Equity" / "Return", charted in percent)."""
        return self._series(*RETURNS, fractions=True, label="returns")

    @property
    def drawdown(self) -> pd.Series:
        """Drawdown as fractions, e.g. -0.12 ("Drawdown" / "Equity Drawdown", charted in %)."""
        return self._series(*DRAWDOWN, fractions=True, label="drawdown")

    @property
    def benchmark(self) -> pd.Series:
        return self._series(*BENCHMARK, fractions=False, label="benchmark")

    # --- orders, insights, report ---------------------------------------------------------------
    def _orders_raw(self) -> list[dict]:
        """Every order as the service sent it (a dict each), read once."""
        def make() -> list[dict]:
            answers = self._cache.pop("orders:answers", None)
            if answers is not None:   # read for the frame already: parsed from what was kept
                return order_rows.as_dicts(answers)
            return order_rows.as_dicts(self._read_orders(None, lambda items: None))
        return self._cached("orders:raw", make)

    def _read_orders(self, decode: Callable[[bytes], dict | None] | None,
                     on_items: Callable[[list], None]) -> list[bytes | list[dict]]:
        expected = self.statistics.get("Total Orders")
        return order_rows.read_orders(
            self.client, self.project_id, self.id, decode=decode, on_items=on_items,
            expected=None if expected is None else int(expected),
            concurrency=self.concurrency, poll=self.poll)

    @property
    def orders(self) -> pd.DataFrame:
        """Every order, by id: enums as named categories, times in UTC."""
        def make() -> pd.DataFrame:
            if "orders:raw" in self._cache:
                return frames.orders_frame(self._orders_raw())
            # Not read yet: the frame's columns are gathered window by window as they arrive,
            # from rows holding just the fields it needs when msgspec is there (order_rows.py).
            # Orders the frame cannot take stop the gathering, not the read: the answers are
            # kept (order_events needs no second read), and the frame made from their dicts
            # says what is wrong, as it would have without the gathering.
            columns, failed = frames.OrderColumns(), []

            def gather(orders: list) -> None:
                if not failed:
                    try:
                        columns.add(orders)
                    except Exception as e:   # noqa: BLE001 - said again by orders_frame below
                        failed.append(e)
            self._cache["orders:answers"] = self._read_orders(order_rows.decoder(), gather)
            return frames.orders_frame(self._orders_raw()) if failed else columns.frame()
        return self._cached("orders", make)

    @property
    def order_events(self) -> pd.DataFrame:
        """Every order event (submissions, fills, cancels) with fill prices and fees."""
        return self._cached("events", lambda: frames.order_events_frame(self._orders_raw()))

    @property
    def insights(self) -> pd.DataFrame:
        def make():
            raw = read_all(lambda s, e: self.client.read_backtest_insights(self.project_id,
                                                                           self.id, s, e),
                           "insights", expected=None, concurrency=self.concurrency,
                           loading_timeout=10.0, poll=self.poll,
                           fetch_many=lambda windows, concurrency, each:
                               self.client.read_backtest_insights_windows(
                                   self.project_id, self.id, windows, concurrency=concurrency,
                                   each=each))
            return frames.insights_frame(raw)
        return self._cached("insights", make)

    # --- logs -----------------------------------------------------------------------------------
    @property
    def logs(self) -> pd.DataFrame:
        """Every log line (`self.log`, `self.debug`): UTC `time`, `message`; see logs_frame."""
        return self.logs_frame()

    def logs_frame(self, query: str | None = None, pattern: str | None = None, *,
                   time_zone: str | None = "America/New_York") -> pd.DataFrame:
        """The log as a DataFrame; `query`: only lines containing it (case-insensitive, filtered
        by the service); `pattern`: its named groups as typed columns, matching lines only.
        `time_zone` is the algorithm's (Lean prefixes lines with the algorithm's local time).

        >>> bt.logs_frame(pattern=r"fold=(?P<fold>\\d+) sharpe=(?P<sharpe>\\S+)")
        """
        from . import logs
        regex = logs.compile_pattern(pattern) if pattern is not None else None  # before reading
        lines = self._cached(f"logs:{(query or '').strip().lower()}", lambda: logs.read(
            self.client, self.project_id, self.id, query=query, concurrency=self.concurrency,
            poll=self.poll))
        frame = logs.logs_frame(lines, time_zone)
        return logs.extract(frame, regex) if regex is not None else frame

    def report(self, timeout: float = REPORT_TIMEOUT) -> str:
        """The HTML report, waiting (up to `timeout` seconds) while the service generates it."""
        return self._cached("report", lambda: wait_for_report(
            lambda: self.client.read_backtest_report(self.project_id, self.id),
            what=f"the report of backtest {self.id}", poll=self.poll, timeout=timeout))

    def plot(self, ax=None):
        """Equity with drawdown beneath and the benchmark on a twin axis (matplotlib)."""
        from .plots import plot_backtest
        return plot_backtest(self, ax=ax)

    # --- changes --------------------------------------------------------------------------------
    def rename(self, name: str) -> "Backtest":
        self.client.update_backtest(self.project_id, self.id, name=name)
        return self.refresh()

    def set_note(self, note: str) -> "Backtest":
        self.client.update_backtest(self.project_id, self.id, note=note)
        return self.refresh()

    def delete(self) -> None:
        self.client.delete_backtest(self.project_id, self.id)
