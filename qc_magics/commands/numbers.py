"""Numbers typed on a command line, checked as they are parsed (argparse `type=` functions).

A value either becomes a finite number in its range or stops the parse with one line that says
what is wanted, before any request: `nan` would pass every "over the maximum" test, `inf` would
never end a wait, 0 would poll without sleeping. The bounds are mirrored from the layers below
(waiting.MAX_WAIT), which is too heavy to import when the extension loads.
"""
from __future__ import annotations

import argparse
import math
from typing import Any

from ..vocabulary import NODE_LIMITS

MAX_WAIT = 7 * 86_400.0   # waiting.MAX_WAIT: a week
MAX_PARALLEL = max(NODE_LIMITS.values())   # the most of any node type
MAX_PORT = 65_535


def _float(text: str, what: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
    return value


def _int(text: str, low: int, high: int, what: str) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
    return value


def seconds(text: str) -> float:
    """A wait: 0 (check once, don't wait) up to a week."""
    what = f"give seconds from 0 (check once) to {MAX_WAIT:g}"
    value = _float(text, what)
    if not 0 <= value <= MAX_WAIT:
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
    return value


def dollars(text: str) -> float:
    """A most-you-will-pay: finite, 0 or more."""
    what = "give a finite amount of dollars, 0 or more"
    value = _float(text, what)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
    return value


def nodes(text: str) -> int:
    """Parallel nodes: 1 to the most any node type allows (the handler checks the node's own)."""
    return _int(text, 1, MAX_PARALLEL, f"give a whole number of nodes from 1 to {MAX_PARALLEL}")


def lines(text: str) -> int:
    """How many lines to show: 1 or more."""
    return _int(text, 1, 10**9, "give a whole number of lines, 1 or more")


def port(text: str) -> int:
    return _int(text, 0, MAX_PORT, f"give a port from 0 (any free one) to {MAX_PORT}")


def parameter_range(text: str) -> Any:
    """NAME=MIN:MAX:STEP with finite bounds, a positive step, and a listable number of values."""
    # Imported when a range is parsed, not when the extension loads (jobs imports pandas).
    from ..api import ParameterRange
    from ..errors import InvalidArgument
    from ..jobs import check_range
    try:
        return check_range(ParameterRange.parse(text))
    except InvalidArgument as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def constraint(text: str) -> Any:
    """"METRIC OP VALUE" with a finite value."""
    from ..api import Constraint
    from ..errors import InvalidArgument
    from ..jobs import check_constraint
    try:
        return check_constraint(Constraint.parse(text))
    except InvalidArgument as e:
        raise argparse.ArgumentTypeError(str(e)) from None


MAX_INTERVAL = 3600.0   # a live sync's checks: at least once an hour


def interval(text: str) -> float:
    """Seconds between a live sync's cloud checks: more than 0, at most an hour."""
    what = f"give seconds more than 0 and at most {MAX_INTERVAL:g}"
    value = _float(text, what)
    if not 0 < value <= MAX_INTERVAL:
        raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
    return value
