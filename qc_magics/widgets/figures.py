"""Plots for the panel as PNG bytes, drawn on a figure of their own: pyplot's global state and
the kernel's backend are never touched (the panel draws from a background thread)."""
from __future__ import annotations

import io
from typing import Any


def backtest_png(backtest: Any, dpi: int = 90) -> bytes:
    """Equity with the benchmark, drawdown beneath (results.plots.plot_backtest), as PNG."""
    from matplotlib.figure import Figure

    from ..results.plots import plot_backtest
    figure = Figure(figsize=(10, 6))
    equity, drawdown = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    plot_backtest(backtest, ax=(equity, drawdown))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def heatmap_png(optimization: Any, metric: str, dpi: int = 90) -> bytes | None:
    """`metric` over the optimization's first two parameters, as PNG; None with fewer than two
    parameters or no results yet (nothing to draw)."""
    from matplotlib.figure import Figure
    names = optimization.parameter_names
    if len(names) < 2 or not len(optimization.grid):
        return None
    table = optimization.heatmap(names[0], names[1], metric)
    figure = Figure(figsize=(1.2 + 0.6 * len(table.columns), 1 + 0.5 * len(table.index)))
    optimization.heatmap(names[0], names[1], metric, plot=True, ax=figure.subplots())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()
