"""The probe's checks of results: a backtest read fully, and an optimization.

>>> check_backtests(run, candidates)      # backtests/list, read, charts, orders, insights, report
>>> check_optimizations(run, candidates)  # optimizations/list and read
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from . import shapes
from .checks import usable

if TYPE_CHECKING:
    from .checks import Check, Probe

CHART_POINTS = 500       # enough to see the points' shape; the client asks for more
AFTER_READ = ("backtests/chart/read", "backtests/orders/read", "backtests/read/insights",
              "backtests/read/report")


def _newest(items: list[dict], done: Any) -> dict:
    """The most recent finished item, else the most recent one."""
    ordered = sorted(items, key=lambda i: str(i.get("created") or ""), reverse=True)
    return next((i for i in ordered if done(i)), ordered[0])


def _first_with(run: "Probe", name: str, candidates: list[dict], read: Any,
                shape: shapes.Shape) -> tuple["Check", dict, list]:
    """List each candidate project's items until one has some; record the list's check."""
    for project in candidates:
        check, items = run.fetch(name, lambda: read(project["projectId"]), shape)
        if check.status == "fail" or items:
            break
    if check.status == "ok":
        check.detail = f"{len(items)} in project {project['name']!r}"
    run.add(check)
    return check, project, items or []


def _nothing(candidates: list[dict], what: str) -> str:
    if len(candidates) == 1:
        return f"no {what} in project {candidates[0]['name']!r}"
    return f"no {what} in the {len(candidates)} most recently modified projects"


def check_backtests(run: "Probe", candidates: list[dict]) -> None:
    c = run.client
    check, project, items = _first_with(run, "backtests/list", candidates,
                                        c.list_backtests, shapes.BACKTEST_LIST)
    items = usable(items, "backtestId")
    if not items:
        why = ("no backtest in the project", _nothing(candidates, "backtest")) \
            if check.status == "ok" else ("the backtest list could not be used", "")
        for name in ("backtests/read",) + AFTER_READ:
            run.skip(name, *why)
        return
    pid = project["projectId"]
    picked = _newest(items, lambda b: str(b.get("status", "")).startswith("Completed"))
    bid = picked["backtestId"]
    check, data = run.read("backtests/read", lambda: c.read_backtest(pid, bid),
                           shapes.BACKTEST_READ,
                           detail=lambda b: f"{len(b.get('statistics') or [])} statistics")
    if not isinstance(data, dict) or not data:
        for name in AFTER_READ:
            run.skip(name, "the backtest could not be read")
        return
    if data.get("error") or data.get("status") == "Runtime Error":
        for name in AFTER_READ:
            run.skip(name, "the backtest ended with an error",
                     f"backtest {data.get('name')!r} ended with an error")
        return
    if not (data.get("completed") and data.get("statistics")):
        for name in AFTER_READ:
            run.skip(name, "the backtest has not finished",
                     f"backtest {data.get('name')!r} has not finished")
        return
    _charts(run, pid, bid, data)
    _windows(run, pid, bid, data)
    run.read("backtests/read/report", lambda: c.read_backtest_report(pid, bid),
             shapes.REPORT, pending=lambda a: "report" not in a, retry_errors=True,
             detail=lambda v: "ready")


def _charts(run: "Probe", pid: int, bid: str, data: dict) -> None:
    listed = data.get("charts") if isinstance(data.get("charts"), dict) else {}
    names = [n for n in shapes.STANDARD_CHARTS if n in listed]
    if "Strategy Equity" not in names:
        # Every finished LEAN backtest has it; the client's equity and returns come from it.
        run.add(_failed("backtests/chart/read", "backtest.charts: no 'Strategy Equity' chart"))
    start = _epoch(data.get("backtestStart"), 0) - 86_400
    end = _epoch(data.get("backtestEnd"), int(dt.datetime.now().timestamp())) + 86_400
    for name in names:
        def read(name: str = name) -> dict:
            return run.client.read_backtest_chart(pid, bid, name, start=start,
                                                  end=end, count=CHART_POINTS)
        check, value = run.fetch(f"backtests/chart/read {name}", read, shapes.CHART_READ,
                                 pending=lambda a: "chart" not in a)
        if check.status == "ok":
            series = (value.get("chart") or {}).get("series") or {}
            check.detail = f"{len(series)} series"
        run.add(check)


def _windows(run: "Probe", pid: int, bid: str, data: dict) -> None:
    c = run.client
    stats = data.get("statistics") if isinstance(data.get("statistics"), dict) else {}
    expected = _count(stats.get("Total Orders", stats.get("Total Trades")))

    def orders_pending(answer: dict) -> bool:
        # An empty first window means "loading" unless the statistics say there are none.
        return not answer.get("orders") and expected != 0
    check, value = run.fetch("backtests/orders/read", lambda: c.read_backtest_orders(pid, bid),
                             shapes.ORDERS, pending=orders_pending)
    if check.status == "ok":
        check.detail = f"{len(value.get('orders') or [])} of {value.get('length')} orders"
    elif check.status == "skip" and expected is None:
        check.reason = "no orders came (the backtest may have none)"
    run.add(check)
    # Insights: most algorithms emit none, so an empty answer is waited on only briefly.
    check, value = run.fetch("backtests/read/insights",
                             lambda: c.read_backtest_insights(pid, bid), shapes.INSIGHTS,
                             pending=lambda a: not a.get("insights"), wait=min(run.wait, 5.0))
    if check.status == "ok":
        check.detail = f"{len(value.get('insights') or [])} of {value.get('length')} insights"
    elif check.status == "skip":
        check.status, check.detail = "ok", "no insights (the algorithm may emit none)"
    run.add(check)


def check_optimizations(run: "Probe", candidates: list[dict]) -> None:
    c = run.client
    check, project, items = _first_with(run, "optimizations/list", candidates,
                                        c.list_optimizations, shapes.OPTIMIZATION_LIST)
    items = usable(items, "optimizationId")
    if not items:
        why = ("no optimization in the project", _nothing(candidates, "optimization")) \
            if check.status == "ok" else ("the optimization list could not be used", "")
        run.skip("optimizations/read", *why)
        return
    picked = _newest(items, lambda o: o.get("status") == "completed")
    run.read("optimizations/read", lambda: c.read_optimization(picked["optimizationId"]),
             shapes.OPTIMIZATION_READ,
             detail=lambda o: f"{len(o.get('backtests') or [])} backtests, {o.get('status')}")


def _failed(name: str, problem: str) -> "Check":
    from .checks import Check
    return Check(name, "fail", [problem])


def _count(text: Any) -> int | None:
    try:
        return int(float(str(text).replace(",", "")))
    except (TypeError, ValueError):
        return None


def _epoch(text: Any, default: int) -> int:
    """Unix seconds of a service date (either format; naive ones are UTC), or the default."""
    if not isinstance(text, str) or not text:
        return default
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return int(when.timestamp())
