"""Endpoints for optimizations, and the small values that describe one.

Bodies are JSON shaped as the official spec describes (parameters keyed by `name`); the emulator
also accepts lean-cli's form encoding, but this client only speaks the spec.
"""
from __future__ import annotations

import math
import re
from typing import Any, Sequence

from ..errors import InvalidArgument
from ..records import FrozenRecord
from ..vocabulary import DEFAULT_NODE_TYPE, DEFAULT_PARALLEL_NODES, NODE_LIMITS, NODE_TYPES
from .answers import first, identified, listing, payload
from .base import Endpoints, need_finite, need_id, need_name, need_project_id

STRATEGY_GRID = "QuantConnect.Optimizer.Strategies.GridSearchOptimizationStrategy"
# The service's name of each target in vocabulary.TARGETS (tests hold the two to the same keys).
TARGETS = {
    "sharpe": "TotalPerformance.PortfolioStatistics.SharpeRatio",
    "car": "TotalPerformance.PortfolioStatistics.CompoundingAnnualReturn",
    "psr": "TotalPerformance.PortfolioStatistics.ProbabilisticSharpeRatio",
    "drawdown": "TotalPerformance.PortfolioStatistics.Drawdown",
}
OPERATORS = {"<=": "LessOrEqual", "<": "Less", ">=": "GreaterOrEqual", ">": "Greater",
             "!=": "NotEqual", "==": "Equals", "=": "Equals"}


class ParameterRange(FrozenRecord):
    """One optimization parameter: values min, min+step, ..., up to max."""

    name: str
    min: float
    max: float
    step: float
    min_step: float | None = None

    def __init__(self, name: str, min: float, max: float, step: float,
                 min_step: float | None = None):
        need_name(name, "parameter name")
        what = f"parameter {name!r}"
        low = need_finite(min, f"{what}: min")
        high = need_finite(max, f"{what}: max")
        size = need_finite(step, f"{what}: step")
        if size <= 0:
            raise InvalidArgument(f"{what}: step must be positive, not {step!r}")
        if high < low:
            raise InvalidArgument(f"{what}: max {max!r} is below min {min!r}")
        if not math.isfinite((high - low) / size):
            raise InvalidArgument(f"{what}: {min!r} to {max!r} in steps of "
                                  f"{step!r} is more values than can be counted")
        if min_step is not None and need_finite(min_step, f"{what}: min step") <= 0:
            raise InvalidArgument(f"{what}: min step must be positive, not {min_step!r}")
        self._set(name=name, min=min, max=max, step=step, min_step=min_step)

    @classmethod
    def parse(cls, text: str) -> "ParameterRange":
        """"ema_fast=5:30:5" -> ParameterRange("ema_fast", 5, 30, 5)."""
        m = re.fullmatch(r"\s*([^=\s]+)\s*=\s*([^:\s]+):([^:\s]+):([^:\s]+)\s*", text)
        try:
            numbers = [float(g) for g in m.groups()[1:]]
        except (AttributeError, ValueError):
            raise InvalidArgument(f"a parameter range is NAME=MIN:MAX:STEP, e.g. "
                                  f"ema_fast=5:30:5, not {text!r}") from None
        return cls(m.group(1), *numbers)   # its own checks say what is wrong with the numbers

    @property
    def count(self) -> int:
        """How many values the grid tries (without building them: a range can be huge).

        A span within a millionth of a step of a whole number of steps counts as that number:
        float subtraction (1e6 + 0.003 - 1e6) is off by far more than a fixed epsilon.
        """
        steps = (self.max - self.min) / self.step
        nearest = round(steps)
        return int(nearest if abs(steps - nearest) <= 1e-6 else math.floor(steps)) + 1

    @property
    def values(self) -> list[float]:
        return [round(self.min + i * self.step, 10) for i in range(self.count)]

    def as_json(self) -> dict[str, Any]:
        d = {"name": self.name, "min": self.min, "max": self.max, "step": self.step}
        if self.min_step is not None:
            d["minStep"] = self.min_step
        return d


class Constraint(FrozenRecord):
    """A limit every accepted backtest must meet, e.g. Constraint("drawdown", "<=", 0.2)."""

    target: str
    operator: str
    value: float

    def __init__(self, target: str, operator: str, value: float):
        target_name(target)
        operator_name(operator)
        need_finite(value, f"constraint on {target}: value")
        self._set(target=target, operator=operator, value=value)

    @classmethod
    def parse(cls, text: str) -> "Constraint":
        """"drawdown <= 0.25" -> Constraint("drawdown", "<=", 0.25)."""
        m = re.fullmatch(r"\s*(\w+)\s*(<=|>=|==|!=|<|>|=)\s*(\S+)\s*", text)
        try:
            value = float(m.group(3))
        except (AttributeError, ValueError):
            raise InvalidArgument(f'a constraint is "METRIC OP VALUE", e.g. "drawdown <= 0.25", '
                                  f"not {text!r}") from None
        return cls(m.group(1), m.group(2), value)

    def as_json(self) -> dict[str, Any]:
        return {"target": target_name(self.target), "operator": operator_name(self.operator),
                "targetValue": self.value}


def target_name(target: str) -> str:
    """'sharpe' -> 'TotalPerformance.PortfolioStatistics.SharpeRatio'; full names pass through."""
    if target in TARGETS.values():
        return target
    try:
        return TARGETS[target.lower()]
    except KeyError:
        raise InvalidArgument(f"unknown optimization target {target!r}; use one of "
                              f"{', '.join(TARGETS)}") from None


def operator_name(op: str) -> str:
    if op in OPERATORS.values():
        return op
    try:
        return OPERATORS[op]
    except KeyError:
        raise InvalidArgument(f"unknown constraint operator {op!r}; use one of "
                              f"{', '.join(sorted(set(OPERATORS) - {'='}))}") from None


def _spec_body(project_id: int, name: str, target: str, target_to: str,
               parameters: Sequence[ParameterRange], constraints: Sequence[Constraint],
               target_value: float | None) -> dict[str, Any]:
    if target_value is not None:
        need_finite(target_value, "target value")
    if target_to not in ("min", "max"):
        raise InvalidArgument(f"target direction must be 'min' or 'max', not {target_to!r}")
    if not parameters:
        raise InvalidArgument("an optimization needs at least one parameter range")
    return {"projectId": need_project_id(project_id), "name": need_name(name, "optimization name"),
            "target": target_name(target), "targetTo": target_to, "targetValue": target_value,
            "strategy": STRATEGY_GRID, "parameters": [p.as_json() for p in parameters],
            "constraints": [c.as_json() for c in constraints]}


def check_nodes(node_type: str, parallel_nodes: int) -> None:
    """Refuse a node type or a parallel node count the service would refuse, before any request
    (e.g. 12 O8-16 nodes: that type runs at most 6 at once)."""
    if node_type not in NODE_LIMITS:
        raise InvalidArgument(f"node type must be one of {', '.join(NODE_TYPES)}, "
                              f"not {node_type!r}")
    limit = NODE_LIMITS[node_type]
    if isinstance(parallel_nodes, bool) or not isinstance(parallel_nodes, int):
        raise InvalidArgument(f"parallel nodes must be a whole number from 1 to {limit}, "
                              f"not {parallel_nodes!r}")
    if not 1 <= parallel_nodes <= limit:
        more = max(NODE_LIMITS.values())
        raise InvalidArgument(
            f"{node_type} nodes run 1 to {limit} in parallel, not {parallel_nodes}; use at most "
            f"{limit}" + (f" (smaller O2-8 nodes run up to {more})" if limit < more else ""))


class OptimizationEndpoints(Endpoints):
    def estimate_optimization(self, project_id: int, name: str, *, target: str, target_to: str,
                              parameters: Sequence[ParameterRange],
                              constraints: Sequence[Constraint] = (),
                              compile_id: str | None = None,
                              node_type: str = DEFAULT_NODE_TYPE,
                              parallel_nodes: int = DEFAULT_PARALLEL_NODES,
                              target_value: float | None = None) -> dict[str, Any]:
        """{estimateId, time (seconds), balance}: what running it would take. Costs nothing."""
        check_nodes(node_type, parallel_nodes)
        body = _spec_body(project_id, name, target, target_to, parameters, constraints,
                          target_value)
        body.update(compileId=compile_id, nodeType=node_type, parallelNodes=parallel_nodes)
        return payload(self._post("/optimizations/estimate", body), "estimate",
                       "/optimizations/estimate")

    def create_optimization(self, project_id: int, name: str, *, compile_id: str, target: str,
                            target_to: str, parameters: Sequence[ParameterRange],
                            estimated_cost: float, node_type: str, parallel_nodes: int,
                            constraints: Sequence[Constraint] = (),
                            target_value: float | None = None) -> dict[str, Any]:
        """Start an optimization. This spends money: callers confirm the estimate first."""
        check_nodes(node_type, parallel_nodes)
        cost = need_finite(estimated_cost, "estimated cost")
        if cost < 0:
            raise InvalidArgument(f"estimated cost must not be negative, not {estimated_cost!r}")
        body = _spec_body(project_id, name, target, target_to, parameters, constraints,
                          target_value)
        body.update(compileId=need_id(compile_id, "compile id"), nodeType=node_type,
                    parallelNodes=parallel_nodes, estimatedCost=cost)
        data = self._post("/optimizations/create", body, idempotent=False)
        return identified(first(data, "optimizations", "/optimizations/create"),
                          "optimizationId", "/optimizations/create")

    def read_optimization(self, optimization_id: str) -> dict[str, Any]:
        data = self._post("/optimizations/read",
                          {"optimizationId": need_id(optimization_id, "optimization id")})
        return payload(data, "optimization", "/optimizations/read")

    def list_optimizations(self, project_id: int) -> list[dict]:
        data = self._post("/optimizations/list", {"projectId": need_project_id(project_id)})
        return listing(data, "optimizations", "/optimizations/list")

    def update_optimization(self, optimization_id: str, name: str) -> None:
        self._post("/optimizations/update", {
            "optimizationId": need_id(optimization_id, "optimization id"),
            "name": need_name(name, "optimization name")})

    def abort_optimization(self, optimization_id: str) -> None:
        self._post("/optimizations/abort",
                   {"optimizationId": need_id(optimization_id, "optimization id")})

    def delete_optimization(self, optimization_id: str) -> None:
        self._post("/optimizations/delete",
                   {"optimizationId": need_id(optimization_id, "optimization id")})
