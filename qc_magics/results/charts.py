"""Charts as DataFrames: a chart's series aligned on UTC times, columns (series, field).

Points come as [t,o,h,l,c] candles, [t,y] points (nulls allowed) or the old {"x": t, "y": v}
objects; times are unix seconds (times.py). Converting a chart costs about what parsing its JSON
does (BENCHMARKS.md, charts): one numpy conversion of all the points, one block when the series
share their times.
"""
from __future__ import annotations

from itertools import chain

import numpy as np
import pandas as pd

from .parse import to_floats as _floats
from .times import from_unix_seconds, to_utc

UTC_EMPTY = pd.DatetimeIndex([], tz="UTC", name="time")


def _times(values) -> pd.DatetimeIndex:
    return to_utc(values)


def _point_arrays(values: list) -> tuple[pd.DatetimeIndex, list[str], np.ndarray] | None:
    """[t,o,h,l,c] candles or [t,y] points -> (UTC index, column names, 2-D float64 values);
    None for what series_frame reads another way (no points, old {x, y} points)."""
    if not values:
        return None
    first = next((v for v in values if v is not None), None)
    if isinstance(first, dict):
        return None
    try:
        # Rows of one width (the usual): one flat list in C, then one conversion of it, about
        # twice as fast as numpy's own walk of a list of lists; None becomes NaN under float64.
        widths = set(map(len, values))
        if len(widths) == 1 and isinstance(first, list):
            width = widths.pop()
            try:   # numbers only (candles): straight from the rows, no list in between
                flat = np.fromiter(chain.from_iterable(values), dtype="float64",
                                   count=len(values) * width)
            except (ValueError, TypeError):   # nulls among them: through a list
                flat = np.array(list(chain.from_iterable(values)), dtype="float64")
            if flat.ndim == 1:
                return _point_columns(flat.reshape(len(values), width))
    except (ValueError, TypeError):   # not numbers, or rows that are not lists: the long way
        pass
    try:
        arr = np.array(values, dtype="float64")
    except (ValueError, TypeError):   # ragged rows: pad each to the widest
        width = max(len(v) for v in values)
        arr = np.array([list(v) + [None] * (width - len(v)) for v in values], dtype="float64")
    return _point_columns(arr)


def _point_columns(arr: np.ndarray) -> tuple[pd.DatetimeIndex, list[str], np.ndarray]:
    index = from_unix_seconds(arr[:, 0]).rename("time")
    if arr.shape[1] >= 5:
        return index, ["open", "high", "low", "close"], arr[:, 1:5]
    return index, ["value"], arr[:, 1:2]


def series_frame(values: list) -> pd.DataFrame:
    """One series' points -> DataFrame on a UTC index: [t,o,h,l,c] candles become open/high/low/
    close, [t,y] points and old {x, y} points a value column; nulls stay NaN."""
    if not values:
        return pd.DataFrame({"value": pd.Series([], dtype="float64")}, index=UTC_EMPTY)
    arrays = _point_arrays(values)
    if arrays is None:   # the old {"x": t, "y": v} points
        index = _times([p.get("x") for p in values])
        return pd.DataFrame({"value": _floats(p.get("y") for p in values)}, index=index.rename("time"))
    index, columns, arr = arrays
    return pd.DataFrame({c: arr[:, i] for i, c in enumerate(columns)}, index=index)


def _column_index(pairs: list[tuple[str, str]]) -> pd.MultiIndex:
    """MultiIndex.from_tuples(pairs) (sorted levels, codes into them), built directly: the
    general constructor costs about 1 ms, a third of turning a 4,000-point chart into a frame."""
    levels = [sorted({p[0] for p in pairs}), sorted({p[1] for p in pairs})]
    where = [{v: i for i, v in enumerate(level)} for level in levels]
    codes = [[where[0][p[0]] for p in pairs], [where[1][p[1]] for p in pairs]]
    return pd.MultiIndex(levels=levels, codes=codes, names=[None, None], verify_integrity=False)


def chart_frame(chart: dict) -> pd.DataFrame:
    """A chart -> one DataFrame, columns (series, field): e.g. ("Equity", "close"), ("Return",
    "value"). Series are aligned on time; a time a series lacks is NaN there."""
    parts = {}
    # Older results spelled the keys in PascalCase ("Series", "Values").
    for name, series in (chart.get("series") or chart.get("Series") or {}).items():
        values = series.get("values") or series.get("Values") or []
        arrays = _point_arrays(values)
        if arrays is None:
            frame = series_frame(values)
            arrays = frame.index, list(frame.columns), frame.to_numpy(dtype="float64")
        index, columns, arr = arrays
        if index.has_duplicates:   # several points at one time: the last one stands
            keep = ~index.duplicated(keep="last")
            index, arr = index[keep], arr[keep]
        parts[name] = index, columns, arr
    if not parts:
        return pd.DataFrame(index=UTC_EMPTY)
    if len(parts) == 1:
        (name, (index, columns, arr)), = parts.items()
        return pd.DataFrame(arr.copy(), index=index,
                            columns=_column_index([(name, c) for c in columns]))
    indexes = [index for index, _, _ in parts.values()]
    first = indexes[0]
    if (first.is_monotonic_increasing and not first.hasnans
            and all(first.equals(other) for other in indexes[1:])):
        # Every series on the same times (the usual chart): one block, no alignment to do.
        return pd.DataFrame(np.concatenate([arr for _, _, arr in parts.values()], axis=1),
                            index=first, columns=_column_index(
                                [(name, c) for name, (_, cs, _) in parts.items() for c in cs]))
    frames = {name: pd.DataFrame(arr, index=index, columns=columns)
              for name, (index, columns, arr) in parts.items()}
    return pd.concat(frames, axis=1, join="outer", sort=True)
