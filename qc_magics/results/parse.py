"""QuantConnect's display strings as numbers: "15.3%" -> 0.153, "$1,234.50" -> 1234.5.

The service sends statistics as text formatted for its web page. Percentages become fractions,
money becomes floats, .NET TimeSpans ("d.hh:mm:ss") become Timedeltas, and anything else stays
text. Older and newer statistic names are both made available.
"""
from __future__ import annotations

import math
import re
from typing import Any

_NUMBER = re.compile(r"^[-+]?[$€£¥]?[-+]?(\d{1,3}(,\d{3})+|\d*)(\.\d+)?([eE][-+]?\d+)?$")
_TIMESPAN = re.compile(r"^\s*(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?\s*$")

# Renamed statistics: both names answer, whichever the service sent.
ALIASES = {"Total Trades": "Total Orders", "Total Orders": "Total Trades"}


def parse_number(text: Any) -> float | None:
    """A float for numeric display text, else None. Percentages come back as fractions.

    >>> parse_number("15.3%"), parse_number("-$1,234.50"), parse_number("0.00 %")
    (0.153, -1234.5, 0.0)
    """
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text) if math.isfinite(text) else None
    s = str(text).strip().replace(" ", "")
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    if not s or not _NUMBER.match(s) or not any(ch.isdigit() for ch in s):
        return None
    prefix = re.match(r"^[-+$€£¥]*", s).group(0)   # "-$", "$-", "+", ...
    value = float(s[len(prefix):].replace(",", "")) * (-1 if "-" in prefix else 1)
    if percent:
        value /= 100.0
    return value if math.isfinite(value) else None


def parse_timespan(text: Any):
    """A pandas Timedelta for .NET TimeSpan text ("2.03:04:05", "00:05:00"), else None."""
    if not isinstance(text, str):
        return None
    m = _TIMESPAN.match(text)
    if not m:
        return None
    import pandas as pd

    neg, days, h, mi, s, frac = m.groups()
    delta = pd.Timedelta(days=int(days or 0), hours=int(h), minutes=int(mi), seconds=int(s),
                         microseconds=int((frac or "0").ljust(7, "0")[:6]))
    return -delta if neg else delta


def split_statistics(raw: dict[str, Any] | None) -> tuple[dict[str, float], dict[str, Any]]:
    """(numbers, others): numeric values as floats; durations as Timedeltas, the rest as text."""
    numbers: dict[str, float] = {}
    others: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        number = parse_number(value)
        if number is not None:
            numbers[key] = number
            continue
        span = parse_timespan(value)
        others[key] = span if span is not None else value
    for old, new in ALIASES.items():
        if old in numbers and new not in numbers:
            numbers[new] = numbers[old]
    return numbers, others


def snake(name: str) -> str:
    """camelCase or PascalCase -> snake_case: "averageMAE" -> "average_mae"."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()
