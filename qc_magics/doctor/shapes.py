"""The shapes the client relies on, as small Python values: the official schemas' required fields
and types, widened by the variants the real service is documented to send (REAL-SERVICE.md).

A shape answers `problems(value)`: one line per difference, naming the field and the kinds
involved, never the value itself (so the lines can go into a report a user shares).

>>> PROJECT_LIST.problems({"projects": [{"projectId": "7"}], "success": True})[0]
'projects[0].projectId: expected integer, got string'
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable

# "2024-03-01 14:05:09" (what the service writes) and ISO 8601 (what Lean also reads since 2025-08).
_SERVICE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def kind(value: Any) -> str:
    """The JSON kind of a value, as messages name it: "[]" for an empty list."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]" if not value else "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def form(text: str) -> str:
    """The look of a string without its content: digits become 9, letters a (runs collapsed);
    a lone T or Z stays, so that ISO 8601 dates can be told from the service's own form.

    >>> form("2024-03-01 14:05:09"), form("2024-03-01T14:05:09Z"), form("$-1,234.56")
    ('9-9-9 9:9:9', '9-9-9T9:9:9Z', '$-9,9.9')
    """
    digits = re.sub(r"\d+", "9", text)
    return re.sub(r"[^\W\d_]+", lambda m: m.group() if m.group() in ("T", "Z") else "a",
                  digits)[:40]


class Shape:
    """What a value must look like. `name` is how messages say it ("object or []")."""

    name = "anything"

    def problems(self, value: Any, path: str = "") -> list[str]:
        return []

    def accepts(self, value: Any) -> bool:
        return not self.problems(value)

    def __or__(self, other: "Shape") -> "Shape":
        return OneOf(self, other)


def _at(path: str, message: str) -> str:
    return f"{path}: {message}" if path else message


class Kind(Shape):
    """A JSON scalar kind: string, integer, number (integers too), boolean, null."""

    def __init__(self, name: str, test: Callable[[Any], bool]):
        self.name, self.test = name, test

    def problems(self, value: Any, path: str = "") -> list[str]:
        return [] if self.test(value) else [_at(path, f"expected {self.name}, got {kind(value)}")]


STR = Kind("string", lambda v: isinstance(v, str))
INT = Kind("integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
NUM = Kind("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
BOOL = Kind("boolean", lambda v: isinstance(v, bool))
NULL = Kind("null", lambda v: v is None)
EMPTY_LIST = Kind("[]", lambda v: v == [] and isinstance(v, list))
ANY_OBJECT = Kind("object", lambda v: isinstance(v, dict))


def _numeric_text(v: Any) -> bool:
    try:
        float(v)
        return isinstance(v, str)
    except ValueError:
        return False


NUMERIC_STR = Kind("numeric string", _numeric_text)


class Date(Shape):
    """A timestamp as "yyyy-MM-dd HH:mm:ss" or ISO 8601; both are read as UTC."""

    name = "date"

    def problems(self, value: Any, path: str = "") -> list[str]:
        if not isinstance(value, str):
            return [_at(path, f"expected a date string, got {kind(value)}")]
        if _SERVICE_DATE.match(value) or _ISO_DATE.match(value):
            return []
        return [_at(path, "expected a date as 'yyyy-MM-dd HH:mm:ss' or ISO 8601, "
                          f"got a string like '{form(value)}'")]


DATE = Date()


class Enum(Shape):
    def __init__(self, values: tuple):
        self.values = values
        self.name = " or ".join(repr(v) for v in values)

    def problems(self, value: Any, path: str = "") -> list[str]:
        if value in self.values and type(value) is type(self.values[0]):
            return []
        got = f"a string like '{form(value)}'" if isinstance(value, str) else kind(value)
        return [_at(path, f"expected {self.name}, got {got}")]


class OneOf(Shape):
    """Any of several shapes (the real service's variants)."""

    def __init__(self, *options: Shape, name: str | None = None):
        self.options = options
        self.name = name or " or ".join(o.name for o in options)

    def problems(self, value: Any, path: str = "") -> list[str]:
        found = [o.problems(value, path) for o in self.options]
        if any(not p for p in found):
            return []
        # When only one option is of the value's kind, its own finding says more than "expected".
        # Among several objects, the one whose required fields are there is the one meant.
        same_kind = [(_fit(o, value), p) for o, p in zip(self.options, found)
                     if _same_kind(o, value)]
        best = max((f for f, _ in same_kind), default=None)
        chosen = [p for f, p in same_kind if f == best]
        if len(chosen) == 1:
            return chosen[0]
        return [_at(path, f"expected {self.name}, got {kind(value)}")]


def _fit(shape: Shape, value: Any) -> int:
    return sum(k in value for k in shape.required) if isinstance(shape, Obj) else 0


def _same_kind(shape: Shape, value: Any) -> bool:
    if isinstance(shape, Obj) or isinstance(shape, MapOf):
        return isinstance(value, dict)
    if isinstance(shape, (ListOf, Row)):
        return isinstance(value, list) and bool(value)
    return False


class Obj(Shape):
    """An object with named fields: `required` must be there, `optional` may be; others pass.
    `one_of_fields`: groups of which at least one field must be there (old and new names)."""

    name = "object"

    def __init__(self, required: dict | None = None, optional: dict | None = None,
                 one_of_fields: tuple = ()):
        self.required, self.optional = dict(required or {}), dict(optional or {})
        self.one_of_fields = one_of_fields

    def problems(self, value: Any, path: str = "") -> list[str]:
        if not isinstance(value, dict):
            return [_at(path, f"expected object, got {kind(value)}")]
        out = []
        for key, shape in self.required.items():
            if key not in value:
                out.append(_at(_join(path, key), "missing"))
            else:
                out += shape.problems(value[key], _join(path, key))
        for key, shape in self.optional.items():
            if key in value:
                out += shape.problems(value[key], _join(path, key))
        for group in self.one_of_fields:
            if not any(k in value for k in group):
                out.append(_at(path, f"missing all of {', '.join(group)}"))
        return out

    def fields(self) -> dict:
        return {**self.required, **self.optional}


class MapOf(Shape):
    """An object whose keys are data (chart names, statistic names, ids). Keys outside `known`
    appear in paths as "*", so that user-chosen names never reach a message."""

    name = "object"

    def __init__(self, values: Shape, known: Iterable[str] = ()):
        self.values, self.known = values, frozenset(known)

    def problems(self, value: Any, path: str = "") -> list[str]:
        if not isinstance(value, dict):
            return [_at(path, f"expected {self.name}, got {kind(value)}")]
        out: list[str] = []
        for key, item in value.items():
            for p in self.values.problems(item, _join(path, self.label(key))):
                if p not in out:
                    out.append(p)
        return out

    def label(self, key: str) -> str:
        return str(key) if key in self.known else "*"


class ListOf(Shape):
    name = "list"

    def __init__(self, items: Shape):
        self.items = items

    def problems(self, value: Any, path: str = "") -> list[str]:
        if not isinstance(value, list):
            return [_at(path, f"expected {self.name}, got {kind(value)}")]
        out: list[str] = []
        for i, item in enumerate(value):
            for p in self.items.problems(item, f"{path}[{i}]"):
                # The same difference in every item is one line, named by its first item.
                general = re.sub(r"\[\d+\]", "[*]", p)
                if general not in {re.sub(r"\[\d+\]", "[*]", q) for q in out}:
                    out.append(p)
        return out


class Row(Shape):
    """A chart point as a row of numbers: [t, v] pairs or [t, o, h, l, c] candles."""

    def __init__(self, lengths: tuple = (2, 5)):
        self.lengths = lengths
        self.name = " or ".join({2: "[t, v]", 5: "[t, o, h, l, c]"}.get(n, f"{n} numbers")
                                for n in lengths)

    def problems(self, value: Any, path: str = "") -> list[str]:
        if (isinstance(value, list) and len(value) in self.lengths and NUM.accepts(value[0])
                and all(v is None or NUM.accepts(v) for v in value[1:])):
            return []
        got = f"a list of {len(value)}" if isinstance(value, list) else kind(value)
        return [_at(path, f"expected {self.name}, got {got}")]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def envelope(**fields: Shape) -> Obj:
    """An answer: its fields plus `success` (and `errors`, a list, when present)."""
    return Obj(required={"success": BOOL, **fields}, optional={"errors": ListOf(STR)})


# --- the pieces ----------------------------------------------------------------------------------
STANDARD_CHARTS = ("Strategy Equity", "Drawdown", "Benchmark", "Exposure", "Assets Sales Volume",
                   "Portfolio Turnover", "Portfolio Margin", "Capacity")
STANDARD_SERIES = ("Equity", "Return", "Equity Drawdown", "Benchmark", "Strategy Capacity",
                   "Portfolio Turnover", "Equity - Long", "Equity - Short")
STATISTICS = frozenset({
    "Total Orders", "Total Trades", "Average Win", "Average Loss", "Compounding Annual Return",
    "Drawdown", "Expectancy", "Start Equity", "End Equity", "Net Profit", "Sharpe Ratio",
    "Sortino Ratio", "Probabilistic Sharpe Ratio", "Loss Rate", "Win Rate", "Profit-Loss Ratio",
    "Alpha", "Beta", "Annual Standard Deviation", "Annual Variance", "Information Ratio",
    "Tracking Error", "Treynor Ratio", "Total Fees", "Estimated Strategy Capacity",
    "Lowest Capacity Asset", "Portfolio Turnover", "Drawdown Recovery",
    # runtime statistics
    "Equity", "Fees", "Holdings", "Return", "Unrealized", "Volume",
    # optimization runtime statistics
    "Completed", "Failed", "Running", "In Queue", "Average Length", "Total Runtime", "Total",
    "Consumed"})
POSITIONS = frozenset(str(i) for i in range(25))

# parameterSet: values as sent (numbers stay numbers), or [] when there are none.
PARAMETER_SET = OneOf(MapOf(STR | NUM), EMPTY_LIST, name="object or []")
# Backtest statistics: text formatted for the web page; [] until they exist (null: tolerated,
# as lean-cli does).
STATISTICS_MAP = OneOf(MapOf(STR | NUM, STATISTICS), EMPTY_LIST, NULL, name="object or []")
# Optimization child statistics: positional numbers, as a list or keyed "0".."24" (+ custom names).
POSITIONAL = OneOf(ListOf(NUM | NULL | NUMERIC_STR),
                   MapOf(NUM | NULL | NUMERIC_STR, POSITIONS),
                   name='list or object keyed "0".."24"')
POINT = OneOf(Row((2, 5)), Obj(required={"x": NUM | STR}, optional={"y": NUM | NULL}),
              name="[t, v], [t, o, h, l, c] or {x, y}")

# The spec also requires organizationId and ownerId; nothing here reads them, so only their
# types are checked. Old projects may be F#, VB or Java (lean-cli's QCLanguage names them).
PROJECT = Obj(required={"projectId": INT, "name": STR, "modified": DATE, "created": DATE,
                        "language": Enum(("Py", "C#", "F#", "VB", "Ja"))},
              optional={"organizationId": STR, "ownerId": INT})
FILE = Obj(required={"name": STR, "content": STR},
           optional={"modified": DATE, "id": INT, "projectId": INT, "isLibrary": BOOL,
                     "open": BOOL})
BACKTEST_SUMMARY = Obj(
    required={"backtestId": STR, "status": STR, "name": STR, "created": DATE},
    optional={"progress": NUM, "parameterSet": PARAMETER_SET, "tags": ListOf(STR),
              **{k: NUM | NULL for k in ("sharpeRatio", "alpha", "beta", "compoundingAnnualReturn",
                                         "drawdown", "lossRate", "netProfit", "psr",
                                         "sortinoRatio", "treynorRatio", "winRate")},
              "trades": INT | NULL})
PERFORMANCE_VALUES = MapOf(STR | NUM | NULL)
TRADE = Obj(optional={"symbols": ListOf(ANY_OBJECT | STR), "symbol": ANY_OBJECT | STR,
                      "entryTime": DATE, "exitTime": DATE, "entryPrice": NUM | STR,
                      "exitPrice": NUM | STR, "quantity": NUM | STR, "profitLoss": NUM | STR,
                      "totalFees": NUM | STR, "isWin": BOOL, "orderIds": ListOf(INT)},
            one_of_fields=(("symbols", "symbol"),))
PERFORMANCE = Obj(optional={
    "tradeStatistics": PERFORMANCE_VALUES, "portfolioStatistics": PERFORMANCE_VALUES,
    "TradeStatistics": PERFORMANCE_VALUES, "PortfolioStatistics": PERFORMANCE_VALUES,
    "closedTrades": ListOf(TRADE), "ClosedTrades": ListOf(TRADE)})
# lean-cli's QCBacktest requires the first group, and lets statistics and runtimeStatistics be
# missing or null; the client reads them with `.get(...) or {}`.
BACKTEST = Obj(
    required={"backtestId": STR, "projectId": INT, "name": STR, "status": STR,
              "completed": BOOL, "created": DATE, "progress": NUM},
    optional={"statistics": STATISTICS_MAP, "runtimeStatistics": STATISTICS_MAP,
              "charts": OneOf(MapOf(ANY_OBJECT, STANDARD_CHARTS), EMPTY_LIST,
                              name="object or []"),
              "error": STR | NULL, "stacktrace": STR | NULL,
              "hasInitializeError": BOOL, "backtestStart": DATE, "backtestEnd": DATE,
              "parameterSet": PARAMETER_SET, "totalPerformance": PERFORMANCE | NULL,
              "note": STR | NULL})
SERIES = Obj(required={"values": ListOf(POINT)},
             optional={"name": STR, "unit": STR, "index": INT, "seriesType": INT,
                       "color": STR | NULL, "scatterMarkerSymbol": STR | NULL})
CHART = Obj(required={"name": STR, "series": MapOf(SERIES, STANDARD_SERIES)},
            optional={"chartType": INT})
# An event's order is its id's middle part ("<algorithmId>-<orderId>-<eventId>").
EVENT = Obj(required={"id": STR, "status": STR, "time": NUM},
            optional={"orderId": INT, "fillPrice": NUM, "fillQuantity": NUM, "orderFeeAmount": NUM,
                      "orderFeeCurrency": STR | NULL, "message": STR | NULL,
                      "isInTheMoney": BOOL, "direction": STR, "quantity": NUM})
ORDER = Obj(required={"id": INT, "symbol": Obj(required={"value": STR}, optional={"id": STR}),
                      "time": DATE, "quantity": NUM, "type": INT, "status": INT},
            optional={"price": NUM, "direction": INT, "value": NUM, "securityType": INT,
                      "tag": STR | NULL, "events": ListOf(EVENT), "limitPrice": NUM,
                      "stopPrice": NUM, "lastFillTime": DATE})
INSIGHT = Obj(required={"id": STR},
              optional={"generatedTime": NUM, "closeTime": NUM, "symbol": STR, "ticker": STR,
                        "type": STR, "direction": STR, "period": NUM | NULL,
                        "magnitude": NUM | NULL, "confidence": NUM | NULL, "weight": NUM | NULL,
                        "sourceModel": STR | NULL, "tag": STR | NULL})
OPTIMIZATION_SUMMARY = Obj(
    required={"optimizationId": STR, "name": STR, "status": STR},
    optional={"projectId": INT, "created": DATE, "nodeType": STR, "criterion": ANY_OBJECT,
              "parameters": ListOf(ANY_OBJECT)})
CHILD_BACKTEST = Obj(required={"id": STR},
                     optional={"statistics": POSITIONAL, "name": STR, "progress": NUM,
                               "exitCode": INT,
                               "parameterSet": PARAMETER_SET,
                               "equity": ListOf(Row((2, 5)))})
# backtests and runtimeStatistics may be missing, or [] when empty (lean-cli's QCOptimization).
OPTIMIZATION = Obj(
    required={"optimizationId": STR, "projectId": INT, "name": STR, "status": STR},
    optional={"backtests": OneOf(MapOf(CHILD_BACKTEST), EMPTY_LIST, name="object or []"),
              "runtimeStatistics": OneOf(MapOf(STR, STATISTICS), EMPTY_LIST,
                                         name="object or []"),
              "nodeType": STR, "parallelNodes": INT, "constraints": ListOf(ANY_OBJECT),
              "parameters": ListOf(ANY_OBJECT), "criterion": ANY_OBJECT, "requested": DATE,
              "created": DATE})

# --- the answers, by endpoint --------------------------------------------------------------------
AUTHENTICATE = envelope()
ACCOUNT = envelope(organizationId=STR, creditBalance=NUM | NUMERIC_STR)
PROJECT_LIST = envelope(projects=ListOf(PROJECT))
FILES = envelope(files=ListOf(FILE))
BACKTEST_LIST = envelope(backtests=ListOf(BACKTEST_SUMMARY))
BACKTEST_READ = envelope(backtest=BACKTEST)
CHART_READ = OneOf(envelope(chart=CHART), envelope(status=Enum(("loading",))),
                   name="a chart or a loading answer")
ORDERS = Obj(required={"orders": ListOf(ORDER), "length": INT},
             optional={"success": BOOL, "errors": ListOf(STR)})
INSIGHTS = Obj(required={"insights": ListOf(INSIGHT), "length": INT},
               optional={"success": BOOL, "errors": ListOf(STR)})
REPORT = OneOf(envelope(report=STR), envelope(generating=BOOL),
               name="a report or a generating answer")
OPTIMIZATION_LIST = envelope(optimizations=ListOf(OPTIMIZATION_SUMMARY))
OPTIMIZATION_READ = envelope(optimization=OPTIMIZATION)

# The endpoints the probe may call: reads only (the probe refuses any other).
READS = frozenset({"/authenticate", "/account/read", "/projects/read", "/files/read",
                   "/backtests/list", "/backtests/read", "/backtests/chart/read",
                   "/backtests/orders/read", "/backtests/read/insights",
                   "/backtests/read/report", "/optimizations/list", "/optimizations/read"})

