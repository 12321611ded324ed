"""Answer an endpoint in another shape than the emulator's own: how tests play a service that
changed, or that sends one of its other documented forms.

>>> reshape(emu.app, "/backtests/read", set_field("backtest.statistics", "oops"))
>>> reshape(emu.app, "/files/read", drop_field("files"))
>>> reshape(emu.app, "/projects/read", set_field("projects.*.created", "03/01/2024 10:00"))
>>> clear(emu.app)

Paths are dotted field names; "*" stands for every item of a list or every value of an object.
A change applies to every later answer of the endpoint (only successful ones) until `clear`.
The envelope (`success`, `errors`) stays the emulator's: it is added after the change.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .app import App

Change = Callable[[dict], None]


def reshape(app: "App", endpoint: str, change: Change) -> None:
    """From now on, pass `endpoint`'s answers through `change` (which edits them in place)."""
    app.__dict__.setdefault("_reshapes", {}).setdefault(endpoint, []).append(change)


def clear(app: "App", endpoint: str | None = None) -> None:
    """Back to the emulator's own shapes (for one endpoint, or all)."""
    changes = app.__dict__.get("_reshapes", {})
    if endpoint is None:
        changes.clear()
    else:
        changes.pop(endpoint, None)


def apply(app: "App", endpoint: str, result: dict) -> dict:
    """The answer as the changes for `endpoint` make it (a copy: routes may share their dicts)."""
    changes = app.__dict__.get("_reshapes", {}).get(endpoint)
    if not changes:
        return result
    result = copy.deepcopy(result)
    for change in changes:
        change(result)
    return result


def _parents(data: Any, path: str) -> list[tuple[Any, str]]:
    """(container, last key) for every place `path` names in `data`."""
    *head, last = path.split(".")
    nodes = [data]
    for part in head:
        nxt = []
        for node in nodes:
            if part == "*":
                nxt += list(node.values()) if isinstance(node, dict) else list(node or [])
            elif isinstance(node, dict) and part in node:
                nxt.append(node[part])
        nodes = nxt
    out = []
    for node in nodes:
        if last == "*":
            keys = list(node) if isinstance(node, dict) else range(len(node))
            out += [(node, k) for k in keys]
        elif isinstance(node, dict):
            out.append((node, last))
    return out


def set_field(path: str, value: Any) -> Change:
    """Put `value` at `path` (created where missing)."""
    def change(data: dict) -> None:
        for parent, key in _parents(data, path):
            parent[key] = copy.deepcopy(value)
    return change


def drop_field(path: str) -> Change:
    """Leave the field out of the answer."""
    def change(data: dict) -> None:
        for parent, key in _parents(data, path):
            if isinstance(parent, dict):
                parent.pop(key, None)
    return change


def map_field(path: str, fn: Callable[[Any], Any]) -> Change:
    """Replace the field's value with fn(value), where it is present."""
    def change(data: dict) -> None:
        for parent, key in _parents(data, path):
            if isinstance(parent, list) or key in parent:
                parent[key] = fn(parent[key])
    return change
