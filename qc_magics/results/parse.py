"""QuantConnect's display strings as numbers: "15.3%" -> 0.153, "$1,234.50" -> 1234.5.

The service sends statistics as text formatted for its web page. Percentages become fractions,
money becomes floats, .NET TimeSpans ("d.hh:mm:ss", "hh:mm:ss") become Timedeltas, and anything
else stays text. Older and newer statistic names are both made available.

The convention, kept by every frame in results/: **a percentage is stored as a fraction**
("15.31%" and an optimization's percent number 15.31 both become 0.1531), money as a plain float
in the account currency, counts as floats; the display (not the data) adds "%" and "$" back.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

import numpy as np

# Currency signs Lean writes before amounts (its Currencies.CurrencySymbols): one sign character,
# a short letter symbol ("Fr", "kr", "R$", "NT$"), or a currency code ("USDT", "ZRX").
_SIGNS = "$€£₤¥₹₺₽฿₿Ƀ₮Ξ₩₫₱₪₴₦₡₲₵₸Ł﷼"
_SYMBOL = rf"(?:[{_SIGNS}]|NT\$|R\$|US\$|Fr|kr|Kč|Ft|zł|Rp|R|[A-Z]{{3,5}}(?=[-+\d.]))"
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+"
# sign and currency symbol in either order ("-$5", "$-5"), or the amount in parentheses.
_NUMBER = re.compile(
    rf"^(?P<s1>[-+]?)(?P<cur>{_SYMBOL}?)\s?(?P<s2>[-+]?)(?P<num>{_DIGITS})(?P<exp>[eE][-+]?\d+)?$")
_PARENS = re.compile(r"^\((?P<inner>[^()]+)\)$")
# .NET TimeSpan "[-][d.]hh:mm:ss[.fffffff]"; optimization runtimes write "hh:mm:ss" with no day
# part, so the hours may pass 24.
_TIMESPAN = re.compile(r"^\s*(-)?(?:(\d+)\.)?(\d+):(\d{2}):(\d{2})(?:\.(\d{1,7}))?\s*$")

# Renamed statistics: both names answer, whichever the service sent.
ALIASES = {"Total Trades": "Total Orders", "Total Orders": "Total Trades"}


def _decimal(text: str) -> Decimal | None:
    """The exact decimal value of display text ("-$1,234.50", "(5.25)", "1e-3"), else None."""
    s = text.replace("\u00a0", " ").strip()
    negative = False
    m = _PARENS.match(s)
    if m:   # accounting style: (1,234.56) is negative
        s, negative = m.group("inner"), True
    m = _NUMBER.match(s)
    if not m or (m.group("s1") and m.group("s2")):
        return None
    negative ^= "-" in (m.group("s1") + m.group("s2"))
    try:
        value = Decimal(m.group("num").replace(",", "") + (m.group("exp") or ""))
    except InvalidOperation:
        return None
    return -value if negative else value


def parse_number(text: Any) -> float | None:
    """A float for numeric display text, else None. Percentages come back as fractions.

    Money in either sign order, with or without thousands separators; numbers already numbers.

    >>> parse_number("15.3%"), parse_number("-$1,234.50"), parse_number("$-1234.50")
    (0.153, -1234.5, -1234.5)
    """
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text) if math.isfinite(text) else None
    s = str(text).strip()
    percent = s.endswith("%")
    value = _decimal(s[:-1].rstrip() if percent else s)
    if value is None:
        return None
    # Divide exactly, then round once: "15.31%" is the float nearest 0.1531, not 15.31 / 100.
    number = float(value / 100 if percent else value)
    return number if math.isfinite(number) else None


def to_floats(values: Iterable[Any]) -> np.ndarray:
    """float64, one number per value, whatever its neighbours: numbers as they are (an integer
    past a float's range as an infinity), numbers Lean wrote as text ("2.7145", "$1.00", not
    "1e400") parsed, NaN for null and anything else (true, a list). Fast when all are numbers.

    >>> to_floats([1, None, "2.5", "$1.00", True, [1]])
    array([1. , nan, 2.5, 1. , nan, nan])

    Each value on its own: the frames convert a column a chunk of rows at a time, and a value
    must come out the same in any chunk (numpy would read "1e400" as inf or True as 1.0 in a
    column of numbers, while one "$1.00" in it sent the whole column to parse_number)."""
    values = list(values)
    if set(map(type, values)) <= _NUMBERS:
        try:
            return np.array([np.nan if v is None else v for v in values], dtype="float64")
        except OverflowError:   # an integer of 309 digits or more
            pass
    return np.array([_float(v) for v in values], dtype="float64")


_NUMBERS = {int, float, type(None)}


def _float(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    number = parse_number(value)   # text, Decimal, numpy integers; None for null, bool, junk
    return np.nan if number is None else number


def percent_to_fraction(value: Any) -> float:
    """A percent number (77.188, "77.188") as a fraction (0.77188), exactly rounded; NaN if none."""
    if isinstance(value, bool) or value is None:
        return math.nan
    try:
        number = float(Decimal(str(value)) / 100)
    except (InvalidOperation, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def parse_timespan(text: Any):
    """A pandas Timedelta for .NET TimeSpan text ("2.03:04:05", "00:05:00", "26:00:00"), else
    None."""
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


def as_mapping(raw: Any) -> dict:
    """The object the service sent, or {} for what it sends instead while there is none yet
    (`statistics: []` until a backtest's statistics exist, `runtimeStatistics: []`, null)."""
    return dict(raw) if isinstance(raw, dict) else {}


def split_statistics(raw: Any) -> tuple[dict[str, float], dict[str, Any]]:
    """(numbers, others): numeric values as floats; durations as Timedeltas, the rest as text.
    `raw` may be `[]` or null (no statistics yet): both are empty."""
    numbers: dict[str, float] = {}
    others: dict[str, Any] = {}
    for key, value in as_mapping(raw).items():
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


def statistics_values(raw: Any) -> dict[str, Any]:
    """The statistics as `--json` gives them: the service's labels in its order, numbers as
    floats in this package's units (percentages as fractions: "77.188%" -> 0.77188), anything
    else (durations, symbols) as the service wrote it. `[]` or null: {}."""
    out: dict[str, Any] = {}
    for key, value in as_mapping(raw).items():
        number = parse_number(value)
        out[key] = value if number is None else number
    return out


def list_percents(rows: list[dict], keys: Iterable[str]) -> dict[str, np.ndarray]:
    """The percent statistics of a list answer (`backtests/list`, `optimizations/list`) as
    fractions, keyed like `keys`, one float64 array each (NaN where none).

    The service does not say whether these numbers are fractions (0.45) or percent numbers
    (45.0), and may differ by list (`optimizations/list` gives the best backtest's PSR as Lean
    writes an optimization's statistics: 77.188 for 77.188 %). Text with a "%" ("77.188%") is
    read as the percentage it says. For plain numbers the answer as a whole decides: a win rate
    plus a loss rate of 100 rather than 1, or else a PSR (a probability) above 1, means percent
    numbers, and all of them are divided by 100.

    >>> list_percents([{"psr": 77.188}, {"psr": "12.5%"}], ["psr"])["psr"].tolist()
    [0.77188, 0.125]
    """
    keys = list(keys)
    values = {k: to_floats(r.get(k) for r in rows) for k in keys}
    texts = {k: np.array([isinstance(r.get(k), str) and r.get(k).strip().endswith("%")
                          for r in rows], dtype=bool) for k in keys}
    numbers = {k: np.where(texts[k], np.nan, values[k]) for k in keys}   # for the decision
    percent_numbers = False
    if "winRate" in numbers and "lossRate" in numbers:
        total = numbers["winRate"] + numbers["lossRate"]
        total = total[np.isfinite(total) & (total > 0)]
        if len(total):
            percent_numbers = bool(np.median(total) >= 10)
        elif "psr" in numbers:
            percent_numbers = bool((np.abs(numbers["psr"]) > 1).any())
    elif "psr" in numbers:
        percent_numbers = bool((np.abs(numbers["psr"]) > 1).any())
    if not percent_numbers:
        return values
    # Divide exactly, then round once, as parse_number does ("77.188" -> 0.77188, not 0.7718799).
    return {k: np.array([v if t or not math.isfinite(v) else percent_to_fraction(repr(float(v)))
                         for v, t in zip(values[k], texts[k])], dtype="float64")
            for k in keys}


def snake(name: str) -> str:
    """camelCase or PascalCase -> snake_case: "averageMAE" -> "average_mae"."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()
