"""QuantConnect JSON -> typed DataFrames: orders, order events, insights, trades (charts: in
charts.py, and importable from here as before).

Times become UTC datetimes (through times.py, the one date parser), durations Timedeltas, enums
named categories; numbers stay float64 (NaN where the service sent null or left a field out, as
Lean does for a fee that is not there), never object columns of numbers. Keys are read in the
current camelCase and in the PascalCase or kebab-case of older results.
"""
from __future__ import annotations

from functools import lru_cache
from itertools import chain, repeat
from operator import attrgetter
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from .charts import (UTC_EMPTY, _point_arrays, chart_frame,  # noqa: F401 (frames.* as before)
                     series_frame)
from .parse import parse_number, parse_timespan, to_floats as _floats
from .times import to_utc

ORDER_TYPES = {0: "Market", 1: "Limit", 2: "StopMarket", 3: "StopLimit", 4: "MarketOnOpen",
               5: "MarketOnClose", 6: "OptionExercise", 7: "LimitIfTouched", 8: "ComboMarket",
               9: "ComboLimit", 10: "ComboLegLimit", 11: "TrailingStop"}
ORDER_STATUSES = {0: "New", 1: "Submitted", 2: "PartiallyFilled", 3: "Filled", 5: "Canceled",
                  6: "None", 7: "Invalid", 8: "CancelPending", 9: "UpdateSubmitted"}
SECURITY_TYPES = {0: "Base", 1: "Equity", 2: "Option", 3: "Commodity", 4: "Forex", 5: "Future",
                  6: "Cfd", 7: "Crypto"}
DIRECTIONS = {0: "Buy", 1: "Sell", 2: "Hold"}
TRADE_DIRECTIONS = {0: "Long", 1: "Short"}


def _category(codes: Iterable[Any], names: dict[int, str]) -> pd.Categorical:
    """Enum codes as named categories. Lean writes enums as numbers, some answers as names in
    any case ("long", "Long"): both become the same category."""
    by_name = {v.lower(): v for v in names.values()}

    def label(c: Any) -> Any:
        if c is None:
            return None
        if isinstance(c, str):
            return by_name.get(c.lower(), names.get(int(c), c) if c.isdigit() else c)
        return names.get(c, str(c))

    codes = codes if isinstance(codes, list) else list(codes)
    try:
        # A column holds a handful of distinct codes: label each once, not once per row.
        labels_of = {c: label(c) for c in set(codes)}
    except TypeError:   # something unhashable: label row by row
        labels = [label(c) for c in codes]
        extra = sorted({v for v in labels if v is not None} - set(names.values()))
        return pd.Categorical(labels, categories=list(names.values()) + extra)
    extra = sorted({v for v in labels_of.values() if v is not None} - set(names.values()))
    categories = list(names.values()) + extra
    position = {name: i for i, name in enumerate(categories)}
    code_of = {c: -1 if v is None else position[v] for c, v in labels_of.items()}
    return pd.Categorical.from_codes(
        np.fromiter(map(code_of.__getitem__, codes), dtype="int64", count=len(codes)),
        categories=categories)


def _times(values: Iterable[Any]) -> pd.DatetimeIndex:
    """ISO strings, "yyyy-MM-dd HH:mm:ss" or unix seconds (null allowed) -> UTC datetimes."""
    return to_utc(values)


def _get(item: dict, *keys: str) -> Any:
    """The first of several spellings present: camelCase, older PascalCase or kebab-case."""
    for key in keys:
        value = item.get(key)
        if value is not None:
            return value
    return None


@lru_cache(maxsize=None)
def _spellings(key: str) -> tuple[str, ...]:
    """ "orderFeeAmount" -> ("orderFeeAmount", "OrderFeeAmount", "order-fee-amount")."""
    kebab = "".join("-" + c.lower() if c.isupper() else c for c in key)
    return key, key[:1].upper() + key[1:], kebab


# --- orders --------------------------------------------------------------------------------------

def _symbol(value: Any, part: str = "value") -> Any:
    """A Lean Symbol as JSON ({value, id, permtick}, PascalCase in old results) or as text."""
    if isinstance(value, dict):
        return _get(value, part, part[:1].upper() + part[1:], part.upper())
    return value if part == "value" else None


def _symbols(values: list, part: str = "value") -> list:
    """_symbol over a column; when every value is an object with `part`, the loop runs in C."""
    if values and set(map(type, values)) == {dict}:
        out = list(map(dict.get, values, repeat(part)))
        if None not in out:
            return out
    return [_symbol(v, part) for v in values]


def _column(items: list[dict], key: str) -> list:
    """[item.get(key) for item in items], the loop in C."""
    return list(map(dict.get, items, repeat(key)))


# The fields of an order the frame reads, by their camelCase names, and the numbers of its
# events it adds up (read in every spelling, see _sums).
ORDER_FIELDS = ("id", "time", "symbol", "securityType", "type", "status", "direction", "quantity",
                "price", "value", "limitPrice", "stopPrice", "triggerPrice", "tag",
                "lastFillTime", "canceledTime")
EVENT_SUMS = ("fillQuantity", "orderFeeAmount")


# Columns whose values convert one by one (times, numbers, symbols): converted a chunk of rows
# at a time while pages still arrive, so that little is left to do when the last one comes.
# Enums (their categories depend on every value), ids and tags are made whole at the end.
TIME_FIELDS = ("time", "lastFillTime", "canceledTime")
NUMBER_FIELDS = ("quantity", "price", "value", "limitPrice", "stopPrice", "triggerPrice")


class OrderColumns:
    """The orders frame gathered a page at a time, as the pages are read: each page's fields are
    picked out while its dicts are fresh in memory, which costs half of picking them out of
    100,000 orders afterwards, and happens while other pages are still on the network. Every
    CHUNK rows, the times, numbers and symbols gathered are converted to their column types
    (0.25 s of the 0.35 s the frame took after a 100,000-order read, done during it instead).

    A page is a list of dicts as parsed from JSON, or of rows (order_rows.py) holding the same
    fields as attributes, named as the JSON names them ("-" written "_").

    >>> columns = OrderColumns()
    >>> for page in pages:
    ...     columns.add(page)
    >>> columns.frame()       # the same frame as orders_frame(all the orders)
    """

    CHUNK = 2048   # ~5 ms of converting: short against the 40 ms an answer is on its way

    def __init__(self) -> None:
        self.fields: dict[str, list] = {key: [] for key in ORDER_FIELDS}   # not converted yet
        self.filled: list[np.ndarray] = []   # per page: each order's filled quantity
        self.fees: list[np.ndarray] = []
        self._converted: dict[str, list[np.ndarray]] = {
            key: [] for key in TIME_FIELDS + NUMBER_FIELDS}
        self._symbols: list[Any] = []
        self._symbol_ids: list[Any] = []

    def add(self, orders: list) -> None:
        if _are_rows(orders):
            pick, events = _attribute, [o.events or [] for o in orders]
            flat = list(chain.from_iterable(events))
        else:
            if not all(type(o) is dict for o in orders):   # mappings of another kind: dicts
                orders = [dict(o) for o in orders]
            pick, events = _column, [o.get("events") or [] for o in orders]
            flat = [e if type(e) is dict else dict(e) for e in chain.from_iterable(events)]
        for key, column in self.fields.items():
            column.extend(pick(orders, key))
        owner = np.repeat(np.arange(len(events)), list(map(len, events)))
        self.filled.append(_sums(flat, owner, len(events), "fillQuantity", pick))
        # Events of an order without a fee (e.g. "submitted") carry no fee fields at all.
        self.fees.append(_sums(flat, owner, len(events), "orderFeeAmount", pick))
        if len(self.fields["time"]) >= self.CHUNK:
            self._convert()

    def _convert(self) -> None:
        """Convert the rows gathered since the last time, of the columns that convert value by
        value, and let their raw values go."""
        col = self.fields
        for key in TIME_FIELDS:
            self._converted[key].append(_times(col[key]).asi8)   # ns since 1970, UTC
        for key in NUMBER_FIELDS:
            self._converted[key].append(_floats(col[key]))
        self._symbols.extend(_symbols(col["symbol"]))
        self._symbol_ids.extend(_symbols(col["symbol"], "id"))
        for key in TIME_FIELDS + NUMBER_FIELDS + ("symbol",):
            col[key] = []

    def frame(self) -> pd.DataFrame:
        self._convert()
        col, done = self.fields, self._converted

        def times(key: str) -> pd.DatetimeIndex:
            return pd.DatetimeIndex(np.concatenate(done[key]).view("datetime64[ns]")
                                    ).tz_localize("UTC")
        return pd.DataFrame({
            "time": times("time"),
            "symbol": pd.array(self._symbols, dtype="string"),
            "symbol_id": pd.array(self._symbol_ids, dtype="string"),
            "security_type": _category(col["securityType"], SECURITY_TYPES),
            "type": _category(col["type"], ORDER_TYPES),
            "status": _category(col["status"], ORDER_STATUSES),
            "direction": _category(col["direction"], DIRECTIONS),
            "quantity": np.concatenate(done["quantity"]),
            "price": np.concatenate(done["price"]),
            "value": np.concatenate(done["value"]),
            "filled_quantity": _joined(self.filled),
            "fees": _joined(self.fees),
            "limit_price": np.concatenate(done["limitPrice"]),
            "stop_price": np.concatenate(done["stopPrice"]),
            "trigger_price": np.concatenate(done["triggerPrice"]),
            "tag": pd.array(col["tag"], dtype="string"),
            "last_fill_time": times("lastFillTime"),
            "canceled_time": times("canceledTime"),
        }, index=pd.Index(np.array(col["id"], dtype="int64"), name="id"))


def orders_frame(orders: list[dict]) -> pd.DataFrame:
    """Every order, by id: enums as named categories, times in UTC, numbers float64."""
    columns = OrderColumns()
    columns.add(orders)
    return columns.frame()


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype="float64")


def _are_rows(items: list) -> bool:
    """Whether a page holds rows of order_rows.py (fields as attributes), not dicts."""
    kind = type(items[0]) if items else dict
    return kind is not dict and hasattr(kind, "__struct_fields__") \
        and all(type(item) is kind for item in items)


def _attribute(items: list, key: str) -> list:
    """[item.key for item in items] for rows, a JSON name's "-" written "_", the loop in C."""
    return list(map(attrgetter(key.replace("-", "_")), items))


def _sums(flat: list, owner: np.ndarray, orders: int, key: str,
          pick: Callable[[list, str], list] = _column) -> np.ndarray:
    """Per order, the sum of a number over its events (missing or null counts as 0); `flat` is
    every event, `owner` the position of each one's order, `pick(flat, name)` a field's values."""
    values = pick(flat, key)
    for other in _spellings(key)[1:]:   # older spellings, where today's is missing
        if None not in values:
            break
        more = pick(flat, other)
        if more.count(None) < len(more):
            values = [m if v is None else v for v, m in zip(values, more)]
    kinds = set(map(type, values))
    if kinds <= {int, float}:
        numbers = np.array(values, dtype="float64")
    elif kinds <= {int, float, _NONE}:
        numbers = np.array([0.0 if v is None else v for v in values], dtype="float64")
    else:
        numbers = np.array([0.0 if v is None else v if isinstance(v, (int, float))
                            else parse_number(v) or 0.0 for v in values], dtype="float64")
    # bincount adds each order's events in their order, as a running sum would.
    return np.bincount(owner, weights=numbers, minlength=orders).astype("float64")


_NONE = type(None)


# Events name their status and direction in camelCase ("partiallyFilled"); codes also read.
EVENT_STATUSES = {code: name[:1].lower() + name[1:] for code, name in ORDER_STATUSES.items()}
EVENT_DIRECTIONS = {code: name.lower() for code, name in DIRECTIONS.items()}


def _event_ids(event: dict) -> tuple[Any, Any]:
    """(order id, event id): from their own fields, else from the event's id
    "<algorithmId>-<orderId>-<eventId>" (the algorithm id may itself hold dashes)."""
    order_id = _get(event, *_spellings("orderId"))
    event_id = _get(event, *_spellings("orderEventId"))
    ident = event.get("id")
    if (order_id is None or event_id is None) and isinstance(ident, str):
        parts = ident.rsplit("-", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            order_id = int(parts[1]) if order_id is None else order_id
            event_id = int(parts[2]) if event_id is None else event_id
    return order_id, event_id


def order_events_frame(orders: list[dict]) -> pd.DataFrame:
    """Every order event (submissions, fills, cancels): fill prices, fees (NaN where the service
    left the fee out because there was none), messages (<NA> for null), flags as booleans."""
    rows = [e for o in orders for e in (o.get("events") or [])]

    def col(key: str) -> list:
        values = [e.get(key) for e in rows]          # today's spelling: one lookup each
        others = _spellings(key)[1:]
        return [v if v is not None else _get(e, *others) for v, e in zip(values, rows)]

    ids = [_event_ids(e) for e in rows]
    return pd.DataFrame({
        "id": pd.array([e.get("id") for e in rows], dtype="string"),
        "order_id": pd.array([i[0] for i in ids], dtype="Int64"),
        "event_id": pd.array([i[1] for i in ids], dtype="Int64"),
        "time": _times(col("time")),
        "status": _category(col("status"), EVENT_STATUSES),
        "symbol": pd.array(col("symbolValue"), dtype="string"),
        "symbol_id": pd.array([_symbol(s) for s in col("symbol")], dtype="string"),
        "direction": _category(col("direction"), EVENT_DIRECTIONS),
        "quantity": _floats(col("quantity")),
        "fill_price": _floats(col("fillPrice")),
        "fill_price_currency": pd.array(col("fillPriceCurrency"), dtype="string"),
        "fill_quantity": _floats(col("fillQuantity")),
        "fee": _floats(col("orderFeeAmount")),
        "fee_currency": pd.array(col("orderFeeCurrency"), dtype="string"),
        "limit_price": _floats(col("limitPrice")),
        "stop_price": _floats(col("stopPrice")),
        "message": pd.array(col("message"), dtype="string"),
        # Omitted when false (Lean's DefaultValueHandling.Ignore).
        "is_assignment": np.array([bool(v) for v in col("isAssignment")], dtype="bool"),
        "is_in_the_money": np.array([bool(v) for v in col("isInTheMoney")], dtype="bool"),
    })


# --- insights and trades -------------------------------------------------------------------------

def insights_frame(insights: list[dict]) -> pd.DataFrame:
    def col(key: str) -> list:
        return [i.get(key) for i in insights]

    return pd.DataFrame({
        "generated_time": _times(col("generatedTime")),
        "close_time": _times(col("closeTime")),
        "symbol": pd.array(col("ticker"), dtype="string"),
        "symbol_id": pd.array(col("symbol"), dtype="string"),
        "type": pd.Categorical(col("type"), categories=["price", "volatility"]),
        "direction": pd.Categorical(col("direction"), categories=["up", "flat", "down"]),
        "period": pd.to_timedelta(_floats(col("period")), unit="s"),
        "magnitude": _floats(col("magnitude")),
        "confidence": _floats(col("confidence")),
        "weight": _floats(col("weight")),
        "reference": _floats(col("reference")),
        "reference_final": _floats(col("referenceFinal")),
        "score_direction": _floats(col("scoreDirection")),
        "score_magnitude": _floats(col("scoreMagnitude")),
        "estimated_value": _floats(col("estimatedValue")),
        "source_model": pd.array(col("sourceModel"), dtype="string"),
        "tag": pd.array(col("tag"), dtype="string"),
    }, index=pd.Index(col("id"), dtype="string", name="id"))


def _trade_symbols(trade: dict, part: str) -> Any:
    """The traded symbols: `symbols` (a list, Lean since 2026-01) or the older `symbol` object;
    several (a combo's legs) are joined with ", "."""
    many = _get(trade, "symbols", "Symbols")
    if isinstance(many, list) and many:
        values = [v for v in (_symbol(s, part) for s in many) if v is not None]
        return ", ".join(map(str, values)) if values else None
    return _symbol(_get(trade, "symbol", "Symbol"), part)


def trades_frame(trades: list[dict]) -> pd.DataFrame:
    """Closed trades (totalPerformance.closedTrades) in either generation of their shape."""
    def col(key: str, *more: str) -> list:
        # Older results used PascalCase keys ("EntryTime", "MAE").
        return [_get(t, key, key[:1].upper() + key[1:], *more) for t in trades]

    def ids(t: dict) -> tuple:
        raw = _get(t, "orderIds", "OrderIds")
        return tuple(int(i) for i in raw) if isinstance(raw, list) else ()

    wins = [_get(t, "isWin", "IsWin") for t in trades]
    return pd.DataFrame({
        "id": pd.array([None if v is None else str(v) for v in col("id")], dtype="string"),
        "symbol": pd.array([_trade_symbols(t, "value") for t in trades], dtype="string"),
        "symbol_id": pd.array([_trade_symbols(t, "id") for t in trades], dtype="string"),
        "direction": _category(col("direction"), TRADE_DIRECTIONS),
        "entry_time": _times(col("entryTime")),
        "exit_time": _times(col("exitTime")),
        "quantity": _floats(col("quantity")),
        "entry_price": _floats(col("entryPrice")),
        "exit_price": _floats(col("exitPrice")),
        "profit_loss": _floats(col("profitLoss")),
        "total_fees": _floats(col("totalFees")),
        "mae": _floats(col("mae", "MAE")),
        "mfe": _floats(col("mfe", "MFE")),
        "duration": pd.to_timedelta([parse_timespan(d) if isinstance(d, str) else d
                                     for d in col("duration")], unit="s"),
        "end_trade_drawdown": _floats(col("endTradeDrawdown")),
        "is_win": pd.array([None if w is None else bool(w) for w in wins], dtype="boolean"),
        "order_ids": pd.Series([ids(t) for t in trades], dtype="object"),
    })
