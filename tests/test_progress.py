"""Progress where output is not a terminal: lines, never carriage-return frames."""
from __future__ import annotations

import io

from qc_magics import progress


def test_output_that_is_not_a_terminal_gets_a_start_and_a_done_line(monkeypatch):
    err = io.StringIO()   # not a tty, as a pipe or a log file
    monkeypatch.setattr("sys.stderr", err)
    bar = progress.bar(3, "pull", "auto", unit="file")
    for _ in range(3):
        bar.update()
    bar.set_postfix_str("preparing")
    bar.set_postfix_str("preparing")   # the same phase again: said once
    bar.close()
    bar.close()
    assert err.getvalue() == "pull: started (3 files)\npull: preparing\npull: done\n"
    assert "\r" not in err.getvalue()


def test_none_is_silent_and_percent_units_are_not_counted(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    progress.bar(10, "quiet", "none").close()
    progress.bar(100, "backtest b", "auto", unit="%").close()
    assert err.getvalue() == "backtest b: started\nbacktest b: done\n"


def test_a_finished_bar_reads_as_one_line():
    assert progress.summary("push", 3, 3, "file", 2.0) == "push: 3/3 files in 00:02"
    assert progress.summary("push", 1, 3, "file", 2.0) == "push: stopped at 1/3 files after 00:02"
    assert (progress.summary("backtest b", 100, 100, "%", 3.0, ", Completed.")
            == "backtest b: 100% in 00:03 (Completed.)")
    assert progress.summary("optimization O-1", 30, None, "backtest", 61.0) == \
        "optimization O-1: 30 backtests in 01:01"
    assert progress.summary("wait", 0, None, "it", 1.0) == "wait: done in 00:01"
    # A phase in progress is over once the bar ended; where it stopped, it says where.
    assert progress.summary("get x", 3, None, "poll", 1.0, "downloading") == "get x: 3 polls in 00:01"
    assert (progress.summary("backtest b", 40, 100, "%", 10.0, "running")
            == "backtest b: stopped at 40% after 00:10 (running)")
