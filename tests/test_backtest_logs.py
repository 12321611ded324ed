"""Backtest logs against the emulator over loopback HTTP: the endpoint's window rules, every line
once and in order, the keyword query, UTC times from Lean's local-time prefix, and pattern
extraction with dtypes and values checked against the log the emulator wrote."""
from __future__ import annotations

import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import requests

from conftest import make_client
from qc_magics.api.transport import signature
from qc_magics.emulator.logs import make_lines
from qc_magics.errors import InvalidArgument, QCError
from qc_magics.jobs import run_backtest

METRICS = (r"fold=(?P<fold>\d+) sharpe=(?P<sharpe>\S+) drawdown=(?P<drawdown>\S+) "
           r"symbol=(?P<symbol>\w+)")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def logged(emu, client):
    """A finished backtest whose algorithm writes 1,000 lines and 40 metric lines."""
    pid = client.create_project("Logs")["projectId"]
    main = client.read_file(pid, "main.py")["content"]
    client.update_file(pid, "main.py",
                       main + "# qc-emulator: log-lines 1000\n# qc-emulator: log-metrics 40\n")
    bt = run_backtest(client, pid, progress="none", poll=(0.02, 0.1))
    b = emu.app.state.backtests[bt.id]
    return pid, bt, make_lines(b.seed, b.id, b.sources), b


def _post(emu, body: dict) -> dict:
    ts = str(int(emu.app.now()))
    return requests.post(emu.api_url + "/backtests/read/log", json=body,
                         auth=(emu.user_id, signature(emu.api_token, ts)),
                         headers={"Timestamp": ts}, timeout=30).json()


# --- the endpoint ---------------------------------------------------------------------------------
def test_the_service_pages_200_lines_end_exclusive_and_counts_them(emu, logged):
    pid, bt, truth, _ = logged
    answer = _post(emu, {"projectId": pid, "backtestId": bt.id, "start": 0, "end": 200,
                         "query": None})
    assert answer["success"] and answer["length"] == len(truth) == 1000 + 40 + 3
    assert answer["logs"] == truth[:200]
    tail = _post(emu, {"projectId": pid, "backtestId": bt.id, "start": 1000, "end": 1200,
                       "query": ""})
    assert tail["logs"] == truth[1000:]


@pytest.mark.parametrize("start,end", [(0, 201), (-1, 10), (50, 10)])
def test_the_service_refuses_windows_wider_than_200(emu, logged, start, end):
    pid, bt, _, _ = logged
    answer = _post(emu, {"projectId": pid, "backtestId": bt.id, "start": start, "end": end,
                         "query": ""})
    assert answer["success"] is False and "200" in answer["errors"][0]


def test_the_client_refuses_a_wide_window_before_any_request(client, logged):
    pid, bt, _, _ = logged
    before = client.transport.requests_made
    with pytest.raises(InvalidArgument, match="at most 200"):
        client.read_backtest_log(pid, bt.id, 0, 201)
    with pytest.raises(InvalidArgument):
        client.read_backtest_log(pid, bt.id, 10, 10)
    assert client.transport.requests_made == before


def test_the_query_is_a_case_insensitive_keyword_and_windows_index_the_matches(emu, logged):
    pid, bt, truth, _ = logged
    matches = [line for line in truth if "rebalancing" in line.lower()]
    answer = _post(emu, {"projectId": pid, "backtestId": bt.id, "start": 1, "end": 4,
                         "query": "REBALANCING"})
    assert answer["length"] == len(matches) > 3 and answer["logs"] == matches[1:4]


def test_the_algorithm_shapes_its_log(emu, client):
    """Its literal log/debug messages recur; a runtime error ends the log early; an error in
    initialize leaves only the initialization line."""
    def log_of(extra: str) -> list[str]:
        pid = client.create_project("Shaped")["projectId"]
        main = client.read_file(pid, "main.py")["content"]
        client.update_file(pid, "main.py", main + extra)
        try:
            bt = run_backtest(client, pid, progress="none", poll=(0.02, 0.1))
        except QCError as e:   # a failed backtest is kept, with its results so far
            bt = e.backtest
        return bt.logs["message"].tolist()

    own = log_of('\n# self.log("Entered long SPY")\n# self.debug(\'regime switch\')\n')
    assert "Entered long SPY" in own and "regime switch" in own
    full = log_of("")
    broken = log_of("# qc-emulator: runtime-error boom\n")
    assert 2 < len(broken) < len(full) * 0.5
    assert len(log_of("# qc-emulator: initialize-error bad\n")) == 1


def test_logs_are_loading_while_the_backtest_runs(emu, client):
    pid = client.create_project("Running")["projectId"]
    main = client.read_file(pid, "main.py")["content"]
    client.update_file(pid, "main.py", main + "# qc-emulator: duration 600\n")
    bt = run_backtest(client, pid, progress="none", wait=False, poll=(0.02, 0.1))
    answer = client.read_backtest_log(pid, bt.id, 0, 200)
    assert answer.get("status") == "loading" and "logs" not in answer


# --- Backtest.logs ----------------------------------------------------------------------------------
def test_every_line_once_in_order_read_in_windows_of_200(client, logged):
    pid, bt, truth, _ = logged
    before = client.transport.requests_made
    frame = bt.logs
    assert client.transport.requests_made - before == math.ceil(len(truth) / 200)
    assert list(frame.index) == list(range(len(truth)))
    assert frame.index.name == "line"
    assert [_line(t, m) for t, m in zip(frame["time"], frame["message"])] == truth
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
    assert frame["message"].dtype == "str"
    assert bt.logs is not frame   # a new frame, from the lines read once
    assert client.transport.requests_made - before == 6


def _line(time: pd.Timestamp, message: str) -> str:
    """A frame row written back the way Lean wrote it (New York time prefix)."""
    if pd.isna(time):
        return message
    return time.tz_convert(NEW_YORK).strftime("%Y-%m-%d %H:%M:%S") + " " + message


def test_times_are_the_new_york_prefix_in_utc(logged):
    _, bt, truth, _ = logged
    frame = bt.logs
    assert pd.isna(frame["time"].iloc[0])
    assert frame["message"].iloc[0].startswith("Algorithm Initialization: Launching analysis")
    line = truth[1]
    local = datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=NEW_YORK)
    assert frame["time"].iloc[1] == pd.Timestamp(local).tz_convert("UTC")
    assert frame["message"].iloc[1] == line[20:]
    assert frame["time"].dropna().is_monotonic_increasing


def test_another_time_zone_or_none(logged):
    _, bt, truth, _ = logged
    utc = bt.logs_frame(time_zone=None)
    assert utc["time"].iloc[1] == pd.Timestamp(truth[1][:19], tz="UTC")
    tokyo = bt.logs_frame(time_zone="Asia/Tokyo")
    assert tokyo["time"].iloc[1] == pd.Timestamp(truth[1][:19], tz="Asia/Tokyo").tz_convert("UTC")


def test_query_reads_only_the_matching_lines_from_the_service(client, logged):
    _, bt, truth, _ = logged
    before = client.transport.requests_made
    frame = bt.logs_frame(query="Warning")
    matches = [line for line in truth if "warning" in line.lower()]
    assert client.transport.requests_made - before == max(1, math.ceil(len(matches) / 200))
    assert [_line(t, m) for t, m in zip(frame["time"], frame["message"])] == matches
    assert list(frame.index) == list(range(len(matches)))


def test_pattern_gives_typed_columns_with_the_written_values(logged):
    _, bt, truth, _ = logged
    frame = bt.logs_frame(pattern=METRICS)
    expected = [m.groupdict() for m in map(re.compile(METRICS).search, truth) if m]
    assert len(frame) == len(expected) == 40
    assert list(frame.columns) == ["time", "fold", "sharpe", "drawdown", "symbol"]
    assert frame.dtypes.astype(str).to_dict() == {
        "time": "datetime64[ns, UTC]", "fold": "int64", "sharpe": "float64",
        "drawdown": "float64", "symbol": "str"}
    assert frame["fold"].tolist() == list(range(1, 41))
    assert frame["sharpe"].tolist() == [float(e["sharpe"]) for e in expected]
    assert frame["drawdown"].tolist() == [float(e["drawdown"]) for e in expected]
    assert frame["symbol"].tolist() == [e["symbol"] for e in expected]
    assert (frame["drawdown"] < 0).all() and frame["time"].notna().all()
    # The index says where each metric line sits in the whole log.
    assert all(re.search(METRICS, truth[i]) for i in frame.index)


def test_query_and_pattern_together(logged):
    _, bt, _, _ = logged
    frame = bt.logs_frame(query="symbol=SPY", pattern=METRICS)
    assert len(frame) > 0 and set(frame["symbol"]) == {"SPY"}


@pytest.mark.parametrize("pattern,message", [
    ("fold=(?P<fold>\\d+", "invalid log pattern"),
    ("fold=(\\d+)", "no named group"),
])
def test_a_bad_pattern_is_one_line_before_any_request(client, logged, pattern, message):
    _, bt, _, _ = logged
    before = client.transport.requests_made
    with pytest.raises(InvalidArgument, match=message) as info:
        bt.logs_frame(pattern=pattern)
    assert "\n" not in str(info.value)
    assert client.transport.requests_made == before


def test_loading_answers_are_waited_out(emu, logged):
    pid, bt, truth, _ = logged
    client = make_client(emu)
    try:
        emu.app.script_fault("/backtests/read/log", "loading", 2)
        from qc_magics.results.backtest import Backtest
        fresh = Backtest(client, pid, bt.id, poll=(0.01, 0.02))
        before = client.transport.requests_made
        assert len(fresh.logs) == len(truth)
        assert client.transport.requests_made - before == math.ceil(len(truth) / 200) + 2
    finally:
        client.close()
