"""Push and pull notebooks and project files between a local folder and a cloud project,
without ever losing work on either side. Knows the local disk and notebooks; no IPython.

Names are imported when first used (PEP 562): `qc-magics status` needs the folder and its
status, not push, pull, merge, diffs or outputs, and each module imported costs start-up time
on every command (BENCHMARKS.md, start-up)."""
from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "ProjectFolder": "folder", "SyncError": "errors", "NoSuchFile": "errors",
    "SyncState": "state", "StatusReport": "status", "SyncReport": "status",
    "FileStatus": "status", "STATES": "status", "classify": "status",
    "Diff": "diff", "diff_texts": "diff", "inject_parameters": "parameters",
    "read_outputs": "outputs", "NotebookOutputs": "outputs", "CellOutputs": "outputs",
    "wait_for_run": "cloud_run", "WaitTimeout": "cloud_run",
}
__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{where}", __name__), name)
    globals()[name] = value   # once: later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
