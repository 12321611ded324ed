"""Run cloud jobs: compile, backtest, optimization; each run hands back a result handle.

Waiting belongs to the handles (`Backtest.wait`, `Optimization.wait`: one progress bar, Ctrl-C
keeps the cloud job and says how to resume); `follow_backtest` and `follow_optimization` are the
same waits by their older names. Optimizations spend money, so none starts without an explicit
yes to its estimate. An optimization is described once, by an `OptimizationPlan`.
"""
from __future__ import annotations

import math
import numbers
import time
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Any, Iterator, Mapping, Sequence

from .api.lookup import find_project
from .api.optimizations import Constraint, ParameterRange, operator_name, target_name
from .errors import (CompileError, CostNotConfirmed, InvalidArgument, MalformedResponse,
                     QCError)
from .results.backtest import STATISTICS_GRACE, Backtest  # noqa: F401 - jobs' older name
from .results.handle import OnProgress
from .results.optimization import Optimization
# The shared words, re-exported under the names jobs has always had.
from .vocabulary import (DEFAULT_NODE_TYPE, DEFAULT_PARALLEL_NODES, DEFAULT_POLL,  # noqa: F401
                         DEFAULT_TARGET, NODE_LIMITS, NODE_PRICES, default_direction)
from .waiting import CONCURRENCY, check_waiting, poll_until
# A range past this many values is a typo (a step of 0.0001 for 1), and listing it would hang.
MAX_RANGE_VALUES = 100_000


class CreateInterrupted(QCError):
    """Ctrl-C while a create was in flight: the service may have acted on it all the same."""

    may_have_acted = True
    interrupted = True

    def __init__(self, endpoint: str, what: str, check: str):
        self.endpoint = endpoint
        super().__init__(f"{endpoint}: interrupted while creating the {what}; it may have been "
                         f"created anyway: check with {check} before running it again")


@contextmanager
def _creating(endpoint: str, what: str, check: str) -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        raise CreateInterrupted(endpoint, what, check) from None


def compile_project(client: Any, project_id: int, *, poll: tuple[float, float] = DEFAULT_POLL,
                    timeout: float | None = 600.0) -> str:
    """Compile and wait for the build; the compile id, or CompileError with the logs."""
    return build(client, project_id, poll=poll, timeout=timeout)["compileId"]


def build(client: Any, project_id: int, *, poll: tuple[float, float] = DEFAULT_POLL,
          timeout: float | None = 600.0) -> dict:
    """Compile and wait for the build; the service's last answer (compileId, state, logs), or
    CompileError with the logs."""
    check_waiting(poll, timeout)
    compile_id = client.create_compile(project_id)["compileId"]
    state: dict = {"compileId": compile_id}

    def built() -> bool:
        state.update(client.read_compile(project_id, compile_id))
        return state.get("state") != "InQueue"

    poll_until(built, poll=poll, timeout=timeout, what=f"the compile of project {project_id}")
    if state.get("state") != "BuildSuccess":
        raise CompileError(project_id, compile_id, state.get("logs") or [])
    return {"compileId": compile_id, "state": state.get("state"), "logs": state.get("logs") or []}


def run_backtest(client: Any, project: int | str, name: str | None = None,
                 parameters: Mapping[str, Any] | None = None, *, wait: bool = True,
                 progress: str = "auto", poll: tuple[float, float] = DEFAULT_POLL,
                 timeout: float | None = None, concurrency: int = CONCURRENCY) -> Backtest:
    """Compile the project, start a backtest, and (with wait=True) follow it to the end.

    >>> bt = run_backtest(client, "Momentum", parameters={"ema_fast": 10})
    >>> bt.statistics["Sharpe Ratio"]
    """
    check_waiting(poll, timeout)
    # The API takes strings and numbers; anything else goes as its text. JSON has no nan or inf.
    values = {k: v if isinstance(v, (int, float, str)) and not isinstance(v, bool) else str(v)
              for k, v in (parameters or {}).items()}
    bad = [k for k, v in values.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        raise InvalidArgument(f"parameter {', '.join(map(str, bad))}: the API takes finite "
                              "numbers only (pass text, e.g. 'inf', to have it read as text)")
    project_id = int(find_project(client, project)["projectId"])
    compile_id = compile_project(client, project_id, poll=poll)
    name = name or time.strftime("qc_magics %Y-%m-%d %H:%M:%S")
    with _creating("/backtests/create", "backtest", f"backtests_frame(client, {project_id})"):
        data = client.create_backtest(project_id, compile_id, name, values)
    bt = Backtest(client, project_id, data["backtestId"], data, progress=progress,
                  concurrency=concurrency, poll=poll)
    return bt.wait(timeout=timeout) if wait else bt


def follow_backtest(bt: Backtest, *, timeout: float | None = None,
                    on_progress: OnProgress | None = None) -> Backtest:
    """`bt.wait(timeout, on_progress)`, by its older name."""
    return bt.wait(timeout=timeout, on_progress=on_progress)


# --- optimizations -------------------------------------------------------------------------------

@dataclass(frozen=True)
class OptimizationEstimate:
    """What an optimization would take: backtests, time, cost, and the balance to pay it from."""

    backtests: int
    seconds: float
    cost: float
    balance: float
    node_type: str
    parallel_nodes: int
    estimate_id: str = ""

    def __str__(self) -> str:
        # Separators, never an exponent: a balance of 1,250,000 QCC is not "1.25e+06".
        balance = f"{self.balance:,.0f}" if float(self.balance).is_integer() \
            else f"{self.balance:,.2f}"
        return (f"Estimate: {self.backtests:,} backtests on {self.parallel_nodes} x "
                f"{self.node_type} nodes, about {self.seconds / 60:,.1f} min, costing about "
                f"{dollars(self.cost)} (balance {balance} QCC).")

    def __repr__(self) -> str:
        # What a notebook shows for `%qc optimize estimate`: the sentence, not the fields
        # (each field is still an attribute: estimate.cost, estimate.backtests).
        return str(self)


def range_size(r: ParameterRange) -> int:
    """How many values the range holds; refuses what is not a finite, listable range."""
    bounds = (r.min, r.max, r.step)
    if not all(isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)
               for x in bounds):
        raise InvalidArgument(f"parameter {r.name}: min, max and step must be finite numbers, "
                              f"not {':'.join(map(str, bounds))}")
    if not r.step > 0:
        raise InvalidArgument(f"parameter {r.name}: step must be positive, not {r.step}")
    count = (r.max - r.min) / r.step   # inf when the span overflows or the step is tiny
    if not count <= MAX_RANGE_VALUES - 1:
        raise InvalidArgument(f"parameter {r.name}: {r.min}:{r.max}:{r.step} holds more than "
                              f"{MAX_RANGE_VALUES:,} values; use a larger step")
    return len(r.values)


def check_range(r: ParameterRange) -> ParameterRange:
    range_size(r)
    return r


def _ranges(parameters: Sequence[ParameterRange | tuple | dict]) -> list[ParameterRange]:
    out = []
    for p in parameters:
        try:
            if isinstance(p, ParameterRange):
                r = p
            elif isinstance(p, dict):
                r = ParameterRange(p["name"], p["min"], p["max"], p["step"])
            else:
                r = ParameterRange(*p)
        except (KeyError, TypeError):
            raise InvalidArgument(f"a parameter range is (name, min, max, step), not {p!r}"
                                  ) from None
        out.append(check_range(r))
    if not out:
        raise InvalidArgument("an optimization needs at least one parameter range")
    return out


def _check_nodes(node_type: str, parallel_nodes: int,
                 node_prices: Mapping[str, float] | None) -> None:
    if node_type not in (node_prices or NODE_PRICES):
        raise InvalidArgument(f"node type {node_type!r} is not one of "
                              f"{', '.join(node_prices or NODE_PRICES)}")
    price = (node_prices or NODE_PRICES)[node_type]
    if isinstance(price, bool) or not isinstance(price, numbers.Real) or not 0 <= price < math.inf:
        raise InvalidArgument(f"the price of {node_type} nodes must be a finite number of "
                              f"dollars an hour, not {price!r}")
    most = NODE_LIMITS.get(node_type, max(NODE_LIMITS.values()))
    if isinstance(parallel_nodes, bool) or not isinstance(parallel_nodes, numbers.Integral) \
            or not 1 <= parallel_nodes <= most:
        raise InvalidArgument(f"{node_type} nodes run 1 to {most} in parallel, not "
                              f"{parallel_nodes!r}")


def dollars(cost: float) -> str:
    """A cost as shown to a person: rounded up to the cent, so a shown figure is never below what
    is charged ($0.004 shows as $0.01, never $0.00)."""
    return f"${math.ceil(round(cost * 100, 6)) / 100:,.2f}"


def _check_cost(max_cost: float | None) -> None:
    # nan passes every "over the maximum" test, so a nan maximum would accept any cost.
    if max_cost is None:
        return
    if isinstance(max_cost, bool) or not isinstance(max_cost, numbers.Real) \
            or not 0 <= max_cost < math.inf:
        raise InvalidArgument(f"max_cost is a finite amount of dollars, 0 or more, not "
                              f"{max_cost!r}")


def check_constraint(c: Constraint) -> Constraint:
    if isinstance(c.value, bool) or not isinstance(c.value, numbers.Real) \
            or not math.isfinite(c.value):
        raise InvalidArgument(f"constraint {c.target} {c.operator}: the value must be a finite "
                              f"number, not {c.value!r}")
    target_name(c.target), operator_name(c.operator)   # unknown ones raise, naming the choices
    return c


def _constraints(constraints: Sequence[Constraint | tuple]) -> list[Constraint]:
    try:
        given = [c if isinstance(c, Constraint) else Constraint(*c) for c in constraints]
    except TypeError:
        raise InvalidArgument(f"a constraint is (metric, operator, value), not "
                              f"{list(constraints)!r}") from None
    return [check_constraint(c) for c in given]


@dataclass(frozen=True)
class OptimizationPlan:
    """One optimization as every face describes it: the grid, what to optimise, on which nodes.

    `direction` None means the target's own (`vocabulary.default_direction`: drawdown is
    minimised, the rest maximised). Building a plan checks nothing; `check()` checks all of it.

    >>> plan = OptimizationPlan([ParameterRange("ema_fast", 5, 30, 5)], target="drawdown")
    >>> run_optimization(client, "Momentum", plan=plan.check(), max_cost=2.0)
    """

    parameters: Sequence[ParameterRange]
    target: str = DEFAULT_TARGET
    direction: str | None = None
    constraints: Sequence[Constraint] = ()
    node_type: str = DEFAULT_NODE_TYPE
    parallel_nodes: int = DEFAULT_PARALLEL_NODES
    name: str | None = None

    def check(self, node_prices: Mapping[str, float] | None = None) -> "OptimizationPlan":
        """The same plan with every value checked (InvalidArgument naming the first bad one):
        ranges and constraints as their value types, the direction filled in, the node count a
        plain int (numpy integers do not go into JSON)."""
        ranges, constraints = _ranges(self.parameters), _constraints(self.constraints)
        target_name(self.target)   # an unknown one raises, naming the choices
        direction = default_direction(self.target) if self.direction is None else self.direction
        if direction not in ("min", "max"):
            raise InvalidArgument(f"direction is 'min' or 'max' (or None: the target's own), "
                                  f"not {self.direction!r}")
        _check_nodes(self.node_type, self.parallel_nodes, node_prices)
        # None or "" gets a dated default name when the run starts.
        if self.name and (not isinstance(self.name, str) or not self.name.strip()):
            raise InvalidArgument(f"an optimization's name is text, not {self.name!r}")
        return replace(self, parameters=tuple(ranges), constraints=tuple(constraints),
                       direction=direction, parallel_nodes=int(self.parallel_nodes))


_PLAN_DEFAULTS = {f.name: f.default for f in fields(OptimizationPlan) if f.name != "parameters"}


def _plan_of(plan: OptimizationPlan | None, parameters: Sequence | None,
             parts: dict[str, Any], node_prices: Mapping[str, float] | None) -> OptimizationPlan:
    """The checked plan from either `plan=` or the keyword form; both at once is refused, so a
    keyword beside a plan is never silently ignored."""
    if plan is None:
        if parameters is None:
            raise InvalidArgument("an optimization needs parameter ranges (or plan=)")
        return OptimizationPlan(parameters, **parts).check(node_prices)
    if not isinstance(plan, OptimizationPlan):
        raise InvalidArgument(f"plan= takes an OptimizationPlan, not {type(plan).__name__}")
    beside = ["parameters"] if parameters is not None else []
    beside += [k for k, v in parts.items()
               if (tuple(v) if k == "constraints" else v) != _PLAN_DEFAULTS[k]]
    if beside:
        raise InvalidArgument(f"plan= describes the whole optimization; put {', '.join(beside)} "
                              "in the plan, not beside it")
    return plan.check(node_prices)


def estimate_optimization(client: Any, project: int | str, parameters: Sequence | None = None,
                          *, plan: OptimizationPlan | None = None, target: str = DEFAULT_TARGET,
                          direction: str | None = None, constraints: Sequence = (),
                          node_type: str = DEFAULT_NODE_TYPE,
                          parallel_nodes: int = DEFAULT_PARALLEL_NODES, name: str | None = None,
                          node_prices: Mapping[str, float] | None = None) -> OptimizationEstimate:
    """Ask the service how long the grid would take, and price it. Costs nothing.

    Describe the optimization by `plan=` or by the keywords (direction None: the target's own).
    """
    plan = _plan_of(plan, parameters, dict(
        target=target, direction=direction, constraints=constraints, node_type=node_type,
        parallel_nodes=parallel_nodes, name=name), node_prices)
    project_id = int(find_project(client, project)["projectId"])
    return _estimate(client, project_id, plan, node_prices)


def _estimate(client: Any, project_id: int, plan: OptimizationPlan,
              node_prices: Mapping[str, float] | None) -> OptimizationEstimate:
    answer = client.estimate_optimization(
        project_id, plan.name or "qc_magics estimate", target=target_name(plan.target),
        target_to=plan.direction, parameters=list(plan.parameters),
        constraints=list(plan.constraints), node_type=plan.node_type,
        parallel_nodes=plan.parallel_nodes)
    try:
        seconds = float(answer.get("time") or 0)
    except (TypeError, ValueError):
        seconds = math.nan
    if not 0 <= seconds < math.inf:
        # A cost of nan would pass every "over the maximum" test: refuse to price it at all.
        raise MalformedResponse(f"/optimizations/estimate: the service's time "
                                f"{answer.get('time')!r} is not a number of seconds; nothing "
                                "was started", endpoint="/optimizations/estimate")
    price = (node_prices or NODE_PRICES)[plan.node_type]
    return OptimizationEstimate(
        backtests=math.prod(range_size(r) for r in plan.parameters), seconds=seconds,
        # Exact, not rounded: a max_cost or a confirmed figure is held against what it costs.
        cost=seconds / 3600 * plan.parallel_nodes * price,
        balance=float(answer.get("balance") or 0), node_type=plan.node_type,
        parallel_nodes=plan.parallel_nodes, estimate_id=str(answer.get("estimateId") or ""))


def run_optimization(client: Any, project: int | str, parameters: Sequence | None = None, *,
                     plan: OptimizationPlan | None = None, target: str = DEFAULT_TARGET,
                     direction: str | None = None, constraints: Sequence = (),
                     node_type: str = DEFAULT_NODE_TYPE,
                     parallel_nodes: int = DEFAULT_PARALLEL_NODES,
                     name: str | None = None, confirm: bool = False,
                     max_cost: float | None = None,
                     confirmed: OptimizationEstimate | None = None, wait: bool = True,
                     progress: str = "auto", poll: tuple[float, float] = DEFAULT_POLL,
                     timeout: float | None = None,
                     node_prices: Mapping[str, float] | None = None) -> Optimization:
    """Estimate, then start the optimization only with confirm=True, a cost within max_cost, or
    `confirmed=` an estimate the person accepted: the run then never costs more than it.
    Describe the optimization by `plan=` or by the keywords, as for estimate_optimization.

    >>> run_optimization(client, "Momentum", [("ema_fast", 5, 30, 5)], max_cost=2.0).grid
    """
    # Every value is checked before the first request: a bad one must not leave a compile behind.
    plan = _plan_of(plan, parameters, dict(
        target=target, direction=direction, constraints=constraints, node_type=node_type,
        parallel_nodes=parallel_nodes, name=name), node_prices)
    _check_cost(max_cost)
    if confirmed is not None:
        _check_cost(confirmed.cost)
    check_waiting(poll, timeout)
    project_id = int(find_project(client, project)["projectId"])
    estimate = _estimate(client, project_id, plan, node_prices)
    if max_cost is not None and estimate.cost > max_cost:
        raise CostNotConfirmed(estimate, f"the estimate {dollars(estimate.cost)} is over the "
                                         f"maximum of ${max_cost:.2f} you set")
    if confirmed is not None and estimate.cost > confirmed.cost:
        raise CostNotConfirmed(estimate, f"the estimate rose to {dollars(estimate.cost)} from the "
                                         f"{dollars(confirmed.cost)} you confirmed")
    if not confirm and max_cost is None and confirmed is None:
        raise CostNotConfirmed(estimate, "an optimization costs money: confirm the estimate "
                                         "(confirm=True) or set max_cost")
    compile_id = compile_project(client, project_id, poll=poll)
    with _creating("/optimizations/create", "optimization",
                   f"optimizations_frame(client, {project_id})"):
        summary = client.create_optimization(
            project_id, plan.name or time.strftime("qc_magics %Y-%m-%d %H:%M:%S"),
            compile_id=compile_id, target=target_name(plan.target), target_to=plan.direction,
            parameters=list(plan.parameters), constraints=list(plan.constraints),
            estimated_cost=estimate.cost, node_type=plan.node_type,
            parallel_nodes=plan.parallel_nodes)
    opt = Optimization(client, summary["optimizationId"], progress=progress, poll=poll)
    return opt.wait(timeout=timeout) if wait else opt


def follow_optimization(opt: Optimization, *, timeout: float | None = None,
                        on_progress: OnProgress | None = None) -> Optimization:
    """`opt.wait(timeout, on_progress)`, by its older name."""
    return opt.wait(timeout=timeout, on_progress=on_progress)
