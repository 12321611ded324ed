"""The insights of an emulated backtest, made one index at a time (they are cheap and few)."""
from __future__ import annotations

import random
from typing import Any

from .synthetic import SYMBOLS, Synthetic

INSIGHT_MODELS = ["EmaCrossAlphaModel", "RsiAlphaModel", "MacdAlphaModel"]


def insight(s: Synthetic, i: int) -> dict[str, Any]:
    rng = random.Random((s.seed * 3_571) ^ i)
    ticker, sid, _ = SYMBOLS[rng.randrange(3)]
    t = int(s.time_of(i, s.n_insights))
    period = rng.choice([86400, 5 * 86400, 20 * 86400])
    direction = rng.choice(["up", "down", "flat"])
    ref = round(rng.uniform(50, 450), 2)
    out = {"id": "%032x" % rng.getrandbits(128), "groupId": None,
           "sourceModel": INSIGHT_MODELS[i % len(INSIGHT_MODELS)], "generatedTime": t,
           "closeTime": t + period, "symbol": sid, "ticker": ticker, "type": "price",
           "reference": ref, "referenceFinal": round(ref * (1 + rng.gauss(0, 0.02)), 2),
           "direction": direction, "period": period,
           "magnitude": None if i % 4 == 0 else round(rng.uniform(0.001, 0.05), 4),
           "confidence": None if i % 6 == 0 else round(rng.uniform(0.3, 0.9), 3),
           "weight": None, "scoreFinal": True, "scoreDirection": round(rng.random(), 3),
           "scoreMagnitude": round(rng.random(), 3),
           "estimatedValue": round(rng.gauss(10, 80), 2), "tag": ""}
    return {k: v for k, v in out.items() if v is not None}
