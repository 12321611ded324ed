"""The emulated backtest's charts, as the service sends them, and its HTML report.

The standard charts every LEAN backtest has (QuantConnect/mcp-server tests/test_backtest_charts.py
`default_charts`), plus one custom chart per chart name the algorithm plots. Series carry `color`
and `scatterMarkerSymbol` as Lean's SeriesJsonConverter writes them for every series but a
candlestick one. Points come as [t, v], or [t, o, h, l, c] for candles.
"""
from __future__ import annotations

import bisect
import math
import zlib
from typing import Any, Callable

from . import statistics
from .synthetic import SYMBOLS, Synthetic

LINE, SCATTER, CANDLE, BAR, STACKED_AREA, TREEMAP = 0, 1, 2, 3, 5, 7   # Lean's SeriesType
CHARTS = ("Strategy Equity", "Drawdown", "Benchmark", "Exposure", "Assets Sales Volume",
          "Portfolio Turnover", "Portfolio Margin", "Capacity")
TICKERS = [ticker for ticker, _, _ in SYMBOLS[:3]]


def names(s: Synthetic) -> list[str]:
    """Every chart the backtest has: the standard ones, then the algorithm's own."""
    return list(CHARTS) + [name for name in s.charts if name not in CHARTS]


def _series(name: str, unit: str, index: int, stype: int, values: list,
            color: str = "", marker: str = "none") -> dict[str, Any]:
    out = {"name": name, "unit": unit, "index": index, "seriesType": stype, "values": values}
    if stype != CANDLE:   # Lean writes no color or marker for a candlestick series
        out.update(color=color, scatterMarkerSymbol=marker)
    return out


def _sampled(s: Synthetic, start: int, end: int, count: int) -> list[int]:
    """Indexes of the points in [start, end], thinned evenly to at most `count`."""
    lo, hi = bisect.bisect_left(s.times, start), bisect.bisect_right(s.times, end)
    idx = list(range(lo, hi))
    if count < len(idx):
        stride = len(idx) / count
        idx = [idx[int(k * stride)] for k in range(count)]
    return idx


def _wave(i: int, seed: int, scale: float) -> float:
    """A smooth, seeded value for the charts without a path of their own."""
    return scale * (1 + 0.5 * math.sin(i / 40 + seed % 7) + 0.2 * math.cos(i / 9))


def _builders(s: Synthetic) -> dict[str, Callable[[list[int]], dict[str, dict]]]:
    times, eq, bm, dd = s.times, s.equity, s.benchmark, s.drawdowns
    cap = s.numbers["capacity"]

    def points(idx: list[int], f: Callable[[int], float | None]) -> list[list]:
        return [[times[i], f(i)] for i in idx]

    def strategy_equity(idx: list[int]) -> dict[str, dict]:
        candles = []
        for i in idx:
            o, c = (eq[i - 1] if i else eq[i]), eq[i]
            candles.append([times[i], round(o, 2), round(max(o, c) * 1.002, 2),
                            round(min(o, c) * 0.998, 2), round(c, 2)])
        ret = points(idx, lambda i: round((eq[i] / eq[i - 1] - 1) * 100 if i else 0.0, 4))
        return {"Equity": _series("Equity", "$", 0, CANDLE, candles),
                "Return": _series("Return", "%", 1, BAR, ret)}

    def per_ticker(unit: str, stype: int, scale: float) -> Callable:
        return lambda idx: {t: _series(t, unit, 0, stype, points(
            idx, lambda i, k=k: round(_wave(i + 31 * k, s.seed, scale), 2)))
            for k, t in enumerate(TICKERS)}

    return {
        "Strategy Equity": strategy_equity,
        "Drawdown": lambda idx: {"Equity Drawdown": _series(
            "Equity Drawdown", "%", 0, LINE, points(idx, lambda i: round(dd[i] * 100, 4)),
            color="#FF0000")},
        "Benchmark": lambda idx: {"Benchmark": _series(
            "Benchmark", "$", 0, LINE, points(idx, lambda i: round(bm[i], 4)))},
        "Exposure": lambda idx: {
            "Equity - Long": _series("Equity - Long", "", 0, LINE, points(
                idx, lambda i: round(min(1.0, _wave(i, s.seed, 0.6)), 4))),
            "Equity - Short": _series("Equity - Short", "", 0, LINE, points(
                idx, lambda i: round(-min(1.0, _wave(i + 17, s.seed, 0.1)), 4)))},
        "Assets Sales Volume": per_ticker("$", TREEMAP, 25_000.0),
        # Days without trading have no value: the real service sends null there.
        "Portfolio Turnover": lambda idx: {"Portfolio Turnover": _series(
            "Portfolio Turnover", "%", 0, LINE, points(
                idx, lambda i: None if i % 7 == 3 else round(abs(math.sin(i)) * 5, 4)))},
        "Portfolio Margin": per_ticker("%", STACKED_AREA, 20.0),
        "Capacity": lambda idx: {"Strategy Capacity": _series(
            "Strategy Capacity", "$", 0, LINE, points(
                idx, lambda i: round(cap * (0.8 + 0.4 * math.cos(i / 50)), 2)))},
    }


def _custom(s: Synthetic, name: str, idx: list[int]) -> dict[str, dict]:
    out = {}
    for k, series in enumerate(s.charts[name]):
        seed = zlib.crc32(f"{name}/{series}".encode())
        out[series] = _series(series, "", k, LINE, [
            [s.times[i], round(_wave(i, seed, 100.0) * (1 + 0.1 * k), 4)] for i in idx],
            color="#%06X" % (seed & 0xFFFFFF), marker="none")
    return out


def chart(s: Synthetic, name: str, start: int, end: int, count: int) -> dict[str, Any] | None:
    """Chart `name` over [start, end] with at most `count` points per series; None if the
    backtest has no such chart."""
    idx = _sampled(s, start, end, count)
    if name in CHARTS:
        series = _builders(s)[name](idx)
    elif name in s.charts:
        series = _custom(s, name, idx)
    else:
        return None
    return {"name": name, "chartType": 0, "series": series}


def report_html(s: Synthetic, name: str) -> str:
    stats = statistics.summary(s)
    eq = s.equity
    step = max(1, len(eq) // 200)
    pts = eq[::step]
    lo, hi = min(pts), max(pts)
    path = " ".join(f"{i * 600 / max(1, len(pts) - 1):.1f},{200 - (v - lo) / ((hi - lo) or 1) * 180:.1f}"
                    for i, v in enumerate(pts))
    rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in stats.items())
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Backtest Report</title>"
            f"</head><body><h1>{name}</h1><svg width='600' height='200'><polyline fill='none' "
            f"stroke='#f5ae29' points='{path}'/></svg><table>{rows}</table></body></html>")
