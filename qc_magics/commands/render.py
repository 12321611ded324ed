"""Command results as text for a terminal, or as JSON for machines (`qc-magics --json`).

Names and messages come from the cloud (file, project and backtest names, the service's errors),
so text output escapes control characters: an ESC could rewrite the terminal, a CR or newline
fake a line of the report, U+202E reverse what follows. JSON escapes them by itself.
"""
from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from ..text import printable


def _printable_frame(frame):
    """The frame with its text cells, index and column labels escaped, one line each."""
    def esc(v: Any) -> Any:
        return printable(v) if isinstance(v, str) else v
    out = (getattr(frame, "map", None) or frame.applymap)(esc)   # DataFrame.map: pandas 2.1+
    out.index = out.index.map(esc)
    if hasattr(out, "columns"):
        out.columns = out.columns.map(esc)
    return out


def _frame_records(frame) -> list[dict]:
    flat = frame.copy()
    if getattr(flat.columns, "nlevels", 1) > 1:
        flat.columns = [" ".join(map(str, c)) for c in flat.columns]
    if flat.index.name or getattr(flat.index, "names", [None])[0]:
        flat = flat.reset_index()
    return json.loads(flat.to_json(orient="records", date_format="iso", date_unit="s",
                                   default_handler=str))


LOG_LINES_SHOWN = 20   # what `backtest logs` prints in a terminal without --tail


def log_text(frame) -> str:
    """A log frame (commands/logs.py) as a terminal shows it: the last lines, one per log line
    ("UTC time  message"), every message escaped; a --pattern frame as a table of its last rows.
    A line saying how many there are when some are left out."""
    import pandas as pd
    tail = frame.attrs.get("qc_magics.tail")
    shown = frame.tail(tail or LOG_LINES_SHOWN)
    if frame.empty:
        return "(no log lines)"
    if list(shown.columns) == ["time", "message"]:
        times = shown["time"].dt.strftime("%Y-%m-%d %H:%M:%S").fillna(" " * 19)
        body = "\n".join(f"{t}  {printable(m)}" for t, m in zip(times, shown["message"]))
    else:
        with pd.option_context("display.width", 160, "display.max_columns", 12,
                               "display.max_rows", len(shown) + 1):
            body = _printable_frame(shown).to_string()
    if len(shown) < len(frame):
        body = (f"(the last {len(shown):,} of {len(frame):,} lines; --tail N for more, --json "
                f"for all)\n" + body)
    return body


def jsonable(value: Any) -> Any:
    """Plain JSON values for anything a command returns."""
    import pandas as pd

    from ..results import Backtest, Comparison, Optimization
    from ..sync import Diff, NotebookOutputs, SyncReport

    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (bytes, bytearray)):   # an Object Store value that is not text
        import base64
        return {"bytes": len(value), "base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, pd.DataFrame):
        return _frame_records(value)
    if isinstance(value, pd.Series):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (pd.Timestamp, pd.Timedelta)):
        return value.isoformat()
    if isinstance(value, SyncReport):
        return {"operation": value.operation, "dry_run": value.dry_run,
                "actions": [dataclasses.asdict(a) for a in value.actions]}
    if isinstance(value, Backtest):
        return {"backtestId": value.id, "projectId": value.project_id, "name": value.name,
                "status": value.status, "error": value.error or None,
                "statistics": value.statistics_raw,
                "runtimeStatistics": value.runtime_statistics_raw}
    if isinstance(value, Optimization):
        return {"optimizationId": value.id, "name": value.name, "status": value.status,
                "runtimeStatistics": value.runtime_statistics,
                "grid": _frame_records(value.grid) if len(value.grid) else []}
    if isinstance(value, Comparison):
        return {"statistics": _frame_records(value.statistics.rename_axis("statistic"))}
    if isinstance(value, Diff):
        return {"name": value.name, "identical": value.identical, "diff": str(value)}
    if isinstance(value, NotebookOutputs):
        return [{"index": c.index, "tags": c.tags, "stdout": c.stdout, "stderr": c.stderr,
                 "json": c.json, "data": c.data, "text": c.text, "error": c.error}
                for c in value]
    if dataclasses.is_dataclass(value):
        return {k: jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def as_text(value: Any) -> str:
    """The text a terminal shows: tables and reports one line per item, every name escaped."""
    import pandas as pd

    from ..results import Comparison
    from ..sync import SyncReport

    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        return f"({len(value):,} bytes that are not a table or JSON; --to FILE saves them)"
    if isinstance(value, pd.DataFrame) and value.attrs.get("qc_magics.view") == "log":
        return log_text(value)
    if isinstance(value, Comparison):
        value = value.statistics
    if isinstance(value, (pd.DataFrame, pd.Series)):
        if value.empty:
            return "(none)"
        with pd.option_context("display.width", 160, "display.max_columns", 12,
                               "display.max_rows", 200):
            return _printable_frame(value).to_string()
    if isinstance(value, SyncReport):
        value = dataclasses.replace(value, actions=[
            dataclasses.replace(a, name=printable(a.name), detail=printable(a.detail))
            for a in value.actions])
        return str(value)
    if isinstance(value, dict):
        items = {printable(k): printable(v) for k, v in value.items()}
        width = max((len(k) for k in items), default=0)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in items.items())
    # Our own multi-line texts (a backtest's statistics) keep their lines; nothing else passes.
    return printable(value, keep_newlines=True)
