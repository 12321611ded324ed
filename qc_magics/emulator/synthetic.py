"""Deterministic, realistic backtest results: the same seed and parameters give the same numbers.

This module makes the numbers (equity and benchmark paths, the statistics they imply); the strings
the service writes from them live in statistics.py, the orders, trades and insights in their own
modules. Returns depend smoothly on the parameter values, so an optimization grid has a real
optimum.
"""
from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

START = 1577880000  # 2020-01-01 12:00 UTC
END = 1704024000    # 2023-12-31 12:00 UTC
START_EQUITY = 100_000.0
DIRECTIVE = re.compile(r"(?:#|//)\s*qc-emulator:\s*([a-z][\w-]*)\s*(.*)$", re.M)
# What an algorithm plots and reports shows up in its results: `self.plot("SMA", "fast", x)`
# makes a custom chart, `self.set_summary_statistic("Name", 1.5)` a custom statistic.
_PLOT = re.compile(r"""(?:\.plot|\bPlot)\(\s*["']([^"']+)["']\s*,\s*["']([^"']+)["']""")
_SUMMARY = re.compile(r"""(?:set_summary_statistic|SetSummaryStatistic)\(\s*["']([^"']+)["']"""
                      r"""\s*,\s*([^),]+)\)""")
SYMBOLS = [  # (ticker, security id, security type)
    ("SPY", "SPY R735QTJ8XC9X", 1), ("AAPL", "AAPL R735QTJ8XC9X", 1),
    ("QQQ", "QQQ RIWIV7K5Z9LX", 1), ("SPY 240119C00450000", "SPY 32NKVT6HNJYQU|SPY R735QTJ8XC9X", 2),
    ("EURUSD", "EURUSD 8G", 4), ("ES19M24", "ES YOGVNNAOI1OH", 5), ("BTCUSD", "BTCUSD 2XR", 7),
]


def directives(sources: dict[str, str]) -> dict[str, str]:
    """`# qc-emulator: orders 5000` lines in the algorithm shape what the emulator makes."""
    found: dict[str, str] = {}
    for name in sorted(sources):
        if name.endswith((".py", ".cs")):
            for key, value in DIRECTIVE.findall(sources[name]):
                found[key] = value.strip()
    return found


def _int_directive(d: dict[str, str], key: str, default: int, cap: int) -> int:
    try:
        return max(0, min(cap, int(d.get(key, default))))
    except ValueError:
        return default


def quality(parameters: dict[str, Any]) -> float:
    """A smooth score in [-1, 1] of the numeric parameter values: where the optimum lies."""
    scores = []
    for name, value in sorted(parameters.items()):
        try:
            v = float(value)
        except (TypeError, ValueError):
            continue
        h = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
        k = 0.05 + (h % 1000) / 4000.0
        phase = (h >> 10) % 628 / 100.0
        scores.append(math.sin(v * k + phase))
    return sum(scores) / len(scores) if scores else 0.0


def custom_charts(sources: dict[str, str]) -> dict[str, list[str]]:
    """{chart: [series, ...]} of the algorithm's `plot(chart, series, value)` calls, in order."""
    found: dict[str, list[str]] = {}
    for name in sorted(sources):
        if name.endswith((".py", ".cs")):
            for chart, series in _PLOT.findall(sources[name]):
                if series not in found.setdefault(chart, []):
                    found[chart].append(series)
    return found


def custom_statistics(sources: dict[str, str]) -> dict[str, str]:
    """{name: value} of the algorithm's `set_summary_statistic(name, value)` calls: a literal
    value as written, anything else (an expression) as a number made from the name."""
    found: dict[str, str] = {}
    for name in sorted(sources):
        if name.endswith((".py", ".cs")):
            for stat, value in _SUMMARY.findall(sources[name]):
                value = value.strip().strip("\"'")
                try:
                    float(value)
                except ValueError:
                    value = str(stable_number(stat))
                found[stat] = value
    return found


def stable_number(text: str) -> float:
    """A stable number in [0, 10) made from `text`."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:6], 16) % 10_000 / 1000


@dataclass
class Synthetic:
    seed: int
    parameters: dict[str, Any]
    points: int = 1000
    n_orders: int = 240
    n_insights: int = 120
    algorithm_id: str = ""
    charts: dict[str, list[str]] = field(default_factory=dict)        # custom charts
    custom: dict[str, str] = field(default_factory=dict)              # custom statistics

    @classmethod
    def for_sources(cls, seed: int, parameters: dict[str, Any], sources: dict[str, str],
                    algorithm_id: str = "", points: int | None = None,
                    n_orders: int | None = None) -> "Synthetic":
        """The results of the algorithm in `sources`; `points` and `n_orders` override the
        directives (an optimization's child backtests are small)."""
        d = directives(sources)
        if n_orders is None:
            n_orders = _int_directive(d, "orders", 240, 1_000_000)
        if points is None:
            points = max(2, _int_directive(d, "points", 1000, 2_000_000))
        return cls(seed=seed, parameters=dict(parameters), algorithm_id=algorithm_id,
                   points=points, n_orders=n_orders,
                   n_insights=_int_directive(d, "insights", n_orders // 2, 1_000_000),
                   charts=custom_charts(sources), custom=custom_statistics(sources))

    # --- series ---------------------------------------------------------------------------------
    @cached_property
    def times(self) -> list[int]:
        n = self.points
        step = (END - START) / (n - 1)
        return [int(START + i * step) for i in range(n)]

    @cached_property
    def _paths(self) -> tuple[list[float], list[float]]:
        rng = random.Random(self.seed)
        q = quality(self.parameters)
        per_year = (self.points - 1) / ((END - START) / 31_557_600)
        mu, sigma = (0.05 + 0.16 * q) / per_year, (0.16 - 0.04 * q) / math.sqrt(per_year)
        bmu, bsig = 0.09 / per_year, 0.18 / math.sqrt(per_year)
        equity, bench = [START_EQUITY], [300.0]
        gauss = rng.gauss
        for _ in range(self.points - 1):
            b = gauss(bmu, bsig)
            bench.append(bench[-1] * (1 + b))
            equity.append(equity[-1] * (1 + 0.6 * b + gauss(mu - 0.6 * bmu, sigma * 0.8)))
        return equity, bench

    @property
    def equity(self) -> list[float]:
        return self._paths[0]

    @property
    def benchmark(self) -> list[float]:
        return self._paths[1]

    @cached_property
    def drawdowns(self) -> list[float]:
        peak, out = -math.inf, []
        for v in self.equity:
            peak = max(peak, v)
            out.append(v / peak - 1)
        return out

    # --- statistics -----------------------------------------------------------------------------
    @cached_property
    def numbers(self) -> dict[str, float]:
        eq, bm = self.equity, self.benchmark
        r = [eq[i] / eq[i - 1] - 1 for i in range(1, len(eq))]
        rb = [bm[i] / bm[i - 1] - 1 for i in range(1, len(bm))]
        n = len(r)
        per_year = n / ((END - START) / 31_557_600)
        mean = sum(r) / n
        mean_b = sum(rb) / n
        var = sum((x - mean) ** 2 for x in r) / max(1, n - 1)
        var_b = sum((x - mean_b) ** 2 for x in rb) / max(1, n - 1)
        cov = sum((x - mean) * (y - mean_b) for x, y in zip(r, rb)) / max(1, n - 1)
        down = [min(0.0, x) ** 2 for x in r]
        down_dev = math.sqrt(sum(down) / n) * math.sqrt(per_year)
        std_y = math.sqrt(var * per_year)
        beta = cov / var_b if var_b else 0.0
        years = (END - START) / 31_557_600
        car = (eq[-1] / eq[0]) ** (1 / years) - 1
        sharpe = (mean * per_year) / std_y if std_y else 0.0
        te = math.sqrt(max(0.0, var + beta ** 2 * var_b - 2 * beta * cov) * per_year)
        sr_period = mean / math.sqrt(var) if var else 0.0
        psr = 0.5 * (1 + math.erf(sr_period * math.sqrt(n - 1) / math.sqrt(2)))
        rng = random.Random(self.seed ^ 0x5EED)
        trades = max(0, self.n_orders // 2)
        win_rate = min(0.9, max(0.1, 0.5 + 0.25 * math.tanh(sharpe))) if trades else 0.0
        avg_win = rng.uniform(0.004, 0.02)
        avg_loss = -rng.uniform(0.003, 0.015)
        fees = self.n_orders * rng.uniform(0.9, 1.6)
        return {
            "orders": float(self.n_orders), "trades": float(trades), "avg_win": avg_win,
            "avg_loss": avg_loss, "car": car, "drawdown": -min(self.drawdowns),
            "expectancy": (win_rate * avg_win + (1 - win_rate) * avg_loss) / abs(avg_loss),
            "start_equity": eq[0], "end_equity": eq[-1], "net_profit": eq[-1] / eq[0] - 1,
            "sharpe": sharpe, "sortino": (mean * per_year) / down_dev if down_dev else 0.0,
            "psr": psr, "loss_rate": 1 - win_rate if trades else 0.0, "win_rate": win_rate,
            "pl_ratio": avg_win / abs(avg_loss), "alpha": (mean - beta * mean_b) * per_year,
            "beta": beta, "std": std_y, "var": std_y ** 2,
            "ir": ((mean - mean_b) * per_year) / te if te else 0.0, "te": te,
            "treynor": (mean * per_year) / beta if beta else 0.0, "fees": fees,
            "capacity": rng.choice([1.2e6, 8.5e6, 2.4e7, 3.1e8]),
            "turnover": rng.uniform(0.005, 0.12), "holdings": eq[-1] * rng.uniform(0.5, 1.0),
            "volume": self.n_orders * eq[-1] * rng.uniform(0.05, 0.2),
            "recovery_days": float(self._recovery_days()),
        }

    def _recovery_days(self) -> int:
        """Days from the deepest drawdown back to the previous peak (0 if never recovered)."""
        dd = self.drawdowns
        trough = min(range(len(dd)), key=dd.__getitem__)
        for j in range(trough, len(dd)):
            if dd[j] >= 0:
                return int((self.times[j] - self.times[trough]) // 86400)
        return 0

    def time_of(self, i: int, n: int) -> float:
        """When the i-th of n evenly spread events (orders, trades, insights) happened."""
        return START + (END - START) * (i + 0.5) / max(1, n)
