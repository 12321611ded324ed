"""The log reader and the frame without a server: stitching windows of 200 under every reading
of `end`, identical lines kept apart, time prefixes, and pattern extraction on generated metric
lines (hypothesis)."""
from __future__ import annotations

import math
import threading

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from qc_magics.errors import InvalidArgument
from qc_magics.results.logs import extract, logs_frame, read_log_lines, typed


class FakeLog:
    """Serves `lines`; `inclusive`: whether `end` is in the window; `loading`: how many first
    answers say "loading"."""

    def __init__(self, lines: list[str], *, inclusive: bool = False, loading: int = 0):
        self.lines, self.inclusive, self.loading = lines, inclusive, loading
        self.calls: list[tuple[int, int]] = []
        self.lock = threading.Lock()

    def __call__(self, start: int, end: int) -> dict:
        with self.lock:
            self.calls.append((start, end))
            if self.loading:
                self.loading -= 1
                return {"status": "loading", "progress": 0.5}
        assert 0 <= start < end and end - start <= 200
        stop = end + 1 if self.inclusive else end
        return {"logs": self.lines[start:stop], "length": len(self.lines)}


@pytest.mark.parametrize("inclusive", [False, True], ids=["exclusive", "inclusive"])
@pytest.mark.parametrize("n", [0, 1, 199, 200, 201, 1000, 1001])
def test_every_line_once_in_order_whatever_end_means(n, inclusive):
    lines = [f"2024-01-02 10:00:00 line {i}" for i in range(n)]
    server = FakeLog(lines, inclusive=inclusive)
    assert read_log_lines(server, concurrency=4) == lines
    assert len(server.calls) <= max(1, math.ceil(n / 200)) + 1


def test_identical_lines_are_kept_apart_by_position():
    lines = ["2024-01-02 10:00:00 same"] * 450
    server = FakeLog(lines, inclusive=True)
    assert read_log_lines(server) == lines


def test_100000_lines_take_500_requests():
    lines = [f"2024-01-02 10:00:00 line {i}" for i in range(100_000)]
    server = FakeLog(lines)
    assert read_log_lines(server, concurrency=8) == lines
    assert len(server.calls) == 500 and max(server.calls) == (99_800, 100_000)


def test_loading_is_waited_out_and_an_empty_log_is_one_request():
    server = FakeLog(["2024-01-02 10:00:00 x"] * 3, loading=2)
    assert len(read_log_lines(server, poll=(0.01, 0.02))) == 3 and len(server.calls) == 3
    empty = FakeLog([])
    assert read_log_lines(empty) == [] and empty.calls == [(0, 200)]


def test_the_prefix_is_new_york_time_and_lines_without_one_keep_their_text():
    frame = logs_frame(["2024-01-02 10:00:00 winter", "2024-07-02 10:00:00 summer",
                        "Algorithm Initialization: hello", "2024-01-02 10:00:0 not a prefix", ""])
    assert frame["time"].tolist()[:2] == [pd.Timestamp("2024-01-02 15:00", tz="UTC"),
                                          pd.Timestamp("2024-07-02 14:00", tz="UTC")]
    assert frame["time"].iloc[2:].isna().all()
    assert frame["message"].tolist() == ["winter", "summer", "Algorithm Initialization: hello",
                                         "2024-01-02 10:00:0 not a prefix", ""]


def test_the_repeated_hour_of_a_dst_change_reads_in_order():
    frame = logs_frame(["2024-11-03 01:30:00 first", "2024-11-03 01:30:00 second"])
    assert frame["time"].tolist() == [pd.Timestamp("2024-11-03 05:30", tz="UTC"),
                                      pd.Timestamp("2024-11-03 06:30", tz="UTC")]


def test_empty_log_frame_has_the_columns_and_dtypes():
    frame = logs_frame([])
    assert list(frame.columns) == ["time", "message"] and len(frame) == 0
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
    assert extract(frame, r"(?P<a>\d+)").columns.tolist() == ["time", "a"]


def test_columns_type_themselves():
    assert typed(pd.Series(["3", "-12", "+4"], dtype=object)).dtype == "int64"
    assert typed(pd.Series(["1.5", "2", "1e-3", "-inf"], dtype=object)).dtype == "float64"
    assert typed(pd.Series(["3", None], dtype=object)).dtype == "float64"   # a gap
    assert typed(pd.Series(["99999999999999999999"], dtype=object)).dtype == "float64"
    assert typed(pd.Series(["SPY", "1"], dtype=object)).tolist() == ["SPY", "1"]


def test_an_optional_group_leaves_nan_and_non_matching_lines_are_dropped():
    frame = logs_frame(["2024-01-02 10:00:00 fold=1 sharpe=0.5", "2024-01-02 10:01:00 fold=2",
                        "2024-01-02 10:02:00 nothing here"])
    out = extract(frame, r"fold=(?P<fold>\d+)(?: sharpe=(?P<sharpe>\S+))?")
    assert out.index.tolist() == [0, 1] and out["fold"].dtype == "int64"
    assert out["sharpe"].iloc[0] == 0.5 and math.isnan(out["sharpe"].iloc[1])


@pytest.mark.parametrize("pattern", ["(?P<a>", "(?P<1a>x)", "a{2,1}"])
def test_an_invalid_regex_is_one_line(pattern):
    with pytest.raises(InvalidArgument, match="invalid log pattern") as info:
        extract(logs_frame(["x"]), pattern)
    assert "\n" not in str(info.value)


# --- generated metric lines -----------------------------------------------------------------------
names = st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True)
integers = st.integers(min_value=-2**62, max_value=2**62)
floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
words = st.from_regex(r"[A-Za-z][A-Za-z_]{0,9}", fullmatch=True)


@st.composite
def metric_logs(draw):
    """Lines "k1=v1 k2=v2 ..." with a kind per key (int, float, word), some noise lines between."""
    keys = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    kinds = [draw(st.sampled_from(["int", "float", "word"])) for _ in keys]
    rows = draw(st.lists(st.tuples(*[{"int": integers, "float": floats, "word": words}[k]
                                     for k in kinds]), min_size=1, max_size=30))
    noise = draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    lines = []
    for row, loud in zip(rows, noise):
        if loud:
            lines.append("2024-03-04 12:00:00 Rebalancing SPY")
        lines.append("2024-03-04 12:00:00 " + " ".join(
            f"{k}={v!r}" if isinstance(v, float) else f"{k}={v}" for k, v in zip(keys, row)))
    return keys, kinds, rows, lines


@settings(max_examples=150, deadline=None)
@given(metric_logs())
def test_generated_metric_lines_come_back_typed_and_equal(case):
    keys, kinds, rows, lines = case
    pattern = " ".join(f"{k}=(?P<{k}>\\S+)" for k in keys)
    out = extract(logs_frame(lines), pattern)
    assert len(out) == len(rows)
    assert out["time"].eq(pd.Timestamp("2024-03-04 17:00", tz="UTC")).all()
    for i, (key, kind) in enumerate(zip(keys, kinds)):
        column, written = out[key], [row[i] for row in rows]
        if kind == "int":
            assert column.dtype == "int64" and column.tolist() == written
        elif kind == "float":
            # Floats that happen to be written without a point ("1e+16") may read as float
            # either way; integers never come back as text.
            assert column.dtype in ("float64", "int64")
            assert [float(v) for v in column] == written
        else:
            assert column.dtype in ("str", "float64") or column.dtype == object
            if column.dtype != "float64":   # words like "inf" or "nan" read as numbers
                assert column.tolist() == written
