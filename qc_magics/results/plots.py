"""Matplotlib figures, imported only when something is plotted."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from .backtest import Backtest
    from .tables import Comparison


def plot_backtest(bt: "Backtest", ax=None):
    """Equity (left axis) with the benchmark on a twin axis, and drawdown in a panel beneath.

    `ax`: one axes (the drawdown goes in an inset beneath it), or an (equity, drawdown) pair of
    a figure made elsewhere (then pyplot is not used at all)."""
    if ax is None:
        import matplotlib.pyplot as plt
        fig, (ax, ax_dd) = plt.subplots(2, 1, sharex=True, figsize=(10, 6),
                                        gridspec_kw={"height_ratios": [3, 1]})
    elif isinstance(ax, (tuple, list)):
        ax, ax_dd = ax
        fig = ax.figure
    else:
        fig, ax_dd = ax.figure, ax.inset_axes([0, -0.35, 1, 0.25], sharex=ax)
    equity = bt.equity
    ax.plot(equity.index, equity.values, color="#1f77b4", label="equity")
    ax.set_ylabel("equity ($)")
    ax.set_title(bt.name or bt.id)
    benchmark = bt.benchmark
    if not benchmark.empty:
        twin = ax.twinx()
        twin.plot(benchmark.index, benchmark.values, color="#999999", lw=1, label="benchmark")
        twin.set_ylabel("benchmark")
        lines = ax.get_lines() + twin.get_lines()
        ax.legend(lines, [line.get_label() for line in lines], loc="upper left")
    drawdown = bt.drawdown
    ax_dd.fill_between(drawdown.index, drawdown.values * 100, 0, color="#d62728", alpha=0.4)
    ax_dd.set_ylabel("drawdown (%)")
    fig.tight_layout()
    return fig


def plot_comparison(comparison: "Comparison", ax=None, normalise: bool = True):
    import matplotlib.pyplot as plt

    equity = comparison.equity
    if normalise:
        equity = equity / equity.bfill().iloc[0]
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5))
    equity.plot(ax=ax)
    ax.set_ylabel("equity (start = 1)" if normalise else "equity ($)")
    return ax.figure


def plot_heatmap(table: "pd.DataFrame", label: str, ax=None):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 + 0.6 * len(table.columns), 1 + 0.5 * len(table.index)))
    image = ax.imshow(table.values, aspect="auto", origin="lower", cmap="viridis")
    ax.set_xticks(range(len(table.columns)), [f"{v:g}" for v in table.columns])
    ax.set_yticks(range(len(table.index)), [f"{v:g}" for v in table.index])
    ax.set_xlabel(str(table.columns.name))
    ax.set_ylabel(str(table.index.name))
    ax.figure.colorbar(image, ax=ax, label=label)
    return ax.figure
