"""How a statistic reads: its kind is decided by its name, once, for every display in results/.

Values stay float64 in the frames (see parse: percentages as fractions, money as plain floats);
only the display adds "%", "$" and separators back, the way QuantConnect users read them. The
same name in any spelling ("Net Profit", "net_profit", "netProfit") has the same kind.

>>> format_statistic("Net Profit", 0.1531), format_statistic("Total Fees", -1234.5)
('15.31%', '-$1,234.50')
>>> format_statistic("Sharpe Ratio", 0.52345), format_statistic("Total Orders", 12.0)
('0.523', '12')
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any, Callable, Literal

import numpy as np

Kind = Literal["percent", "money", "ratio", "count", "duration", "date", "number", "text"]

# Shown where there is no value (NaN, None, NaT): never "nan" or "NaT".
MISSING = "—"

# Kinds by normalised name (lower case, letters and digits only). A name not listed is a ratio:
# most of Lean's unnamed-unit statistics are (alpha, beta, information ratio, ...).
_PERCENT = {"averagewin", "averageloss", "compoundingannualreturn", "car", "drawdown",
            "netprofit", "probabilisticsharperatio", "psr", "lossrate", "winrate",
            "portfolioturnover", "return",
            # totalPerformance.portfolioStatistics (fractions there too)
            "totalnetprofit", "averagewinrate", "averagelossrate", "valueatrisk99",
            "valueatrisk95"}
_MONEY = {"totalfees", "fees", "estimatedstrategycapacity", "capacity", "startequity",
          "endequity", "equity", "holdings", "unrealized", "volume",
          # totalPerformance.tradeStatistics: amounts of money
          "totalprofitloss", "totalprofit", "totalloss", "largestprofit", "largestloss",
          "averageprofitloss", "averageprofit", "averagemae", "averagemfe", "largestmae",
          "largestmfe", "maximumclosedtradedrawdown", "maximumintratradedrawdown",
          "maximumendtradedrawdown", "averageendtradedrawdown", "profitlossstandarddeviation",
          "profitlossdownsidedeviation"}
_COUNT = {"totalorders", "totaltrades", "trades", "orders", "drawdownrecovery", "exitcode",
          "totalnumberoftrades", "numberofwinningtrades", "numberoflosingtrades",
          "maxconsecutivewinningtrades", "maxconsecutivelosingtrades"}
_RATIO = {"sharperatio", "sortinoratio", "alpha", "beta", "annualstandarddeviation",
          "annualvariance", "informationratio", "trackingerror", "treynorratio", "expectancy",
          "profitlossratio", "winlossratio", "profitfactor", "profittomaxdrawdownratio",
          "sharpe", "sortino"}
# One name, two kinds: the statistic "Average Loss" is a percentage, the trade statistic
# "averageLoss" an amount. Trade statistics are read with these kinds first.
TRADE_KINDS: dict[str, "Kind"] = {"averageLoss": "money"}

# Renamed statistics: Lean's "Total Trades" became "Total Orders". Displays show one of them.
RENAMED = {"Total Trades": "Total Orders"}

# Statistics where less is better (the best row has the lowest), by backtest statistics labels.
LOWER_IS_BETTER = {"Drawdown", "Annual Standard Deviation", "Annual Variance", "Total Fees",
                   "Loss Rate", "Tracking Error", "Drawdown Recovery"}

# Short labels for compact tables' headers (the full name stays in the frames).
SHORT_LABELS = {"Compounding Annual Return": "CAR", "Probabilistic Sharpe Ratio": "PSR",
                "Sharpe Ratio": "Sharpe", "Sortino Ratio": "Sortino"}


def _key(name: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def statistic_kind(name: Any, overrides: dict[str, Kind] | None = None) -> Kind:
    """The kind of a numeric statistic by its name, in any spelling (`overrides` by exact name
    first).

    >>> statistic_kind("Compounding Annual Return"), statistic_kind("total_fees")
    ('percent', 'money')
    """
    if overrides and name in overrides:
        return overrides[name]
    key = _key(name)
    if key in _PERCENT:
        return "percent"
    if key in _MONEY:
        return "money"
    if key in _COUNT:
        return "count"
    return "ratio"


def is_statistic(name: Any) -> bool:
    """Whether `name` is one of the statistics this module knows (in any spelling)."""
    return _key(name) in _PERCENT | _MONEY | _COUNT | _RATIO


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)          # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):          # pandas' NA refuses to be a bool
        return type(value).__name__ == "NAType"


def _fixed(value: float, decimals: int) -> str:
    """Fixed point with thousands separators; never scientific notation, never "-0.00"."""
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def format_duration(value: Any) -> str:
    """A readable duration: "03:04:05", "2 days 03:04:05" (whole seconds)."""
    seconds = int(round(value.total_seconds() if isinstance(value, timedelta) else value))
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    days, rest = divmod(seconds, 86_400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    if days:
        clock = f"{days} day{'s' if days != 1 else ''} {clock}"
    return sign + clock


def format_date(value: Any) -> str:
    """A UTC time to the second: "2026-08-01 12:00:00"."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def format_plain(value: Any) -> str:
    """A number as itself, without exponent: 19 -> "19", 0.00001 -> "0.00001" (parameters)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return np.format_float_positional(float(value), trim="-")
    return str(value)


def format_value(value: Any, kind: Kind, currency: str = "$") -> str:
    """One value as a user reads it, for a kind. Values of another type than the kind expects
    (text in a numeric statistic, a Timedelta) are shown as what they are.

    >>> format_value(-1234.5, "money"), format_value(0.1531, "percent")
    ('-$1,234.50', '15.31%')
    """
    if _missing(value):
        return MISSING
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime):
        return format_date(value)
    if isinstance(value, str) or kind == "text":
        return str(value)
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    number = float(value)
    if not math.isfinite(number):
        return MISSING
    if kind == "percent":
        return _fixed(number * 100, 2) + "%"
    if kind == "money":
        text = _fixed(abs(number), 2)
        return ("-" if number < 0 and text.strip("0.,") else "") + currency + text
    if kind == "count":
        return _fixed(number, 0)
    if kind == "duration":
        return format_duration(number)
    if kind == "number":
        return format_plain(value)
    return _fixed(number, 3)


def format_statistic(name: Any, value: Any, currency: str = "$") -> str:
    """A statistic's value, formatted by the kind its name has."""
    return format_value(value, statistic_kind(name), currency)


def formatter(name: Any, currency: str = "$") -> Callable[[Any], str]:
    """A one-argument formatter for a column or row named `name` (for Styler.format and
    DataFrame.to_string(formatters=...))."""
    kind = statistic_kind(name)
    return lambda value: format_value(value, kind, currency)


def one_name_per_statistic(names: list[str], sent: set[str]) -> list[str]:
    """`names` without the alias a result did not send: when both "Total Trades" and "Total
    Orders" are there, keep the one in `sent` (the newer name if both or neither were sent)."""
    drop = set()
    for old, new in RENAMED.items():
        if old in names and new in names:
            drop.add(new if old in sent and new not in sent else old)
    return [n for n in names if n not in drop]


_SYMBOL = re.compile(r"^[-+(\s]*([^\d\s.,()+-]+)")


def currency_of(raw: dict[str, Any]) -> str:
    """The account currency's sign as the service wrote money statistics ("$", "€"), "$" if none
    says."""
    for name in ("Total Fees", "Estimated Strategy Capacity", "Equity", "Fees"):
        m = _SYMBOL.match(str(raw.get(name, "")))
        if m:
            return m.group(1)
    return "$"


def backtest_status(status: Any, progress: Any = None) -> str:
    """A backtest's status as people read it. The spec's running status is the template
    "'Running: _%'" (quotes included), and what the real service sends is not known: the quotes
    go, and the placeholder becomes the progress when there is one ("Running (40%)").

    >>> backtest_status("'Running: _%'", 0.4), backtest_status("Completed.")
    ('Running (40%)', 'Completed.')
    """
    text = str(status or "").strip().strip("'").strip()
    if "_%" in text:
        head = text.split(":")[0].strip() or "Running"
        try:
            fraction = float(progress)
        except (TypeError, ValueError):
            fraction = math.nan
        return f"{head} ({fraction:.0%})" if math.isfinite(fraction) else head
    return text
