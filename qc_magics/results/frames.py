"""QuantConnect JSON -> typed DataFrames: charts, orders, order events, insights, trades.

Times become UTC datetimes, durations Timedeltas, enums named categories; numbers stay float64
(NaN where the service sent null or nothing), never object columns of numbers.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

ORDER_TYPES = {0: "Market", 1: "Limit", 2: "StopMarket", 3: "StopLimit", 4: "MarketOnOpen",
               5: "MarketOnClose", 6: "OptionExercise", 7: "LimitIfTouched", 8: "ComboMarket",
               9: "ComboLimit", 10: "ComboLegLimit", 11: "TrailingStop"}
ORDER_STATUSES = {0: "New", 1: "Submitted", 2: "PartiallyFilled", 3: "Filled", 5: "Canceled",
                  6: "None", 7: "Invalid", 8: "CancelPending", 9: "UpdateSubmitted"}
SECURITY_TYPES = {0: "Base", 1: "Equity", 2: "Option", 3: "Commodity", 4: "Forex", 5: "Future",
                  6: "Cfd", 7: "Crypto"}
DIRECTIONS = {0: "Buy", 1: "Sell", 2: "Hold"}
TRADE_DIRECTIONS = {0: "Long", 1: "Short"}
UTC_EMPTY = pd.DatetimeIndex([], tz="UTC", name="time")


def _category(codes: Iterable[Any], names: dict[int, str]) -> pd.Categorical:
    labels = [names.get(c, str(c)) if c is not None else None for c in codes]
    extra = sorted({v for v in labels if v is not None} - set(names.values()))
    return pd.Categorical(labels, categories=list(names.values()) + extra)


def _times(values: Iterable[Any]) -> pd.DatetimeIndex:
    """ISO strings, "YYYY-MM-DD HH:MM:SS" or unix seconds (null allowed) -> UTC datetimes."""
    values = list(values)
    if values and all(isinstance(v, (int, float)) or v is None for v in values):
        return pd.DatetimeIndex(pd.to_datetime(np.array(values, dtype="float64"), unit="s",
                                               utc=True))
    return pd.DatetimeIndex(pd.to_datetime(pd.Series(values, dtype="object"), utc=True,
                                           format="mixed"))


def _floats(values: Iterable[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype="float64")


# --- charts --------------------------------------------------------------------------------------

def series_frame(values: list) -> pd.DataFrame:
    """One series' points -> DataFrame on a UTC index: [t,o,h,l,c] candles become open/high/low/
    close, [t,y] points and old {x, y} points a value column; nulls stay NaN."""
    if not values:
        return pd.DataFrame({"value": pd.Series([], dtype="float64")}, index=UTC_EMPTY)
    first = next((v for v in values if v is not None), None)
    if isinstance(first, dict):   # the old {"x": t, "y": v} points
        index = _times([p.get("x") for p in values])
        return pd.DataFrame({"value": _floats(p.get("y") for p in values)}, index=index.rename("time"))
    try:
        # One pass in C over the list of lists; None becomes NaN under dtype float64.
        arr = np.array(values, dtype="float64")
    except (ValueError, TypeError):   # ragged rows: pad each to the widest
        width = max(len(v) for v in values)
        arr = np.array([list(v) + [None] * (width - len(v)) for v in values], dtype="float64")
    index = pd.DatetimeIndex(pd.to_datetime(arr[:, 0], unit="s", utc=True), name="time")
    if arr.shape[1] >= 5:
        return pd.DataFrame({"open": arr[:, 1], "high": arr[:, 2], "low": arr[:, 3],
                             "close": arr[:, 4]}, index=index)
    return pd.DataFrame({"value": arr[:, 1]}, index=index)


def chart_frame(chart: dict) -> pd.DataFrame:
    """A chart -> one DataFrame, columns (series, field): e.g. ("Equity", "close"), ("Return",
    "value"). Series are aligned on time; a time a series lacks is NaN there."""
    parts = {}
    # Older results spelled the keys in PascalCase ("Series", "Values").
    for name, series in (chart.get("series") or chart.get("Series") or {}).items():
        frame = series_frame(series.get("values") or series.get("Values") or [])
        if frame.index.has_duplicates:   # several points at one time: the last one stands
            frame = frame[~frame.index.duplicated(keep="last")]
        parts[name] = frame
    if not parts:
        return pd.DataFrame(index=UTC_EMPTY)
    if len(parts) == 1:
        (name, frame), = parts.items()
        frame = frame.copy()
        frame.columns = pd.MultiIndex.from_product([[name], frame.columns])
        return frame
    return pd.concat(parts, axis=1, join="outer", sort=True)


# --- orders --------------------------------------------------------------------------------------

def orders_frame(orders: list[dict]) -> pd.DataFrame:
    def col(key: str) -> list:
        return [o.get(key) for o in orders]

    events = [o.get("events") or [] for o in orders]
    frame = pd.DataFrame({
        "time": _times(col("time")) if orders else pd.DatetimeIndex([], tz="UTC"),
        "symbol": pd.array([(o.get("symbol") or {}).get("value") for o in orders], dtype="string"),
        "symbol_id": pd.array([(o.get("symbol") or {}).get("id") for o in orders], dtype="string"),
        "security_type": _category(col("securityType"), SECURITY_TYPES),
        "type": _category(col("type"), ORDER_TYPES),
        "status": _category(col("status"), ORDER_STATUSES),
        "direction": _category(col("direction"), DIRECTIONS),
        "quantity": _floats(col("quantity")),
        "price": _floats(col("price")),
        "value": _floats(col("value")),
        "filled_quantity": _floats(sum(e.get("fillQuantity") or 0 for e in ev) for ev in events),
        "fees": _floats(sum(e.get("orderFeeAmount") or 0 for e in ev) for ev in events),
        "limit_price": _floats(col("limitPrice")),
        "stop_price": _floats(col("stopPrice")),
        "trigger_price": _floats(col("triggerPrice")),
        "tag": pd.array(col("tag"), dtype="string"),
        "last_fill_time": _times(col("lastFillTime")) if orders else pd.DatetimeIndex([], tz="UTC"),
        "canceled_time": _times(col("canceledTime")) if orders else pd.DatetimeIndex([], tz="UTC"),
    }, index=pd.Index(np.array(col("id"), dtype="int64"), name="id"))
    return frame


def order_events_frame(orders: list[dict]) -> pd.DataFrame:
    rows = [e for o in orders for e in (o.get("events") or [])]

    def col(key: str) -> list:
        return [e.get(key) for e in rows]

    return pd.DataFrame({
        "order_id": np.array(col("orderId"), dtype="int64"),
        "event_id": np.array(col("orderEventId"), dtype="int64"),
        "time": _times(col("time")) if rows else pd.DatetimeIndex([], tz="UTC"),
        "status": pd.Categorical(col("status"), categories=[
            "new", "submitted", "partiallyFilled", "filled", "canceled", "none", "invalid",
            "cancelPending", "updateSubmitted"]),
        "symbol": pd.array(col("symbolValue"), dtype="string"),
        "direction": pd.Categorical(col("direction"), categories=["buy", "sell", "hold"]),
        "fill_price": _floats(col("fillPrice")),
        "fill_quantity": _floats(col("fillQuantity")),
        "fee": _floats(col("orderFeeAmount")),
        "fee_currency": pd.array(col("orderFeeCurrency"), dtype="string"),
        "message": pd.array(col("message"), dtype="string"),
    })


# --- insights and trades -------------------------------------------------------------------------

def insights_frame(insights: list[dict]) -> pd.DataFrame:
    def col(key: str) -> list:
        return [i.get(key) for i in insights]

    empty = pd.DatetimeIndex([], tz="UTC")
    return pd.DataFrame({
        "generated_time": _times(col("generatedTime")) if insights else empty,
        "close_time": _times(col("closeTime")) if insights else empty,
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


def trades_frame(trades: list[dict]) -> pd.DataFrame:
    from .parse import parse_timespan

    def col(key: str) -> list:
        # Older results used PascalCase keys ("EntryTime").
        return [t.get(key, t.get(key[:1].upper() + key[1:])) for t in trades]

    def symbol(t: dict) -> Any:
        s = t.get("symbol", t.get("Symbol"))
        return (s.get("value") or s.get("Value")) if isinstance(s, dict) else s

    empty = pd.DatetimeIndex([], tz="UTC")
    return pd.DataFrame({
        "symbol": pd.array([symbol(t) for t in trades], dtype="string"),
        "direction": _category(col("direction"), TRADE_DIRECTIONS),
        "entry_time": _times(col("entryTime")) if trades else empty,
        "exit_time": _times(col("exitTime")) if trades else empty,
        "quantity": _floats(col("quantity")),
        "entry_price": _floats(col("entryPrice")),
        "exit_price": _floats(col("exitPrice")),
        "profit_loss": _floats(col("profitLoss")),
        "total_fees": _floats(col("totalFees")),
        "mae": _floats(col("mae")),
        "mfe": _floats(col("mfe")),
        "duration": pd.to_timedelta([parse_timespan(d) if isinstance(d, str) else d
                                     for d in col("duration")]),
        "end_trade_drawdown": _floats(col("endTradeDrawdown")),
    })
