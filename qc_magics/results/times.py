"""The one date parser of results/: whatever the service sends for a time becomes UTC.

QuantConnect writes times three ways: "yyyy-MM-dd HH:mm:ss" (created, modified, most list
answers), ISO 8601 with or without a "Z", an offset or up to seven fraction digits (newer Lean,
closed trades, optimization dates), and unix seconds (chart points, order events, insights).
Naive times are UTC. Nothing parseable (None, "", garbage, .NET's DateTime.MinValue "0001-01-01"
which means "not set", its MaxValue "9999-12-31" which means "no end") becomes NaT, never an
exception: one odd value must not cost a table.

>>> to_utc(["2026-08-01 12:00:00", "2026-08-01T14:00:00+02:00", 1785585600, None])
# four UTC times: three at 2026-08-01 12:00, then NaT
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
import pandas as pd

UTC_DTYPE = "datetime64[ns, UTC]"
# Outside these years a time is .NET's "no date" (DateTime.MinValue) or "no end" (MaxValue),
# and out of the range a nanosecond clock holds (1677-09-21 to 2262-04-11).
_FIRST_YEAR = 1678
_LAST = pd.Timestamp.max.tz_localize("UTC")
_MAX_SECONDS = 9_223_372_035.0   # |unix seconds| a nanosecond clock holds (int64 ns)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def from_unix_seconds(seconds: np.ndarray) -> pd.DatetimeIndex:
    """Unix seconds (float64, NaN for none) as a UTC index, exact to the nanosecond the float
    holds: whole seconds and the fraction are converted apart, not as one float of ns."""
    seconds = np.asarray(seconds, dtype="float64")
    with np.errstate(invalid="ignore"):   # NaN compares False: not a time either way
        finite = np.isfinite(seconds) & (np.abs(seconds) < _MAX_SECONDS)
    whole = np.floor(np.where(finite, seconds, 0.0))
    ns = whole.astype("int64") * 1_000_000_000 + np.round((np.where(finite, seconds, 0.0) - whole)
                                                          * 1e9).astype("int64")
    out = ns.astype("datetime64[ns]")
    out[~finite] = np.datetime64("NaT", "ns")
    return pd.DatetimeIndex(out).tz_localize("UTC")


_NONE = type(None)


def to_utc(values: Iterable[Any]) -> pd.DatetimeIndex:
    """A UTC DatetimeIndex (ns) for a sequence of strings, unix seconds and nulls, mixed freely."""
    values = list(values)
    out = np.full(len(values), np.datetime64("NaT", "ns"))
    kinds = set(map(type, values))
    if kinds == {str}:   # the usual column: text only
        numbers = []
        stripped = list(map(str.strip, values))
        texts = range(len(values)) if all(stripped) else \
            [i for i, v in enumerate(stripped) if v]
    elif kinds <= {str, _NONE}:   # text and nulls
        numbers = []
        stripped = [None if v is None else v.strip() for v in values]
        texts = [i for i, v in enumerate(stripped) if v]
    else:
        numbers = [i for i, v in enumerate(values) if _is_number(v) and math.isfinite(v)]
        texts = [i for i, v in enumerate(values) if isinstance(v, str) and v.strip()]
        stripped = [v.strip() if isinstance(v, str) else None for v in values]
    if numbers:
        seconds = np.array([values[i] for i in numbers], dtype="float64")
        out[numbers] = from_unix_seconds(seconds).tz_localize(None).to_numpy()
    if texts:
        whole = isinstance(texts, range)
        strings = stripped if whole else [stripped[i] for i in texts]
        parsed = _parse_texts(strings).dt.tz_localize(None).to_numpy()
        if whole:
            out = parsed
        else:
            out[texts] = parsed
    return pd.DatetimeIndex(out).tz_localize("UTC")


def _parse_texts(strings: list[str]) -> pd.Series:
    """UTC times of non-empty strings, NaT for what is not a time. pandas' ISO 8601 parser (in
    C) reads nearly every time the service sends, many times faster than format="mixed";
    what it cannot read (another shape: "1/2/2020 3:04 PM") goes to "mixed", which reads an
    ISO 8601 time to the same instant, so each string gets the value it always had."""
    series = pd.Series(strings, dtype="object")
    parsed = _held(pd.to_datetime(series, utc=True, format="ISO8601", errors="coerce"))
    missed = parsed.isna().to_numpy()
    if missed.any():
        parsed[missed] = _held(pd.to_datetime(series[missed], utc=True, format="mixed",
                                              errors="coerce"))
    return parsed


def _held(parsed: pd.Series) -> pd.Series:
    """Parsed times in nanoseconds, those a nanosecond clock cannot hold as NaT (see _FIRST_YEAR).
    In nanoseconds, both passes of _parse_texts: pandas picks each result's unit from what it
    read (seconds for a column of nothing it could read), and a finer time cannot be written
    into a coarser column."""
    years = parsed.dt.year
    return parsed.where(years.isna() | ((years >= _FIRST_YEAR) & (parsed <= _LAST))
                        ).astype(UTC_DTYPE)


def to_timestamp(value: Any) -> pd.Timestamp:
    """One time as a UTC Timestamp, or NaT."""
    return to_utc([value])[0]


def epoch_seconds(value: Any, default: int) -> int:
    """Unix seconds of a time the service sent, or `default` when there is none."""
    ts = to_timestamp(value)
    return default if pd.isna(ts) else int(ts.timestamp())
