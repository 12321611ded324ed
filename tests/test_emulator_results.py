"""The emulator's results in the real service's current form (issue 9 §2): backtests, charts,
orders, insights and optimizations, read over HTTP as curl or lean-cli would read them."""
from __future__ import annotations

import re
import time

import pytest
import requests

from conftest import SUITE_TOKEN
from qc_magics.api.transport import signature
from qc_magics.emulator import Emulator
from qc_magics.emulator import formats, orders
from qc_magics.emulator.synthetic import SYMBOLS, Synthetic

PSR = "Probabilistic Sharpe Ratio"
FAR = 2_000_000_000


@pytest.fixture
def emu(clock):
    with Emulator(api_token=SUITE_TOKEN, seed=11, clock=clock) as e:
        yield e


def call(emu, endpoint, data=None, *, form=None):
    ts = str(int(emu.app.now()))
    return requests.post(emu.api_url + endpoint, json=data, data=form,
                         auth=(emu.user_id, signature(emu.api_token, ts)),
                         headers={"Timestamp": ts}, timeout=30).json()


def ok(emu, endpoint, data=None, **kw):
    answer = call(emu, endpoint, data, **kw)
    assert answer["success"], answer
    return answer


def project(emu, clock, extra: str = "") -> tuple[int, str]:
    """A project whose main.py ends with `extra`, compiled."""
    pid = ok(emu, "/projects/create", {"name": "Results", "language": "Py"})["projects"][0][
        "projectId"]
    main = ok(emu, "/files/read", {"projectId": pid, "name": "main.py"})["files"][0]["content"]
    ok(emu, "/files/update", {"projectId": pid, "name": "main.py", "content": main + extra})
    cid = ok(emu, "/compile/create", {"projectId": pid})["compileId"]
    clock.advance(1.1)
    return pid, cid


def backtest(emu, clock, extra: str = "", parameters=None, run: float = 10.0):
    pid, cid = project(emu, clock, extra)
    bid = ok(emu, "/backtests/create", {"projectId": pid, "compileId": cid, "backtestName": "b",
                                        **({"parameters": parameters} if parameters else {})}
             )["backtest"]["backtestId"]
    clock.advance(run)
    return pid, bid


def read(emu, pid, bid):
    return ok(emu, "/backtests/read", {"projectId": pid, "backtestId": bid})["backtest"]


# --- backtests ------------------------------------------------------------------------------------
def test_statistics_are_an_empty_list_until_they_exist_and_errors_are_null(emu, clock):
    pid, bid = backtest(emu, clock, run=0.5 + 1.5)
    running = read(emu, pid, bid)
    assert running["completed"] is False and running["statistics"] == []
    assert running["error"] is None and running["stacktrace"] is None
    assert running["runtimeStatistics"][PSR] == "0%"
    assert list(running["runtimeStatistics"]) == sorted(running["runtimeStatistics"])
    clock.advance(1.6)    # completed, statistics not yet there
    race = read(emu, pid, bid)
    assert race["completed"] and race["statistics"] == [] and "totalPerformance" not in race
    clock.advance(0.5)
    done = read(emu, pid, bid)
    stats = done["statistics"]
    assert done["error"] is None and done["stacktrace"] is None
    assert done["hasInitializeError"] is False
    assert list(stats)[0] == "Total Orders" and list(stats)[-1] == "Drawdown Recovery"
    assert re.fullmatch(r"\d+", stats["Drawdown Recovery"])
    assert re.fullmatch(r"\$\d+\.\d\d", stats["Total Fees"])                  # no separators
    assert re.fullmatch(r"\$(0|\d+\.00)", stats["Estimated Strategy Capacity"])
    assert re.fullmatch(r"-?\d+\.\d{3}%", stats[PSR])
    assert done["runtimeStatistics"][PSR] == stats[PSR]


def _losing_parameters() -> dict:
    """Parameters for which the emulated strategy loses money (found, not hard-coded)."""
    for a in range(200):
        s = Synthetic.for_sources(0, {"a": a}, {})
        if s.numbers["end_equity"] < s.numbers["start_equity"] * 0.97:
            return {"a": a}
    raise AssertionError("no losing parameters in range")


def test_runtime_money_is_written_as_lean_writes_it(emu, clock):
    assert formats.runtime_money(-1234.56) == "$-1,234.56"
    assert formats.runtime_fees(1234.5) == "-$1,234.50"
    assert formats.runtime_return(-0.031) == "-3.10 %"
    assert formats.capacity(1_712_345_678) == "$1700000000.00" and formats.capacity(0) == "$0"
    assert formats.percent(0.006) == "0.600%" and formats.percent(0.0) == "0%"
    # A losing backtest over HTTP: the loss reads "$-1,234.56", fees "-$x".
    found = None
    for seed in range(40):
        with Emulator(api_token=SUITE_TOKEN, seed=seed, clock=clock) as e:
            pid, bid = backtest(e, clock, parameters=_losing_parameters())
            runtime = read(e, pid, bid)["runtimeStatistics"]
        if runtime["Net Profit"].startswith("$-"):
            found = runtime
            break
    assert found, "no losing backtest found"
    assert re.fullmatch(r"\$-\d{1,3}(,\d{3})*\.\d\d", found["Net Profit"])
    assert re.fullmatch(r"-\$\d{1,3}(,\d{3})*\.\d\d", found["Fees"])
    assert found["Return"].startswith("-") and found["Return"].endswith(" %")


def test_total_performance_decimals_are_strings_and_trades_have_symbols(emu, clock):
    pid, bid = backtest(emu, clock)
    tp = read(emu, pid, bid)["totalPerformance"]
    portfolio, trades = tp["portfolioStatistics"], tp["closedTrades"]
    assert portfolio["startEquity"] == "100000" and isinstance(portfolio["sharpeRatio"], str)
    assert isinstance(tp["tradeStatistics"]["totalNumberOfTrades"], int)
    assert isinstance(tp["tradeStatistics"]["totalProfitLoss"], str)
    assert len(trades) == 120 and [t["id"] for t in trades[:3]] == [1, 2, 3]
    first = trades[0]
    assert "symbol" not in first and len(first["symbols"]) == 1
    assert first["symbols"][0]["id"] in {sid for _, sid, _ in SYMBOLS}
    assert first["orderIds"] == [1, 2] and isinstance(first["profitLoss"], str)
    assert all(t["isWin"] == (float(t["profitLoss"]) > 0) for t in trades)
    assert float(tp["tradeStatistics"]["totalProfitLoss"]) == pytest.approx(
        sum(float(t["profitLoss"]) for t in trades), abs=0.01)


def test_parameter_values_come_back_as_sent(emu, clock):
    sent = {"a": 0, "b": 0.0, "c": "foo", "d": "12"}
    pid, bid = backtest(emu, clock, parameters=sent)
    assert read(emu, pid, bid)["parameterSet"] == sent
    listed = ok(emu, "/backtests/list", {"projectId": pid})["backtests"]
    assert listed[0]["parameterSet"] == sent


def test_a_failure_in_initialize_is_flagged(emu, clock):
    pid, bid = backtest(emu, clock, "# qc-emulator: initialize-error KeyError: 'SPY'\n")
    b = read(emu, pid, bid)
    assert b["status"] == "Runtime Error" and b["completed"] and b["progress"] == 0.0
    assert b["hasInitializeError"] is True and b["error"] == "KeyError: 'SPY'"
    assert "at initialize" in b["stacktrace"] and b["statistics"] == []
    refused = call(emu, "/backtests/chart/read", {"projectId": pid, "backtestId": bid,
                                                  "name": "Strategy Equity", "count": 10})
    assert refused["success"] is False and "initialize" in refused["errors"][0]
    later = backtest(emu, clock, "# qc-emulator: runtime-error ZeroDivisionError\n")
    b = read(emu, *later)
    assert b["hasInitializeError"] is False and b["error"] == "ZeroDivisionError"


# --- charts -----------------------------------------------------------------------------------
STANDARD = ["Strategy Equity", "Drawdown", "Benchmark", "Exposure", "Assets Sales Volume",
            "Portfolio Turnover", "Portfolio Margin", "Capacity"]
CUSTOM = '\n        self.plot("SMA", "fast", 1)\n        self.plot("SMA", "slow", 2)\n'


def chart(emu, pid, bid, name, **window):
    return call(emu, "/backtests/chart/read",
                {"projectId": pid, "backtestId": bid, "name": name, "count": 100, **window})


def test_standard_and_custom_charts_answer_at_once_when_finished(emu, clock):
    pid, bid = backtest(emu, clock, CUSTOM)
    assert list(read(emu, pid, bid)["charts"]) == STANDARD + ["SMA"]
    for name in STANDARD + ["SMA"]:
        answer = chart(emu, pid, bid, name, start=0, end=FAR)
        assert answer["success"] and answer["chart"]["name"] == name, (name, answer)
    series = chart(emu, pid, bid, "Strategy Equity", start=0, end=FAR)["chart"]["series"]
    equity, ret = series["Equity"], series["Return"]
    assert equity["seriesType"] == 2 and all(len(p) == 5 for p in equity["values"])
    assert "color" not in equity and "scatterMarkerSymbol" not in equity   # a candle series
    assert ret["seriesType"] == 3 and ret["color"] == "" and ret["scatterMarkerSymbol"] == "none"
    volume = chart(emu, pid, bid, "Assets Sales Volume", start=0, end=FAR)["chart"]["series"]
    assert {s["seriesType"] for s in volume.values()} == {7} and set(volume) == {
        "SPY", "AAPL", "QQQ"}
    margin = chart(emu, pid, bid, "Portfolio Margin", start=0, end=FAR)["chart"]["series"]
    assert {s["seriesType"] for s in margin.values()} == {5}
    sma = chart(emu, pid, bid, "SMA", start=0, end=FAR)["chart"]["series"]
    assert list(sma) == ["fast", "slow"] and re.fullmatch(r"#[0-9A-F]{6}", sma["fast"]["color"])
    assert len(sma["fast"]["values"]) == 100 and all(len(p) == 2 for p in sma["fast"]["values"])


def test_chart_refusals_and_optional_window(emu, clock):
    pid, bid = backtest(emu, clock, "# qc-emulator: points 300\n")
    unknown = chart(emu, pid, bid, "Nope", start=0, end=FAR)
    assert unknown["success"] is False and "Chart not found: Nope" in unknown["errors"][0]
    backwards = chart(emu, pid, bid, "Drawdown", start=FAR, end=0)
    assert backwards["success"] is False and "before its start" in backwards["errors"][0]
    whole = call(emu, "/backtests/chart/read", {"projectId": pid, "backtestId": bid,
                                                "name": "Benchmark", "count": 1000})
    assert len(whole["chart"]["series"]["Benchmark"]["values"]) == 300


def test_results_load_only_while_running_or_when_scripted(emu, clock):
    pid, bid = backtest(emu, clock, run=1.0)
    window = {"projectId": pid, "backtestId": bid, "start": 0, "end": 100}
    assert chart(emu, pid, bid, "Drawdown")["status"] == "loading"
    assert ok(emu, "/backtests/orders/read", window) == {
        "orders": [], "length": 0, "success": True, "errors": []}
    clock.advance(10)
    assert chart(emu, pid, bid, "Drawdown")["chart"]["name"] == "Drawdown"
    assert ok(emu, "/backtests/orders/read", window)["length"] == 240
    assert ok(emu, "/backtests/read/insights", window)["length"] == 120
    emu.script_fault("/backtests/chart/read", "loading")
    emu.script_fault("/backtests/orders/read", "loading")
    assert chart(emu, pid, bid, "Drawdown")["status"] == "loading"
    assert ok(emu, "/backtests/orders/read", window)["orders"] == []
    assert chart(emu, pid, bid, "Drawdown")["chart"]["name"] == "Drawdown"
    assert len(ok(emu, "/backtests/orders/read", window)["orders"]) == 100


# --- orders and insights ----------------------------------------------------------------------
def test_windows_up_to_100_wide(emu, clock):
    pid, bid = backtest(emu, clock, "# qc-emulator: orders 250\n# qc-emulator: insights 250\n")
    for endpoint, key in (("/backtests/orders/read", "orders"),
                          ("/backtests/read/insights", "insights")):
        def window(start, end):
            return call(emu, endpoint, {"projectId": pid, "backtestId": bid,
                                        "start": start, "end": end})
        page = window(100, 200)
        assert page["success"] and len(page[key]) == 100 and page["length"] == 250
        if key == "orders":
            assert [o["id"] for o in page[key]] == list(range(101, 201))
        assert len(window(200, 300)[key]) == 50
        for start, end in ((0, 101), (0, 200), (50, 10), (-1, 5)):
            refused = window(start, end)
            assert refused["success"] is False and "at most 100" in refused["errors"][0]


def test_order_events_as_lean_serializes_them(emu, clock):
    pid, bid = backtest(emu, clock, "# qc-emulator: orders 1000\n")
    events, found = [], []
    for start in range(0, 1000, 100):
        page = ok(emu, "/backtests/orders/read",
                  {"projectId": pid, "backtestId": bid, "start": start, "end": start + 100})
        found += page["orders"]
    assert [o["id"] for o in found] == list(range(1, 1001))
    for o in found:
        for e in o["events"]:
            events.append(e)
            assert e["id"] == f"{bid}-{o['id']}-{e['orderEventId']}"
            assert e["algorithmId"] == bid and e["message"] is None
            assert e.get("isInTheMoney", True) is True   # written only when true
            if e["status"] == "submitted":
                assert "orderFeeAmount" not in e and "orderFeeCurrency" not in e
            if e["status"] in ("filled", "partiallyFilled"):
                assert e["orderFeeAmount"] > 0 and e["orderFeeCurrency"] == "USD"
    assert any(e.get("isInTheMoney") for e in events)
    limit = next(o for o in found if o["type"] == 1)
    assert limit["events"][0]["limitPrice"] == limit["limitPrice"]


def test_orders_are_made_once_per_backtest(emu, clock, monkeypatch):
    made = []
    real_rows = orders._rows
    monkeypatch.setattr(orders, "_rows", lambda s: made.append(s) or real_rows(s))
    pid, bid = backtest(emu, clock, "# qc-emulator: orders 100000\n")
    session = requests.Session()
    started = time.perf_counter()
    ids = []
    for start in range(0, 100_000, 100):
        ts = str(int(emu.app.now()))
        page = session.post(emu.api_url + "/backtests/orders/read",
                            json={"projectId": pid, "backtestId": bid, "start": start,
                                  "end": start + 100},
                            auth=(emu.user_id, signature(emu.api_token, ts)),
                            headers={"Timestamp": ts}, timeout=30).json()
        ids.append(page["orders"][0]["id"])
    elapsed = time.perf_counter() - started
    assert len(made) == 1 and ids == list(range(1, 100_001, 100))
    assert elapsed < 60, f"1,000 windows took {elapsed:.1f}s"


# --- optimizations ------------------------------------------------------------------------------
GRID = {"name": "grid", "target": "TotalPerformance.PortfolioStatistics.SharpeRatio",
        "targetTo": "max", "strategy": "QuantConnect.Optimizer.Strategies."
                                       "GridSearchOptimizationStrategy",
        "parameters": [{"name": "fast", "min": 1, "max": 4, "step": 1}], "estimatedCost": 1,
        "nodeType": "O2-8", "parallelNodes": 2}
SUMMARY_STAT = '\n        self.set_summary_statistic("Custom Edge", 2.5)\n'


def optimize(emu, clock, extra=""):
    pid, cid = project(emu, clock, extra)
    oid = ok(emu, "/optimizations/create", {"projectId": pid, "compileId": cid, **GRID})[
        "optimizations"][0]["optimizationId"]
    return pid, oid


def read_optimization(emu, oid):
    return ok(emu, "/optimizations/read", {"optimizationId": oid})["optimization"]


def test_optimization_children_in_the_object_form(emu, clock):
    pid, oid = optimize(emu, clock, "# qc-emulator: optimization-statistics object\n" + SUMMARY_STAT)
    new = read_optimization(emu, oid)
    assert new["status"] == "new" and new["backtests"] == [] and new["runtimeStatistics"] == []
    clock.advance(1.0 + 2 * 2.0 + 0.1)
    done = read_optimization(emu, oid)
    assert done["status"] == "completed" and len(done["backtests"]) == 4
    runtime = done["runtimeStatistics"]
    assert re.fullmatch(r"\d\d:\d\d:\d\d", runtime["Total Runtime"])
    # Said in the cloud's time (45 s a backtest on O2-8, as estimated), not the emulator's 2 s;
    # the total stops when the last child ends, however late it is read.
    assert runtime["Average Length"] == "00:00:45"
    clock.advance(3600)
    assert read_optimization(emu, oid)["runtimeStatistics"]["Total Runtime"] == \
        runtime["Total Runtime"]
    for child_id, child in done["backtests"].items():
        stats = child["statistics"]
        assert list(stats) == [str(i) for i in range(25)] + ["Custom Edge"]
        assert stats["Custom Edge"] == 2.5
        assert all(len(row) == 5 and row[2] >= max(row[1], row[4]) >= min(row[1], row[4])
                   >= row[3] for row in child["equity"])
        # The same backtest, read as a backtest: every percentage is a percent number.
        b = read(emu, pid, child_id)
        assert b["optimizationId"] == oid and b["parameterSet"] == child["parameterSet"]
        summary = b["statistics"]
        assert stats["13"] == float(summary[PSR].rstrip("%"))          # 77.188 means 77.188 %
        assert stats["6"] == float(summary["Compounding Annual Return"].rstrip("%"))
        assert stats["16"] == float(summary["Total Fees"].lstrip("$"))
        assert stats["17"] == float(summary["Total Orders"])
        assert stats["24"] == float(summary["Drawdown Recovery"])
        assert 0 <= stats["13"] <= 100
    child_id = next(iter(done["backtests"]))
    refused = call(emu, "/backtests/delete", {"projectId": pid, "backtestId": child_id})
    assert refused["success"] is False and oid in refused["errors"][0]
    orders_of_child = ok(emu, "/backtests/orders/read",
                         {"projectId": pid, "backtestId": child_id, "start": 0, "end": 100})
    assert orders_of_child["length"] == 60


@pytest.mark.parametrize("switch", ["directive", "default"])
def test_optimization_statistics_in_the_list_form_lean_cli_parses(emu, clock, switch):
    if switch == "directive":
        emu.app.optimization_statistics = "object"   # the directive wins over the setting
    pid, oid = optimize(emu, clock, "# qc-emulator: optimization-statistics list\n"
                        if switch == "directive" else "")
    clock.advance(10)
    children = read_optimization(emu, oid)["backtests"]
    for child_id, child in children.items():
        stats = child["statistics"]
        assert isinstance(stats, list) and len(stats) == 21
        summary = read(emu, pid, child_id)["statistics"]
        assert stats[13] == float(summary[PSR].rstrip("%"))
        assert stats[20] == float(summary["Win Rate"].rstrip("%"))


@pytest.mark.parametrize("node, most", [("O2-8", 24), ("O4-12", 12), ("O8-16", 6)])
def test_parallel_node_limits(emu, clock, node, most):
    pid, cid = project(emu, clock)
    for parallel, accepted in ((1, True), (most, True), (most + 1, False), (0, False)):
        answer = call(emu, "/optimizations/create", {"projectId": pid, "compileId": cid, **GRID,
                                                     "nodeType": node,
                                                     "parallelNodes": parallel})
        assert answer["success"] is accepted, (node, parallel, answer)
        if not accepted:
            assert f"{node} runs 1 to {most}" in answer["errors"][0]


def test_optimizations_take_lean_cli_form_encoding(emu, clock):
    pid, cid = project(emu, clock)
    form = {"projectId": str(pid), "compileId": cid, "name": "form", "strategy": GRID["strategy"],
            "target": GRID["target"], "targetTo": "max", "targetValue": "", "nodeType": "O4-12",
            "parallelNodes": "12", "estimatedCost": "0.01",
            "parameters[0][key]": "fast", "parameters[0][min]": "1",
            "parameters[0][max]": "3", "parameters[0][step]": "1",
            "parameters[1][key]": "slow", "parameters[1][min]": "10",
            "parameters[1][max]": "20", "parameters[1][step]": "5",
            "constraints[0][target]": "TotalPerformance.PortfolioStatistics.Drawdown",
            "constraints[0][operator]": "LessOrEqual", "constraints[0][target-value]": "0.25"}
    estimate = ok(emu, "/optimizations/estimate", form=form)["estimate"]
    assert estimate["time"] > 0
    created = ok(emu, "/optimizations/create", form=form)["optimizations"][0]
    clock.advance(10)
    o = read_optimization(emu, created["optimizationId"])
    assert [p["name"] for p in o["parameters"]] == ["fast", "slow"]
    assert o["constraints"] == [{"target": "TotalPerformance.PortfolioStatistics.Drawdown",
                                 "operator": "LessOrEqual", "targetValue": 0.25}]
    assert o["parallelNodes"] == 12 and len(o["backtests"]) == 9
