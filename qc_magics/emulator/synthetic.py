"""Deterministic, realistic backtest results: the same seed and parameters give the same numbers.

Shapes follow the official spec and the strings follow the real service's display styles
("15.312%", "$1,234.50", "-$0.00", "45.23 %"), so clients meet what they will meet for real.
Returns depend smoothly on the parameter values, so an optimization grid has a real optimum.
Large results (orders, insights) are made on demand, one index at a time, never all in memory.
"""
from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

START = 1577880000  # 2020-01-01 12:00 UTC
END = 1704024000    # 2023-12-31 12:00 UTC
START_EQUITY = 100_000.0
DIRECTIVE = re.compile(r"(?:#|//)\s*qc-emulator:\s*([a-z][\w-]*)\s*(.*)$", re.M)
SYMBOLS = [  # (ticker, security id, security type)
    ("SPY", "SPY R735QTJ8XC9X", 1), ("AAPL", "AAPL R735QTJ8XC9X", 1),
    ("QQQ", "QQQ RIWIV7K5Z9LX", 1), ("SPY 240119C00450000", "SPY 32NKVT6HNJYQU|SPY R735QTJ8XC9X", 2),
    ("EURUSD", "EURUSD 8G", 4), ("ES19M24", "ES YOGVNNAOI1OH", 5), ("BTCUSD", "BTCUSD 2XR", 7),
]
STATUS_CYCLE = [3, 2, 5, 7, 3, 1, 0, 6, 8, 9, 3]
ORDER_STATUS_NAMES = {0: "new", 1: "submitted", 2: "partiallyFilled", 3: "filled", 5: "canceled",
                      6: "none", 7: "invalid", 8: "cancelPending", 9: "updateSubmitted"}
INSIGHT_MODELS = ["EmaCrossAlphaModel", "RsiAlphaModel", "MacdAlphaModel"]


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


def money(x: float, decimals: int = 2) -> str:
    """QuantConnect's money style: "$1,234.50", "-$0.00"."""
    sign = "-" if x < 0 or (x == 0 and math.copysign(1, x) < 0) else ""
    return f"{sign}${abs(x):,.{decimals}f}"


def pct(x: float, decimals: int = 3, space: bool = False) -> str:
    return f"{x * 100:.{decimals}f}{' ' if space else ''}%"


def timespan(seconds: float) -> str:
    """.NET TimeSpan style: "d.hh:mm:ss" or "hh:mm:ss"."""
    seconds = int(seconds)
    d, rem = divmod(seconds, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    return (f"{d}." if d else "") + f"{h:02d}:{m:02d}:{s:02d}"


def iso(t: float) -> str:
    import time as _time
    return _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(t))


@dataclass
class Synthetic:
    seed: int
    parameters: dict[str, Any]
    points: int = 1000
    n_orders: int = 240
    n_insights: int = 120
    algorithm_id: str = ""

    @classmethod
    def for_sources(cls, seed: int, parameters: dict[str, Any], sources: dict[str, str],
                    algorithm_id: str = "") -> "Synthetic":
        d = directives(sources)
        n_orders = _int_directive(d, "orders", 240, 1_000_000)
        return cls(seed=seed, parameters=dict(parameters), algorithm_id=algorithm_id,
                   points=max(2, _int_directive(d, "points", 1000, 2_000_000)),
                   n_orders=n_orders,
                   n_insights=_int_directive(d, "insights", n_orders // 2, 1_000_000))

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
        }

    def statistics(self) -> dict[str, str]:
        x = self.numbers
        return {
            "Total Orders": str(self.n_orders), "Average Win": pct(x["avg_win"], 2),
            "Average Loss": pct(x["avg_loss"], 2), "Compounding Annual Return": pct(x["car"]),
            "Drawdown": pct(x["drawdown"]), "Expectancy": f"{x['expectancy']:.3f}",
            "Start Equity": f"{x['start_equity']:.0f}", "End Equity": f"{x['end_equity']:.2f}",
            "Net Profit": pct(x["net_profit"]), "Sharpe Ratio": f"{x['sharpe']:.3f}",
            "Sortino Ratio": f"{x['sortino']:.3f}",
            "Probabilistic Sharpe Ratio": pct(x["psr"]), "Loss Rate": pct(x["loss_rate"], 0),
            "Win Rate": pct(x["win_rate"], 0), "Profit-Loss Ratio": f"{x['pl_ratio']:.2f}",
            "Alpha": f"{x['alpha']:.3f}", "Beta": f"{x['beta']:.3f}",
            "Annual Standard Deviation": f"{x['std']:.3f}",
            "Annual Variance": f"{x['var']:.3f}", "Information Ratio": f"{x['ir']:.3f}",
            "Tracking Error": f"{x['te']:.3f}", "Treynor Ratio": f"{x['treynor']:.3f}",
            "Total Fees": money(x["fees"]), "Estimated Strategy Capacity": money(x["capacity"]),
            "Lowest Capacity Asset": SYMBOLS[0][1], "Portfolio Turnover": pct(x["turnover"], 2),
        }

    def runtime_statistics(self) -> dict[str, str]:
        x = self.numbers
        return {
            "Equity": money(x["end_equity"]), "Fees": money(-x["fees"]),
            "Holdings": money(x["holdings"]), "Net Profit": money(x["end_equity"] - x["start_equity"]),
            "Probabilistic Sharpe Ratio": pct(x["psr"]), "Return": pct(x["net_profit"], 2, True),
            "Unrealized": money(0.0), "Volume": money(x["volume"]),
        }

    def total_performance(self, max_trades: int = 5000) -> dict[str, Any]:
        x = self.numbers
        trades = [self.trade(i) for i in range(min(int(x["trades"]), max_trades))]
        wins = [t for t in trades if t["profitLoss"] > 0]
        losses = [t for t in trades if t["profitLoss"] <= 0]
        total_profit = sum(t["profitLoss"] for t in wins)
        total_loss = sum(t["profitLoss"] for t in losses)
        n = len(trades) or 1
        trade_stats = {
            "startDateTime": trades[0]["entryTime"] if trades else iso(START),
            "endDateTime": trades[-1]["exitTime"] if trades else iso(END),
            "totalNumberOfTrades": len(trades), "numberOfWinningTrades": len(wins),
            "numberOfLosingTrades": len(losses), "totalProfitLoss": total_profit + total_loss,
            "totalProfit": total_profit, "totalLoss": total_loss,
            "largestProfit": max((t["profitLoss"] for t in wins), default=0.0),
            "largestLoss": min((t["profitLoss"] for t in losses), default=0.0),
            "averageProfitLoss": (total_profit + total_loss) / n,
            "averageProfit": total_profit / (len(wins) or 1),
            "averageLoss": total_loss / (len(losses) or 1),
            "averageTradeDuration": timespan(5.5 * 86400), "averageWinningTradeDuration":
            timespan(6.25 * 86400), "averageLosingTradeDuration": timespan(4.1 * 86400),
            "medianTradeDuration": timespan(3 * 86400), "medianWinningTradeDuration":
            timespan(4 * 86400), "medianLosingTradeDuration": timespan(2 * 86400),
            "maxConsecutiveWinningTrades": 7, "maxConsecutiveLosingTrades": 4,
            "profitLossRatio": x["pl_ratio"], "winLossRatio": len(wins) / (len(losses) or 1),
            "winRate": len(wins) / n, "lossRate": len(losses) / n,
            "averageMAE": -120.5, "averageMFE": 180.25, "largestMAE": -2400.0, "largestMFE": 3100.0,
            "maximumClosedTradeDrawdown": -abs(total_loss) * 0.2,
            "maximumIntraTradeDrawdown": -2600.0, "profitLossStandardDeviation": 850.0,
            "profitLossDownsideDeviation": 420.0,
            "profitFactor": total_profit / abs(total_loss) if total_loss else 0.0,
            "sharpeRatio": x["sharpe"] * 0.8, "sortinoRatio": x["sortino"] * 0.8,
            "profitToMaxDrawdownRatio": 1.7, "maximumEndTradeDrawdown": -900.0,
            "averageEndTradeDrawdown": -150.0, "maximumDrawdownDuration": timespan(86 * 86400),
            "totalFees": x["fees"],
        }
        portfolio = {
            "averageWinRate": x["avg_win"], "averageLossRate": x["avg_loss"],
            "profitLossRatio": x["pl_ratio"], "winRate": x["win_rate"], "lossRate": x["loss_rate"],
            "expectancy": x["expectancy"], "startEquity": x["start_equity"],
            "endEquity": x["end_equity"], "compoundingAnnualReturn": x["car"],
            "drawdown": x["drawdown"], "totalNetProfit": x["net_profit"],
            "sharpeRatio": x["sharpe"], "probabilisticSharpeRatio": x["psr"],
            "sortinoRatio": x["sortino"], "alpha": x["alpha"], "beta": x["beta"],
            "annualStandardDeviation": x["std"], "annualVariance": x["var"],
            "informationRatio": x["ir"], "trackingError": x["te"], "treynorRatio": x["treynor"],
            "portfolioTurnover": x["turnover"],
        }
        return {"tradeStatistics": trade_stats, "portfolioStatistics": portfolio,
                "closedTrades": trades}

    def optimization_statistics(self) -> list[float]:
        """The 21 positional statistics of an optimization's child backtest (spec order)."""
        x = self.numbers
        pct = 100.0   # the spec marks these "(%)": percent, not fractions
        return [x["alpha"], x["std"], x["var"], x["avg_loss"] * pct, x["avg_win"] * pct,
                x["beta"], x["car"] * pct, x["drawdown"] * pct, x["capacity"], x["expectancy"],
                x["ir"], x["loss_rate"] * pct, x["net_profit"] * pct, x["psr"], x["pl_ratio"],
                x["sharpe"], x["fees"], x["orders"], x["te"], x["treynor"], x["win_rate"] * pct]

    # --- orders, trades, insights ---------------------------------------------------------------
    def _time_of(self, i: int, n: int) -> float:
        return START + (END - START) * (i + 0.5) / max(1, n)

    def order(self, i: int) -> dict[str, Any]:
        rng = random.Random((self.seed * 1_000_003) ^ i)
        ticker, sid, stype = SYMBOLS[i % len(SYMBOLS)] if i < 20 else SYMBOLS[rng.randrange(3)]
        otype = i if i < 12 else (0 if rng.random() < 0.7 else rng.randrange(12))
        status = STATUS_CYCLE[i % len(STATUS_CYCLE)] if i < 22 else (
            3 if rng.random() < 0.85 else rng.choice([5, 7, 2]))
        qty = float(rng.choice([1, -1]) * rng.randint(1, 400))
        price = round(rng.uniform(20, 480), 2)
        t = self._time_of(i, self.n_orders)
        filled = status in (2, 3)
        events = [self._event(i, 1, "submitted", t, qty, price, 0.0, 0.0)]
        if filled:
            fill_qty = qty if status == 3 else round(qty / 2)
            events.append(self._event(i, 2, "partiallyFilled" if status == 2 else "filled",
                                      t + 60, qty, price, fill_qty, round(abs(fill_qty) * 0.005 + 1, 2)))
        elif status == 5:
            events.append(self._event(i, 2, "canceled", t + 120, qty, price, 0.0, 0.0))
        order = {
            "id": i + 1, "contingentId": 0, "brokerId": [str(100000 + i)],
            "symbol": {"value": ticker, "id": sid, "permtick": ticker.split()[0]},
            "price": price, "priceCurrency": "USD", "time": iso(t), "createdTime": iso(t),
            "lastFillTime": iso(t + 60) if filled else None,
            "lastUpdateTime": iso(t + 60) if status not in (0, 1) else None,
            "canceledTime": iso(t + 120) if status == 5 else None,
            "quantity": qty, "type": otype, "status": status, "tag": "" if i % 5 else "rebalance",
            "securityType": stype, "direction": 0 if qty > 0 else 1,
            "value": round(price * qty, 2) if filled else 0.0,
            "orderSubmissionData": {"bidPrice": round(price - 0.01, 2),
                                    "askPrice": round(price + 0.01, 2), "lastPrice": price},
            "isMarketable": otype == 0, "properties": {"timeInForce": {}}, "events": events,
        }
        if otype in (1, 3, 6, 8):
            order["limitPrice"] = round(price * 0.99, 2)
        if otype in (2, 3, 11):
            order["stopPrice"] = round(price * 1.01, 2)
            order["stopTriggered"] = filled
        if otype == 8:
            order["triggerPrice"] = round(price * 1.005, 2)
            order["triggerTouched"] = filled
        if otype == 11:
            order["trailingAmount"] = 0.05
            order["trailingPercentage"] = True
        # The spec's types are not nullable: a time that has not happened is left out.
        return {k: v for k, v in order.items() if v is not None}

    def _event(self, i: int, k: int, status: str, t: float, qty: float, price: float,
               fill_qty: float, fee: float) -> dict[str, Any]:
        ticker, sid, _ = SYMBOLS[i % len(SYMBOLS)]
        return {"algorithmId": self.algorithm_id, "symbol": sid, "symbolValue": ticker,
                "symbolPermtick": ticker.split()[0], "orderId": i + 1, "orderEventId": k,
                "id": f"{i + 1}-{k}", "status": status, "orderFeeAmount": fee,
                "orderFeeCurrency": "USD", "fillPrice": price if fill_qty else 0.0,
                "fillPriceCurrency": "USD", "fillQuantity": fill_qty,
                "direction": "buy" if qty > 0 else "sell", "message": "", "isAssignment": False,
                "quantity": qty, "time": t, "isInTheMoney": False}

    def trade(self, i: int) -> dict[str, Any]:
        rng = random.Random((self.seed * 7_368_787) ^ i)
        ticker, sid, _ = SYMBOLS[rng.randrange(3)]
        n = max(1, self.n_orders // 2)
        entry = self._time_of(i, n)
        hold = rng.uniform(0.2, 12) * 86400
        entry_price = round(rng.uniform(50, 450), 2)
        exit_price = round(entry_price * (1 + rng.gauss(0.004, 0.03)), 2)
        qty = float(rng.randint(5, 300))
        direction = 0 if rng.random() < 0.7 else 1
        pnl = (exit_price - entry_price) * qty * (1 if direction == 0 else -1)
        return {"symbol": {"value": ticker, "id": sid, "permtick": ticker},
                "entryTime": iso(entry), "entryPrice": entry_price, "direction": direction,
                "quantity": qty, "exitTime": iso(entry + hold), "exitPrice": exit_price,
                "profitLoss": round(pnl, 2), "totalFees": round(2 + qty * 0.005, 2),
                "mae": round(-abs(rng.gauss(0, 0.01)) * entry_price * qty, 2),
                "mfe": round(abs(rng.gauss(0, 0.012)) * entry_price * qty, 2),
                "duration": timespan(hold), "endTradeDrawdown": round(-abs(pnl) * 0.1, 2)}

    def insight(self, i: int) -> dict[str, Any]:
        rng = random.Random((self.seed * 3_571) ^ i)
        ticker, sid, _ = SYMBOLS[rng.randrange(3)]
        t = int(self._time_of(i, self.n_insights))
        period = rng.choice([86400, 5 * 86400, 20 * 86400])
        direction = rng.choice(["up", "down", "flat"])
        ref = round(rng.uniform(50, 450), 2)
        insight = {"id": "%032x" % rng.getrandbits(128), "groupId": None,
                "sourceModel": INSIGHT_MODELS[i % len(INSIGHT_MODELS)], "generatedTime": t,
                "closeTime": t + period, "symbol": sid, "ticker": ticker, "type": "price",
                "reference": ref, "referenceFinal": round(ref * (1 + rng.gauss(0, 0.02)), 2),
                "direction": direction, "period": period,
                "magnitude": None if i % 4 == 0 else round(rng.uniform(0.001, 0.05), 4),
                "confidence": None if i % 6 == 0 else round(rng.uniform(0.3, 0.9), 3),
                "weight": None, "scoreFinal": True, "scoreDirection": round(rng.random(), 3),
                "scoreMagnitude": round(rng.random(), 3),
                "estimatedValue": round(rng.gauss(10, 80), 2), "tag": ""}
        return {k: v for k, v in insight.items() if v is not None}
