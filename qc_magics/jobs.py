"""Run and follow cloud jobs: compile, backtest, optimization.

Waiting polls on a backoff schedule with one progress bar. Ctrl-C while waiting never deletes or
aborts the cloud job: it raises WaitInterrupted with the job's handle and the exact call that
resumes. Optimizations spend money, so none starts without an explicit yes to its estimate.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from . import progress as progress_bars
from .api.lookup import find_project
from .api.optimizations import Constraint, ParameterRange, target_name
from .errors import (BacktestRuntimeError, CompileError, CostNotConfirmed, InvalidArgument,
                     WaitInterrupted, WaitTimeout)
from .results.backtest import Backtest
from .results.optimization import Optimization
from .waiting import poll_until

DEFAULT_POLL = (0.5, 5.0)   # first interval and cap, seconds; each wait is 1.6 times the last
STATISTICS_GRACE = 120.0    # how long "completed" may come without statistics before we give up

# Hourly list prices per node (USD). The service's estimate gives the time; the cost follows from
# these. They change rarely; pass node_prices= to use your organization's.
NODE_PRICES = {"O2-8": 0.15, "O4-12": 0.30, "O8-16": 0.60}


def compile_project(client: Any, project_id: int, *, poll: tuple[float, float] = DEFAULT_POLL,
                    timeout: float | None = 600.0) -> str:
    """Compile and wait for the build; the compile id, or CompileError with the logs."""
    compile_id = client.create_compile(project_id)["compileId"]
    state: dict = {}

    def built() -> bool:
        state.update(client.read_compile(project_id, compile_id))
        return state.get("state") != "InQueue"

    poll_until(built, poll=poll, timeout=timeout, what=f"the compile of project {project_id}")
    if state.get("state") != "BuildSuccess":
        raise CompileError(project_id, compile_id, state.get("logs") or [])
    return compile_id


def run_backtest(client: Any, project: int | str, name: str | None = None,
                 parameters: Mapping[str, Any] | None = None, *, wait: bool = True,
                 progress: str = "auto", poll: tuple[float, float] = DEFAULT_POLL,
                 timeout: float | None = None, concurrency: int = 8) -> Backtest:
    """Compile the project, start a backtest, and (with wait=True) follow it to the end.

    >>> bt = run_backtest(client, "Momentum", parameters={"ema_fast": 10})
    >>> bt.statistics["Sharpe Ratio"]
    """
    project_id = int(find_project(client, project)["projectId"])
    compile_id = compile_project(client, project_id, poll=poll)
    name = name or time.strftime("qc_magics %Y-%m-%d %H:%M:%S")
    # The API takes strings and numbers; anything else goes as its text.
    values = {k: v if isinstance(v, (int, float, str)) and not isinstance(v, bool) else str(v)
              for k, v in (parameters or {}).items()}
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
                f"nodes, about {self.seconds / 60:.1f} min, costing about ${self.cost:.2f} "
                f"(balance {self.balance:g} QCC).")


def _ranges(parameters: Sequence[ParameterRange | tuple | dict]) -> list[ParameterRange]:
    out = []
    for p in parameters:
        if isinstance(p, ParameterRange):
            out.append(p)
        elif isinstance(p, dict):
            out.append(ParameterRange(p["name"], p["min"], p["max"], p["step"]))
        else:
            out.append(ParameterRange(*p))
    if not out:
        raise InvalidArgument("an optimization needs at least one parameter range")
    return out


def _constraints(constraints: Sequence[Constraint | tuple]) -> list[Constraint]:
    return [c if isinstance(c, Constraint) else Constraint(*c) for c in constraints]


def estimate_optimization(client: Any, project: int | str, parameters: Sequence, *,
                          target: str = "sharpe", direction: str = "max",
                          constraints: Sequence = (), node_type: str = "O2-8",
                          parallel_nodes: int = 4, name: str | None = None,
                          node_prices: Mapping[str, float] | None = None) -> OptimizationEstimate:
    """Ask the service how long the grid would take, and price it. Costs nothing."""
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
    seconds = float(answer.get("time") or 0)
    price = (node_prices or NODE_PRICES)[node_type]
    return OptimizationEstimate(
        backtests=math.prod(len(r.values) for r in ranges), seconds=seconds,
        cost=round(seconds / 3600 * parallel_nodes * price, 2),
        balance=float(answer.get("balance") or 0), node_type=node_type,
        parallel_nodes=parallel_nodes, estimate_id=str(answer.get("estimateId") or ""))


def run_optimization(client: Any, project: int | str, parameters: Sequence, *,
                     target: str = "sharpe", direction: str = "max", constraints: Sequence = (),
                     node_type: str = "O2-8", parallel_nodes: int = 4, name: str | None = None,
                     confirm: bool = False, max_cost: float | None = None, wait: bool = True,
                     progress: str = "auto", poll: tuple[float, float] = DEFAULT_POLL,
                     timeout: float | None = None,
                     node_prices: Mapping[str, float] | None = None) -> Optimization:
    """Estimate, then start the optimization only with confirm=True or a cost within max_cost.

    >>> run_optimization(client, "Momentum", [("ema_fast", 5, 30, 5)], max_cost=2.0).grid
    """
    project_id = int(find_project(client, project)["projectId"])
    estimate = _estimate(client, project_id, parameters, target=target, direction=direction,
                         constraints=constraints, node_type=node_type,
                         parallel_nodes=parallel_nodes, name=name, node_prices=node_prices)
    if max_cost is not None and estimate.cost > max_cost:
        raise CostNotConfirmed(estimate, f"the estimate ${estimate.cost:.2f} is over the "
                                         f"maximum of ${max_cost:.2f} you set")
    if not confirm and max_cost is None:
        raise CostNotConfirmed(estimate, "an optimization costs money: confirm the estimate "
                                         "(confirm=True) or set max_cost")
    compile_id = compile_project(client, project_id, poll=poll)
    summary = client.create_optimization(
        project_id, name or time.strftime("qc_magics %Y-%m-%d %H:%M:%S"), compile_id=compile_id,
        target=target_name(target), target_to=direction, parameters=_ranges(parameters),
        constraints=_constraints(constraints), estimated_cost=estimate.cost,
        node_type=node_type, parallel_nodes=parallel_nodes)
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
    except KeyboardInterrupt:
        raise WaitInterrupted(f"optimization {opt.id}", opt,
                              f"Optimization(client, {opt.id!r}).wait()") from None
    finally:
        bar.close()
    return opt
