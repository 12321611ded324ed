"""Routes for optimizations: a grid of child backtests run in batches of `parallelNodes`.

Answers follow the real service where QuantConnect's own clients show it: child statistics are
positional percent numbers: by default the list lean-cli 1.0.230 parses (it only parses that,
and it works against the real service), or, with `App.optimization_statistics = "object"` or the
directive `# qc-emulator: optimization-statistics object`, the newer object keyed "0".."24" plus
custom names (Lean PR #8984; the client reads both), equity rows are candles,
empty `backtests` and `runtimeStatistics` are `[]`, durations are hh:mm:ss. Estimate and create
take JSON and lean-cli's form encoding (`parameters[i][key]`, `constraints[i][target-value]`).
"""
from __future__ import annotations

import itertools
import math
import zlib
from typing import TYPE_CHECKING, Any

from ..errors import Wording
from ..vocabulary import NODE_PRICES
from . import children as child_backtests, statistics
from .backtests import find_compile
from .formats import clock_time
from .projects import find_project
from .request import Request, RouteError, as_float
from .state import Optimization, stamp
from .synthetic import Synthetic, directives

if TYPE_CHECKING:
    from .app import App

# Targets and where each sits in a child's positional statistics.
_TARGET_INDEX = {"TotalPerformance.PortfolioStatistics." + name: i for name, i in (
    ("SharpeRatio", 15), ("CompoundingAnnualReturn", 6), ("ProbabilisticSharpeRatio", 13),
    ("Drawdown", 7), ("TotalNetProfit", 12), ("SortinoRatio", 21), ("Alpha", 0), ("Beta", 5),
    ("WinRate", 20), ("LossRate", 11), ("Expectancy", 9), ("InformationRatio", 10),
    ("TrackingError", 18), ("TreynorRatio", 19), ("ProfitLossRatio", 14))}
TARGETS = tuple(_TARGET_INDEX)
STRATEGY = "QuantConnect.Optimizer.Strategies.GridSearchOptimizationStrategy"
# Parallel nodes each node type allows (lean-cli optimizer_config_manager.available_nodes).
MAX_NODES = {"O2-8": 24, "O4-12": 12, "O8-16": 6}
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
        limits = ", ".join(f"{n} 1-{m}" for n, m in MAX_NODES.items())
        raise RouteError(Wording.BAD_FIELD.format(
            field="parallelNodes", reason=f"{node} runs 1 to {MAX_NODES[node]} nodes at once, "
                                          f"not {parallel} (limits: {limits})"))
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
    grid = [{"id": app.state.hex_id(), "parameterSet": ps,
                 "seed": app.state.seed * 104729 + zlib.crc32(f"{oid}{i}".encode())}
                for i, ps in enumerate(_grid(parameters))]
    o = Optimization(id=oid, project_id=p.id, name=name, created=app.now(), compile_id=c.id,
                     target=target, target_to=target_to,
                     target_value=req.float("targetValue", None), parameters=parameters,
                     constraints=constraints, node_type=node, parallel_nodes=parallel,
                     estimated_cost=cost, sources=c.sources, children=grid)
    app.state.optimizations[o.id] = o
    return {"optimizations": [summary_json(app, o)]}


def _status(app: "App", o: Optimization) -> str:
    now = app.now()
    if o.aborted_at is not None:
        return "aborted"
    if now < o.created + app.timing("optimization_queue"):
        return "new"
    if now < child_backtests.window(app, o, len(o.children) - 1)[1]:
        return "running"
    return "completed"


def _child(app: "App", o: Optimization, i: int) -> dict[str, Any] | None:
    child = o.children[i]
    start, end = child_backtests.window(app, o, i)
    now = min(app.now(), o.aborted_at or math.inf)
    if now < start:
        return None
    progress = min(1.0, (now - start) / (end - start))
    out: dict[str, Any] = {"name": f"{o.name} #{i + 1}", "id": child["id"],
                           "progress": round(progress, 4), "exitCode": 0,
                           "parameterSet": child["parameterSet"], "statistics": [],
                           "equity": []}
    if progress >= 1.0:
        s = app.cached(("opt", child["id"]), lambda: Synthetic.for_sources(
            child["seed"], child["parameterSet"], o.sources, algorithm_id=child["id"],
            points=child_backtests.CHILD_POINTS, n_orders=child_backtests.CHILD_ORDERS))
        form = directives(o.sources).get("optimization-statistics", app.optimization_statistics)
        form = form if form in ("object", "list") else "object"
        out["statistics"] = statistics.positional(s, form)
        out["equity"] = _candles(s)
    return out


def _candles(s: Synthetic, every: int = 4) -> list[list[float]]:
    """Equity rows [t, o, h, l, c], one per `every` points (Lean's CandlestickSeries)."""
    rows = []
    for k in range(0, len(s.times), every):
        chunk = s.equity[max(0, k - every + 1):k + 1]
        rows.append([s.times[k], round(chunk[0], 2), round(max(chunk), 2), round(min(chunk), 2),
                     round(chunk[-1], 2)])
    return rows


def _stat(stats: dict | list, index: int) -> float:
    """Positional statistic `index` of a child, in either form."""
    return stats[index] if isinstance(stats, list) else stats[str(index)]


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


def _best(app: "App", o: Optimization) -> dict[str, float]:
    done = [c for i in range(len(o.children)) if (c := _child(app, o, i)) and c["statistics"]]
    if not done:
        return {}
    k = _TARGET_INDEX[o.target]
    pick = (max if o.target_to == "max" else min)(done, key=lambda c: _stat(c["statistics"], k))
    s = pick["statistics"]
    return {"psr": _stat(s, 13), "sharpe": _stat(s, 15), "orders": _stat(s, 17)}


def read(app: "App", req: Request) -> dict:
    o = find_optimization(app, req)
    started = [c for i in range(len(o.children)) if (c := _child(app, o, i)) is not None]
    finished = [c for c in started if c["progress"] >= 1.0]
    running = len(started) - len(finished)
    # A child backtest takes `each` seconds here and SECONDS_PER_BACKTEST in the cloud (what the
    # estimate promised): runtime and credit are said in the cloud's time, so a finished run
    # reads against its estimate however fast the emulator was told to run.
    each = app.timing("optimization_backtest")
    cloud_each = SECONDS_PER_BACKTEST.get(o.node_type, max(SECONDS_PER_BACKTEST.values()))
    hourly = NODE_PRICES.get(o.node_type, max(NODE_PRICES.values())) * o.parallel_nodes
    finished_at = child_backtests.window(app, o, len(o.children) - 1)[1] if o.children \
        else o.created
    elapsed = max(0.0, min(app.now(), o.aborted_at or math.inf, finished_at) - o.created) * \
        (cloud_each / each if each > 0 else 1.0)
    out = summary_json(app, o)
    # Nothing to report yet: the service sends [] for an empty runtimeStatistics or backtests
    # (lean-cli's QCOptimization.parse_empty_lists).
    runtime = [] if not started else {
        "Completed": str(len(finished)), "Failed": "0", "Running": str(running),
        "In Queue": str(len(o.children) - len(started)),
        "Average Length": clock_time(cloud_each), "Total Runtime": clock_time(elapsed),
        "Total": str(len(o.children)), "Consumed": f"{hourly * elapsed / 3600:.2f} QCC"}
    out.update({
        "snapshotId": 0, "parallelNodes": o.parallel_nodes, "runtimeStatistics": runtime,
        "constraints": o.constraints, "backtests": {c["id"]: c for c in started} or [],
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
