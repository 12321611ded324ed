"""The words every face shares for jobs: node types, targets, defaults. Defined once here."""
from __future__ import annotations

NODE_TYPES = ["O2-8", "O4-12", "O8-16"]
NODE_PRICES = {"O2-8": 0.15, "O4-12": 0.30, "O8-16": 0.60}
NODE_LIMITS = {"O2-8": 24, "O4-12": 12, "O8-16": 6}
DEFAULT_NODE_TYPE = "O2-8"
DEFAULT_PARALLEL_NODES = 2
TARGETS = ["sharpe", "car", "psr", "drawdown"]
DEFAULT_TARGET = "sharpe"
DEFAULT_POLL = (0.5, 5.0)


def default_direction(target: str) -> str:
    return "min" if target == "drawdown" else "max"
