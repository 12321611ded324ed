"""The emulated backtest's charts (both point formats the service uses) and its HTML report."""
from __future__ import annotations

import math
from typing import Any

from .synthetic import Synthetic

CHARTS = ("Strategy Equity", "Drawdown", "Benchmark", "Portfolio Turnover", "Capacity")


def chart(s: Synthetic, name: str, start: int, end: int, count: int) -> dict[str, Any] | None:
    """Chart `name` over [start, end] with at most `count` points per series, as the API sends."""
    times = s.times
    idx = [i for i in range(len(times)) if start <= times[i] <= end]
    if count < len(idx):
        stride = len(idx) / count
        idx = [idx[int(k * stride)] for k in range(count)]
    eq, bm, dd = s.equity, s.benchmark, s.drawdowns

    def series(sname: str, unit: str, index: int, stype: int, values: list) -> dict:
        return {"name": sname, "unit": unit, "index": index, "seriesType": stype,
                "values": values}

    if name == "Strategy Equity":
        candles = []
        for i in idx:
            o = eq[i - 1] if i else eq[i]
            c = eq[i]
            candles.append([times[i], round(o, 2), round(max(o, c) * 1.002, 2),
                            round(min(o, c) * 0.998, 2), round(c, 2)])
        returns = [[times[i], round((eq[i] / eq[i - 1] - 1) * 100 if i else 0.0, 4)]
                   for i in idx]
        s = {"Equity": series("Equity", "$", 0, 2, candles),
             "Return": series("Return", "%", 1, 3, returns)}
    elif name == "Drawdown":
        s = {"Equity Drawdown": series("Equity Drawdown", "%", 0, 0,
                                       [[times[i], round(dd[i] * 100, 4)] for i in idx])}
    elif name == "Benchmark":
        s = {"Benchmark": series("Benchmark", "$", 0, 0,
                                 [[times[i], round(bm[i], 4)] for i in idx])}
    elif name == "Portfolio Turnover":
        # Days without trading have no value: the real service sends null there.
        s = {"Portfolio Turnover": series("Portfolio Turnover", "%", 0, 0, [
            [times[i], None if i % 7 == 3 else round(abs(math.sin(i)) * 5, 4)] for i in idx])}
    elif name == "Capacity":
        cap = s.numbers["capacity"]
        s = {"Strategy Capacity": series("Strategy Capacity", "$", 0, 0,
                                         [[times[i], round(cap * (0.8 + 0.4 * math.cos(i / 50)), 2)]
                                          for i in idx])}
    else:
        return None
    return {"name": name, "chartType": 0, "series": s}


def report_html(s: Synthetic, name: str) -> str:
    stats = s.statistics()
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
