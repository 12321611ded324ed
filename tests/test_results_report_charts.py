"""The report is waited on while the service generates it; charts are asked for the full range."""
from __future__ import annotations

import time

import pytest

from qc_magics.errors import ApiError, NotFoundError, WaitTimeout
from qc_magics.results import Backtest
from qc_magics.results.report import wait_for_report

FAST = (0.01, 0.02)


class ReportClient:
    """Answers `not_yet` times with `answer` (an exception to raise or a dict), then the report."""

    def __init__(self, not_yet: int, answer):
        self.not_yet, self.answer, self.calls = not_yet, answer, 0

    def read_backtest_report(self, project_id, backtest_id):
        self.calls += 1
        if self.calls <= self.not_yet:
            if isinstance(self.answer, Exception):
                raise self.answer
            return dict(self.answer)
        return {"report": "<html>report</html>"}


@pytest.mark.parametrize("answer", [
    ApiError("/backtests/read/report", ["Report is being generated"]),   # success: false
    {"generating": True},
    {"report": ""},
], ids=["success-false", "generating", "empty"])
def test_the_report_is_waited_on_not_raised(answer):
    client = ReportClient(3, answer)
    bt = Backtest(client, 1, "a" * 32, {"name": "x"}, poll=FAST)
    assert bt.report(timeout=5) == "<html>report</html>" and client.calls == 4
    assert bt.report() == "<html>report</html>" and client.calls == 4   # kept once read


def test_past_the_bound_a_clear_error_says_what_the_service_said():
    client = ReportClient(10**9, ApiError("/backtests/read/report", ["Report is being generated"]))
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as e:
        wait_for_report(lambda: client.read_backtest_report(1, "b"),
                        what="the report of backtest b", poll=FAST, timeout=0.05)
    assert time.monotonic() - started < 2
    message = str(e.value)
    assert "the report of backtest b was not ready within 0.05s" in message
    assert "Report is being generated" in message and "read it again later" in message


def test_a_missing_backtest_is_raised_at_once():
    client = ReportClient(10**9, NotFoundError("/backtests/read/report", ["Backtest not found"]))
    with pytest.raises(NotFoundError):
        Backtest(client, 1, "c" * 32, {"name": "x"}, poll=FAST).report(timeout=60)
    assert client.calls == 1


class ChartClient:
    def __init__(self):
        self.asked = []

    def read_backtest_chart(self, project_id, backtest_id, name, *, start, end, count):
        self.asked.append((name, start, end, count))
        return {"chart": {"name": name, "series": {"Equity": {"values": [[start + 86_400, 1.0]]}}}}


@pytest.mark.parametrize("start, end", [
    ("2020-01-01 00:00:00", "2021-01-01 00:00:00"),
    ("2020-01-01T00:00:00Z", "2021-01-01T02:00:00+02:00"),
])
def test_charts_are_asked_for_the_whole_backtest_a_day_either_side(start, end):
    client = ChartClient()
    bt = Backtest(client, 1, "d" * 32, {"backtestStart": start, "backtestEnd": end,
                                        "charts": {"Strategy Equity": {}}}, poll=FAST)
    bt.chart("Strategy Equity")
    (name, s, e, count), = client.asked
    assert (s, e) == (1577836800 - 86_400, 1609459200 + 86_400) and count == 100_000


def test_without_backtest_dates_the_range_runs_from_1970_to_tomorrow():
    client = ChartClient()
    Backtest(client, 1, "e" * 32, {"charts": {}}, poll=FAST).chart("Strategy Equity")
    (_, s, e, _), = client.asked
    assert s == 0 and time.time() < e <= time.time() + 86_401
