"""Endpoints for optimizations, and the small values that describe one.

Bodies are JSON shaped as the official spec describes (parameters keyed by `name`); the emulator
also accepts lean-cli's form encoding, but this client only speaks the spec.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from ..errors import InvalidArgument
from .base import Endpoints, need_id, need_name, need_project_id

STRATEGY_GRID = "QuantConnect.Optimizer.Strategies.GridSearchOptimizationStrategy"
TARGETS = {
    "sharpe": "TotalPerformance.PortfolioStatistics.SharpeRatio",
    "car": "TotalPerformance.PortfolioStatistics.CompoundingAnnualReturn",
    "psr": "TotalPerformance.PortfolioStatistics.ProbabilisticSharpeRatio",
    "drawdown": "TotalPerformance.PortfolioStatistics.Drawdown",
}
NODE_TYPES = ("O2-8", "O4-12", "O8-16")
OPERATORS = {"<=": "LessOrEqual", "<": "Less", ">=": "GreaterOrEqual", ">": "Greater",
             "!=": "NotEqual", "==": "Equals", "=": "Equals"}


@dataclass(frozen=True)
class ParameterRange:
    """One optimization parameter: values min, min+step, ..., up to max."""

    name: str
    min: float
    max: float
    step: float
    min_step: float | None = None

    def __post_init__(self):
        need_name(self.name, "parameter name")
        if not self.step > 0:
            raise InvalidArgument(f"parameter {self.name}: step must be positive, not {self.step}")
        if self.max < self.min:
            raise InvalidArgument(f"parameter {self.name}: max {self.max} is below min {self.min}")

    @classmethod
    def parse(cls, text: str) -> "ParameterRange":
        """"ema_fast=5:30:5" -> ParameterRange("ema_fast", 5, 30, 5)."""
        m = re.fullmatch(r"\s*([^=\s]+)\s*=\s*([^:\s]+):([^:\s]+):([^:\s]+)\s*", text)
        try:
            return cls(m.group(1), *(float(g) for g in m.groups()[1:]))
        except (AttributeError, ValueError):
            raise InvalidArgument(f"a parameter range is NAME=MIN:MAX:STEP, e.g. "
                                  f"ema_fast=5:30:5, not {text!r}") from None

    @property
    def values(self) -> list[float]:
        n = int((self.max - self.min) / self.step + 1e-9) + 1
        return [round(self.min + i * self.step, 10) for i in range(n)]

    def as_json(self) -> dict[str, Any]:
        d = {"name": self.name, "min": self.min, "max": self.max, "step": self.step}
        if self.min_step is not None:
            d["minStep"] = self.min_step
        return d


@dataclass(frozen=True)
class Constraint:
    """A limit every accepted backtest must meet, e.g. Constraint("drawdown", "<=", 0.2)."""

    target: str
    operator: str
    value: float

    @classmethod
    def parse(cls, text: str) -> "Constraint":
        """"drawdown <= 0.25" -> Constraint("drawdown", "<=", 0.25)."""
        m = re.fullmatch(r"\s*(\w+)\s*(<=|>=|==|!=|<|>|=)\s*(\S+)\s*", text)
        try:
            return cls(m.group(1), m.group(2), float(m.group(3)))
        except (AttributeError, ValueError):
            raise InvalidArgument(f'a constraint is "METRIC OP VALUE", e.g. "drawdown <= 0.25", '
                                  f"not {text!r}") from None

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
    if target_to not in ("min", "max"):
        raise InvalidArgument(f"target direction must be 'min' or 'max', not {target_to!r}")
    if not parameters:
        raise InvalidArgument("an optimization needs at least one parameter range")
    return {"projectId": need_project_id(project_id), "name": need_name(name, "optimization name"),
            "target": target_name(target), "targetTo": target_to, "targetValue": target_value,
            "strategy": STRATEGY_GRID, "parameters": [p.as_json() for p in parameters],
            "constraints": [c.as_json() for c in constraints]}


def _node(node_type: str, parallel_nodes: int) -> None:
    if node_type not in NODE_TYPES:
        raise InvalidArgument(f"node type must be one of {', '.join(NODE_TYPES)}, "
                              f"not {node_type!r}")
    if not isinstance(parallel_nodes, int) or parallel_nodes < 1:
        raise InvalidArgument(f"parallel nodes must be a whole number >= 1, not {parallel_nodes!r}")


class OptimizationEndpoints(Endpoints):
    def estimate_optimization(self, project_id: int, name: str, *, target: str, target_to: str,
                              parameters: Sequence[ParameterRange],
                              constraints: Sequence[Constraint] = (),
                              compile_id: str | None = None, node_type: str = "O2-8",
                              parallel_nodes: int = 4,
                              target_value: float | None = None) -> dict[str, Any]:
        """{estimateId, time (seconds), balance}: what running it would take. Costs nothing."""
        _node(node_type, parallel_nodes)
        body = _spec_body(project_id, name, target, target_to, parameters, constraints,
                          target_value)
        body.update(compileId=compile_id, nodeType=node_type, parallelNodes=parallel_nodes)
        return self._post("/optimizations/estimate", body).get("estimate") or {}

    def create_optimization(self, project_id: int, name: str, *, compile_id: str, target: str,
                            target_to: str, parameters: Sequence[ParameterRange],
                            estimated_cost: float, node_type: str, parallel_nodes: int,
                            constraints: Sequence[Constraint] = (),
                            target_value: float | None = None) -> dict[str, Any]:
        """Start an optimization. This spends money: callers confirm the estimate first."""
        _node(node_type, parallel_nodes)
        body = _spec_body(project_id, name, target, target_to, parameters, constraints,
                          target_value)
        body.update(compileId=need_id(compile_id, "compile id"), nodeType=node_type,
                    parallelNodes=parallel_nodes, estimatedCost=float(estimated_cost))
        data = self._post("/optimizations/create", body, idempotent=False)
        items = data.get("optimizations") or []
        return items[0] if items else {}

    def read_optimization(self, optimization_id: str) -> dict[str, Any]:
        data = self._post("/optimizations/read",
                          {"optimizationId": need_id(optimization_id, "optimization id")})
        return data.get("optimization") or {}

    def list_optimizations(self, project_id: int) -> list[dict]:
        data = self._post("/optimizations/list", {"projectId": need_project_id(project_id)})
        return list(data.get("optimizations") or [])

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
