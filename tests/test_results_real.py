"""Every shape the real service sends, read at the lowest layer (results/, no HTTP).

Fixtures in tests/fixtures/real are answers written in the real shapes (each names its source);
every test checks values as well as dtypes.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from qc_magics.results import Backtest, frames
from qc_magics.results.optimization import Optimization, statistics_by_name
from qc_magics.results.tables import backtests_frame, optimizations_frame, projects_frame

REAL = Path(__file__).parent / "fixtures" / "real"


def load(name: str) -> dict:
    return json.loads((REAL / name).read_text())


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# --- optimizations -------------------------------------------------------------------------------

def test_object_statistics_0_to_24_with_custom_names_and_percent_numbers_as_fractions():
    data = load("optimization_read_object_statistics.json")["optimization"]
    opt = Optimization(None, data["optimizationId"], data)
    grid = opt.grid
    row = grid.loc["8a9b0c1d2e3f40516273849506a7b8c9"]
    # Percent numbers, PSR included: 77.188 means 77.188 % -> 0.77188.
    assert row["Probabilistic Sharpe Ratio"] == 0.77188
    assert row["Drawdown"] == 0.178 and row["Net Profit"] == 1.23888 and row["Win Rate"] == 0.73
    assert row["Average Loss"] == -0.0451 and row["Compounding Annual Return"] == 0.52602
    # The rest as sent.
    assert row["Sharpe Ratio"] == 1.707 and row["Total Fees"] == 1390.49
    assert row["Total Orders"] == 180 and row["Estimated Strategy Capacity"] == 6_300_000
    assert (row["Sortino Ratio"], row["Start Equity"], row["End Equity"],
            row["Drawdown Recovery"]) == (0.1, 100_000, 200_000, 3)
    # Custom statistics become columns of their own (NaN where a backtest lacks one).
    assert row["customstat1"] == 1.2345 and row["customstat2"] == 5.4321
    assert math.isnan(grid.loc["f0e1d2c3b4a5968778695a4b3c2d1e0f", "customstat2"])
    for column in ("Probabilistic Sharpe Ratio", "Drawdown", "Total Orders", "customstat1",
                   "customstat2", "progress"):
        assert grid[column].dtype == "float64", column
    assert grid[["ema_fast", "ema_slow"]].dtypes.tolist() == ["int64", "int64"]
    assert grid["ema_fast"].tolist() == [10, 20]
    assert grid["exit_code"].dtype == "Int64" and grid["exit_code"].tolist() == [0, 0]
    # ISO 8601 with Z and "yyyy-MM-dd HH:mm:ss" both to UTC.
    assert grid["start_date"].tolist() == [utc("2023-01-01")] * 2
    assert str(grid["end_date"].dt.tz) == "UTC"
    assert opt.best("psr").name == "8a9b0c1d2e3f40516273849506a7b8c9"
    assert opt.best("customstat1").name == "f0e1d2c3b4a5968778695a4b3c2d1e0f"


def test_list_statistics_and_value_pairs_from_older_answers():
    data = load("optimization_read_list_statistics.json")["optimization"]
    opt = Optimization(None, data["optimizationId"], data)
    row = opt.grid.loc["backtestId"]
    assert row["Probabilistic Sharpe Ratio"] == 0.77188 and row["Loss Rate"] == 0.27
    assert row["Treynor Ratio"] == -0.558 and row["Win Rate"] == 0.73
    assert "Sortino Ratio" not in opt.grid.columns   # a list holds 21 statistics
    assert row["pinocho"] == 19 and row["pepe"] == -1
    equity = opt.equity   # [t, v] pairs
    assert equity["backtestId"].tolist() == [1.0, 2.0, 3.0]
    assert equity.index[0] == utc("1970-01-01 00:00:01") and equity.dtypes.tolist() == ["float64"]


def test_equity_candles_become_closes_on_one_utc_index():
    data = load("optimization_read_object_statistics.json")["optimization"]
    equity = Optimization(None, data["optimizationId"], data).equity
    assert list(equity.columns) == ["8a9b0c1d2e3f40516273849506a7b8c9",
                                    "f0e1d2c3b4a5968778695a4b3c2d1e0f"]
    assert equity["8a9b0c1d2e3f40516273849506a7b8c9"].tolist() == [100200.0, 100900.0, 101000.0]
    assert equity["f0e1d2c3b4a5968778695a4b3c2d1e0f"].tolist()[:2] == [100000.0, 100250.0]
    assert math.isnan(equity["f0e1d2c3b4a5968778695a4b3c2d1e0f"].iloc[2])
    assert equity.index[0] == utc("2023-01-01") and str(equity.index.tz) == "UTC"


def test_runtime_statistics_hh_mm_ss_and_money():
    data = load("optimization_read_object_statistics.json")["optimization"]
    runtime = Optimization(None, data["optimizationId"], data).runtime
    assert runtime["Average Length"] == pd.Timedelta(minutes=1, seconds=23)
    assert runtime["Total Runtime"] == pd.Timedelta(hours=26, minutes=10, seconds=5)
    assert runtime["Completed"] == 2.0 and runtime["Consumed"] == 0.31


def test_empty_lists_while_nothing_has_run():
    data = load("optimization_read_empty.json")["optimization"]
    opt = Optimization(None, data["optimizationId"], data)
    assert opt.runtime_statistics == {} and opt.runtime == {} and opt.backtests == {}
    assert opt.grid.empty and list(opt.grid.columns[:1]) == ["ema_fast"]
    assert opt.equity.empty and str(opt.equity.index.tz) == "UTC"
    assert "Just Started" in str(opt)


def test_statistics_by_name_reads_strings_and_percent_signs_and_short_lists():
    assert statistics_by_name([]) == {} and statistics_by_name(None) == {}
    named = statistics_by_name(["0.374", "0.217", "0.047", "-4.51", "2.86%"])
    assert named == {"Alpha": 0.374, "Annual Standard Deviation": 0.217,
                     "Annual Variance": 0.047, "Average Loss": -0.0451, "Average Win": 0.0286}
    # A custom statistic never hides one of Lean's, whatever it is called.
    both = statistics_by_name({"15": 1.5, "Sharpe Ratio": 9.0, "7": "n/a"})
    assert both["Sharpe Ratio"] == 1.5 and math.isnan(both["Drawdown"])


# --- backtests -----------------------------------------------------------------------------------

def test_a_running_backtest_statistics_list_null_error_and_runtime_money():
    data = load("backtest_read_running.json")["backtest"]
    bt = Backtest(None, data["projectId"], data["backtestId"], data)
    assert bt.statistics.empty and bt.statistics.dtype == "float64"
    assert bt.statistics_raw == {} and bt.statistics_other == {}
    assert bt.error == "" and bt.stacktrace == "" and not bt.failed and not bt.done
    assert bt.parameters == {}
    runtime = bt.runtime_statistics
    assert runtime.dtype == "float64"
    assert runtime["Net Profit"] == -1234.56 and runtime["Unrealized"] == -1000.0
    assert runtime["Fees"] == -12.5 and runtime["Probabilistic Sharpe Ratio"] == 0.0
    assert runtime["Return"] == -0.0123 and runtime["Volume"] == 2_000_000.0
    assert bt.performance.trade.empty and bt.trades.empty
    assert bt.created == utc("2026-08-01 12:00:00")
    assert "Running Blue Koala" in str(bt)


def test_a_finished_backtest_statistics_performance_strings_and_parameters():
    data = load("backtest_read_completed.json")["backtest"]
    bt = Backtest(None, data["projectId"], data["backtestId"], data)
    stats = bt.statistics
    assert stats.dtype == "float64" and bt.done and not bt.failed
    assert stats["Compounding Annual Return"] == 0.1531                # "15.31%"
    assert stats["Probabilistic Sharpe Ratio"] == 0.4523 and stats["Drawdown"] == 0.123
    assert stats["Total Fees"] == 1234.5 and stats["Estimated Strategy Capacity"] == 6_300_000
    assert stats["Drawdown Recovery"] == 120 and stats["Portfolio Turnover"] == 0.0543
    assert stats["Total Orders"] == stats["Total Trades"] == 240
    assert bt.statistics_other == {"Lowest Capacity Asset": "SPY R735QTJ8XC9X"}
    assert bt.parameters == {"a": 0, "b": 0.0, "c": "foo", "ema_fast": "10"}   # as sent
    assert bt.created == pd.Timestamp("2026-08-01 12:00:00.1234567", tz="UTC")
    perf = bt.performance
    assert perf.trade.dtype == perf.portfolio.dtype == "float64"
    assert perf.trade["totalNumberOfTrades"] == 120 and perf.trade["profitFactor"] == 1.98
    assert perf.portfolio["probabilisticSharpeRatio"] == 0.4523
    assert perf.portfolio["compoundingAnnualReturn"] == stats["Compounding Annual Return"]
    assert perf.other["averageTradeDuration"] == pd.Timedelta(days=5, hours=12)
    assert perf.other["startDateTime"] == utc("2020-01-02 14:31")


def test_closed_trades_with_symbols_id_is_win_and_order_ids():
    data = load("backtest_read_completed.json")["backtest"]
    trades = Backtest(None, 1, data["backtestId"], data).trades
    assert trades["id"].tolist() == ["1", "2"]
    assert trades["symbol"].tolist() == ["SPY", "SPY, SPY 240119C00450000"]
    assert trades["symbol_id"].iloc[0] == "SPY R735QTJ8XC9X"
    assert trades["direction"].tolist() == ["Long", "Short"]
    assert trades["is_win"].dtype == "boolean" and trades["is_win"].tolist() == [True, False]
    assert trades["order_ids"].tolist() == [(1, 2), (3, 4, 5)]
    for column in ("quantity", "entry_price", "exit_price", "profit_loss", "total_fees", "mae",
                   "mfe", "end_trade_drawdown"):
        assert trades[column].dtype == "float64", column
    assert trades["entry_price"].tolist() == [300.5, 2.5]                # string and number
    assert trades["mae"].tolist() == [-5.5, -80.0]
    assert trades["entry_time"].tolist() == [utc("2020-01-02 14:31"), utc("2020-02-03 14:31")]
    assert trades["duration"].tolist() == [pd.Timedelta("3 days 05:29:00"),
                                           pd.Timedelta("7 days 05:29:00")]


def test_an_older_backtest_pascal_case_numbers_and_a_symbol_object():
    data = load("backtest_read_old.json")["backtest"]
    bt = Backtest(None, 1, data["backtestId"], data)
    assert bt.statistics["Total Orders"] == 12 and bt.statistics["Total Fees"] == 1234.5
    assert bt.performance.trade["totalNumberOfTrades"] == 6
    assert bt.performance.portfolio["sharpeRatio"] == 1.1
    trades = bt.trades
    assert trades["symbol"].tolist() == ["AAPL"] and trades["symbol_id"].tolist() == [
        "AAPL R735QTJ8XC9X"]
    assert trades["mae"].tolist() == [-3.0] and trades["mfe"].tolist() == [110.0]
    assert trades["is_win"].isna().all() and trades["order_ids"].tolist() == [()]
    assert trades["exit_time"].tolist() == [utc("2019-01-05 20:00")]


def test_a_failure_in_initialize_counts_as_failed():
    bt = Backtest(None, 1, "x" * 32, {"status": "Completed.", "completed": True,
                                      "hasInitializeError": True, "error": None,
                                      "statistics": []})
    assert bt.failed and bt.done and bt.error == ""


# --- orders --------------------------------------------------------------------------------------

def test_orders_from_the_real_shape():
    raw = load("backtest_orders_read.json")["orders"]
    orders = frames.orders_frame(raw)
    assert orders.index.tolist() == [1, 2, 3]
    assert orders["status"].tolist() == ["Filled", "Canceled", "Filled"]
    assert orders["type"].tolist() == ["Market", "Limit", "OptionExercise"]
    assert orders["fees"].tolist() == [1.0, 0.0, 0.0]           # no fee fields: no fee
    assert orders["filled_quantity"].tolist() == [10.0, 0.0, -1.0]
    assert orders["time"].tolist() == [utc("2020-01-02 14:31"), utc("2020-01-03 15:00"),
                                       utc("2024-01-19 21:00")]
    assert orders["canceled_time"].iloc[1] == utc("2020-01-03 16:00")
    assert pd.isna(orders["canceled_time"].iloc[0])
    assert orders["limit_price"].iloc[1] == 305.0 and math.isnan(orders["limit_price"].iloc[0])
    assert orders["symbol"].tolist()[2] == "SPY 240119C00450000"


def test_order_events_without_fees_itm_flags_or_messages():
    events = frames.order_events_frame(load("backtest_orders_read.json")["orders"])
    assert len(events) == 5
    assert events["id"].iloc[0] == "1f2e3d4c5b6a79880796a5b4c3d2e1f0-1-1"
    # An event without orderId/orderEventId takes them from its id.
    assert events["order_id"].tolist() == [1, 1, 2, 2, 3]
    assert events["event_id"].tolist() == [1, 2, 1, 2, 1]
    assert events["status"].tolist() == ["submitted", "filled", "submitted", "canceled", "filled"]
    fee = events["fee"]
    assert fee.dtype == "float64" and math.isnan(fee.iloc[0]) and fee.iloc[1] == 1.0
    assert fee.iloc[4] == 0.0
    assert events["fee_currency"].isna().tolist() == [True, False, True, True, False]
    assert events["message"].isna().tolist() == [True, False, True, False, False]
    assert events["message"].iloc[3] == "Canceled by user"
    assert events["is_in_the_money"].dtype == "bool"
    assert events["is_in_the_money"].tolist() == [False, False, False, False, True]
    assert events["is_assignment"].tolist() == [False, False, False, False, True]
    assert events["time"].iloc[1] == utc("2020-01-02 14:31:00.5")
    assert events["direction"].tolist() == ["buy", "buy", "sell", "sell", "sell"]
    assert events["fill_price"].tolist() == [0.0, 300.25, 0.0, 0.0, 0.0]


def test_order_events_in_the_old_kebab_case():
    old = [{"id": 7, "events": [{"order-id": 7, "order-event-id": 3, "time": 1577975460,
                                 "status": "filled", "fill-price": 10.5, "fill-quantity": 2,
                                 "order-fee-amount": 0.5, "is-in-the-money": True,
                                 "symbol-value": "SPY", "direction": "buy"}]}]
    events = frames.order_events_frame(old)
    assert events[["order_id", "event_id"]].iloc[0].tolist() == [7, 3]
    assert events["fill_price"].tolist() == [10.5] and events["fee"].tolist() == [0.5]
    assert events["is_in_the_money"].tolist() == [True] and events["symbol"].tolist() == ["SPY"]


# --- list tables ---------------------------------------------------------------------------------

class ListClient:
    """The list endpoints answering the fixture (the api layer strips the envelope)."""

    def __init__(self):
        self.lists = load("lists.json")

    def list_projects(self):
        return self.lists["projects"]["projects"]

    def read_project(self, project_id):
        return next(p for p in self.list_projects() if p["projectId"] == project_id)

    def list_backtests(self, project_id, include_statistics=True):
        return self.lists["backtests"]["backtests"]

    def list_optimizations(self, project_id):
        return self.lists["optimizations"]["optimizations"]


def test_list_tables_show_real_times_not_nat():
    client = ListClient()
    projects = projects_frame(client)
    assert projects["created"].tolist() == [utc("2026-07-30 09:10:11")] * 2
    assert projects["modified"].tolist() == [utc("2026-08-01 12:00:00.5"),    # latest first
                                             utc("2026-08-01 12:00:00")]
    assert projects["description"].tolist() == ["x", ""]
    backtests = backtests_frame(client, 26129044)
    assert backtests.index.tolist() == ["1f2e3d4c5b6a79880796a5b4c3d2e1f0",
                                        "0a1b2c3d4e5f60718293a4b5c6d7e8f9"]   # newest first
    assert backtests["created"].tolist() == [utc("2026-08-01 12:00"), utc("2026-07-31 08:00")]
    assert backtests["sharpe_ratio"].dtype == "float64"
    sharpe = backtests["sharpe_ratio"]
    assert math.isnan(sharpe.iloc[1]) and sharpe.iloc[0] == 0.61
    assert backtests["parameters"].tolist() == [{"a": 0, "c": "foo"}, {}]
    optimizations = optimizations_frame(client, 26129044)
    assert optimizations["created"].tolist() == [utc("2026-08-01 10:15")]
    assert optimizations["sharpe_ratio"].tolist() == [1.707]          # text "1.707" read too
    assert optimizations["target"].tolist() == ["SharpeRatio"]
    assert optimizations["sharpe_ratio"].dtype == np.float64
