"""Command results as text for a terminal, or as JSON for machines (`qc-magics --json`).

Names and messages come from the cloud (file, project and backtest names, the service's errors),
so text output escapes control characters: an ESC could rewrite the terminal, a CR or newline
fake a line of the report, U+202E reverse what follows. JSON escapes them by itself.
"""
from __future__ import annotations

import json
import math
import sys
import time
from typing import Any

from ..records import as_dict, is_record, replace
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


def _loaded(module: str):
    """A module if it is already imported, else None. A value of one of its types can only
    exist once it is, so a text report of a sync never imports pandas or results/ to find out
    that it holds none of theirs."""
    return sys.modules.get(module)


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


class Summary(dict):
    """An answer that is data (`created["projectId"]`, `--json` gives every field) but shows as
    one readable line, in a terminal and in a notebook.

    >>> str(Summary({"projectId": 7}, "created project 'X' (id 7)"))
    "created project 'X' (id 7)"
    """

    def __init__(self, data: dict, line: str):
        super().__init__(data)
        self.line = line

    def __str__(self) -> str:
        return printable(self.line)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


LISTS = {"project_id", "name", "backtest_id", "optimization_id", "key"}   # the lists' indexes


EMPTY_LISTS = {"project_id": "no projects yet; {prog} new NAME creates one",
               "name": "no files in the project",
               "backtest_id": "no backtests yet; {prog} backtest runs one",
               "optimization_id": "no optimizations yet; {prog} optimize estimate --param "
                                  "NAME=MIN:MAX:STEP prices one",
               "key": "(empty)"}


def term_width() -> int:
    """The terminal's width (COLUMNS wins; 100 where there is no terminal, as in a pipe)."""
    return max(40, terminal_columns(100))


def terminal_columns(fallback: int) -> int:
    """shutil.get_terminal_size().columns, `fallback` where there is none, without importing
    shutil (which loads bz2 and lzma): a start-up cost on every command for one number."""
    import os
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or fallback


def list_view(value: Any) -> Any:
    """The compact view (results.table_view) of one of the list frames, or None: ids first,
    dates in UTC to the second, numbers as users read them, no empty columns."""
    pd = _loaded("pandas")
    if pd is None or not isinstance(value, pd.DataFrame) or value.index.name not in LISTS:
        return None
    from ..results import table_view
    kind = value.index.name
    return table_view(value, ids=True) if kind in ("backtest_id", "optimization_id") \
        else table_view(value)


def for_notebook(value: Any) -> Any:
    """What a notebook gets: a list frame (projects, files, status, backtests, optimizations)
    keeps every column but displays compact, dates to the second and no NaT (CompactFrame)."""
    pd = _loaded("pandas")
    if pd is None or not isinstance(value, pd.DataFrame) or value.index.name not in LISTS \
            or value.attrs.get("qc_magics.view") == "log":
        return value
    from ..results.compact import compact
    return compact(value)


def jsonable(value: Any) -> Any:
    """Plain JSON values for anything a command returns."""
    from ..sync.status import StatusReport, SyncReport
    # Diffs and notebook outputs exist only once their modules are loaded (each a start-up cost).
    diff, outputs = _loaded("qc_magics.sync.diff"), _loaded("qc_magics.sync.outputs")

    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (bytes, bytearray)):   # an Object Store value that is not text
        import base64
        return {"bytes": len(value), "base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, StatusReport):   # the same records as its frame's, as they always were
        return _frame_records(value.to_frame())
    pd = _loaded("pandas")
    results = _loaded("qc_magics.results")
    if pd is not None:
        if isinstance(value, pd.DataFrame):
            view = list_view(value)   # every field of the full frame, through the same view
            return view.to_json_records() if view is not None else _frame_records(value)
        if isinstance(value, pd.Series):
            return {str(k): jsonable(v) for k, v in value.items()}
        if isinstance(value, (pd.Timestamp, pd.Timedelta)):
            return value.isoformat()
    if isinstance(value, SyncReport):
        return {"operation": value.operation, "dry_run": value.dry_run,
                "actions": [as_dict(a) for a in value.actions]}
    if results is not None and isinstance(value, results.Backtest):
        return {"backtestId": value.id, "projectId": value.project_id, "name": value.name,
                "status": value.status, "error": value.error or None,
                "statistics": value.statistics_values,
                "runtimeStatistics": value.runtime_statistics_values}
    if results is not None and isinstance(value, results.Optimization):
        return {"optimizationId": value.id, "name": value.name, "status": value.status,
                "runtimeStatistics": value.runtime_statistics,
                "grid": _frame_records(value.grid) if len(value.grid) else []}
    if results is not None and isinstance(value, results.Comparison):
        return {"statistics": _frame_records(value.statistics.rename_axis("statistic"))}
    if diff is not None and isinstance(value, diff.Diff):
        return {"name": value.name, "identical": value.identical, "diff": str(value)}
    if outputs is not None and isinstance(value, outputs.NotebookOutputs):
        return [{"index": c.index, "tags": c.tags, "stdout": c.stdout, "stderr": c.stderr,
                 "json": c.json, "data": c.data, "text": c.text, "error": c.error}
                for c in value]
    if is_record(value):   # a record, or a dataclass
        return {k: jsonable(v) for k, v in as_dict(value).items()}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def as_text(value: Any, prog: str = "qc-magics") -> str:
    """The text a terminal shows: tables and reports one line per item, every name escaped."""
    from ..sync.status import StatusReport, SyncReport
    outputs = _loaded("qc_magics.sync.outputs")   # notebook outputs exist only once it is

    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        return f"({len(value):,} bytes that are not a table or JSON; --to FILE saves them)"
    pd = _loaded("pandas")
    if pd is not None and isinstance(value, pd.DataFrame) and \
            value.attrs.get("qc_magics.view") == "log":
        return log_text(value)
    results = _loaded("qc_magics.results")
    if results is not None and isinstance(value, results.Comparison):
        text = value.view().to_text(width=term_width(), max_rows=None)
        return printable(text, keep_newlines=True)
    view = list_view(value)
    if view is not None and value.empty:   # an empty list says what would fill it
        return EMPTY_LISTS.get(value.index.name, "(none)").format(prog=prog)
    if view is not None:   # projects, files, backtests, optimizations, an Object Store folder
        # Escaped before the layout, which would fold a name's CR or LF into a space.
        view = list_view(_printable_frame(value))
        return view.to_text(width=term_width(), max_rows=None)
    if pd is not None and isinstance(value, (pd.DataFrame, pd.Series)):
        if value.empty:
            return "(none)"
        # A stored table's row numbers (0, 1, ...) are pandas', not the user's: not shown.
        numbered = isinstance(value.index, pd.RangeIndex) and value.index.name is None and \
            isinstance(value, pd.DataFrame)
        with pd.option_context("display.width", term_width(), "display.max_columns", 12,
                               "display.max_rows", 200):
            return _printable_frame(value).to_string(**({"index": False} if numbered else {}))
    if isinstance(value, Summary):
        return str(value)
    if outputs is not None and isinstance(value, outputs.NotebookOutputs):
        return outputs_text(value)
    if isinstance(value, StatusReport):
        return status_table(value)
    if isinstance(value, SyncReport):
        value = replace(value, actions=[
            replace(a, name=printable(a.name), detail=printable(a.detail))
            for a in value.actions])
        return str(value)
    if isinstance(value, dict):
        items = {printable(k): printable(v) for k, v in value.items()}
        width = max((len(k) for k in items), default=0)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in items.items())
    text = printable(value, keep_newlines=True)
    if results is not None:   # a job not finished (--no-wait): the command that follows it
        if isinstance(value, results.Backtest) and not (value.done or value.failed):
            text += f"\nnot finished: {prog} backtest read {value.id} --wait follows it"
        elif isinstance(value, results.Optimization) and \
                value.status not in ("completed", "aborted"):
            text += f"\nnot finished: {prog} optimize read {value.id} --wait follows it"
    # Our own multi-line texts (a backtest's statistics) keep their lines; nothing else passes.
    return text


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def outputs_text(outputs: Any) -> str:
    """A notebook's outputs as a terminal shows them: a count, then each cell that printed or
    returned something, its lines indented under "cell N [tags]"."""
    cells = list(outputs)
    ran = sum(1 for c in cells if c.execution_count is not None)
    failed = sum(1 for c in cells if c.error)
    lines = [f"{_count(len(cells), 'cell')}, {ran:,} ran, {failed:,} with errors"]
    for c in cells:
        shown = c.stdout.splitlines() + [f"stderr: {t}" for t in c.stderr.splitlines()]
        shown += [t for text in c.text for t in text.splitlines()]
        if c.images:
            shown.append(f"({_count(len(c.images), 'image')}: open the notebook to see them)")
        if c.error:
            shown.append(f"{c.error.get('ename', 'error')}: {c.error.get('evalue', '')}")
        if shown:
            tags = f" [{', '.join(map(printable, c.tags))}]" if c.tags else ""
            lines.append(f"cell {c.index}{tags}")
            lines += [f"  {printable(t)}" for t in shown]
    return "\n".join(lines)


STATUS_COLUMNS = ("name", "state", "local size", "cloud size", "local modified",
                  "cloud modified", "note")
NOTHING = "\u2014"   # an em dash: this side has no such file, so no size or time


def status_table(report: Any) -> str:
    """A status report as the terminal table the frame printed, without pandas: one row per
    file, sizes right-aligned, times in UTC to the second, names and notes escaped; a dash where
    a side has no file, and no note column when no file has a note."""
    if not report.files:
        return "(none)"

    def when(seconds: float | None) -> str:
        return NOTHING if seconds is None else time.strftime("%Y-%m-%d %H:%M:%S",
                                                             time.gmtime(seconds))

    def size(n: int | None) -> str:
        return NOTHING if n is None else f"{n:,}"

    rows = [(printable(f.name), f.state, size(f.local_size), size(f.cloud_size),
             when(f.local_modified), printable(f.cloud_modified or NOTHING), printable(f.note))
            for f in report.files]
    columns = STATUS_COLUMNS if any(r[-1] for r in rows) else STATUS_COLUMNS[:-1]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    right = {2, 3}

    def line(cells) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(columns)] + [line(r[:len(columns)]) for r in rows])
