"""Optimizations: estimate (free), run one held to the estimate the person accepted, list, read,
abort, delete. Nothing here spends money without `confirmed=`, `max_cost=` or `confirm=True`."""
from __future__ import annotations

from typing import Any, Sequence

from ..vocabulary import (DEFAULT_NODE_TYPE, DEFAULT_PARALLEL_NODES, DEFAULT_TARGET,
                          default_direction)
from .base import Progress, WorkspaceBase
from .words import ranges as _ranges


class OptimizationActions(WorkspaceBase):
    def estimate_optimization(self, parameters: Sequence[Any] | str, *,
                              target: str = DEFAULT_TARGET, direction: str | None = None,
                              constraints: Sequence[Any] = (),
                              node_type: str = DEFAULT_NODE_TYPE,
                              parallel_nodes: int = DEFAULT_PARALLEL_NODES,
                              name: str | None = None, project: str | None = None):
        """What the grid would take and cost (jobs.OptimizationEstimate). Costs nothing.

        >>> ws.estimate_optimization(["ema_fast=5:30:5"], node_type="O4-12")
        """
        from ..jobs import estimate_optimization
        return estimate_optimization(
            self.client, self.project(project), _ranges(parameters), target=target,
            direction=direction or default_direction(target), constraints=list(constraints),
            node_type=node_type, parallel_nodes=parallel_nodes, name=name)

    def run_optimization(self, parameters: Sequence[Any] | str, *,
                         target: str = DEFAULT_TARGET, direction: str | None = None,
                         constraints: Sequence[Any] = (), node_type: str = DEFAULT_NODE_TYPE,
                         parallel_nodes: int = DEFAULT_PARALLEL_NODES, name: str | None = None,
                         confirmed: Any = None, max_cost: float | None = None,
                         confirm: bool = False, wait: bool = True,
                         on_progress: Progress | None = None, project: str | None = None):
        """Start the optimization only when paid for in advance: `confirmed=` the estimate the
        person accepted (the run never costs more than it), `max_cost=` dollars, or
        `confirm=True`. It is estimated again just before it starts, and refused if over."""
        from ..jobs import run_optimization
        s = self.settings
        opt = run_optimization(
            self.client, self.project(project), _ranges(parameters), target=target,
            direction=direction or default_direction(target), constraints=list(constraints),
            node_type=node_type, parallel_nodes=parallel_nodes, name=name, confirm=confirm,
            max_cost=max_cost, confirmed=confirmed, wait=False,
            progress="none" if on_progress else s.progress, poll=s.poll, timeout=s.timeout)
        if not wait:
            return opt
        return opt.wait(timeout=s.timeout, on_progress=on_progress)

    def optimizations(self, *, project: str | None = None):
        """The project's optimizations, newest first (a DataFrame)."""
        from ..results import optimizations_frame
        return optimizations_frame(self.client, self.project(project))

    def optimization(self, optimization_id: str, *, read: bool = True):
        """An optimization's handle (optimization ids are unique across projects)."""
        from ..results import Optimization
        s = self.settings
        opt = Optimization(self.client, optimization_id, progress=s.progress, poll=s.poll)
        return opt.refresh() if read else opt

    def wait_optimization(self, optimization, *, on_progress: Progress | None = None):
        return optimization.wait(timeout=self.settings.timeout, on_progress=on_progress)

    def abort_optimization(self, optimization_id: str):
        return self.optimization(optimization_id, read=False).abort()

    def delete_optimization(self, optimization_id: str) -> None:
        """Delete an optimization; the face shows it and asks first."""
        self.optimization(optimization_id, read=False).delete()
