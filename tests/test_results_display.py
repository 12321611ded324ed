"""What users see of results: statistics formatted by kind, compact views, text that fits 100
columns, HTML for notebooks; the values underneath unchanged."""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from qc_magics.results import Backtest, Comparison
from qc_magics.results.display import KEY_STATISTICS, best_line, formatted, table_view
from qc_magics.results.formats import (currency_of, format_duration, format_plain,
                                       format_statistic, one_name_per_statistic,
                                       statistic_kind)
from qc_magics.results.layout import Cells, to_text
from qc_magics.results.optimization import POSITIONAL, Optimization
from qc_magics.results.tables import backtests_frame, files_frame, optimizations_frame, \
    projects_frame

SCIENTIFIC = re.compile(r"\d[eE][-+]\d")     # 1e+20, 1e-07 (hex ids hold "8e8")
SECOND = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def clean(text: str) -> None:
    """No scientific notation, no NaT, no nan, nothing wider than 100 columns."""
    assert not SCIENTIFIC.search(text), text
    assert "NaT" not in text and "nan" not in text.replace("Financ", "")
    assert max(len(line) for line in text.splitlines()) <= 100, text


# --- one formatter --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, value, shown", [
    ("Net Profit", 0.1531, "15.31%"), ("Total Fees", -1234.5, "-$1,234.50"),
    ("Sharpe Ratio", 0.52345, "0.523"), ("Total Orders", 12.0, "12"),
    ("Total Trades", 1234.0, "1,234"), ("End Equity", 137804.25, "$137,804.25"),
    ("Estimated Strategy Capacity", 1.2e12, "$1,200,000,000,000.00"),
    ("Annual Variance", 1e-7, "0.000"), ("Beta", 1e20, "100,000,000,000,000,000,000.000"),
    ("Drawdown", 0.0, "0.00%"), ("net_profit", -0.00001, "0.00%"), ("Total Fees", -0.001, "$0.00"),
    ("compoundingAnnualReturn", 0.0835, "8.35%"), ("psr", 0.8646, "86.46%"),
    ("Probabilistic Sharpe Ratio", 1.0, "100.00%"), ("Alpha", math.nan, "—"),
    ("Alpha", None, "—"), ("Lowest Capacity Asset", "SPY R735QTJ8XC9X", "SPY R735QTJ8XC9X"),
    ("Average Trade Duration", pd.Timedelta(days=2, hours=3, minutes=4, seconds=5),
     "2 days 03:04:05"),
    ("Custom", 3.14159, "3.142"), ("Drawdown Recovery", 45.0, "45"),
])
def test_each_statistic_reads_as_users_read_it(name, value, shown):
    assert format_statistic(name, value) == shown


def test_kinds_are_decided_by_name_in_any_spelling():
    for spelling in ("Net Profit", "net_profit", "netProfit"):
        assert statistic_kind(spelling) == "percent"
    assert [statistic_kind(n) for n in ("Total Fees", "total_orders", "Sortino Ratio")] == \
        ["money", "count", "ratio"]


def test_durations_parameters_and_currency():
    assert format_duration(pd.Timedelta(minutes=5)) == "00:05:00"
    assert format_duration(pd.Timedelta(days=1, seconds=1.4)) == "1 day 00:00:01"
    assert [format_plain(v) for v in (0.00001, 150, np.int64(15), 1e16, 0.5)] == \
        ["0.00001", "150", "15", "10000000000000000", "0.5"]
    assert currency_of({"Total Fees": "€1.00"}) == "€"
    assert currency_of({"Total Fees": "-$1.00"}) == "$" and currency_of({}) == "$"
    assert format_statistic("Total Fees", 2.5, currency="€") == "€2.50"


def test_one_name_per_statistic():
    both = ["Total Orders", "Sharpe Ratio", "Total Trades"]
    assert one_name_per_statistic(both, {"Total Trades"}) == ["Sharpe Ratio", "Total Trades"]
    assert one_name_per_statistic(both, {"Total Orders"}) == ["Total Orders", "Sharpe Ratio"]
    assert one_name_per_statistic(both, set(both)) == ["Total Orders", "Sharpe Ratio"]


# --- a backtest and a comparison ------------------------------------------------------------------

STATISTICS = {"Total Orders": "12", "Average Win": "1.16%", "Compounding Annual Return": "8.35%",
              "Drawdown": "24.650%", "Net Profit": "15.31%", "Sharpe Ratio": "0.52345",
              "Start Equity": "100000", "End Equity": "115312.45", "Total Fees": "$1234.50",
              "Annual Variance": "0.0000001", "Estimated Strategy Capacity": "$12000000000.00",
              "Lowest Capacity Asset": "SPY R735QTJ8XC9X", "Probabilistic Sharpe Ratio": "0%",
              "Information Ratio": "-1234.5", "Drawdown Recovery": "45"}


def backtest(statistics=STATISTICS, name="first", ident="b" * 32, **more) -> Backtest:
    return Backtest(None, 7, ident, {"name": name, "status": "Completed.", "completed": True,
                                     "statistics": statistics, "error": None, **more})


def line_of(text: str, label: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(label + " "))


def test_backtest_statistics_in_the_terminal_and_the_notebook():
    bt = backtest()
    text, page = str(bt), bt._repr_html_()
    clean(text)
    expected = {"Net Profit": "15.31%", "Total Fees": "$1,234.50", "Sharpe Ratio": "0.523",
                "Total Orders": "12", "End Equity": "$115,312.45", "Drawdown": "24.65%",
                "Estimated Strategy Capacity": "$12,000,000,000.00", "Annual Variance": "0.000",
                "Probabilistic Sharpe Ratio": "0.00%", "Information Ratio": "-1,234.500",
                "Lowest Capacity Asset": "SPY R735QTJ8XC9X", "Drawdown Recovery": "45"}
    for label, shown in expected.items():
        assert line_of(text, label).endswith(shown)
        assert f">{shown}</td>" in page
    assert text.splitlines()[0] == f"backtest {'b' * 32} 'first': Completed."
    assert "Total Trades" not in text and "Total Trades" not in page   # it sent "Total Orders"
    assert not SCIENTIFIC.search(page) and "NaT" not in page


def test_the_values_underneath_stay_float64_fractions():
    bt = backtest()
    str(bt), bt._repr_html_()
    stats = bt.statistics
    assert stats.dtype == "float64"
    assert stats["Net Profit"] == 0.1531 and stats["Total Fees"] == 1234.5
    assert stats["Total Orders"] == stats["Total Trades"] == 12.0     # both still answer
    view = bt.view()
    assert view.frame["value"].dtype == "float64" and view.frame["value"].equals(stats)


def test_an_old_result_shows_total_trades_and_durations_readably():
    old = {"Total Trades": "7", "Net Profit": "-1.5%", "Average Trade Duration": "2.03:04:05"}
    text = str(backtest(old))
    assert line_of(text, "Total Trades").endswith(" 7") and "Total Orders" not in text
    assert line_of(text, "Average Trade Duration").endswith("2 days 03:04:05")
    assert line_of(text, "Net Profit").endswith("-1.50%")


def test_a_backtest_without_statistics_yet_and_with_an_error():
    bt = backtest([], error="KeyError: 'SPY'", status="Runtime Error")
    text = str(bt)
    assert "(no statistics yet)" in text and "error: KeyError: 'SPY'" in text
    assert "no statistics yet" in bt._repr_html_()


def test_a_comparison_shows_one_row_per_statistic_and_keeps_its_frame():
    new = backtest(name="new", ident="a" * 32)
    old = backtest({"Total Trades": "8", "Net Profit": "-1234.5%", "Sharpe Ratio": "1.2"},
                   name="old but with a very long name indeed", ident="c" * 32)
    both = Comparison([new, old])
    text, page = str(both), both._repr_html_()
    clean(text)
    orders = line_of(text, "Total Orders")
    assert orders.split()[-2:] == ["12", "8"] and "Total Trades" not in text
    assert line_of(text, "Net Profit").split()[-2:] == ["15.31%", "-1,234.50%"]
    assert line_of(text, "Total Fees").split()[-2:] == ["$1,234.50", "—"]
    assert "old but with a very lon…" in text.splitlines()[0]
    assert ">-1,234.50%</td>" in page
    assert both.view().frame.equals(both.statistics) and (both.statistics.dtypes == "float64").all()


def test_key_statistics_only_under_the_name_the_backtest_sent():
    text = str(backtest().view(only=KEY_STATISTICS))
    assert [line.split("  ")[0] for line in text.splitlines()[2:]] == KEY_STATISTICS
    old = backtest({"Total Trades": "7", "Net Profit": "1%"}).view(only=KEY_STATISTICS)
    assert [r[0] for r in old.cells.rows] == ["Net Profit", "Total Trades"]


def test_total_performance_reads_as_money_percent_counts_and_durations():
    bt = backtest(totalPerformance={
        "tradeStatistics": {"totalNumberOfTrades": "12", "averageLoss": "-958.76",
                            "totalProfitLoss": "-10179.24", "winRate": "0.475",
                            "averageTradeDuration": "5.12:00:00",
                            "startDateTime": "2020-01-07T14:00:00Z"},
        "portfolioStatistics": {"averageLossRate": "-0.0124", "totalNetProfit": "0.378",
                                "sharpeRatio": "0.55123", "annualVariance": "1E-07"}})
    text = str(bt.performance)
    clean(text)
    rows = {tuple(line.split()[:2]): line.split()[-1] for line in text.splitlines()[1:]}
    assert rows[("trade", "totalNumberOfTrades")] == "12"
    assert rows[("trade", "averageLoss")] == "-$958.76"          # an amount here
    assert rows[("trade", "totalProfitLoss")] == "-$10,179.24"
    assert rows[("trade", "winRate")] == "47.50%"
    assert rows[("portfolio", "averageLossRate")] == "-1.24%"
    assert rows[("portfolio", "totalNetProfit")] == "37.80%"
    assert rows[("portfolio", "annualVariance")] == "0.000"
    assert "5 days 12:00:00" in text and "2020-01-07 14:00:00" in text
    assert ">-$958.76</td>" in bt.performance._repr_html_()
    assert bt.performance.trade.dtype == "float64"


def test_any_statistics_selection_is_formatted_by_row_or_column():
    bt = backtest()
    pick = formatted(bt.statistics[["Net Profit", "Sharpe Ratio", "Total Orders"]])
    assert [r[1] for r in pick.cells.rows] == ["15.31%", "0.523", "12"]
    side = formatted(Comparison([bt, backtest(name="two", ident="d" * 32)]).statistics.loc[
        ["Net Profit", "Total Fees"]])
    assert side.cells.rows == [["Net Profit", "15.31%", "15.31%"],
                               ["Total Fees", "$1,234.50", "$1,234.50"]]
    grid = formatted(optimization(2, 1).grid, plain=["ema_fast", "ema_slow"])
    assert grid.cells.headers[:3] == ["backtest_id", "ema_fast", "ema_slow"]
    row = dict(zip(grid.cells.headers, grid.cells.rows[0]))
    assert row["ema_fast"] == "5" and row["Net Profit"] == "15.31%" and row["Total Orders"] == "12"
    assert row["Estimated Strategy Capacity"] == "$15,000,000.00"


# --- an optimization ------------------------------------------------------------------------------

def optimization(n_fast=5, n_slow=5, target="SharpeRatio", extremum="max") -> Optimization:
    backtests = {}
    for i in range(n_fast):
        for j in range(n_slow):
            fast, slow = 5 * (i + 1), 50 * (j + 1)
            stats = {str(k): 0.0 for k in range(25)}
            stats["15"] = round((fast * slow) % 97 / 50 - 0.5, 4)        # Sharpe
            stats["7"] = 10.0 + i + j                                    # Drawdown, percent
            stats["12"] = 15.31 + i                                      # Net Profit, percent
            stats["17"] = 12.0                                           # Total Orders
            stats["8"] = 1.5e7                                           # capacity
            stats["custom"] = None                                       # an empty custom
            bid = f"id{i}{j}"
            backtests[bid] = {"id": bid, "progress": 1, "exitCode": 0, "statistics": stats,
                              "parameterSet": {"ema_fast": str(fast), "ema_slow": str(slow)}}
    unfinished = {"id": "late", "progress": 0.5, "statistics": [],
                  "parameterSet": {"ema_fast": "99", "ema_slow": "999"}}
    backtests["late"] = unfinished
    return Optimization(None, "O-" + "f" * 32, {
        "name": "EMA grid", "status": "completed", "backtests": backtests,
        "parameters": [{"name": "ema_fast"}, {"name": "ema_slow"}],
        "criterion": {"target": f"TotalPerformance.PortfolioStatistics.{target}",
                      "extremum": extremum}, "runtimeStatistics": {"Completed": "25"}})


def test_optimization_grid_compact_best_first_with_a_best_line():
    opt = optimization()
    view = opt.view()
    assert view.cells.headers == ["ema_fast", "ema_slow", "Sharpe", "CAR", "Drawdown",
                                  "Net Profit", "PSR", "Total Orders"]
    sharpe = [float(r[2]) for r in view.cells.rows if r[2] != "—"]
    assert sharpe == sorted(sharpe, reverse=True)
    assert view.cells.rows[-1][:3] == ["99", "999", "—"]          # unfinished: last
    top = opt.grid.sort_values("Sharpe Ratio", ascending=False).iloc[0]
    assert best_line(opt) == (f"best: ema_fast={int(top['ema_fast'])}, "
                              f"ema_slow={int(top['ema_slow'])} (Sharpe "
                              f"{top['Sharpe Ratio']:.3f})")
    text = str(opt)
    clean(text)
    lines = text.splitlines()
    assert lines[0] == f"optimization O-{'f' * 32} 'EMA grid': completed, 26 backtests"
    assert lines[1].split() == " ".join(view.cells.headers).split()
    assert "… 6 more rows" in text and lines[-1] == best_line(opt)
    assert "15.31%" in text and "12" in lines[2].split() and "{" not in text


def test_optimization_grid_is_unchanged_and_fully_one_attribute_away():
    opt = optimization()
    view = opt.view()
    assert view.frame.equals(opt.grid) and len(view.frame) == 26
    assert set(POSITIONAL) - set(view.frame.columns) == set()      # every statistic is there
    assert view.frame["Net Profit"].dtype == "float64" and view.frame["ema_fast"].dtype == "int64"
    assert "custom" in view.frame.columns and "custom" not in view.cells.headers   # empty
    assert "Estimated Strategy Capacity" not in view.cells.headers                 # not key
    page = opt._repr_html_()
    assert "<table" in page and ">15.31%</td>" in page and "best: ema_fast=" in page
    records = view.to_json_records()
    assert len(records) == 26 and records[0]["backtest_id"] and "Tracking Error" in records[0]


def test_a_minimised_target_ranks_lowest_first_and_is_shown_first():
    opt = optimization(3, 2, target="Drawdown", extremum="min")
    view = opt.view()
    assert view.cells.headers[2] == "Drawdown" and view.cells.rows[0][2] == "10.00%"
    assert best_line(opt) == "best: ema_fast=5, ema_slow=50 (Drawdown 10.00%)"


def test_an_optimization_with_no_result_yet():
    opt = Optimization(None, "O-1", {"name": "x", "status": "running", "backtests": [],
                                     "parameters": [{"name": "a"}], "criterion": {}})
    assert str(opt).splitlines()[-1] == "(no backtest finished yet)" and best_line(opt) == ""


# --- lists ----------------------------------------------------------------------------------------

class Lists:
    """The list endpoints, answering rows in the service's order (oldest first)."""

    def __init__(self, percent_numbers=False):
        scale = 100.0 if percent_numbers else 1.0
        self.backtests = [
            {"backtestId": "0" * 32, "name": "oldest", "status": "Completed.",
             "created": "2026-07-31 08:00:00", "progress": 1, "parameterSet": {"ema_fast": 10},
             "netProfit": 0.1531 * scale, "compoundingAnnualReturn": 0.05 * scale,
             "sharpeRatio": 0.52345, "drawdown": 0.2 * scale, "psr": 0.004 * scale,
             "winRate": 0.4 * scale, "lossRate": 0.6 * scale, "trades": 12,
             "alpha": None, "beta": None},
            {"backtestId": "1" * 32, "name": "a newer backtest with a name far too long for it",
             "status": "Completed.", "created": "2026-08-01T12:00:00Z", "progress": 1,
             "parameterSet": [], "netProfit": -0.02 * scale, "sharpeRatio": -1.5,
             "trades": 3, "winRate": 0.5 * scale, "lossRate": 0.5 * scale},
            {"backtestId": "2" * 32, "name": "running", "status": "In Progress...",
             "created": "2026-08-01 12:00:00", "progress": 0.5,
             "parameterSet": {"ema_fast": 0.00001}},
        ]

    def list_projects(self):
        return [{"projectId": 1, "name": "Old", "language": "Py",
                 "created": "2026-01-01 00:00:00", "modified": "2026-07-01 10:00:00"},
                {"projectId": 2, "name": "New", "language": "C#",
                 "created": "2026-02-01 00:00:00", "modified": "2026-08-01 10:00:00"}]

    def read_project(self, project_id):
        return next(p for p in self.list_projects() if p["projectId"] == project_id)

    def list_backtests(self, project_id, include_statistics=True):
        return self.backtests

    def list_optimizations(self, project_id):
        return [{"optimizationId": "O-1", "name": "grid", "status": "completed",
                 "nodeType": "O2-8", "created": "2026-08-01 09:00:00", "psr": 0.77188,
                 "criterion": {"target": "TotalPerformance.PortfolioStatistics.SharpeRatio"},
                 "sharpeRatio": 1.707},
                {"optimizationId": "O-2", "name": "later", "status": "running",
                 "nodeType": "O4-12", "created": "2026-08-02 09:00:00"}]

    def read_files(self, project_id):
        return [{"name": "main.py", "content": "x" * 1234, "modified": "2026-08-01 10:00:00"},
                {"name": "utils.py", "content": "", "modified": "2026-08-02 10:00:00.5"}]


def test_lists_are_newest_first_with_real_times_to_the_second():
    client = Lists()
    projects = projects_frame(client)
    assert projects.index.tolist() == [2, 1]
    assert projects["modified"].iloc[0] == pd.Timestamp("2026-08-01 10:00", tz="UTC")
    assert files_frame(client, 1).index.tolist() == ["utils.py", "main.py"]
    backtests = backtests_frame(client, 1)
    # two at the same second: the later in the service's list is the newer
    assert backtests.index.tolist() == ["2" * 32, "1" * 32, "0" * 32]
    assert optimizations_frame(client, 1).index.tolist() == ["O-2", "O-1"]
    for frame in (projects, files_frame(client, 1), backtests, optimizations_frame(client, 1)):
        view = table_view(frame)
        text = view.to_text()
        clean(text)
        assert SECOND.search(text) and SECOND.search(view._repr_html_())
        assert "NaT" not in view._repr_html_() and "+00:00" not in text
    files = str(table_view(files_frame(client, 1)))
    assert "2026-08-02 10:00:00\n" in files and "library" not in files   # no column of False


def test_backtests_list_is_compact_with_parameters_as_columns():
    frame = backtests_frame(Lists(), 1)
    view = table_view(frame)
    assert view.frame is frame
    assert view.cells.headers == ["name", "created", "status", "Net Profit", "CAR", "Sharpe",
                                  "Drawdown", "PSR", "Trades", "ema_fast"]
    text = str(view)
    clean(text)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["name", "created", "status"]
    assert [line.split()[0] for line in lines[1:4]] == ["running", "a", "oldest"]
    assert lines[2].startswith("a newer backtest w…  2026-08-01 12:00:00  Completed. ")
    assert lines[4] == "… 2 more columns: Trades, ema_fast"      # a long status takes room
    for shown in ("15.31%", "5.00%", "0.523", "20.00%", "0.40%"):
        assert f" {shown}" in lines[3]
    wide = view.to_text(width=160).splitlines()
    assert wide[3].split()[-2:] == ["12", "10"] and wide[1].endswith("0.00001") and "{" not in text
    assert frame["net_profit"].dtype == "float64" and frame["net_profit"].iloc[2] == 0.1531
    page = view._repr_html_()
    assert "1" * 32 in page and ">15.31%</td>" in page
    assert "1" * 32 not in text and "1" * 32 in table_view(frame, ids=True).to_text()
    records = view.to_json_records()
    assert records[2]["backtest_id"] == "0" * 32 and records[2]["parameters"] == {"ema_fast": 10}
    assert records[2]["created"] == "2026-07-31T08:00:00Z" and "alpha" in records[2]


def test_backtests_list_percent_numbers_are_fractions_in_the_frame_and_json():
    as_numbers = backtests_frame(Lists(percent_numbers=True), 1)
    as_fractions = backtests_frame(Lists(), 1)
    assert as_numbers["net_profit"].iloc[2] == 0.1531 and as_numbers["psr"].iloc[2] == 0.004
    for column in ("net_profit", "compounding_annual_return", "drawdown", "psr", "win_rate",
                   "loss_rate"):
        assert as_numbers[column].tolist() == pytest.approx(as_fractions[column].tolist(),
                                                            nan_ok=True)
    assert table_view(as_numbers).to_json_records() == table_view(as_fractions).to_json_records()
    oldest = str(table_view(as_numbers)).splitlines()[3]
    assert " 15.31%" in oldest and " 0.40%" in oldest


@pytest.mark.parametrize("psr", [77.188, "77.188", "77.188%", 0.77188])
def test_optimizations_list_psr_is_a_fraction_however_it_was_sent(psr):
    """The service writes an optimization's statistics as percent numbers (77.188 for
    77.188 %); a "%" text or a fraction reads the same."""
    class Sent(Lists):
        def list_optimizations(self, project_id):
            rows = super().list_optimizations(project_id)
            return [{**rows[0], "psr": psr}, rows[1]]
    frame = optimizations_frame(Sent(), 1)
    assert frame.loc["O-1", "psr"] == 0.77188
    view = table_view(frame, ids=True)
    assert [r["psr"] for r in view.to_json_records()] == [None, 0.77188]
    assert "77.19%" in str(view)


def test_optimizations_list_is_compact():
    view = table_view(optimizations_frame(Lists(), 1))
    assert view.cells.headers == ["name", "created", "status", "target", "Sharpe", "PSR", "node"]
    text = str(view)
    clean(text)
    assert "77.19%" in text and "1.707" in text and "Sharpe Ratio" in text
    assert text.splitlines()[1].split()[4:7] == ["—"] * 3   # no target yet: a dash, no blank


# --- layout ---------------------------------------------------------------------------------------

def test_text_fits_its_width_and_is_deterministic():
    rows = [[f"backtest number {i} " * 5, f"{i * 1.5:,.2f}%", "x" * 30, "y" * 30]
            for i in range(30)]
    cells = Cells(["name", "Net Profit", "wide", "wider"], rows, [False, True, False, False],
                  flex=0)
    text = to_text(cells, width=100)
    assert text == to_text(cells, width=100)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100 and lines[1].startswith("backtest number 0 backt…  ")
    assert "…" in lines[1] and lines[-1] == "… 10 more rows"
    narrow = to_text(cells, width=60).splitlines()
    assert max(map(len, narrow)) <= 60 and narrow[-1] == "… 1 more column: wider"


# --- end to end, over HTTP against the emulator ---------------------------------------------------

def test_every_view_from_the_emulator_has_real_times_and_readable_numbers(client):
    from qc_magics.jobs import run_backtest, run_optimization
    fast = dict(progress="none", poll=(0.01, 0.05))
    project = client.create_project("Display")["projectId"]
    bt = run_backtest(client, project, "first", {"ema_fast": 10}, **fast)
    opt = run_optimization(client, project, [("ema_fast", 5, 15, 5), ("ema_slow", 50, 100, 50)],
                           confirm=True, **fast)
    for frame in (projects_frame(client), files_frame(client, project),
                  backtests_frame(client, project), optimizations_frame(client, project)):
        times = frame.select_dtypes("datetimetz")
        assert not times.empty and times.notna().all().all()     # real times, no NaT
        assert all(str(times[c].dt.tz) == "UTC" for c in times)
        text = str(table_view(frame))
        clean(text)
        assert SECOND.search(text)
    text = str(bt)
    clean(text)
    assert re.search(r"^Total Orders +240$", text, re.M)
    assert re.search(r"^Net Profit +-?\d+\.\d\d%$", text, re.M)
    assert re.search(r"^Total Fees +\$[\d,]+\.\d\d$", text, re.M)
    grid = str(opt)
    clean(grid)
    assert grid.splitlines()[-1].startswith("best: ema_fast=")
    assert len(opt.grid) == 6 and "Tracking Error" in opt.view().frame


def test_a_running_backtest_reads_running_with_its_progress_not_the_spec_template():
    from qc_magics.results.formats import backtest_status
    assert backtest_status("'Running: _%'", 0.4) == "Running (40%)"
    assert backtest_status("'Running: _%'") == "Running"
    assert backtest_status("Running: 45%", 0.45) == "Running: 45%"   # a real text stays
    assert backtest_status("In Queue...") == "In Queue..."
