"""The words every face and layer shares about a run: node types, their prices and limits,
optimization targets, defaults. Defined once here, so the grammar, the panel, jobs and the API
client cannot drift apart (a node type the grammar offers and the client refuses, a default of 2
parallel nodes in one face and 4 in another).

Imports nothing: the grammar reads it when the extension loads, before pandas or requests.
"""
from __future__ import annotations

# Node types in the order a menu shows them, smallest first.
NODE_TYPES = ["O2-8", "O4-12", "O8-16"]
DEFAULT_NODE_TYPE = "O2-8"
# Hourly list prices per node (USD). The service's estimate gives the time; the cost follows from
# these. They change rarely; jobs takes node_prices= for an organization's own.
NODE_PRICES = {"O2-8": 0.15, "O4-12": 0.30, "O8-16": 0.60}
# How many nodes of each type may run at once (lean-cli's available_nodes, REAL-SERVICE.md);
# the service refuses more.
NODE_LIMITS = {"O2-8": 24, "O4-12": 12, "O8-16": 6}
# Two runs in parallel without committing a small plan's every node.
DEFAULT_PARALLEL_NODES = 2

# The short optimization targets people type; api.optimizations maps each to the service's name.
TARGETS = ["sharpe", "car", "psr", "drawdown"]
DEFAULT_TARGET = "sharpe"
# Targets where less is better; every other target is maximised.
_MINIMISED = {"drawdown"}

# Polling: the first wait and the longest, seconds (each wait is 1.6 times the last).
DEFAULT_POLL = (0.5, 5.0)

# Requests in flight at once by default: windows of results, and a push's first wave (which grows
# from there while answers stay fast, sync/waves.py). 16 kept a 40 ms link busy where 8 left
# half of it idle: a push of 190 files went in 4 waves instead of 5 (BENCHMARKS.md).
CONCURRENCY = 16


def default_direction(target: str) -> str:
    """ "min" for a target where lower is better (drawdown), else "max".

    >>> default_direction("sharpe"), default_direction("drawdown")
    ('max', 'min')
    """
    # The service's full name ("TotalPerformance.PortfolioStatistics.Drawdown") ends in the word.
    return "min" if str(target).rsplit(".", 1)[-1].lower() in _MINIMISED else "max"


__all__ = ["NODE_TYPES", "DEFAULT_NODE_TYPE", "NODE_PRICES", "NODE_LIMITS",
           "DEFAULT_PARALLEL_NODES", "TARGETS", "DEFAULT_TARGET", "default_direction",
           "DEFAULT_POLL"]
