"""Routes for compiles and backtests: jobs that move through their states as time passes.

A finished backtest's charts, orders and insights answer at once, as the real service's did in
QuantConnect's own live tests; "loading" comes only while the backtest runs, or when a test scripts
it (`script_fault(endpoint, "loading")`). Only the report still takes `loading_reads` reads.
"""
from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Any

from ..errors import Wording
from .projects import find_project
from . import charts, children, statistics
from .insights import insight
from .orders import OrderBook
from .request import Encoded, Request, RouteError
from .state import Backtest, Compile, stamp
from .formats import iso
from .synthetic import END, START, Synthetic, directives

if TYPE_CHECKING:
    from .app import App

RUNNING = "'Running: _%'"   # the spec's enum value, quotes and all
WINDOW = 100                 # orders and insights: end - start up to 100 (the spec says < 100)
FAR_FUTURE = 4_102_444_800   # 2100-01-01: a chart read without `end` means "to the end"
_GET_PARAMETER = re.compile(r"""(?:get_parameter|GetParameter)\(\s*["']([^"']+)["']""")


def _check_sources(language: str, sources: dict[str, str]) -> tuple[bool, list[str], list[dict]]:
    logs = ["Build Request Successful for Project ID: {project}"]
    ok = True
    found: list[dict] = []
    forced = directives(sources).get("build-error")
    for name in sorted(sources):
        text = sources[name]
        if name.endswith(".py"):
            try:
                compile(text, name, "exec")
            except SyntaxError as e:
                ok = False
                logs.append(f"Build Error: File: {name} Line: {e.lineno} Column: {e.offset} - "
                            f"{e.msg}")
        elif name.endswith(".cs") and text.count("{") != text.count("}"):
            ok = False
            logs.append(f"Build Error: File: {name} Line: {text.count(chr(10)) + 1} Column: 1 - "
                        "} expected")
        params = []
        for lineno, line in enumerate(text.splitlines(), 1):
            for pname in _GET_PARAMETER.findall(line):
                params.append({"line": lineno, "type": f"parameter {pname!r} detected near "
                                                      f"{line.strip()[:60]!r}"})
        if params:
            found.append({"file": name, "parameters": params})
    if forced is not None:
        ok = False
        logs.append(f"Build Error: {forced or 'forced by qc-emulator directive'}")
    if language == "Py" and "main.py" not in sources:
        ok = False
        logs.append("Build Error: File: main.py - the project has no main.py")
    logs.append("Build Success." if ok else "Build Failed.")
    return ok, logs, found


def create_compile(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    sources = {n: f.content for n, f in p.files.items() if not n.endswith(".ipynb")}
    ok, logs, params = _check_sources(p.language, sources)
    c = Compile(id=f"{app.state.hex_id()}-{app.state.hex_id()}", project_id=p.id,
                created=app.now(), succeeds=ok,
                logs=[line.replace("{project}", str(p.id)) for line in logs],
                parameters=params, sources=sources)
    app.state.compiles[c.id] = c
    signature = "%032x" % zlib.crc32("".join(sorted(sources.values())).encode())
    return {"compileId": c.id, "state": "InQueue", "parameters": params, "projectId": p.id,
            "signature": signature, "signatureOrder": sorted(sources)}


def _compile_state(app: "App", c: Compile) -> str:
    if app.now() - c.created < app.timing("compile"):
        return "InQueue"
    return "BuildSuccess" if c.succeeds else "BuildError"


def find_compile(app: "App", req: Request, project_id: int) -> Compile:
    compile_id = req.str("compileId")
    c = app.state.compiles.get(compile_id)
    if c is None or c.project_id != project_id:
        raise RouteError(Wording.COMPILE_NOT_FOUND.format(compile_id=compile_id))
    return c


def read_compile(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    c = find_compile(app, req, p.id)
    state = _compile_state(app, c)
    return {"compileId": c.id, "state": state, "logs": c.logs if state != "InQueue" else []}


def create_backtest(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    c = find_compile(app, req, p.id)
    state = _compile_state(app, c)
    if state != "BuildSuccess":
        raise RouteError("Compile is not ready: its state is " + state +
                         (". Read the compile logs for the errors." if state == "BuildError"
                          else ". Wait for BuildSuccess before creating a backtest."))
    # Values come back as sent: numbers stay numbers (mcp-server test_read_backtest).
    params = {str(k): v for k, v in req.mapping("parameters").items()}
    bid = app.state.hex_id()
    b = Backtest(id=bid, project_id=p.id, compile_id=c.id, name=req.str("backtestName"),
                 created=app.now(), parameters=params, sources=c.sources,
                 seed=app.state.seed * 7919 + zlib.crc32(bid.encode()))
    app.state.backtests[b.id] = b
    return {"backtest": backtest_json(app, b, full=True), "debugging": False}


def find_backtest(app: "App", req: Request) -> Backtest:
    p = find_project(app, req)
    backtest_id = req.str("backtestId")
    b = app.state.backtests.get(backtest_id) or children.find(app, p.id, backtest_id)
    if b is None or b.project_id != p.id:
        raise RouteError(Wording.BACKTEST_NOT_FOUND.format(backtest_id=backtest_id))
    return b


def _duration(app: "App", b: Backtest) -> float:
    try:
        seconds = float(directives(b.sources).get("duration", app.timing.backtest_run))
    except ValueError:
        seconds = app.timing.backtest_run
    return seconds * app.timing.scale


def _failure(b: Backtest) -> tuple[str | None, bool]:
    """(the error the algorithm stops with, whether it fails in initialize), from directives."""
    d = directives(b.sources)
    if "initialize-error" in d:
        return d["initialize-error"] or "Initialize failed: the algorithm raised an exception", True
    if "runtime-error" in d:
        return d["runtime-error"] or "Runtime Error: the algorithm raised an exception", False
    return None, False


def progress_of(app: "App", b: Backtest) -> tuple[str, float, bool, bool]:
    """(status, progress, completed, statistics ready) at this moment."""
    if isinstance(b, children.ChildBacktest):
        now = min(app.now(), b.stopped_at)
        if now < b.runs_from:
            return "In Queue...", 0.0, False, False
        if now < b.runs_to:
            return RUNNING, round((now - b.runs_from) / (b.runs_to - b.runs_from), 4), False, False
        return "Completed.", 1.0, True, True
    elapsed = app.now() - b.created
    queue, run = app.timing("backtest_queue"), _duration(app, b)
    error, in_initialize = _failure(b)
    stop_at = 0.0 if in_initialize else 0.37 if error is not None else 1.0
    if elapsed < queue:
        return "In Queue...", 0.0, False, False
    if elapsed < queue + run * stop_at:
        return RUNNING, round((elapsed - queue) / run, 4), False, False
    ready = not in_initialize and elapsed >= queue + run * stop_at + app.timing("statistics_lag")
    return ("Runtime Error" if error is not None else "Completed."), stop_at, True, ready


def synthetic(app: "App", b: Backtest) -> Synthetic:
    if isinstance(b, children.ChildBacktest):   # the same numbers optimizations/read shows
        return app.cached(("opt", b.id), lambda: Synthetic.for_sources(
            b.seed, b.parameters, b.sources, algorithm_id=b.id, points=children.CHILD_POINTS,
            n_orders=children.CHILD_ORDERS))
    return app.cached(("bt", b.id), lambda: Synthetic.for_sources(
        b.seed, b.parameters, b.sources, algorithm_id=b.id))


def order_book(app: "App", b: Backtest) -> OrderBook:
    """The backtest's orders, made once and kept while the backtest is read."""
    return app.cached(("orders", b.id), lambda: OrderBook(synthetic(app, b)))


def backtest_json(app: "App", b: Backtest, full: bool) -> dict[str, Any]:
    status, progress, completed, ready = progress_of(app, b)
    error, in_initialize = _failure(b)
    out: dict[str, Any] = {
        "note": b.note, "name": b.name, "organizationId": app.state.organization_id,
        "projectId": b.project_id, "completed": completed,
        "optimizationId": getattr(b, "optimization_id", ""),
        "backtestId": b.id, "tradeableDates": 1006, "researchGuide":
        {"minutes": 12, "backtestCount": len(app.state.backtests), "parameters": len(b.parameters)},
        "backtestStart": iso(START), "backtestEnd": iso(END), "created": stamp(b.created),
        # lean-cli branches on `error is None`: with "" it reports an empty error.
        "snapshotId": 0, "status": status, "error": None, "stacktrace": None,
        "progress": progress, "hasInitializeError": False, "charts": {},
        "parameterSet": dict(b.parameters) or [], "rollingWindow": {}, "runtimeStatistics": {},
        # A list until the statistics exist (lean-cli's QCBacktest); then an object.
        "statistics": [], "totalPerformance": None, "nodeName": "B2-8 (emulated)",
        "outOfSampleDays": 0,
    }
    if status == "Runtime Error":
        where = "initialize" if in_initialize else "on_data"
        out["error"] = error
        out["hasInitializeError"] = in_initialize
        out["stacktrace"] = (f"{error}\n  at {where}\n    self.set_holdings(\"SPY\", 1)\n"
                             "   at Python.Runtime.PythonException.ThrowLastAsClrException()\n"
                             " in main.py: line 14")
    if full and not in_initialize and (ready or progress > 0):
        s = synthetic(app, b)
        out["runtimeStatistics"] = statistics.runtime(s, progress, ready)
        if ready:
            out["charts"] = {name: {"name": name} for name in charts.names(s)}
            out["statistics"] = statistics.summary(s)
            out["totalPerformance"] = statistics.total_performance(s)
    if out["totalPerformance"] is None:
        del out["totalPerformance"]
    return out


def read_backtest(app: "App", req: Request) -> dict:
    return {"backtest": backtest_json(app, find_backtest(app, req), full=True),
            "debugging": False}


def list_backtests(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    with_stats = req.bool("includeStatistics")
    items = []
    for b in sorted(app.state.backtests.values(), key=lambda b: b.created):
        if b.project_id != p.id:
            continue
        status, progress, completed, ready = progress_of(app, b)
        item = {"backtestId": b.id, "status": status, "name": b.name, "created": stamp(b.created),
                "progress": progress, "optimizationId": "", "tradeableDates": 1006,
                "parameterSet": dict(b.parameters) or [], "snapshotId": 0, "tags": list(b.tags)}
        if with_stats and ready:
            x = synthetic(app, b).numbers
            item.update(sharpeRatio=x["sharpe"], alpha=x["alpha"], beta=x["beta"],
                        compoundingAnnualReturn=x["car"], drawdown=x["drawdown"],
                        lossRate=x["loss_rate"], netProfit=x["net_profit"],
                        parameters=len(b.parameters), psr=x["psr"], securityTypes=1,
                        sortinoRatio=x["sortino"], trades=int(x["trades"]),
                        treynorRatio=x["treynor"], winRate=x["win_rate"])
        items.append(item)
    return {"backtests": items, "count": len(items)}


def _stored_backtest(app: "App", req: Request) -> Backtest:
    """A backtest that can be changed: an optimization's child belongs to its optimization."""
    b = find_backtest(app, req)
    if isinstance(b, children.ChildBacktest):
        raise RouteError(f"Backtest {b.id} belongs to optimization {b.optimization_id}: it is "
                         "read here but changed or deleted with the optimization.")
    return b


def update_backtest(app: "App", req: Request) -> dict:
    b = _stored_backtest(app, req)
    if req.has("name"):
        b.name = req.str("name")
    if "note" in req.fields:
        b.note = str(req.fields["note"] or "")
    return {}


def delete_backtest(app: "App", req: Request) -> dict:
    b = _stored_backtest(app, req)
    del app.state.backtests[b.id]
    return {}


def _ready(app: "App", b: Backtest) -> bool:
    return progress_of(app, b)[3]


def _refuse_failed_in_initialize(app: "App", b: Backtest) -> None:
    if _failure(b)[1] and progress_of(app, b)[2]:
        raise RouteError("The backtest failed in initialize: it has no charts, orders or insights.")


def _loading(app: "App", b: Backtest) -> bool:
    """Whether results answer "loading": while the backtest runs, or when a test scripted it."""
    return not _ready(app, b) or app.fault() == "loading"


def read_chart(app: "App", req: Request) -> dict:
    b = find_backtest(app, req)
    name = req.str("name")
    # `start` and `end` are optional on the service ("Optional. If provided..."): the full range.
    start, end = req.int("start", 0), req.int("end", FAR_FUTURE)
    count = req.int("count", 100)
    if count <= 0:
        raise RouteError(Wording.BAD_FIELD.format(field="count", reason="must be positive"))
    if end < start:
        raise RouteError(f"The chart's end ({end}) is before its start ({start}).")
    _refuse_failed_in_initialize(app, b)
    s = synthetic(app, b)
    if name not in charts.names(s):
        raise RouteError(f"Chart not found: {name}. This backtest has "
                         + ", ".join(charts.names(s)) + ".")
    if _loading(app, b):
        return {"progress": progress_of(app, b)[1], "status": "loading"}
    return {"chart": charts.chart(s, name, start, end, count)}


def _window(app: "App", req: Request) -> tuple[Backtest, int, int]:
    b = find_backtest(app, req)
    _refuse_failed_in_initialize(app, b)
    start, end = req.int("start"), req.int("end")
    if start < 0 or end < start or end - start > WINDOW:
        raise RouteError(f"The end minus start must be at most {WINDOW}, with 0 <= start <= end "
                         f"(got {start} to {end}).")
    return b, start, end


def read_orders(app: "App", req: Request) -> dict:
    b, start, end = _window(app, req)
    if _loading(app, b):  # the service answers empty while it loads the orders into its cache
        return {"orders": [], "length": 0}
    book = order_book(app, b)
    if app.__dict__.get("_reshapes", {}).get(req.path):   # a test reshapes the answer
        return {"orders": book.window(start, end), "length": len(book)}
    # The JSON straight from the book's rows, kept per window: the same bytes json.dumps makes
    # of the dicts, at a fraction of the cost (1,000 windows are read for 100,000 orders).
    return Encoded([("orders", book.encoded(start, end)), ("length", str(len(book)).encode())])


def read_insights(app: "App", req: Request) -> dict:
    b, start, end = _window(app, req)
    if _loading(app, b):
        return {"insights": [], "length": 0}
    s = synthetic(app, b)
    return {"insights": [insight(s, i) for i in range(start, min(end, s.n_insights))],
            "length": s.n_insights}


def read_report(app: "App", req: Request) -> dict:
    b = find_backtest(app, req)
    if progress_of(app, b)[1] < 1.0 and progress_of(app, b)[2]:
        raise RouteError("The backtest ended with a runtime error; no report was generated.")
    if not _ready(app, b) or app.state.count_read(f"report:{b.id}") < app.loading_reads:
        return {"generating": True}
    return {"report": charts.report_html(synthetic(app, b), b.name)}


ROUTES = {
    "/compile/create": create_compile,
    "/compile/read": read_compile,
    "/backtests/create": create_backtest,
    "/backtests/read": read_backtest,
    "/backtests/list": list_backtests,
    "/backtests/update": update_backtest,
    "/backtests/delete": delete_backtest,
    "/backtests/chart/read": read_chart,
    "/backtests/orders/read": read_orders,
    "/backtests/read/insights": read_insights,
    "/backtests/read/report": read_report,
}
READ_ONLY = {"/compile/read", "/backtests/read", "/backtests/list", "/backtests/chart/read",
             "/backtests/orders/read", "/backtests/read/insights", "/backtests/read/report"}
