"""The log of an emulated backtest, made once per backtest and served in windows of up to 200.

What Lean writes: every `self.log(...)`/`self.debug(...)` line is stored as
"<algorithm time, yyyy-MM-dd HH:mm:ss> <message>" in the algorithm's time zone (New York unless
the algorithm sets another), and a message from before the algorithm exists as
"Algorithm Initialization: <message>" with no time (Lean BacktestingResultHandler.AddToLogStore).
The service pages it: `start` inclusive, `end` exclusive, end - start <= 200; `query` is a
case-insensitive keyword, and then start/end index the matching lines and `length` counts them
(QuantConnect docs, /backtests/read/log). No level is written: lines are plain strings.

The algorithm shapes it: the literal text of its `self.log("...")` / `self.debug("...")` calls
recurs among the lines, a runtime error ends the log early (at 37%, where the backtest stops),
an error in initialize leaves only the first line. Directives set the sizes:
    # qc-emulator: log-lines 100000      how many ordinary lines (default 60)
    # qc-emulator: log-metrics 12        adds "fold=3 sharpe=1.21 drawdown=-0.083 symbol=SPY" lines
"""
from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .backtests import _failure, find_backtest, progress_of
from .request import Request, RouteError
from .synthetic import END, START, directives

if TYPE_CHECKING:
    from .app import App

WINDOW = 200                       # log lines: end - start up to 200 (docs; Lean's client)
ALGORITHM_TIME_ZONE = ZoneInfo("America/New_York")   # Lean's default algorithm time zone
_TICKERS = ("SPY", "AAPL", "QQQ", "MSFT", "EURUSD", "BTCUSD")
# `self.log("text")`, `self.debug('text')`, `Log("text")`, `Debug("text")` with a literal message.
_LOG_CALL = re.compile(r"""(?:\.(?:log|debug)|\b(?:Log|Debug))\(\s*"""
                       r"""(["'])([^"'\\\n]{1,200})\1\s*\)""")


def written_messages(sources: dict[str, str]) -> list[str]:
    """The literal messages the algorithm logs, in the order they are written, each once."""
    found: list[str] = []
    for name in sorted(sources):
        if name.endswith((".py", ".cs")):
            for _, text in _LOG_CALL.findall(sources[name]):
                if text not in found:
                    found.append(text)
    return found


def _int(d: dict[str, str], key: str, default: int, cap: int) -> int:
    try:
        return max(0, min(cap, int(d.get(key, default))))
    except ValueError:
        return default


def _stamp(t: float) -> str:
    """Lean's DateFormat.UI of the algorithm's time (New York), as the log prefix shows it."""
    local = datetime.fromtimestamp(t, timezone.utc).astimezone(ALGORITHM_TIME_ZONE)
    return local.strftime("%Y-%m-%d %H:%M:%S")


def make_lines(seed: int, backtest_id: str, sources: dict[str, str],
               stop: float = 1.0) -> list[str]:
    """Every line of the backtest's log, oldest first: the same seed gives the same log.
    `stop`: how far through its period the backtest ran (0: it failed in initialize).

    >>> make_lines(1, "ab" * 16, {"main.py": "# qc-emulator: log-metrics 2"})[17][20:26]
    'fold=1'
    """
    d = directives(sources)
    n_lines = _int(d, "log-lines", 60, 2_000_000)
    n_metrics = _int(d, "log-metrics", 0, 1_000_000)
    own = written_messages(sources)
    rng = random.Random(seed * 7_919 + 17)
    lines = [f"Algorithm Initialization: Launching analysis for {backtest_id} with LEAN Engine "
             "v2.5.0.0.17000"]
    total = n_lines + n_metrics
    # Ordinary lines and metric lines interleave, in time order, the way an algorithm writes them.
    metric_every = (total / n_metrics) if n_metrics else 0.0
    next_metric, fold = metric_every / 2, 0
    end = START + (END - START) * stop
    for i in range(total):
        t = START + (END - START) * (i + 0.5) / max(1, total)
        if t > end:
            break
        if n_metrics and fold < n_metrics and i >= next_metric:
            fold += 1
            next_metric += metric_every
            message = (f"fold={fold} sharpe={rng.gauss(0.8, 0.6):.4f} "
                       f"drawdown={-abs(rng.gauss(0.08, 0.04)):.4f} "
                       f"symbol={_TICKERS[rng.randrange(len(_TICKERS))]}")
        elif own and i % 5 == 0:   # the algorithm's own messages, in turn
            message = own[(i // 5) % len(own)]
        else:
            ticker = _TICKERS[rng.randrange(len(_TICKERS))]
            kind = rng.random()
            if kind < 0.5:
                message = (f"{ticker} price {rng.uniform(20, 480):.2f} "
                           f"holding {rng.randint(-400, 400)}")
            elif kind < 0.8:
                message = f"Rebalancing {ticker}: target weight {rng.uniform(0, 0.3):.3f}"
            elif kind < 0.95:
                message = f"Debug: {ticker} signal {rng.choice(['long', 'short', 'flat'])}"
            else:
                message = f"Warning: no data for {ticker} at this time step"
        lines.append(f"{_stamp(t)} {message}")
    if stop >= 1.0:
        lines.append(f"{_stamp(END)} Algorithm Id:({backtest_id}) completed in 12.34 seconds at "
                     "35k data points per second. Processing total of 431,210 data points.")
    if stop > 0:
        lines.append(f"{_stamp(end)} Your log was successfully created and can be retrieved from: "
                     f"https://www.quantconnect.com/backtest/{backtest_id}/{backtest_id}-log.txt")
    return lines


def _stop(b) -> float:
    """How far the backtest ran: as backtests.progress_of stops it (initialize 0, runtime 0.37)."""
    error, in_initialize = _failure(b)
    return 0.0 if in_initialize else 0.37 if error is not None else 1.0


def _matching(app: "App", b, query: str) -> list[str]:
    """The lines containing `query` (case-insensitive); all of them for an empty query."""
    lines = app.cached(("log", b.id), lambda: make_lines(b.seed, b.id, b.sources, _stop(b)),
                       size=64)
    if not query:
        return lines
    needle = query.lower()
    return app.cached(("log", b.id, needle),
                      lambda: [line for line in lines if needle in line.lower()], size=64)


def read_log(app: "App", req: Request) -> dict:
    """/backtests/read/log {projectId, backtestId, start, end, query} -> {logs, length}."""
    b = find_backtest(app, req)
    start, end = req.int("start"), req.int("end")
    if start < 0 or end < start or end - start > WINDOW:
        raise RouteError(f"The end minus start must be at most {WINDOW}, with 0 <= start <= end "
                         f"(got {start} to {end}).")
    # null, "" and whitespace all mean every line: lean-cli sends " " and uses `length` as the
    # total, QuantConnect's docs say null or "".
    query = str(req.raw("query", None) or "").strip()
    _, progress, completed, _ = progress_of(app, b)
    # Lean saves the log when the backtest exits, failed or not (statistics need not be ready).
    if not completed or app.fault() == "loading":
        return {"progress": progress, "status": "loading"}
    lines = _matching(app, b, query)
    return {"logs": lines[start:end], "length": len(lines)}


ROUTES = {"/backtests/read/log": read_log}
READ_ONLY = set(ROUTES)
