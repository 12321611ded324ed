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
