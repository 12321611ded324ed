"""How people type job inputs, read the same way in every face.

A backtest parameter is K=V (a value that reads as a Python literal is one, anything else stays
text); an optimization range is NAME=MIN:MAX:STEP. On a command line each is one `--param`; in the
panel's fields they are separated by spaces or lines, quoted like a shell's words when a value
holds a space. A name given twice is refused: which one was meant cannot be guessed.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from ..errors import InvalidArgument

_ITEM_BREAK = re.compile(r",(?=[A-Za-z_]\w*=)")


def split_words(text: str) -> list[str]:
    """The items of a panel field: words separated by spaces, commas between items, or lines."""
    import shlex   # here: the command line's start-up reads no panel field
    try:
        words = shlex.split(text.replace("\n", " "))
    except ValueError as e:
        raise InvalidArgument(f"cannot read {text!r}: {e}; check its quotes") from None
    # "a=1,b=2" is two items; the comma inside "w=[1,2]" is not followed by a NAME=.
    items = [part for w in words for part in _ITEM_BREAK.split(w)]
    return [i.strip().rstrip(",") for i in items if i.strip().rstrip(",")]


def _once(names: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidArgument(f"{what} {name!r} is given twice; give it once")
        seen.add(name)


def parameters(items: Sequence[str] | str) -> dict[str, Any]:
    """["n=10", "symbol=SPY"] (or the text "n=10 symbol=SPY") -> {"n": 10, "symbol": "SPY"}."""
    from ..sync.parameters import parse_assignments
    items = split_words(items) if isinstance(items, str) else list(items)
    _once((i.partition("=")[0].strip() for i in items), "parameter")
    return parse_assignments(items)


def ranges(items: Sequence[Any] | str) -> list:
    """["fast=5:30:5"] (or the text, or ParameterRange values) -> checked ParameterRanges."""
    from ..api import ParameterRange
    from ..jobs import check_range
    items = split_words(items) if isinstance(items, str) else list(items)
    out = [check_range(r if isinstance(r, ParameterRange) else ParameterRange.parse(r))
           for r in items]
    _once((r.name for r in out), "parameter")
    return out
