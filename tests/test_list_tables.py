"""The list tables (projects, files, backtests, optimizations) hold the right VALUES, not only
the right dtypes: names and ids of what was created, times within a minute of now (UTC, never
NaT), numbers finite and equal to those of each item read on its own, the newest first."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from qc_magics.jobs import run_backtest, run_optimization
from qc_magics.results import (Backtest, backtests_frame, files_frame, optimizations_frame,
                               projects_frame)

FAST = dict(progress="none", poll=(0.01, 0.05))
# A backtest's own statistics are rounded as Lean shows them ("0.287" for 0.287084, "46%" for a
# win rate of 0.4577); the list answer is not.
CLOSE = dict(abs=1e-3)
WHOLE_PERCENT = dict(abs=5e-3)


def assert_recent_utc(times: pd.Series) -> None:
    """Every time is there, in UTC, and within a minute of now (the emulator runs in real time;
    a date parsed wrong lands years away or as NaT)."""
    assert isinstance(times.dtype, pd.DatetimeTZDtype) and str(times.dt.tz) == "UTC"
    assert times.notna().all(), times
    now = pd.Timestamp.now(tz="UTC")
    assert ((now - times).abs() < pd.Timedelta(minutes=1)).all(), (now, times.tolist())


def later():
    """Times are to the second: step past the current one so that "newer" is visible."""
    time.sleep(1.05)


# --- projects ------------------------------------------------------------------------------------

def test_projects_are_listed_with_their_names_times_and_the_latest_modified_first(client):
    first = client.create_project("List First")
    later()
    second = client.create_project("List Second", language="C#")
    frame = projects_frame(client)
    assert frame.index.tolist() == [second["projectId"], first["projectId"]]
    assert frame["name"].tolist() == ["List Second", "List First"]
    assert frame["language"].tolist() == ["C#", "Py"]
    assert frame["description"].tolist() == ["", ""]
    assert_recent_utc(frame["created"])
    assert_recent_utc(frame["modified"])
    assert frame.loc[second["projectId"], "created"] > frame.loc[first["projectId"], "created"]
    assert (frame["modified"] >= frame["created"]).all()


def test_the_times_are_the_ones_the_service_sent(client):
    project = client.create_project("Times")
    row = projects_frame(client).loc[project["projectId"]]
    sent = next(p for p in client.list_projects() if p["projectId"] == project["projectId"])
    assert row["created"] == pd.Timestamp(sent["created"], tz="UTC")
    assert row["modified"] == pd.Timestamp(sent["modified"], tz="UTC")


def test_a_project_whose_file_changed_is_listed_first(client):
    older = client.create_project("Older")
    later()
    newer = client.create_project("Newer")
    later()
    client.update_file(older["projectId"], "main.py", "# changed\n")
    frame = projects_frame(client)
    assert frame.index.tolist() == [older["projectId"], newer["projectId"]]
    assert frame.loc[older["projectId"], "modified"] > frame.loc[older["projectId"], "created"]


def test_no_projects_is_an_empty_table(client):
    frame = projects_frame(client)
    assert frame.empty and frame.index.name == "project_id"
    assert frame.columns.tolist() == ["name", "language", "created", "modified", "description"]


# --- files ---------------------------------------------------------------------------------------

def test_files_with_their_sizes_times_and_the_latest_modified_first(client):
    pid = client.create_project("Files")["projectId"]
    later()
    client.create_file(pid, "helpers.py", "def double(x):\n    return 2 * x\n")
    frame = files_frame(client, pid)
    cloud = {f["name"]: f["content"] for f in client.read_files(pid)}
    assert sorted(frame.index) == sorted(cloud) == ["helpers.py", "main.py", "research.ipynb"]
    assert frame.index[0] == "helpers.py"
    assert frame["size"].to_dict() == {name: len(text) for name, text in cloud.items()}
    assert frame["library"].tolist() == [False, False, False]
    assert_recent_utc(frame["modified"])
    assert frame.loc["helpers.py", "modified"] > frame.loc["main.py", "modified"]


def test_a_file_by_project_name_and_an_updated_file_first(client):
    pid = client.create_project("Files By Name")["projectId"]
    later()
    client.update_file(pid, "main.py", "x = 1\n")
    frame = files_frame(client, "Files By Name")
    assert frame.index[0] == "main.py" and frame.loc["main.py", "size"] == len("x = 1\n")


# --- backtests -----------------------------------------------------------------------------------

# The list's summary numbers and the statistics of the backtest read on its own.
SAME_NUMBER = {"sharpe_ratio": "Sharpe Ratio", "sortino_ratio": "Sortino Ratio",
               "compounding_annual_return": "Compounding Annual Return",
               "net_profit": "Net Profit", "drawdown": "Drawdown", "alpha": "Alpha",
               "beta": "Beta", "psr": "Probabilistic Sharpe Ratio", "win_rate": "Win Rate",
               "loss_rate": "Loss Rate", "treynor_ratio": "Treynor Ratio"}


@pytest.fixture(scope="module")
def two_backtests(tmp_path_factory):
    """A project with two finished backtests, the second started a second after the first."""
    from conftest import SUITE_TOKEN, make_client
    from qc_magics.emulator import Emulator
    with Emulator(api_token=SUITE_TOKEN, user_id="4242", seed=7, time_scale=0.02,
                  retry_after=0.01) as emu:
        client = make_client(emu)
        pid = client.create_project("Listed Backtests")["projectId"]
        first = run_backtest(client, pid, "fast one", {"ema_fast": 10, "ema_slow": 50}, **FAST)
        later()
        second = run_backtest(client, pid, "slow one", {"ema_fast": 20, "ema_slow": 100},
                              **FAST)
        yield client, pid, first, second
        client.close()


def test_backtests_newest_first_with_names_status_parameters(two_backtests):
    client, pid, first, second = two_backtests
    frame = backtests_frame(client, pid)
    assert frame.index.tolist() == [second.id, first.id]
    assert frame["name"].tolist() == ["slow one", "fast one"]
    assert frame["status"].tolist() == ["Completed.", "Completed."]
    assert frame["progress"].tolist() == [1.0, 1.0]
    assert frame["parameters"].tolist() == [{"ema_fast": 20, "ema_slow": 100},
                                            {"ema_fast": 10, "ema_slow": 50}]


def test_backtests_created_is_each_backtests_own_time(two_backtests):
    client, pid, first, second = two_backtests
    frame = backtests_frame(client, pid)
    assert_recent_utc(frame["created"])
    assert frame.loc[first.id, "created"] == first.created
    assert frame.loc[second.id, "created"] == second.created
    assert frame.loc[second.id, "created"] > frame.loc[first.id, "created"]


@pytest.mark.parametrize("column", sorted(SAME_NUMBER))
def test_backtests_numbers_are_those_of_each_backtest_read_on_its_own(two_backtests, column):
    client, pid, first, second = two_backtests
    frame = backtests_frame(client, pid)
    assert np.isfinite(frame[column]).all()
    for bt in (first, second):
        alone = Backtest(client, pid, bt.id).statistics[SAME_NUMBER[column]]
        close = WHOLE_PERCENT if column in ("win_rate", "loss_rate") else CLOSE
        assert frame.loc[bt.id, column] == pytest.approx(alone, **close), bt.name


def test_backtests_trades_is_the_number_of_closed_trades(two_backtests):
    client, pid, first, second = two_backtests
    frame = backtests_frame(client, pid)
    for bt in (first, second):
        assert frame.loc[bt.id, "trades"] == len(Backtest(client, pid, bt.id).trades)


def test_the_two_runs_are_told_apart(two_backtests):
    client, pid, first, second = two_backtests
    frame = backtests_frame(client, pid)
    assert frame.loc[first.id, "sharpe_ratio"] != frame.loc[second.id, "sharpe_ratio"]


def test_no_backtests_is_an_empty_table(client):
    pid = client.create_project("No Backtests")["projectId"]
    frame = backtests_frame(client, pid)
    assert frame.empty and frame.index.name == "backtest_id"


# --- optimizations -------------------------------------------------------------------------------

def test_optimizations_newest_first_with_the_best_backtests_numbers(client):
    pid = client.create_project("Listed Optimizations")["projectId"]
    first = run_optimization(client, pid, [("ema_fast", 5, 15, 5), ("ema_slow", 50, 100, 50)],
                             name="small grid", confirm=True, **FAST)
    later()
    second = run_optimization(client, pid, [("ema_fast", 10, 30, 10)], target="psr",
                              node_type="O4-12", name="psr grid", confirm=True, **FAST)
    frame = optimizations_frame(client, pid)
    assert frame.index.tolist() == [second.id, first.id]
    assert frame["name"].tolist() == ["psr grid", "small grid"]
    assert frame["node_type"].tolist() == ["O4-12", "O2-8"]
    assert frame["target"].tolist() == ["ProbabilisticSharpeRatio", "SharpeRatio"]
    assert all(s.lower() == "completed" for s in frame["status"])
    assert_recent_utc(frame["created"])
    assert frame.loc[second.id, "created"] > frame.loc[first.id, "created"]
    # The best backtest's numbers, as in the grid read on its own.
    best = first.best("Sharpe Ratio")
    assert frame.loc[first.id, "sharpe_ratio"] == pytest.approx(best["Sharpe Ratio"], **CLOSE)
    assert np.isfinite(frame[["sharpe_ratio", "psr"]].to_numpy()).all()


def test_no_optimizations_is_an_empty_table(client):
    pid = client.create_project("No Optimizations")["projectId"]
    frame = optimizations_frame(client, pid)
    assert frame.empty and frame.index.name == "optimization_id"
