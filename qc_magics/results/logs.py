"""A backtest's log (`self.log`, `self.debug` lines) as a DataFrame, and metrics pulled out of it.

>>> frame = logs_frame(["2024-01-02 10:00:00 fold=3 sharpe=1.21"])
>>> frame.loc[0, "time"], frame.loc[0, "message"]
(Timestamp('2024-01-02 15:00:00+0000', tz='UTC'), 'fold=3 sharpe=1.21')
>>> extract(frame, r"fold=(?P<fold>\\d+) sharpe=(?P<sharpe>\\S+)").dtypes.to_dict()
{'time': datetime64[ns, UTC], 'fold': dtype('int64'), 'sharpe': dtype('float64')}

The service (/backtests/read/log, not in the OpenAPI spec) answers {logs: [str], length} for
windows start..end, end exclusive, end - start <= 200; with a `query` keyword the window indexes
the matching lines. Lines are plain text: Lean prefixes each with the algorithm's time
("yyyy-MM-dd HH:mm:ss ", in the algorithm's time zone: New York unless the algorithm sets
another) and writes no level. Facts and sources: docs/backtest-logs-facts.md.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import InvalidArgument
from ..waiting import CONCURRENCY, poll_until
from .times import UTC_DTYPE
from .windows import read_all

LOG_WINDOW = 200
ALGORITHM_TIME_ZONE = "America/New_York"   # Lean's default; set_time_zone changes it
_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ")
_INTEGER = re.compile(r"^[+-]?\d+$")


def read_log_lines(fetch: Callable[[int, int], dict], *, concurrency: int = CONCURRENCY,
                   poll: tuple[float, float] = (0.5, 5.0), loading_timeout: float = 120.0
                   ) -> list[str]:
    """Every line, in order: windows of 200 read concurrently and stitched by position.

    `fetch(start, end)` is one /backtests/read/log call. Each line is keyed by its position
    (start + i), so windows that overlapped (were `end` inclusive after all) keep a line once
    and identical lines stay apart. "loading" answers are waited out (lean-cli: the service
    prepares logs the first time they are asked for); an empty answer is final.
    """
    def window(start: int, end: int) -> dict:
        answer = poll_until(lambda: _ready(fetch(start, end)), poll=poll,
                            timeout=loading_timeout, what="the backtest's log")
        lines = answer.get("logs") or []
        return {"lines": [{"id": start + i, "text": str(t)} for i, t in enumerate(lines)],
                "length": answer.get("length")}

    # expected=0: an empty first window means "no lines", not "still loading" (handled above).
    items = read_all(window, "lines", expected=0, concurrency=concurrency, width=LOG_WINDOW)
    return [item["text"] for item in items]


def last_lines(fetch: Callable[[int, int], dict], n: int = 10, *,
               poll: tuple[float, float] = (0.5, 5.0), loading_timeout: float = 120.0
               ) -> list[str]:
    """The last `n` lines (n <= 200) in at most two requests: the first window tells `length`,
    then one window at the end, whatever the log's size (the panel shows these on selection).
    """
    if not 0 < n <= LOG_WINDOW:
        raise InvalidArgument(f"ask for 1 to {LOG_WINDOW} last lines, not {n!r}")

    def window(start: int, end: int) -> dict:
        return poll_until(lambda: _ready(fetch(start, end)), poll=poll,
                          timeout=loading_timeout, what="the backtest's log")
    first = window(0, n)
    length = first.get("length")
    lines = [str(t) for t in first.get("logs") or []]
    if isinstance(length, int) and length > n:
        # [length - n, length): n lines whether the service's `end` is exclusive or inclusive.
        lines = [str(t) for t in window(length - n, length).get("logs") or []]
    return lines[-n:]


def _ready(answer: dict) -> dict | None:
    return None if answer.get("status") == "loading" else (answer or {"logs": []})


def logs_frame(lines: list[str], time_zone: str | None = ALGORITHM_TIME_ZONE) -> pd.DataFrame:
    """`time` (UTC, NaT where a line has no time prefix) and `message`, one row per line,
    indexed by the line's position in the log.

    The prefix is the algorithm's local time: `time_zone` says which (None: already UTC). In the
    hour a DST change repeats, times are read in order ("infer"), else as daylight time.
    """
    text = pd.Series(lines, dtype="str", name="message")
    text.index.name = "line"
    has_time = text.str.match(_PREFIX.pattern)
    stamps = pd.to_datetime(text.str.slice(0, 19).where(has_time), format="%Y-%m-%d %H:%M:%S",
                            errors="coerce")
    if time_zone:
        stamps = _localize(stamps, time_zone)
    else:
        stamps = stamps.dt.tz_localize("UTC")
    message = text.str.slice(20).where(has_time, text)
    return pd.DataFrame({"time": stamps.astype(UTC_DTYPE), "message": message.astype("str")},
                        index=text.index)


def _localize(stamps: pd.Series, time_zone: str) -> pd.Series:
    try:
        local = stamps.dt.tz_localize(time_zone, ambiguous="infer", nonexistent="shift_forward")
    except Exception:   # not inferable (out of order): take daylight time for the repeated hour
        local = stamps.dt.tz_localize(time_zone, ambiguous=np.ones(len(stamps), dtype=bool),
                                      nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")


def compile_pattern(pattern: str | re.Pattern) -> re.Pattern:
    """The pattern compiled, with at least one named group; InvalidArgument in one line if not."""
    try:
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    except re.error as e:
        raise InvalidArgument(f"invalid log pattern {pattern!r}: {e}") from None
    if not isinstance(regex, re.Pattern):
        raise InvalidArgument(f"a log pattern is a regular expression, not {pattern!r}")
    if not regex.groupindex:
        raise InvalidArgument(f"log pattern {regex.pattern!r} has no named group: write one as "
                              "(?P<name>...), e.g. r'sharpe=(?P<sharpe>\\S+)'")
    return regex


def extract(frame: pd.DataFrame, pattern: str | re.Pattern) -> pd.DataFrame:
    """The named groups of `pattern` as typed columns beside `time`, one row per matching line.

    The pattern is searched anywhere in the message; lines it does not match are dropped (the
    index keeps each line's position). A column whose values are all integers is int64 (float64
    when an optional group left gaps), all numbers float64, anything else text.
    """
    regex = compile_pattern(pattern)
    found = [regex.search(m) for m in frame["message"].tolist()]
    keep = [i for i, m in enumerate(found) if m is not None]
    rows = frame.iloc[keep]
    out = {} if "time" in regex.groupindex else {"time": rows["time"]}
    for name in regex.groupindex:
        raw = pd.Series([found[i].group(name) for i in keep], index=rows.index, dtype=object)
        out[name] = typed(raw)
    return pd.DataFrame(out, index=rows.index)


def typed(values: pd.Series) -> pd.Series:
    """Text as int64 / float64 when every value present reads as one, else as text.

    >>> typed(pd.Series(["3", "12"])).dtype, typed(pd.Series(["1.5", "2"])).dtype
    (dtype('int64'), dtype('float64'))
    """
    present = values.dropna()
    if present.empty:   # no line, or an optional group never present
        return values.astype("float64") if len(values) else values.astype("str")
    text = present.astype("str").str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.isna().any():
        return values.astype("str").where(values.notna())
    whole = text.str.fullmatch(_INTEGER.pattern).all() and numbers.dtype.kind == "i"
    if whole and len(present) == len(values):
        return numbers.astype("int64")
    # Gaps (NaN) or a number int64 cannot hold: float64, the type that can.
    return numbers.astype("float64").reindex(values.index)


def read(client: Any, project_id: int, backtest_id: str, *, query: str | None = None,
         concurrency: int = CONCURRENCY, poll: tuple[float, float] = (0.5, 5.0)) -> list[str]:
    """Every line of a backtest's log (those containing `query`, case-insensitive, if given)."""
    return read_log_lines(
        lambda s, e: client.read_backtest_log(project_id, backtest_id, s, e, query=query),
        concurrency=concurrency, poll=poll)
