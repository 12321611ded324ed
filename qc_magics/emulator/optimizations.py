"""Routes for optimizations: a grid of child backtests run in batches of `parallelNodes`."""
from __future__ import annotations

import itertools
import math
import zlib
from typing import TYPE_CHECKING, Any

from ..errors import Wording
from .backtests import find_compile
from .projects import find_project
from .request import Request, RouteError, as_float
from .state import Backtest, Optimization, stamp
from .synthetic import Synthetic, timespan

if TYPE_CHECKING:
    from .app import App

TARGETS = ("TotalPerformance.PortfolioStatistics.SharpeRatio",
           "TotalPerformance.PortfolioStatistics.CompoundingAnnualReturn",
           "TotalPerformance.PortfolioStatistics.ProbabilisticSharpeRatio",
           "TotalPerformance.PortfolioStatistics.Drawdown")
STRATEGY = "QuantConnect.Optimizer.Strategies.GridSearchOptimizationStrategy"
MAX_NODES = {"O2-8": 6, "O4-12": 4, "O8-16": 4}          # the cloud's cluster sizes
SECONDS_PER_BACKTEST = {"O2-8": 45, "O4-12": 30, "O8-16": 20}
OPERATORS = ("LessOrEqual", "Less", "GreaterOrEqual", "Greater", "NotEqual", "Equals")
MAX_GRID = 10_000


def _parameters(req: Request) -> list[dict]:
    out = []
    for i, p in enumerate(req.list("parameters")):
        if not isinstance(p, dict):
            raise RouteError(Wording.BAD_FIELD.format(field=f"parameters[{i}]",
                                                      reason="expected an object"))
        name = p.get("name", p.get("key"))  # lean-cli's form encoding says `key`
        if not name:
            raise RouteError(Wording.MISSING_FIELD.format(field=f"parameters[{i}].name"))
        lo, hi, step = (as_float(p.get(k), f"parameters[{i}].{k}") for k in ("min", "max", "step"))
        if step <= 0 or hi < lo:
            raise RouteError(Wording.BAD_FIELD.format(
                field=f"parameters[{i}]", reason="need step > 0 and min <= max"))
        out.append({"name": str(name), "min": lo, "max": hi, "step": step,
                    **({"minStep": as_float(p["minStep"], "minStep")} if p.get("minStep") else {})})
    if not out:
        raise RouteError(Wording.MISSING_FIELD.format(field="parameters"))
    return out


def _constraints(req: Request) -> list[dict]:
    out = []
    for i, c in enumerate(req.list("constraints")):
        if not isinstance(c, dict):
            raise RouteError(Wording.BAD_FIELD.format(field=f"constraints[{i}]",
                                                      reason="expected an object"))
        op = c.get("operator")
        if op not in OPERATORS:
            raise RouteError(Wording.BAD_FIELD.format(field=f"constraints[{i}].operator",
                                                      reason=f"use one of {', '.join(OPERATORS)}"))
        value = c.get("targetValue", c.get("target-value"))
        out.append({"target": str(c.get("target", "")), "operator": op,
                    "targetValue": as_float(value, f"constraints[{i}].targetValue")})
    return out


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(round(v, 10))


def _grid(parameters: list[dict]) -> list[dict[str, str]]:
    axes = []
    total = 1
    for p in parameters:
        n = int((p["max"] - p["min"]) / p["step"] + 1e-9) + 1
        total *= n
        axes.append([(p["name"], _fmt(round(p["min"] + i * p["step"], 10))) for i in range(n)])
    if total > MAX_GRID:
        raise RouteError(f"The optimization has {total:,} parameter combinations; the maximum is "
                         f"{MAX_GRID:,}. Use larger steps or fewer parameters.")
    return [dict(combo) for combo in itertools.product(*axes)]


def _common(req: Request) -> tuple[str, str, list[dict], list[dict]]:
    target = req.str("target")
    if target not in TARGETS:
        raise RouteError(Wording.BAD_FIELD.format(field="target", reason="use one of "
                                                  + ", ".join(TARGETS)))
    target_to = req.str("targetTo")
    if target_to not in ("min", "max"):
        raise RouteError(Wording.BAD_FIELD.format(field="targetTo", reason="use 'min' or 'max'"))
    strategy = req.str("strategy", STRATEGY)
    if strategy != STRATEGY:
        raise RouteError(Wording.BAD_FIELD.format(field="strategy", reason=f"use {STRATEGY}"))
    return target, target_to, _parameters(req), _constraints(req)


def _node(req: Request, required: bool) -> tuple[str, int]:
    node = req.str("nodeType") if required else req.str("nodeType", "O2-8")
    if node not in MAX_NODES:
        raise RouteError(Wording.BAD_FIELD.format(field="nodeType", reason="use O2-8, O4-12 or O8-16"))
    parallel = req.int("parallelNodes") if required else req.int("parallelNodes", 1)
    if not 1 <= parallel <= MAX_NODES[node]:
        raise RouteError(Wording.BAD_FIELD.format(
            field="parallelNodes", reason=f"{node} runs 1 to {MAX_NODES[node]} nodes at once"))
    return node, parallel


def estimate(app: "App", req: Request) -> dict:
    find_project(app, req)
    req.str("name")
    _, _, parameters, _ = _common(req)
    node, parallel = _node(req, required=False)
    n = len(_grid(parameters))
    seconds = math.ceil(n / parallel) * SECONDS_PER_BACKTEST[node]
    return {"estimate": {"estimateId": app.state.hex_id(), "time": seconds,
                         "balance": int(app.state.balance)}}


def create(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    name = req.str("name")
    target, target_to, parameters, constraints = _common(req)
    node, parallel = _node(req, required=True)
    c = find_compile(app, req, p.id)
    if app.now() - c.created < app.timing("compile") or not c.succeeds:
        raise RouteError("Compile is not ready or failed; compile the project successfully first.")
    cost = req.float("estimatedCost")
    if cost > app.state.balance:
        raise RouteError(f"Insufficient balance: the optimization is estimated at {cost:.2f} QCC "
                         f"and the organization has {app.state.balance:.2f} QCC.")
    app.state.balance -= cost
    oid = "O-" + app.state.hex_id()
    children = [{"id": app.state.hex_id(), "parameterSet": ps,
                 "seed": app.state.seed * 104729 + zlib.crc32(f"{oid}{i}".encode())}
                for i, ps in enumerate(_grid(parameters))]
    o = Optimization(id=oid, project_id=p.id, name=name, created=app.now(), compile_id=c.id,
                     target=target, target_to=target_to,
                     target_value=req.float("targetValue", None), parameters=parameters,
                     constraints=constraints, node_type=node, parallel_nodes=parallel,
                     estimated_cost=cost, sources=c.sources, children=children)
    app.state.optimizations[o.id] = o
    return {"optimizations": [summary_json(app, o)]}


def _child_window(app: "App", o: Optimization, i: int) -> tuple[float, float]:
    queue, each = app.timing("optimization_queue"), app.timing("optimization_backtest")
    start = o.created + queue + (i // o.parallel_nodes) * each
    return start, start + each


def _status(app: "App", o: Optimization) -> str:
    now = app.now()
    if o.aborted_at is not None:
        return "aborted"
    if now < o.created + app.timing("optimization_queue"):
        return "new"
    if now < _child_window(app, o, len(o.children) - 1)[1]:
        return "running"
    return "completed"


def _child(app: "App", o: Optimization, i: int) -> dict[str, Any] | None:
    child = o.children[i]
    start, end = _child_window(app, o, i)
    now = min(app.now(), o.aborted_at or math.inf)
    if now < start:
        return None
    progress = min(1.0, (now - start) / (end - start))
    out: dict[str, Any] = {"name": f"{o.name} #{i + 1}", "id": child["id"],
                           "progress": round(progress, 4), "exitCode": 0,
                           "parameterSet": child["parameterSet"], "statistics": [],
                           "equity": []}
    if progress >= 1.0:
        s = app.cached(("opt", child["id"]), lambda: Synthetic(
            seed=child["seed"], parameters=child["parameterSet"], points=120, n_orders=60))
        out["statistics"] = [round(v, 6) for v in s.optimization_statistics()]
        out["equity"] = [[t, round(v, 2)] for t, v in zip(s.times[::4], s.equity[::4])]
    return out


def child_backtest(app: "App", project_id: int, backtest_id: str) -> Backtest | None:
    """A finished child of an optimization, as `backtests/read {projectId, backtestId}` reads it
    (lean-cli's `cloud optimize` reads the optimal one so). Made on demand, not stored, so that
    `backtests/list` stays as it was; it is ready when the child finishes."""
    for o in app.state.optimizations.values():
        if o.project_id != project_id:
            continue
        for i, child in enumerate(o.children):
            if child["id"] != backtest_id:
                continue
            _, end = _child_window(app, o, i)
            if app.now() < end or (o.aborted_at is not None and o.aborted_at < end):
                return None
            lead = (app.timing("backtest_queue") + app.timing("backtest_run")
                    + app.timing("statistics_lag"))
            return Backtest(id=child["id"], project_id=project_id, compile_id=o.compile_id,
                            name=f"{o.name} #{i + 1}", created=end - lead,
                            parameters=dict(child["parameterSet"]), sources=o.sources,
                            seed=child["seed"])
    return None


def summary_json(app: "App", o: Optimization) -> dict[str, Any]:
    best = _best(app, o)
    return {"optimizationId": o.id, "projectId": o.project_id, "name": o.name,
            "status": _status(app, o), "nodeType": o.node_type,
            "criterion": {"target": o.target, "extremum": o.target_to,
                          **({"targetValue": o.target_value} if o.target_value is not None else {})},
            "created": stamp(o.created), "psr": best.get("psr", 0.0),
            "sharpeRatio": best.get("sharpe", 0.0), "trades": int(best.get("orders", 0) // 2),
            "cloneId": o.project_id, "outOfSampleDays": 0,
            "outOfSampleMaxEndDate": "2023-12-31 00:00:00", "parameters": o.parameters}


_TARGET_INDEX = {TARGETS[0]: 15, TARGETS[1]: 6, TARGETS[2]: 13, TARGETS[3]: 7}


def _best(app: "App", o: Optimization) -> dict[str, float]:
    done = [c for i in range(len(o.children)) if (c := _child(app, o, i)) and c["statistics"]]
    if not done:
        return {}
    k = _TARGET_INDEX[o.target]
    pick = (max if o.target_to == "max" else min)(done, key=lambda c: c["statistics"][k])
    s = pick["statistics"]
    return {"psr": s[13], "sharpe": s[15], "orders": s[17]}


def read(app: "App", req: Request) -> dict:
    o = find_optimization(app, req)
    children = [c for i in range(len(o.children)) if (c := _child(app, o, i)) is not None]
    finished = [c for c in children if c["progress"] >= 1.0]
    running = len(children) - len(finished)
    each = app.timing("optimization_backtest")
    hourly = 0.15 * o.parallel_nodes
    elapsed = max(0.0, min(app.now(), o.aborted_at or math.inf) - o.created)
    out = summary_json(app, o)
    out.update({
        "snapshotId": 0, "parallelNodes": o.parallel_nodes,
        "runtimeStatistics": {
            "Completed": str(len(finished)), "Failed": "0", "Running": str(running),
            "In Queue": str(len(o.children) - len(children)),
            "Average Length": timespan(each), "Total Runtime": timespan(elapsed),
            "Total": str(len(o.children)),
            "Consumed": f"{hourly * elapsed / 3600:.2f} QCC"},
        "constraints": o.constraints, "backtests": {c["id"]: c for c in children},
        "strategy": STRATEGY, "requested": stamp(o.created), "optimizationTarget": o.target,
        "gridLayout": [],
    })
    if o.target_value is not None:
        out["targetValue"] = o.target_value
    return {"optimization": out}


def find_optimization(app: "App", req: Request) -> Optimization:
    oid = req.str("optimizationId")
    o = app.state.optimizations.get(oid)
    if o is None:
        raise RouteError(Wording.OPTIMIZATION_NOT_FOUND.format(optimization_id=oid))
    return o


def list_(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    return {"optimizations": [summary_json(app, o) for o in app.state.optimizations.values()
                              if o.project_id == p.id]}


def update(app: "App", req: Request) -> dict:
    find_optimization(app, req).name = req.str("name")
    return {}


def abort(app: "App", req: Request) -> dict:
    o = find_optimization(app, req)
    if _status(app, o) in ("completed", "aborted"):
        raise RouteError(f"Optimization {o.id} is already {_status(app, o)}; nothing to abort.")
    o.aborted_at = app.now()
    return {}


def delete(app: "App", req: Request) -> dict:
    o = find_optimization(app, req)
    del app.state.optimizations[o.id]
    return {}


ROUTES = {
    "/optimizations/estimate": estimate,
    "/optimizations/create": create,
    "/optimizations/read": read,
    "/optimizations/list": list_,
    "/optimizations/update": update,
    "/optimizations/abort": abort,
    "/optimizations/delete": delete,
}
READ_ONLY = {"/optimizations/estimate", "/optimizations/read", "/optimizations/list"}
