"""Routes for compiles and backtests: jobs that move through their states as time passes."""
from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Any

from ..errors import Wording
from .projects import find_project
from .request import Request, RouteError
from .state import Backtest, Compile, stamp
from .charts import CHARTS, chart, report_html
from .synthetic import END, START, Synthetic, directives, iso

if TYPE_CHECKING:
    from .app import App

RUNNING = "'Running: _%'"   # the spec's enum value, quotes and all
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
    params = {str(k): str(v) for k, v in req.mapping("parameters").items()}
    bid = app.state.hex_id()
    b = Backtest(id=bid, project_id=p.id, compile_id=c.id, name=req.str("backtestName"),
                 created=app.now(), parameters=params, sources=c.sources,
                 seed=app.state.seed * 7919 + zlib.crc32(bid.encode()))
    app.state.backtests[b.id] = b
    return {"backtest": backtest_json(app, b, full=True), "debugging": False}


def find_backtest(app: "App", req: Request) -> Backtest:
    p = find_project(app, req)
    backtest_id = req.str("backtestId")
    b = app.state.backtests.get(backtest_id)
    if b is None:   # an optimization's child backtest is read the same way
        from .optimizations import child_backtest
        b = child_backtest(app, p.id, backtest_id)
    if b is None or b.project_id != p.id:
        raise RouteError(Wording.BACKTEST_NOT_FOUND.format(backtest_id=backtest_id))
    return b


def _duration(app: "App", b: Backtest) -> float:
    try:
        seconds = float(directives(b.sources).get("duration", app.timing.backtest_run))
    except ValueError:
        seconds = app.timing.backtest_run
    return seconds * app.timing.scale


def progress_of(app: "App", b: Backtest) -> tuple[str, float, bool, bool]:
    """(status, progress, completed, statistics ready) at this moment."""
    elapsed = app.now() - b.created
    queue, run = app.timing("backtest_queue"), _duration(app, b)
    error = directives(b.sources).get("runtime-error")
    stop_at = 0.37 if error is not None else 1.0
    if elapsed < queue:
        return "In Queue...", 0.0, False, False
    if elapsed < queue + run * stop_at:
        return RUNNING, round((elapsed - queue) / run, 4), False, False
    ready = elapsed >= queue + run * stop_at + app.timing("statistics_lag")
    return ("Runtime Error" if error is not None else "Completed."), stop_at, True, ready


def synthetic(app: "App", b: Backtest) -> Synthetic:
    return app.cached(("bt", b.id), lambda: Synthetic.for_sources(
        b.seed, b.parameters, b.sources, algorithm_id=b.id))


def backtest_json(app: "App", b: Backtest, full: bool) -> dict[str, Any]:
    status, progress, completed, ready = progress_of(app, b)
    error = directives(b.sources).get("runtime-error")
    out: dict[str, Any] = {
        "note": b.note, "name": b.name, "organizationId": app.state.organization_id,
        "projectId": b.project_id, "completed": completed, "optimizationId": "",
        "backtestId": b.id, "tradeableDates": 1006, "researchGuide":
        {"minutes": 12, "backtestCount": len(app.state.backtests), "parameters": len(b.parameters)},
        "backtestStart": iso(START), "backtestEnd": iso(END), "created": stamp(b.created),
        "snapshotId": 0, "status": status, "error": None, "stacktrace": None, "progress": progress,
        "hasInitializeError": False, "charts": {}, "parameterSet": dict(b.parameters) or [],
        "rollingWindow": {}, "runtimeStatistics": {}, "statistics": [],
        "totalPerformance": None, "nodeName": "B2-8 (emulated)", "outOfSampleDays": 0,
    }
    if status == "Runtime Error":
        message = error or "Runtime Error: the algorithm raised an exception"
        out["error"] = message
        out["stacktrace"] = (f"{message}\n  at initialize\n    self.set_holdings(\"SPY\", 1)\n"
                             "   at Python.Runtime.PythonException.ThrowLastAsClrException()\n"
                             " in main.py: line 14")
    if full and (ready or not completed):
        s = synthetic(app, b)
        if ready:
            out["charts"] = {name: {"name": name} for name in CHARTS}
            out["statistics"] = s.statistics()
            out["runtimeStatistics"] = s.runtime_statistics()
            out["totalPerformance"] = s.total_performance()
        elif progress > 0:
            out["runtimeStatistics"] = s.runtime_statistics()
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


def update_backtest(app: "App", req: Request) -> dict:
    b = find_backtest(app, req)
    if req.has("name"):
        b.name = req.str("name")
    if "note" in req.fields:
        b.note = str(req.fields["note"] or "")
    return {}


def delete_backtest(app: "App", req: Request) -> dict:
    b = find_backtest(app, req)
    del app.state.backtests[b.id]
    return {}


def _ready(app: "App", b: Backtest) -> bool:
    return progress_of(app, b)[3]


def read_chart(app: "App", req: Request) -> dict:
    b = find_backtest(app, req)
    name = req.str("name")
    start, end, count = req.int("start"), req.int("end"), req.int("count")
    if count <= 0:
        raise RouteError(Wording.BAD_FIELD.format(field="count", reason="must be positive"))
    warm = app.state.count_read(f"chart:{b.id}:{name}") >= app.loading_reads
    if not _ready(app, b) or not warm:
        return {"progress": 0.5 if _ready(app, b) else progress_of(app, b)[1], "status": "loading"}
    found = chart(synthetic(app, b), name, start, end, count)
    if found is None:
        raise RouteError(f"Chart not found: {name}")
    return {"chart": found}


def _window(app: "App", req: Request, kind: str) -> tuple[Backtest, int, int, bool]:
    b = find_backtest(app, req)
    start, end = req.int("start"), req.int("end")
    if start < 0 or end < start or end - start >= 100:
        raise RouteError(Wording.WINDOW_TOO_LARGE.format(start=start, end=end))
    warm = _ready(app, b) and app.state.count_read(f"{kind}:{b.id}") >= app.loading_reads
    return b, start, end, warm


def read_orders(app: "App", req: Request) -> dict:
    b, start, end, warm = _window(app, req, "orders")
    if not warm:  # the real service answers empty while it loads the orders into its cache
        return {"orders": [], "length": 0}
    s = synthetic(app, b)
    return {"orders": [s.order(i) for i in range(start, min(end, s.n_orders))],
            "length": s.n_orders}


def read_insights(app: "App", req: Request) -> dict:
    b, start, end, warm = _window(app, req, "insights")
    if not warm:
        return {"insights": [], "length": 0}
    s = synthetic(app, b)
    return {"insights": [s.insight(i) for i in range(start, min(end, s.n_insights))],
            "length": s.n_insights}


def read_report(app: "App", req: Request) -> dict:
    b = find_backtest(app, req)
    if progress_of(app, b)[1] < 1.0 and progress_of(app, b)[2]:
        raise RouteError("The backtest ended with a runtime error; no report was generated.")
    if not _ready(app, b) or app.state.count_read(f"report:{b.id}") < app.loading_reads:
        return {"generating": True}
    return {"report": report_html(synthetic(app, b), b.name)}


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
