"""Numbers written the way Lean writes them, so clients meet the strings they will meet for real.

Each style names the Lean code that makes it (QuantConnect/Lean, Common/Statistics/
StatisticsBuilder.GetSummary, Engine/Results/BaseResultsHandler.GetAlgorithmRuntimeStatistics,
Common/Util/JsonRoundingConverter): the emulator copies the facts, not the code.
"""
from __future__ import annotations

import math
import time
from functools import lru_cache


def trimmed(x: float, decimals: int) -> str:
    """`Math.Round((double)x, n).ToStringInvariant()`: "-2.9", "0.31", "0" (no trailing zeros)."""
    text = f"{round(x, decimals):.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(x: float, decimals: int = 3) -> str:
    """A fraction as Lean's summary writes it: "0.600%", "-13.102%", and "0%" for zero."""
    value = round(x * 100, decimals)
    return "0%" if value == 0 else f"{value:.{decimals}f}%"


def summary_money(x: float) -> str:
    """Total Fees: `"$" + fees.ToStringInvariant("0.00")`: no thousands separators."""
    return f"${x:.2f}"


def capacity(x: float) -> str:
    """Estimated Strategy Capacity: two significant digits, no separators ("$1700000000.00")."""
    if x == 0:
        return "$0"
    digits = 2 - int(math.floor(math.log10(abs(x)))) - 1
    return f"${round(x, digits):.2f}"


def runtime_money(x: float) -> str:
    """Runtime statistics: `"$" + x.ToStringInvariant("N2")`, so a loss reads "$-1,234.56"."""
    return f"${x:,.2f}"


def runtime_fees(fees: float) -> str:
    """Runtime "Fees": `$"-{symbol}{fees:N2}"`: "-$1,234.56" (fees are positive)."""
    return f"-${abs(fees):,.2f}"


def runtime_return(x: float) -> str:
    """.NET's invariant "P" format: "12.34 %", "-3.10 %"."""
    return f"{x * 100:.2f} %"


def decimal_string(x: float, decimals: int = 10) -> str:
    """Lean serializes C# decimals as strings ("we serialize decimal as string"): "2.7145"."""
    return trimmed(x, decimals)


def timespan(seconds: float) -> str:
    """.NET TimeSpan style: "d.hh:mm:ss" or "hh:mm:ss"."""
    seconds = int(seconds)
    d, rem = divmod(seconds, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    return (f"{d}." if d else "") + f"{h:02d}:{m:02d}:{s:02d}"


def clock_time(seconds: float) -> str:
    """`TimeSpan.ToString(@"hh\\:mm\\:ss")` as the optimizer's runtime statistics use it: the
    hours component only (a day part is dropped, as .NET drops it)."""
    seconds = int(seconds)
    h, rem = divmod(seconds % 86400, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"


@lru_cache(maxsize=8192)
def _day(days: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(days * 86400))


def iso(t: float) -> str:
    """"2020-01-02T14:30:00Z". Arithmetic below the day: a window of orders writes hundreds."""
    days, rem = divmod(int(t), 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    return f"{_day(days)}T{h:02d}:{m:02d}:{s:02d}Z"
