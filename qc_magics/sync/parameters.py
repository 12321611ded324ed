"""Parameter injection, papermill-style: one cell tagged `injected-parameters`, never two.

The cell goes right after the cell tagged `parameters` (the notebook's defaults), or at the top
when there is none. Injecting again replaces it. Values are written as Python literals.
"""
from __future__ import annotations

import ast
import keyword
import math
import os
from typing import Any, Mapping

from ..errors import InvalidArgument
from .notebook_check import check_notebook, notebook_text

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


def literal(value: Any) -> str:
    """A Python literal that evaluates back to `value`; refuses anything that would not."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    text = repr(value)
    try:
        if ast.literal_eval(text) != value:
            raise ValueError
    except (ValueError, SyntaxError):
        raise InvalidArgument(f"parameter value {value!r} ({type(value).__name__}) is not a "
                              "Python literal; use strings, numbers, booleans, None, or lists "
                              "and dicts of them") from None
    return text


def parse_assignments(items: list[str]) -> dict[str, Any]:
    """["n=10", "symbol=SPY", "w=[1, 2]"] -> {"n": 10, "symbol": "SPY", "w": [1, 2]}: a value
    that reads as a Python literal is one, anything else stays text."""
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidArgument(f"a parameter is K=V, not {item!r}")
        try:
            pairs[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            pairs[key.strip()] = value.strip()
    return pairs


def parameters_source(parameters: Mapping[str, Any]) -> str:
    lines = ["# Parameters injected by qc_magics"]
    for name, value in parameters.items():
        if not str(name).isidentifier() or keyword.iskeyword(name):
            raise InvalidArgument(f"parameter name {name!r} is not a Python identifier")
        lines.append(f"{name} = {literal(value)}")
    return "\n".join(lines) + "\n"


def _tags(cell: dict) -> list:
    return list((cell.get("metadata") or {}).get("tags") or [])


def inject_parameters(text: str, parameters: Mapping[str, Any],
                      name: str = "notebook.ipynb") -> str:
    """The notebook text with `parameters` in its injected-parameters cell.

    >>> inject_parameters(open("research.ipynb").read(), {"symbol": "SPY", "lookback": 30})

    The notebook is checked first (InvalidNotebook, one line naming `name`), the same check a
    push makes; plain JSON rather than nbformat, which costs seconds to import.
    """
    if not parameters:
        raise InvalidArgument("no parameters to inject")
    source = parameters_source(parameters)
    nb = check_notebook(name, text)
    cells = [c for c in nb["cells"] if INJECTED_TAG not in _tags(c)]
    at = next((i + 1 for i, c in enumerate(cells) if PARAMETERS_TAG in _tags(c)), 0)
    cell: dict[str, Any] = {"cell_type": "code", "execution_count": None,
                            "metadata": {"tags": [INJECTED_TAG]}, "outputs": [],
                            "source": source}
    if nb["nbformat_minor"] >= 5:
        cell["id"] = os.urandom(4).hex()   # 8 hex digits, as uuid4().hex[:8] gave (no uuid import)
    cells.insert(at, cell)
    nb["cells"] = cells
    return notebook_text(nb)
