"""Results from JSON shaped like the real service's: numbers, dtypes, both chart formats."""
from __future__ import annotations

import pandas as pd
import pytest

from qc_magics.results import Backtest, parse_number, parse_timespan
from qc_magics.results import frames
from qc_magics.results.optimization import Optimization, statistics_by_name


@pytest.mark.parametrize("text, value", [
    ("15.3%", 0.153), ("0.00 %", 0.0), ("45.23 %", 0.4523), ("-0.62%", -0.0062),
    ("$1,234.50", 1234.5), ("-$0.00", 0.0), ("$-5.25", -5.25), ("$12,000,000.00", 12e6),
    ("1.234", 1.234), ("-0.5", -0.5), ("100000", 100000.0), ("12,345", 12345.0), ("1e-3", 0.001),
    ("115312.45", 115312.45), ("€3.10", 3.1),
])
def test_display_numbers(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["SPY R735QTJ8XC9X", "", "-", "1,23", "Infinity", "NaN",
                                  "5.12:00:00", None, True])
def test_display_text_that_is_not_a_number(text):
    assert parse_number(text) is None


def test_timespans():
    assert parse_timespan("5.12:30:00") == pd.Timedelta(days=5, hours=12, minutes=30)
    assert parse_timespan("00:05:00") == pd.Timedelta(minutes=5)
    assert parse_timespan("1.00:00:00.5000000") == pd.Timedelta(days=1, milliseconds=500)
    assert parse_timespan("soon") is None


OLD_STYLE_BACKTEST = {   # an older result: "Total Trades", PascalCase performance, string values
    "backtestId": "a" * 32, "name": "old", "completed": True, "status": "Completed.",
    "statistics": {"Total Trades": "12", "Average Win": "1.50%", "Drawdown": "12.300%",
                   "Sharpe Ratio": "1.234", "Total Fees": "$1,234.50", "Net Profit": "-0.00 %",
                   "Estimated Strategy Capacity": "$0", "Lowest Capacity Asset": "SPY R735QTJ8XC9X",
                   "Average Trade Duration": "5.12:30:00"},
    "runtimeStatistics": {"Equity": "$100,000.00", "Fees": "-$0.00", "Return": "0.00 %",
                          "Probabilistic Sharpe Ratio": "0%"},
    "TotalPerformance": {
        "TradeStatistics": {"TotalNumberOfTrades": "6", "WinRate": "0.5",
                            "AverageTradeDuration": "1.02:00:00"},
        "PortfolioStatistics": {"SharpeRatio": "1.1", "Drawdown": "0.123"},
        "ClosedTrades": [{"Symbol": {"Value": "SPY"}, "EntryTime": "2020-01-02T14:31:00Z",
                          "ExitTime": "2020-01-05T20:00:00Z", "Direction": 1, "Quantity": 10,
                          "EntryPrice": 300.5, "ExitPrice": 290.0, "ProfitLoss": 105.0,
                          "TotalFees": 2.0, "Duration": "3.05:29:00"}]},
}

NEW_STYLE_BACKTEST = {
    "backtestId": "b" * 32, "name": "new", "completed": True, "status": "Completed.",
    "statistics": {"Total Orders": "240", "Sharpe Ratio": "0.61", "Drawdown": "18.2%"},
    "totalPerformance": {
        "tradeStatistics": {"totalNumberOfTrades": 120, "winRate": 0.55,
                            "averageTradeDuration": "5.12:00:00"},
        "portfolioStatistics": {"sharpeRatio": 0.61, "drawdown": 0.182},
        "closedTrades": []},
}


def test_statistics_are_float64_with_text_and_durations_beside_them():
    bt = Backtest(None, 1, "a" * 32, OLD_STYLE_BACKTEST)
    stats = bt.statistics
    assert stats.dtype == "float64"
    assert stats["Drawdown"] == pytest.approx(0.123) and stats["Total Fees"] == 1234.5
    assert stats["Net Profit"] == 0.0 and stats["Estimated Strategy Capacity"] == 0.0
    assert stats["Total Trades"] == stats["Total Orders"] == 12        # old and new names
    assert bt.statistics_other == {"Lowest Capacity Asset": "SPY R735QTJ8XC9X",
                                   "Average Trade Duration": pd.Timedelta("5 days 12:30:00")}
    assert bt.statistics_raw["Drawdown"] == "12.300%"
    assert bt.runtime_statistics.to_dict() == {"Equity": 100000.0, "Fees": 0.0, "Return": 0.0,
                                               "Probabilistic Sharpe Ratio": 0.0}
    new = Backtest(None, 1, "b" * 32, NEW_STYLE_BACKTEST)
    assert new.statistics["Total Trades"] == new.statistics["Total Orders"] == 240


def test_performance_from_camel_case_numbers_and_pascal_case_strings():
    old = Backtest(None, 1, "a" * 32, OLD_STYLE_BACKTEST).performance
    new = Backtest(None, 1, "b" * 32, NEW_STYLE_BACKTEST).performance
    assert old.trade["totalNumberOfTrades"] == new.trade["totalNumberOfTrades"] / 20
    assert old.portfolio["sharpeRatio"] == 1.1 and new.portfolio["sharpeRatio"] == 0.61
    assert old.trade.dtype == new.portfolio.dtype == "float64"
    assert old.other["averageTradeDuration"] == pd.Timedelta("1 days 02:00:00")
    assert new.other["averageTradeDuration"] == pd.Timedelta("5 days 12:00:00")


def test_trades_from_older_results():
    trades = Backtest(None, 1, "a" * 32, OLD_STYLE_BACKTEST).trades
    assert trades.loc[0, "symbol"] == "SPY" and trades.loc[0, "direction"] == "Short"
    assert trades["duration"].iloc[0] == pd.Timedelta("3 days 05:29:00")
    assert str(trades["entry_time"].dtype).startswith("datetime64") and \
        str(trades["entry_time"].dt.tz) == "UTC"


NEW_CHART = {"name": "Strategy Equity", "chartType": 0, "series": {
    "Equity": {"name": "Equity", "unit": "$", "index": 0, "seriesType": 2, "values": [
        [1577880000, 100000.0, 100500.0, 99500.0, 100200.0],
        [1577966400, 100200.0, 101000.0, 100100.0, None],
        [1578052800, 100900.0, 101200.0, 100800.0, 101000.0]]},
    "Return": {"name": "Return", "unit": "%", "index": 1, "seriesType": 3, "values": [
        [1577880000, 0.0], [1577966400, None], [1578052800, 0.8]]}}}

OLD_CHART = {"Name": "Benchmark", "ChartType": 0, "Series": {
    "Benchmark": {"Name": "Benchmark", "Unit": "$", "Index": 0, "SeriesType": 0, "Values": [
        {"x": 1577880000, "y": 300.0}, {"x": 1577966400, "y": None},
        {"x": 1578052800, "y": 303.5}]}}}


def test_candles_and_points_become_columns_on_a_utc_index():
    frame = frames.chart_frame(NEW_CHART)
    assert list(frame.columns) == [("Equity", "open"), ("Equity", "high"), ("Equity", "low"),
                                   ("Equity", "close"), ("Return", "value")]
    assert str(frame.index.dtype).startswith("datetime64") and str(frame.index.tz) == "UTC"
    assert frame.index[0] == pd.Timestamp("2020-01-01 12:00", tz="UTC")
    assert all(str(t) == "float64" for t in frame.dtypes)
    assert pd.isna(frame[("Equity", "close")].iloc[1]) and pd.isna(frame[("Return", "value")].iloc[1])


def test_old_x_y_points_are_accepted_with_nulls():
    frame = frames.chart_frame(OLD_CHART)
    assert frame[("Benchmark", "value")].tolist()[0] == 300.0
    assert pd.isna(frame[("Benchmark", "value")].iloc[1])
    assert str(frame.index.tz) == "UTC"


def test_shortcuts_read_the_right_series(monkeypatch):
    bt = Backtest(None, 1, "c" * 32, {"charts": {"Strategy Equity": {}, "Benchmark": {},
                                                 "Drawdown": {}}})
    charts = {"Strategy Equity": NEW_CHART, "Benchmark": OLD_CHART, "Drawdown": {
        "series": {"Equity Drawdown": {"values": [[1577880000, 0.0], [1577966400, -12.5]]}}}}
    monkeypatch.setattr(bt, "_read_chart", lambda name, timeout: charts[name])
    assert bt.equity.tolist() == [100200.0, 101000.0]              # closes, nulls dropped
    assert bt.returns.tolist() == [0.0, 0.008]                      # percent -> fractions
    assert bt.drawdown.tolist() == [0.0, -0.125]
    assert bt.benchmark.tolist() == [300.0, 303.5]
    assert bt.equity.name == "equity" and str(bt.equity.index.tz) == "UTC"


def order(i, otype, status, direction=0, stype=1):
    return {"id": i, "symbol": {"value": "SPY", "id": "SPY R735QTJ8XC9X", "permtick": "SPY"},
            "time": "2020-01-02T14:31:00Z", "quantity": 10.0 if direction == 0 else -10.0,
            "price": 300.25, "type": otype, "status": status, "direction": direction,
            "securityType": stype, "value": 3002.5, "tag": "",
            "events": [{"orderId": i, "orderEventId": 1, "status": "filled", "time": 1577975460,
                        "fillPrice": 300.25, "fillQuantity": 10.0, "orderFeeAmount": 1.0,
                        "direction": "buy", "symbolValue": "SPY", "message": ""}]}


def test_orders_decode_every_type_status_direction_and_security_type():
    statuses = [0, 1, 2, 3, 5, 6, 7, 8, 9]
    raw = [order(i + 1, i % 12, statuses[i % 9], i % 3, i % 8) for i in range(36)]
    raw[0]["lastFillTime"] = None
    raw[1]["limitPrice"] = 299.0
    df = frames.orders_frame(raw)
    assert set(df["type"]) == set(frames.ORDER_TYPES.values())
    assert set(df["status"]) == set(frames.ORDER_STATUSES.values())
    assert set(df["direction"]) == {"Buy", "Sell", "Hold"}
    assert set(df["security_type"]) == set(frames.SECURITY_TYPES.values())
    for column in ("type", "status", "direction", "security_type"):
        assert isinstance(df[column].dtype, pd.CategoricalDtype)
    for column in ("quantity", "price", "value", "limit_price", "stop_price", "fees"):
        assert df[column].dtype == "float64"
    assert df.index.dtype == "int64" and str(df["time"].dt.tz) == "UTC"
    assert df.loc[2, "limit_price"] == 299.0 and pd.isna(df.loc[1, "limit_price"])
    assert pd.isna(df.loc[1, "last_fill_time"])
    assert not [c for c in df.columns if df[c].dtype == object]
    events = frames.order_events_frame(raw)
    assert len(events) == 36 and events["fill_price"].dtype == "float64"
    assert str(events["time"].dt.tz) == "UTC"


def test_insights_frame_types():
    raw = [{"id": "x1", "generatedTime": 1577880000, "closeTime": 1577966400, "symbol": "SPY R7",
            "ticker": "SPY", "type": "price", "direction": "up", "period": 86400,
            "confidence": 0.7, "reference": 300.0, "scoreFinal": True},
           {"id": "x2", "generatedTime": 1577880000, "closeTime": 1577966400, "symbol": "SPY R7",
            "ticker": "SPY", "type": "volatility", "direction": "down", "period": 3600,
            "magnitude": None}]
    df = frames.insights_frame(raw)
    assert df.loc["x1", "period"] == pd.Timedelta(days=1)
    assert df["magnitude"].isna().all() and df["confidence"].dtype == "float64"
    assert isinstance(df["direction"].dtype, pd.CategoricalDtype)


def test_optimization_statistics_positional_and_dict_forms():
    positional = [0.01, 0.2, 0.04, -1.1, 1.5, 0.9, 12.0, 18.0, 1e6, 0.3, 0.1, 45.0, 60.0, 0.8,
                  1.3, 1.25, 320.5, 240, 0.05, 0.2, 55.0]
    named = statistics_by_name(positional)
    assert named["Sharpe Ratio"] == 1.25 and named["Drawdown"] == 0.18
    assert named["Win Rate"] == 0.55 and named["Total Orders"] == 240
    as_dict = statistics_by_name({str(i): v for i, v in enumerate(positional + [7.0, 8.0])})
    assert as_dict["Sharpe Ratio"] == 1.25 and as_dict["Start Equity"] == 8.0   # index 22


def test_optimization_grid_best_and_heatmap_from_a_read():
    backtests = {}
    for i, (fast, slow) in enumerate([(5, 50), (10, 50), (5, 100), (10, 100)]):
        stats = [0.0] * 21
        stats[15] = fast / slow * 10        # sharpe
        stats[7] = 10.0 + i                 # drawdown, percent
        backtests[f"id{i}"] = {"name": f"b{i}", "id": f"id{i}", "progress": 1, "exitCode": 0,
                               "parameterSet": {"fast": str(fast), "slow": str(slow)},
                               "statistics": stats}
    opt = Optimization(None, "O-1", {"status": "completed", "parameters": [
        {"name": "fast"}, {"name": "slow"}], "backtests": backtests})
    grid = opt.grid
    assert len(grid) == 4 and grid["fast"].dtype == "int64" and grid["Sharpe Ratio"].dtype == "float64"
    assert opt.best("sharpe")[["fast", "slow"]].tolist() == [10, 50]
    assert opt.best("drawdown")[["fast", "slow"]].tolist() == [5, 50]   # lower is better
    table = opt.heatmap("fast", "slow", "Sharpe Ratio")
    assert table.loc[50, 10] == 2.0 and list(table.columns) == [5, 10]
    with pytest.raises(Exception, match="not a parameter"):
        opt.heatmap("fast", "nope")


# -- the orders frame gathered window by window is the frame of all the orders (generated) -------

from hypothesis import given, settings, strategies as st  # noqa: E402

_maybe = lambda s: st.one_of(st.none(), s)   # noqa: E731
_event = st.fixed_dictionaries({}, optional={
    "fillQuantity": _maybe(st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6))),
    "FillQuantity": st.floats(-10, 10),
    "orderFeeAmount": _maybe(st.one_of(st.floats(0, 100), st.just("1.5"))),
    "order-fee-amount": st.floats(0, 10)})
_order = st.builds(
    lambda i, extra: {"id": i, **extra}, st.integers(1, 10**9), st.fixed_dictionaries({}, optional={
        "time": _maybe(st.sampled_from(["2020-01-02T14:31:00Z", "2020-01-02 14:31:00",
                                         "1/2/2020 2:31 PM", "", "  ", "not a time"])),
        "symbol": _maybe(st.one_of(st.just({"value": "SPY", "id": "SPY R735QTJ8XC9X"}),
                                   st.just({"Value": "AAPL"}), st.just("EURUSD"))),
        "type": _maybe(st.one_of(st.integers(0, 12), st.sampled_from(["limit", "Market"]))),
        "status": _maybe(st.integers(0, 9)), "direction": _maybe(st.integers(0, 2)),
        "quantity": _maybe(st.one_of(st.floats(allow_nan=False), st.just("2.7145"))),
        "price": _maybe(st.floats(0, 1e4)), "tag": _maybe(st.text(max_size=5)),
        "lastFillTime": _maybe(st.just("2020-01-03T00:00:00.123456789Z")),
        "canceledTime": _maybe(st.integers(1_500_000_000, 1_700_000_000)),
        "events": _maybe(st.lists(_event, max_size=3))}))


@given(st.lists(st.lists(_order, max_size=6), max_size=5))
@settings(max_examples=150, deadline=None)
def test_orders_gathered_page_by_page_make_the_frame_of_all_orders(pages):
    columns = frames.OrderColumns()
    columns.CHUNK = 2   # times, numbers and symbols converted a few rows at a time, as read
    for page in pages:
        columns.add(page)
    whole = frames.orders_frame([o for page in pages for o in page])
    pd.testing.assert_frame_equal(columns.frame(), whole, check_exact=True)


# -- windows read into rows (msgspec, results/order_rows.py) give the frame of their dicts ------

import json  # noqa: E402

from qc_magics.results import order_rows  # noqa: E402
from qc_magics.results.windows import stitch  # noqa: E402

needs_msgspec = pytest.mark.skipif(order_rows._reader() is None,
                                   reason="msgspec (the `fast` extra) is not installed")


def _answer(orders, **more) -> bytes:
    return json.dumps({"orders": orders, "length": len(orders), "success": True, **more}).encode()


@needs_msgspec
@given(st.lists(st.lists(_order, max_size=6), max_size=5))
@settings(max_examples=150, deadline=None)
def test_windows_read_into_rows_make_the_frame_of_their_dicts(pages):
    quick = order_rows.decoder()
    answers = [_answer(page) for page in pages]
    columns, read_pages = frames.OrderColumns(), []
    columns.CHUNK = 3
    for answer in answers:
        read = quick(answer)
        # Infinity (json.dumps writes it for a float out of range) is not JSON msgspec reads:
        # such an answer goes to the general reading, the rest come as rows.
        if read is None:
            assert b"Infinity" in answer
            read = {"orders": json.loads(answer)["orders"]}
        else:
            assert read["length"] == len(json.loads(answer)["orders"])
            assert read["source"] is answer
        columns.add(read["orders"])
        read_pages.append(read["orders"])
    dict_pages = [json.loads(answer)["orders"] for answer in answers]
    dicts = [o for page in dict_pages for o in page]
    pd.testing.assert_frame_equal(columns.frame(), frames.orders_frame(dicts), check_exact=True)
    # Stitched (each id once, in order) as read_all stitches them, rows as dicts.
    stitched = stitch(dict_pages)
    assert order_rows.as_dicts(answers) == stitched
    assert [getattr(o, "id", None) if not isinstance(o, dict) else o.get("id")
            for o in stitch(read_pages)] == [o.get("id") for o in stitched]


@needs_msgspec
@pytest.mark.parametrize("answer", [
    b'{"success": false, "errors": ["Backtest not found"], "orders": []}',
    b'{"orders": [], "length": 0}',                                   # no success: not read
    b'{"success": true, "orders": [{"id": 1, "price": NaN}]}',        # Python's json reads NaN
    b'{"success": true, "orders": [{"id": 1, "tag": "\\ud800"}]}',    # a lone surrogate
    b'{"success": true, "orders": null}',
    b'{"success": true, "orders": [1, 2]}',
    b'{"success": true, "orders": [{"id": 1, "events": {"fillQuantity": 1}}]}',
    b'{"success": true, "orders": [{"id": 1, "events": [null]}]}',
    b'[{"id": 1}]',
    b'not json',
])
def test_answers_of_another_kind_are_left_to_the_general_reading(answer):
    assert order_rows.decoder()(answer) is None


@needs_msgspec
def test_rows_hold_each_value_as_json_has_it():
    answer = (b'{"success": true, "length": 3, "orders": [{"id": 123456789012345678901234567890,'
              b' "time": "2020-01-02T14:31:00Z", "symbol": {"value": "SPY"}, "quantity": "2.5",'
              b' "extra": {"deep": [1, {"x": null}]}, "events": [{"FillQuantity": 2,'
              b' "order-fee-amount": "1.5", "fillPrice": 3}]}]}')
    read = order_rows.decoder()(answer)
    row = read["orders"][0]
    assert (row.id, row.time, row.symbol, row.quantity) == (
        123456789012345678901234567890, "2020-01-02T14:31:00Z", {"value": "SPY"}, "2.5")
    event = row.events[0]
    assert (event.FillQuantity, event.order_fee_amount, event.fillQuantity) == (2, "1.5", None)
    assert read["length"] == 3


def test_without_msgspec_or_switched_off_there_is_no_quick_reading(monkeypatch):
    monkeypatch.setattr(order_rows, "QUICK", False)
    assert order_rows.decoder() is None


@pytest.mark.parametrize("first, later", [(True, "$1.00"), ("1e400", "$1.00"), ([], 2.0),
                                          (10**400, 1.5), ("2.5", None)])
def test_numbers_converted_a_chunk_at_a_time_are_those_of_the_whole_column(first, later):
    """Found in review: converting per chunk once changed a value with its neighbours (True
    read 1.0 among numbers, NaN beside "$1.00"), and a chunk of lists crashed the frame."""
    pages = [[{"id": 1, "price": first}], [{"id": 2, "price": later}]]
    columns = frames.OrderColumns()
    columns.CHUNK = 1
    for page in pages:
        columns.add(page)
    whole = frames.orders_frame([o for p in pages for o in p])
    pd.testing.assert_frame_equal(columns.frame(), whole, check_exact=True)
