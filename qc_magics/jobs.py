"""Run and follow cloud jobs: compile, backtest, optimization.

Waiting polls on a backoff schedule with one progress bar. Ctrl-C while waiting never deletes or
aborts the cloud job: it raises WaitInterrupted with the job's handle and the exact call that
resumes. Optimizations spend money, so none starts without an explicit yes to its estimate.
"""
from __future__ import annotations

import math
import numbers
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

from . import progress as progress_bars
from .api.lookup import find_project
from .api.optimizations import Constraint, ParameterRange, operator_name, target_name
from .errors import (BacktestRuntimeError, CompileError, CostNotConfirmed, InvalidArgument,
                     MalformedResponse, QCError, WaitInterrupted, WaitTimeout)
from .results.backtest import Backtest
from .results.optimization import Optimization
from .waiting import check_waiting, poll_until

DEFAULT_POLL = (0.5, 5.0)   # first interval and cap, seconds; each wait is 1.6 times the last
STATISTICS_GRACE = 120.0    # how long "completed" may come without statistics before we give up

# Hourly list prices per node (USD). The service's estimate gives the time; the cost follows from
# these. They change rarely; pass node_prices= to use your organization's.
NODE_PRICES = {"O2-8": 0.15, "O4-12": 0.30, "O8-16": 0.60}
# How many nodes of each type may run at once (REAL-SERVICE.md), and the one default every face
# uses: two runs in parallel without committing a small plan's every node.
NODE_LIMITS = {"O2-8": 24, "O4-12": 12, "O8-16": 6}
DEFAULT_PARALLEL_NODES = 2
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
                 timeout: float | None = None, concurrency: int = 8) -> Backtest:
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
    return follow_backtest(bt, timeout=timeout) if wait else bt


def resume_backtest_call(bt: Backtest) -> str:
    return f"Backtest(client, {bt.project_id}, {bt.id!r}).wait()"


def follow_backtest(bt: Backtest, *, timeout: float | None = None,
                    on_progress: Callable[[float, str], None] | None = None) -> Backtest:
    """Poll until the backtest is done: completed with its statistics, or failed.

    on_progress(fraction, status) is called after every poll (a panel's progress bar); raising
    KeyboardInterrupt from it stops waiting the way Ctrl-C does.
    """
    bar = progress_bars.bar(100, f"backtest {bt.name or bt.id}"[:40], bt.progress_mode, unit="%")
    completed_at: list[float] = []

    def done() -> bool:
        bt.refresh()
        bar.update(max(0.0, round(float(bt.data.get("progress") or 0) * 100) - bar.n))
        # The service's running status is a template ("'Running: _%'"); the bar shows the number.
        bar.set_postfix_str("running" if "Running" in bt.status else bt.status)
        if on_progress:
            on_progress(float(bt.data.get("progress") or 0), bt.status)
        if bt.completed and not bt.done:
            # The service says completed a moment before the statistics arrive: keep reading.
            completed_at.append(time.monotonic())
            if completed_at[-1] - completed_at[0] > STATISTICS_GRACE:
                raise WaitTimeout(f"backtest {bt.id} completed but its statistics did not arrive "
                                  f"within {STATISTICS_GRACE:g}s; read it again later")
        return bt.done

    try:
        poll_until(done, poll=bt.poll, timeout=timeout, what=f"backtest {bt.id}")
    except WaitTimeout as e:
        e.handle = bt   # so a face can say how to go on waiting
        raise
    except KeyboardInterrupt:
        raise WaitInterrupted(f"backtest {bt.id}", bt, resume_backtest_call(bt)) from None
    finally:
        bar.close()
    if bt.failed:
        raise BacktestRuntimeError(bt, bt.error or bt.status, bt.stacktrace)
    return bt


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
        return (f"Estimate: {self.backtests} backtests on {self.parallel_nodes} x {self.node_type} "
                f"nodes, about {self.seconds / 60:.1f} min, costing about {dollars(self.cost)} "
                f"(balance {self.balance:g} QCC).")


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


def estimate_optimization(client: Any, project: int | str, parameters: Sequence, *,
                          target: str = "sharpe", direction: str = "max",
                          constraints: Sequence = (), node_type: str = "O2-8",
                          parallel_nodes: int = DEFAULT_PARALLEL_NODES, name: str | None = None,
                          node_prices: Mapping[str, float] | None = None) -> OptimizationEstimate:
    """Ask the service how long the grid would take, and price it. Costs nothing."""
    _ranges(parameters), _constraints(constraints), target_name(target)
    _check_nodes(node_type, parallel_nodes, node_prices)
    parallel_nodes = int(parallel_nodes)   # numpy integers do not go into JSON
    project_id = int(find_project(client, project)["projectId"])
    return _estimate(client, project_id, parameters, target=target, direction=direction,
                     constraints=constraints, node_type=node_type, parallel_nodes=parallel_nodes,
                     name=name, node_prices=node_prices)


def _estimate(client: Any, project_id: int, parameters: Sequence, *, target: str, direction: str,
              constraints: Sequence, node_type: str, parallel_nodes: int, name: str | None,
              node_prices: Mapping[str, float] | None) -> OptimizationEstimate:
    ranges = _ranges(parameters)
    answer = client.estimate_optimization(
        project_id, name or "qc_magics estimate", target=target_name(target), target_to=direction,
        parameters=ranges, constraints=_constraints(constraints), node_type=node_type,
        parallel_nodes=parallel_nodes)
    try:
        seconds = float(answer.get("time") or 0)
    except (TypeError, ValueError):
        seconds = math.nan
    if not 0 <= seconds < math.inf:
        # A cost of nan would pass every "over the maximum" test: refuse to price it at all.
        raise MalformedResponse(f"/optimizations/estimate: the service's time "
                                f"{answer.get('time')!r} is not a number of seconds; nothing "
                                "was started", endpoint="/optimizations/estimate")
    price = (node_prices or NODE_PRICES)[node_type]
    return OptimizationEstimate(
        backtests=math.prod(range_size(r) for r in ranges), seconds=seconds,
        # Exact, not rounded: a max_cost or a confirmed figure is held against what it costs.
        cost=seconds / 3600 * parallel_nodes * price,
        balance=float(answer.get("balance") or 0), node_type=node_type,
        parallel_nodes=parallel_nodes, estimate_id=str(answer.get("estimateId") or ""))


def run_optimization(client: Any, project: int | str, parameters: Sequence, *,
                     target: str = "sharpe", direction: str = "max", constraints: Sequence = (),
                     node_type: str = "O2-8", parallel_nodes: int = DEFAULT_PARALLEL_NODES,
                     name: str | None = None, confirm: bool = False,
                     max_cost: float | None = None,
                     confirmed: OptimizationEstimate | None = None, wait: bool = True,
                     progress: str = "auto", poll: tuple[float, float] = DEFAULT_POLL,
                     timeout: float | None = None,
                     node_prices: Mapping[str, float] | None = None) -> Optimization:
    """Estimate, then start the optimization only with confirm=True, a cost within max_cost, or
    `confirmed=` an estimate the person accepted: the run then never costs more than it.

    >>> run_optimization(client, "Momentum", [("ema_fast", 5, 30, 5)], max_cost=2.0).grid
    """
    # Every value is checked before the first request: a bad one must not leave a compile behind.
    _ranges(parameters), _constraints(constraints), target_name(target)
    _check_nodes(node_type, parallel_nodes, node_prices)
    parallel_nodes = int(parallel_nodes)   # numpy integers do not go into JSON
    _check_cost(max_cost)
    if confirmed is not None:
        _check_cost(confirmed.cost)
    check_waiting(poll, timeout)
    project_id = int(find_project(client, project)["projectId"])
    estimate = _estimate(client, project_id, parameters, target=target, direction=direction,
                         constraints=constraints, node_type=node_type,
                         parallel_nodes=parallel_nodes, name=name, node_prices=node_prices)
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
            project_id, name or time.strftime("qc_magics %Y-%m-%d %H:%M:%S"),
            compile_id=compile_id, target=target_name(target), target_to=direction,
            parameters=_ranges(parameters), constraints=_constraints(constraints),
            estimated_cost=estimate.cost, node_type=node_type, parallel_nodes=parallel_nodes)
    opt = Optimization(client, summary["optimizationId"], progress=progress, poll=poll)
    return follow_optimization(opt, timeout=timeout) if wait else opt


def follow_optimization(opt: Optimization, *, timeout: float | None = None,
                        on_progress: Callable[[float, str], None] | None = None) -> Optimization:
    bar = progress_bars.bar(None, f"optimization {opt.id}"[:40], opt.progress_mode,
                            unit="backtest")

    def done() -> bool:
        opt.refresh()
        # Parsed by results: `[]` while empty, counts from their text ("1,234" included).
        counts = {k: v for k, v in opt.runtime.items() if isinstance(v, float)}
        total, finished = int(counts.get("Total", 0)), int(counts.get("Completed", 0))
        if total and bar.total != total:
            bar.total = total
        bar.update(finished - bar.n)
        bar.set_postfix_str(opt.status)
        if on_progress:
            on_progress(finished / total if total else 0.0, opt.status)
        return opt.status in ("completed", "aborted")

    try:
        poll_until(done, poll=opt.poll, timeout=timeout, what=f"optimization {opt.id}")
    except WaitTimeout as e:
        e.handle = opt
        raise
    except KeyboardInterrupt:
        raise WaitInterrupted(f"optimization {opt.id}", opt,
                              f"Optimization(client, {opt.id!r}).wait()") from None
    finally:
        bar.close()
    return opt
