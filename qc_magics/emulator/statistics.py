"""A backtest's statistics as the service writes them: the summary, the runtime statistics,
`totalPerformance`, and the positional statistics of an optimization's child backtests.
"""
from __future__ import annotations

from typing import Any

from . import formats as f
from .synthetic import END, START, SYMBOLS, Synthetic
from .trades import closed_trade, trade_numbers

# The positional statistics of an optimization's child backtests, in Lean's order
# (Common/Api/OptimizationBacktestJsonConverter.cs, StatisticsIndices): the list form holds the
# first 21, the object form (Lean PR #8984) keys all 25 "0".."24" and adds custom statistics by name.
POSITIONAL = ("Alpha", "Annual Standard Deviation", "Annual Variance", "Average Loss",
              "Average Win", "Beta", "Compounding Annual Return", "Drawdown",
              "Estimated Strategy Capacity", "Expectancy", "Information Ratio", "Loss Rate",
              "Net Profit", "Probabilistic Sharpe Ratio", "Profit-Loss Ratio", "Sharpe Ratio",
              "Total Fees", "Total Orders", "Tracking Error", "Treynor Ratio", "Win Rate",
              "Sortino Ratio", "Start Equity", "End Equity", "Drawdown Recovery")
LIST_FORM_LENGTH = 21


def summary(s: Synthetic) -> dict[str, str]:
    """`statistics` of a finished backtest, in Lean's order and styles (StatisticsBuilder)."""
    x = s.numbers
    out = {
        "Total Orders": str(s.n_orders), "Average Win": f.percent(x["avg_win"], 2),
        "Average Loss": f.percent(x["avg_loss"], 2),
        "Compounding Annual Return": f.percent(x["car"]), "Drawdown": f.percent(x["drawdown"]),
        "Expectancy": f.trimmed(x["expectancy"], 3),
        "Start Equity": f.trimmed(x["start_equity"], 2),
        "End Equity": f.trimmed(x["end_equity"], 2), "Net Profit": f.percent(x["net_profit"]),
        "Sharpe Ratio": f.trimmed(x["sharpe"], 3), "Sortino Ratio": f.trimmed(x["sortino"], 3),
        "Probabilistic Sharpe Ratio": f.percent(x["psr"]),
        "Loss Rate": f.percent(x["loss_rate"], 0), "Win Rate": f.percent(x["win_rate"], 0),
        "Profit-Loss Ratio": f.trimmed(x["pl_ratio"], 2), "Alpha": f.trimmed(x["alpha"], 3),
        "Beta": f.trimmed(x["beta"], 3), "Annual Standard Deviation": f.trimmed(x["std"], 3),
        "Annual Variance": f.trimmed(x["var"], 3), "Information Ratio": f.trimmed(x["ir"], 3),
        "Tracking Error": f.trimmed(x["te"], 3), "Treynor Ratio": f.trimmed(x["treynor"], 3),
        "Total Fees": f.summary_money(x["fees"]),
        "Estimated Strategy Capacity": f.capacity(x["capacity"]),
        "Lowest Capacity Asset": SYMBOLS[0][1],
        "Portfolio Turnover": f.percent(x["turnover"], 2),
        "Drawdown Recovery": str(int(x["recovery_days"])),
    }
    out.update(s.custom)   # the algorithm's own summary statistics come after Lean's
    return out


def runtime(s: Synthetic, progress: float, ready: bool) -> dict[str, str]:
    """`runtimeStatistics` at `progress` (0..1) of the run, keys sorted as Lean's SortedDictionary.
    The Probabilistic Sharpe Ratio is "0%" until the statistics exist."""
    x = s.numbers
    k = max(0.0, min(1.0, progress))
    equity = x["start_equity"] + (x["end_equity"] - x["start_equity"]) * k
    out = {
        "Equity": f.runtime_money(equity), "Fees": f.runtime_fees(x["fees"] * k),
        "Holdings": f.runtime_money(x["holdings"] if ready else equity * 0.8),
        "Net Profit": f.runtime_money(equity - x["start_equity"]),
        "Probabilistic Sharpe Ratio": f.percent(x["psr"]) if ready else "0%",
        "Return": f.runtime_return(equity / x["start_equity"] - 1),
        "Unrealized": f.runtime_money(0.0), "Volume": f.runtime_money(x["volume"] * k),
    }
    return dict(sorted(out.items()))


def total_performance(s: Synthetic, max_trades: int = 5000) -> dict[str, Any]:
    """`totalPerformance`: counts are numbers, every decimal a string (as Lean writes them)."""
    x = s.numbers
    n_trades = min(int(x["trades"]), max_trades)
    trades = [trade_numbers(s, i) for i in range(n_trades)]
    wins = [t["profitLoss"] for t in trades if t["profitLoss"] > 0]
    losses = [t["profitLoss"] for t in trades if t["profitLoss"] <= 0]
    profit, loss = sum(wins), sum(losses)
    n = len(trades) or 1
    d = f.decimal_string
    trade_stats = {
        "startDateTime": f.iso(trades[0]["entry"]) if trades else f.iso(START),
        "endDateTime": f.iso(trades[-1]["entry"] + trades[-1]["hold"]) if trades else f.iso(END),
        "totalNumberOfTrades": len(trades), "numberOfWinningTrades": len(wins),
        "numberOfLosingTrades": len(losses), "totalProfitLoss": d(profit + loss),
        "totalProfit": d(profit), "totalLoss": d(loss),
        "largestProfit": d(max(wins, default=0.0)), "largestLoss": d(min(losses, default=0.0)),
        "averageProfitLoss": d((profit + loss) / n), "averageProfit": d(profit / (len(wins) or 1)),
        "averageLoss": d(loss / (len(losses) or 1)),
        "averageTradeDuration": f.timespan(5.5 * 86400),
        "averageWinningTradeDuration": f.timespan(6.25 * 86400),
        "averageLosingTradeDuration": f.timespan(4.1 * 86400),
        "medianTradeDuration": f.timespan(3 * 86400),
        "medianWinningTradeDuration": f.timespan(4 * 86400),
        "medianLosingTradeDuration": f.timespan(2 * 86400),
        "maxConsecutiveWinningTrades": 7, "maxConsecutiveLosingTrades": 4,
        "profitLossRatio": d(x["pl_ratio"]), "winLossRatio": d(len(wins) / (len(losses) or 1)),
        "winRate": d(len(wins) / n), "lossRate": d(len(losses) / n),
        "averageMAE": "-120.5", "averageMFE": "180.25", "largestMAE": "-2400",
        "largestMFE": "3100", "maximumClosedTradeDrawdown": d(-abs(loss) * 0.2),
        "maximumIntraTradeDrawdown": "-2600", "profitLossStandardDeviation": "850",
        "profitLossDownsideDeviation": "420",
        "profitFactor": d(profit / abs(loss) if loss else 0.0),
        "sharpeRatio": d(x["sharpe"] * 0.8), "sortinoRatio": d(x["sortino"] * 0.8),
        "profitToMaxDrawdownRatio": "1.7", "maximumEndTradeDrawdown": "-900",
        "averageEndTradeDrawdown": "-150", "maximumDrawdownDuration": f.timespan(86 * 86400),
        "totalFees": d(x["fees"]),
    }
    portfolio = {name: d(x[key]) for name, key in (
        ("averageWinRate", "avg_win"), ("averageLossRate", "avg_loss"),
        ("profitLossRatio", "pl_ratio"), ("winRate", "win_rate"), ("lossRate", "loss_rate"),
        ("expectancy", "expectancy"), ("startEquity", "start_equity"),
        ("endEquity", "end_equity"), ("compoundingAnnualReturn", "car"),
        ("drawdown", "drawdown"), ("totalNetProfit", "net_profit"), ("sharpeRatio", "sharpe"),
        ("probabilisticSharpeRatio", "psr"), ("sortinoRatio", "sortino"), ("alpha", "alpha"),
        ("beta", "beta"), ("annualStandardDeviation", "std"), ("annualVariance", "var"),
        ("informationRatio", "ir"), ("trackingError", "te"), ("treynorRatio", "treynor"),
        ("portfolioTurnover", "turnover"))}
    portfolio["drawdownRecovery"] = int(x["recovery_days"])
    return {"tradeStatistics": trade_stats, "portfolioStatistics": portfolio,
            "closedTrades": [closed_trade(t, i) for i, t in enumerate(trades)]}


def _number(text: str) -> float | None:
    """Lean's `Currencies.TryParse` of a statistic with its "%" removed: "$1390.49" -> 1390.49."""
    try:
        return float(text.replace("%", "").replace("$", "").replace(",", ""))
    except ValueError:
        return None


def positional(s: Synthetic, form: str = "object") -> dict[str, float] | list[float]:
    """An optimization child's statistics: every percentage a percent number, Probabilistic Sharpe
    Ratio included (77.188 means 77.188 %). `form` "object" keys them "0".."24" and adds the
    custom statistics by name (Lean PR #8984); "list" is the older 21-long list."""
    stats = summary(s)
    values = [_number(stats[name]) for name in POSITIONAL]
    if form == "list":
        return values[:LIST_FORM_LENGTH]
    if form != "object":
        raise ValueError(f"optimization statistics form {form!r}: use 'object' or 'list'")
    out: dict[str, float] = {str(i): v for i, v in enumerate(values) if v is not None}
    for name in s.custom:
        value = _number(stats[name])
        if value is not None:
            out[name] = value
    return out
