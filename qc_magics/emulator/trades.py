"""The closed trades of an emulated backtest, as `totalPerformance.closedTrades` holds them.

Their shape follows Lean's `Common/Statistics/Trade.cs` since 2026-01: `symbols` (a list: a trade
may span the legs of a combo), `id`, `isWin` and `orderIds`; the single `symbol` is gone. Decimals
are strings, as Lean's JSON writes them.
"""
from __future__ import annotations

import random
from typing import Any

from .formats import decimal_string, iso, timespan
from .synthetic import SYMBOLS, Synthetic


def trade_numbers(s: Synthetic, i: int) -> dict[str, Any]:
    """Trade `i` as numbers (statistics add these up before they are written as strings)."""
    rng = random.Random((s.seed * 7_368_787) ^ i)
    ticker, sid, _ = SYMBOLS[rng.randrange(3)]
    n = max(1, s.n_orders // 2)
    entry = s.time_of(i, n)
    hold = rng.uniform(0.2, 12) * 86400
    entry_price = round(rng.uniform(50, 450), 2)
    exit_price = round(entry_price * (1 + rng.gauss(0.004, 0.03)), 2)
    qty = float(rng.randint(5, 300))
    direction = 0 if rng.random() < 0.7 else 1
    pnl = round((exit_price - entry_price) * qty * (1 if direction == 0 else -1), 2)
    mfe = round(abs(rng.gauss(0, 0.012)) * entry_price * qty, 2)
    return {"ticker": ticker, "sid": sid, "entry": entry, "hold": hold,
            "entryPrice": entry_price, "exitPrice": exit_price, "quantity": qty,
            "direction": direction, "profitLoss": pnl, "totalFees": round(2 + qty * 0.005, 2),
            "mae": round(-abs(rng.gauss(0, 0.01)) * entry_price * qty, 2), "mfe": mfe,
            # Lean: EndTradeDrawdown = ProfitLoss - MFE
            "endTradeDrawdown": round(pnl - mfe, 2),
            # Entry and exit orders: every trade opens with one order and closes with the next.
            "orderIds": [2 * i + 1, 2 * i + 2]}


def closed_trade(t: dict[str, Any], i: int) -> dict[str, Any]:
    """One entry of `closedTrades` in the current form."""
    return {
        "id": i + 1,
        "symbols": [{"value": t["ticker"], "id": t["sid"], "permtick": t["ticker"]}],
        "entryTime": iso(t["entry"]), "entryPrice": decimal_string(t["entryPrice"]),
        "direction": t["direction"], "quantity": decimal_string(t["quantity"]),
        "exitTime": iso(t["entry"] + t["hold"]), "exitPrice": decimal_string(t["exitPrice"]),
        "profitLoss": decimal_string(t["profitLoss"]),
        "totalFees": decimal_string(t["totalFees"]), "mae": decimal_string(t["mae"]),
        "mfe": decimal_string(t["mfe"]), "duration": timespan(t["hold"]),
        "endTradeDrawdown": decimal_string(t["endTradeDrawdown"]),
        "isWin": t["profitLoss"] > 0, "orderIds": t["orderIds"],
    }
