"""What a user sees of results: statistics as QuantConnect users read them, compact tables.

Nothing here changes a number: the frames stay float64 (fractions for percentages) and every
view keeps its full frame at `.frame`. Each view renders the same cells twice: `_repr_html_()`
for notebooks and `to_text(width=100)` (also `str()`) for terminals, deterministic.

>>> view = table_view(backtests_frame(client, "Momentum"))    # name, created, status, key stats
>>> print(view.to_text()); view.frame                           # the full frame, every column
>>> statistics_text(bt)                                          # "Net Profit   15.31%" ...
"""
from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from .formats import (LOWER_IS_BETTER, MISSING, RENAMED, SHORT_LABELS, TRADE_KINDS, Kind,
                      backtest_status, currency_of, format_date, format_plain, format_statistic,
                      format_value, is_statistic, one_name_per_statistic, statistic_kind)
from .layout import WIDTH, Cells, shorten, to_html, to_text

if TYPE_CHECKING:
    from .backtest import Backtest, Performance
    from .optimization import Optimization
    from .tables import Comparison

# The list answers' statistics, in the order a compact backtests table shows them.
LIST_KEY_STATISTICS = {"net_profit": "Net Profit", "compounding_annual_return": "CAR",
                       "sharpe_ratio": "Sharpe", "drawdown": "Drawdown", "psr": "PSR",
                       "trades": "Trades"}
# An optimization grid's key statistics after its target, by the labels of backtest statistics.
GRID_KEY_STATISTICS = ["Sharpe Ratio", "Compounding Annual Return", "Drawdown", "Net Profit",
                       "Probabilistic Sharpe Ratio", "Total Orders"]
# Either name of a renamed statistic finds the other.
RENAMED_BOTH = {**RENAMED, **{new: old for old, new in RENAMED.items()}}


# --- cells from values ---------------------------------------------------------------------------

def _cell(column: str, value: Any, currency: str = "$") -> str:
    """A frame cell as text: times to the second, statistics by kind, anything else as itself."""
    if isinstance(value, pd.Timestamp) and not pd.isna(value):
        return format_date(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={format_plain(v)}" for k, v in value.items())
    if isinstance(value, str):
        return value or MISSING      # a blank cell in a column that has values elsewhere
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return format_plain(value)        # ids, sizes, codes: statistics are float64
    return format_statistic(column, value, currency)


def frame_cells(frame: pd.DataFrame, headers: dict[str, str] | None = None, *,
                plain: set[str] = frozenset(), index: bool = True,
                flex: str | None = None) -> Cells:
    """Cells of `frame`: the index first (when `index`), columns renamed by `headers`; columns
    in `plain` are shown as numbers without a kind (parameters)."""
    headers = headers or {}
    data = frame.reset_index() if index and frame.index.name else frame
    columns = list(data.columns)
    rows = []
    for values in data.itertuples(index=False, name=None):
        rows.append([format_plain(v) if c in plain and not pd.isna(v) and not isinstance(v, str)
                     else _cell(c, v) for c, v in zip(columns, values)])
    numeric = [pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])
               for c in columns]
    return Cells([headers.get(c, str(c)) for c in columns], rows, numeric,
                 columns.index(flex) if flex in columns else None)


def _blank(value: Any) -> bool:
    if isinstance(value, (dict, list, tuple, str)):
        return not value
    return bool(pd.isna(value))


def _non_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Without the columns that hold no value at all (all NaN, NA, None, "" or {})."""
    # Python's all(): an empty string column's map keeps the string dtype, which cannot reduce.
    return frame[[c for c in frame.columns if not all(map(_blank, frame[c]))]]


# --- a view --------------------------------------------------------------------------------------

class TableView:
    """A compact, formatted view of a frame. `.frame` is the full frame, unchanged."""

    def __init__(self, frame: pd.DataFrame, cells: Cells, *, title: str = "", note: str = "",
                 html_cells: Cells | None = None, empty: str = "(none)"):
        self.frame = frame
        self.empty = empty
        self.cells = cells
        # A notebook has room for what a terminal leaves out (the ids of a list).
        self.html_cells = html_cells or cells
        self.title = title
        self.note = note

    def to_text(self, width: int = WIDTH, max_rows: int | None = 20) -> str:
        """The view as lines of at most `width` characters."""
        if not self.cells.rows:
            return "\n".join(filter(None, [self.title, self.empty]))
        body = to_text(self.cells, width=width, max_rows=max_rows, title=self.title or None)
        return body + (f"\n{self.note}" if self.note else "")

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        if not self.html_cells.rows:
            return "".join(f"<div>{html.escape(t)}</div>" for t in [self.title, self.empty] if t)
        return to_html(self.html_cells, title=html.escape(self.title),
                       note=html.escape(self.note))

    def to_json_records(self) -> list[dict]:
        """Every column of the full frame as JSON records (index included, times ISO 8601 to
        the second, NaN as null): what `--json` prints."""
        flat = self.frame.copy()
        if getattr(flat.columns, "nlevels", 1) > 1:
            flat.columns = [" ".join(map(str, c)) for c in flat.columns]
        if flat.index.name:
            flat = flat.reset_index()
        return json.loads(flat.to_json(orient="records", date_format="iso", date_unit="s",
                                       default_handler=str))


# --- lists ---------------------------------------------------------------------------------------

def backtests_view(frame: pd.DataFrame, *, ids: bool = False) -> TableView:
    """A backtests list (tables.backtests_frame): name, created, status, the key statistics and
    the parameters as columns; the text adds the backtest id first with `ids=True`, the HTML
    always does."""
    shown = frame
    stats = [c for c in LIST_KEY_STATISTICS if c in shown.columns]
    compact = shown[["name", "created", "status", *stats]].copy()
    progress = shown["progress"] if "progress" in shown.columns else [None] * len(shown)
    compact["status"] = [backtest_status(s, p) for s, p in zip(shown["status"], progress)]
    params: list[str] = []
    if "parameters" in shown.columns:     # a column per parameter, not a dict per row
        table = pd.DataFrame(list(shown["parameters"]), index=shown.index)
        params = [p for p in table.columns if p not in compact.columns]
        compact = compact.join(table[params])
    compact = _non_empty(compact)
    headers = {**LIST_KEY_STATISTICS, "backtest_id": "id"}
    notebook = frame_cells(compact, headers, plain=set(params), index=True, flex="name")
    if not ids:
        return TableView(frame, frame_cells(compact, headers, plain=set(params), index=False,
                                            flex="name"), html_cells=notebook)
    # With the 32-character id first (a terminal's list, whose ids are typed back), what tells
    # runs apart comes next (parameters, then the numbers), the status only when one is not
    # "Completed.", the time last (rows are newest first); what does not fit is named below.
    done = compact["status"].fillna("").str.startswith("Completed").all() \
        if "status" in compact.columns and len(compact) else True
    order = ["name", *([] if done else ["status"]), *params,
             *[c for c in ("net_profit", "sharpe_ratio", "drawdown", "compounding_annual_return",
                           "psr", "trades") if c in compact.columns], "created"]
    text = frame_cells(compact[[c for c in order if c in compact.columns]], headers,
                       plain=set(params), index=True, flex="name")
    return TableView(frame, text, html_cells=notebook)


def optimizations_view(frame: pd.DataFrame, *, ids: bool = False) -> TableView:
    """An optimizations list (tables.optimizations_frame): name, created, status, target, the
    best backtest's Sharpe ratio and PSR, node type; ids as in backtests_view."""
    order = ["name", "created", "status", "target", "sharpe_ratio", "psr", "node_type"]
    compact = _non_empty(frame[[c for c in order if c in frame.columns]])
    if "target" in compact.columns:   # "SharpeRatio" as a statistic is named: "Sharpe Ratio"
        compact = compact.assign(target=compact["target"].map(
            lambda t: _words(t) if isinstance(t, str) else t))
    headers = {"optimization_id": "id", "sharpe_ratio": "Sharpe", "psr": "PSR",
               "node_type": "node"}
    notebook = frame_cells(compact, headers, index=True, flex="name")
    if not ids:
        return TableView(frame, frame_cells(compact, headers, index=False, flex="name"),
                         html_cells=notebook)
    # After the id (as in backtests_view): the numbers before the target, node and time.
    terminal = ["name", "status", "sharpe_ratio", "psr", "target", "node_type", "created"]
    text = frame_cells(compact[[c for c in terminal if c in compact.columns]], headers,
                       index=True, flex="name")
    return TableView(frame, text, html_cells=notebook)


def table_view(frame: pd.DataFrame, **options: Any) -> TableView:
    """The view of one of the list frames of tables.py (projects, files, backtests,
    optimizations), recognised by its index; any other frame is shown whole, formatted."""
    if frame.index.name == "backtest_id" and "parameters" in frame.columns:
        return backtests_view(frame, **options)
    if frame.index.name == "optimization_id" and "target" in frame.columns:
        return optimizations_view(frame, **options)
    if frame.index.name == "key" and "folder" in frame.columns:
        return objects_view(frame)
    shown = _non_empty(frame)
    if frame.index.name == "name" and "library" in shown.columns and not shown["library"].any():
        shown = shown.drop(columns="library")    # a files list: say "library" only when one is
    flex = "name" if "name" in frame.columns or frame.index.name == "name" else None
    # "id", as the backtests and optimizations lists head theirs; the frame keeps project_id.
    return TableView(frame, frame_cells(shown, {"project_id": "id"}, flex=flex))


def objects_view(frame: pd.DataFrame) -> TableView:
    """An Object Store folder (tables.objects_frame): the key to type (folders end in "/"),
    size in bytes, modified time, mime type of files."""
    shown = frame.copy()
    shown.index = [f"{k}/" if folder else k for k, folder in zip(frame.index, frame["folder"])]
    shown.index.name = "key"
    shown["mime"] = [None if folder else m for m, folder in zip(frame["mime"], frame["folder"])]
    shown = _non_empty(shown[[c for c in ("size", "modified", "mime") if c in shown.columns]])
    return TableView(frame, frame_cells(shown, flex="key"), empty="(empty)")


# --- statistics ----------------------------------------------------------------------------------

def _statistic_rows(names: list[str], columns: list[dict[str, Any]],
                    currency: str) -> list[list[str]]:
    return [[name] + [format_statistic(name, c.get(name), currency) for c in columns]
            for name in names]


def _backtest_values(bt: "Backtest") -> dict[str, Any]:
    """Every statistic by name: numbers, durations and text."""
    return {**bt.statistics_other, **bt.statistics.to_dict()}


def _statistic_names(backtests: list["Backtest"]) -> list[str]:
    """The statistics in the order the service sent them, each once."""
    sent: dict[str, None] = {}
    for bt in backtests:
        sent.update(dict.fromkeys(bt.statistics_raw))
    return one_name_per_statistic(list(sent), set(sent))


# The statistics a one-screen summary shows (the demo, a finished run).
KEY_STATISTICS = ["Net Profit", "Compounding Annual Return", "Sharpe Ratio", "Drawdown",
                  "Probabilistic Sharpe Ratio", "Total Orders"]


def statistics_view(bt: "Backtest", only: Sequence[str] | None = None) -> TableView:
    """A backtest's statistics, a row each, as users read them (`.frame`: the float64 Series
    as a one-column frame); `only` picks some, in its order (e.g. KEY_STATISTICS; a renamed
    statistic is shown under the name the backtest sent).

    >>> print(statistics_view(bt, only=KEY_STATISTICS))
    """
    values = _backtest_values(bt)
    currency = currency_of(bt.statistics_raw)
    names = _statistic_names([bt])
    if only is not None:
        sent = set(names)
        names = [n if n in sent else RENAMED_BOTH.get(n, n) for n in only]
        names = [n for n in names if n in sent]
    rows = _statistic_rows(names, [values], currency)
    cells = Cells(["statistic", "value"], rows, [False, True])
    title = f"backtest {bt.id} {shorten(bt.name, 40)!r}: " \
        f"{backtest_status(bt.status, bt.data.get('progress'))}"
    note = f"error: {bt.error}" if bt.error else ""
    return TableView(bt.statistics.to_frame("value"), cells, title=title, note=note,
                     empty="(no statistics yet)" + (f"\n{note}" if note else ""))


def comparison_view(comparison: "Comparison") -> TableView:
    """Statistics side by side, a column per backtest (`.frame`: Comparison.statistics)."""
    backtests = comparison.backtests
    names = _statistic_names(backtests)
    # Numbers answer to both "Total Trades" and "Total Orders" (parse.ALIASES), so one row
    # holds every backtest's value whichever name each sent.
    columns = [_backtest_values(bt) for bt in backtests]
    currency = currency_of(backtests[0].statistics_raw) if backtests else "$"
    rows = _statistic_rows(names, columns, currency)
    labels = [shorten(comparison._label(bt), 24) for bt in backtests]
    cells = Cells(["statistic", *labels], rows, [False] + [True] * len(labels))
    return TableView(comparison.statistics, cells)


def performance_view(performance: "Performance") -> TableView:
    """totalPerformance as users read it: trade statistics, then portfolio statistics, then the
    durations and dates beside them (`.frame`: both Series, keyed (part, name))."""
    rows = [["trade", k, format_value(v, statistic_kind(k, TRADE_KINDS))]
            for k, v in performance.trade.items()]
    rows += [["portfolio", k, format_statistic(k, v)] for k, v in performance.portfolio.items()]
    rows += [["", k, format_value(v, "text")] for k, v in performance.other.items()]
    frame = pd.concat({"trade": performance.trade, "portfolio": performance.portfolio})
    return TableView(frame.to_frame("value"),
                     Cells(["", "statistic", "value"], rows, [False, False, True]))


def formatted(data: pd.Series | pd.DataFrame, *, plain: Sequence[str] = (),
              kinds: dict[str, Kind] | None = None) -> TableView:
    """Any statistics Series or frame as users read them, e.g. a selection of
    `bt.statistics`, `comparison.statistics.loc[...]` or `opt.grid.head()`: a Series by its
    index labels, a frame whose index holds statistics by row, any other frame by column.
    Columns in `plain` (parameters) are shown as plain numbers.

    >>> formatted(bt.statistics[["Net Profit", "Sharpe Ratio"]])   # 15.31%, 0.523
    """
    if isinstance(data, pd.Series):
        label = data.name if isinstance(data.name, str) else "value"
        rows = [[str(k), format_plain(v) if k in plain else format_value(
                 v, statistic_kind(k, kinds))] for k, v in data.items()]
        return TableView(data.to_frame(label), Cells([data.index.name or "statistic", label],
                                                     rows, [False, True]))
    if sum(map(is_statistic, data.index)) > sum(map(is_statistic, data.columns)):
        rows = [[str(k)] + [format_value(v, statistic_kind(k, kinds)) for v in values]
                for k, values in zip(data.index, data.itertuples(index=False, name=None))]
        return TableView(data, Cells([data.index.name or "statistic",
                                      *map(str, data.columns)], rows,
                                     [False] + [True] * len(data.columns)))
    return TableView(data, frame_cells(data, plain=set(plain), flex="name"))


def statistics_text(bt: "Backtest", width: int = WIDTH) -> str:
    """A backtest's statistics for a terminal (what `str(bt)` prints)."""
    return statistics_view(bt).to_text(width=width, max_rows=None)


# --- optimizations -------------------------------------------------------------------------------

def _words(camel: str) -> str:
    """ "ProbabilisticSharpeRatio" -> "Probabilistic Sharpe Ratio"."""
    out = ""
    for i, ch in enumerate(camel):
        if ch.isupper() and i and not camel[i - 1].isupper():
            out += " "
        out += ch
    return out


def optimization_target(opt: "Optimization",
                        grid: pd.DataFrame | None = None) -> tuple[str | None, bool]:
    """(the grid column the optimization targets, whether higher is better); the column is
    None when the grid has no such statistic (yet)."""
    grid = opt.grid if grid is None else grid
    criterion = opt.data.get("criterion") or {}
    target = str(criterion.get("target") or "").rsplit(".", 1)[-1]
    label = _words(target) if target else None
    if label is not None and label not in grid.columns:
        label = None
    extremum = str(criterion.get("extremum") or "").lower()
    higher = extremum != "min" if extremum in ("min", "max") else label not in LOWER_IS_BETTER
    return label, higher


def ranked_grid(opt: "Optimization", grid: pd.DataFrame | None = None) -> pd.DataFrame:
    """The grid, best first by the optimization's target (rows without a value last)."""
    grid = opt.grid if grid is None else grid
    label, higher = optimization_target(opt, grid)
    if label is None or grid.empty:
        return grid
    return grid.sort_values(label, ascending=not higher, na_position="last", kind="mergesort")


def best_line(opt: "Optimization", grid: pd.DataFrame | None = None) -> str:
    """ "best: ema_fast=15, ema_slow=150 (Sharpe 0.910)", or "" before any result."""
    grid = opt.grid if grid is None else grid
    label, _ = optimization_target(opt, grid)
    ranked = ranked_grid(opt, grid)
    if label is None or ranked.empty or pd.isna(ranked[label].iloc[0]):
        return ""
    row = ranked.iloc[0]
    params = ", ".join(f"{p}={format_plain(row[p])}" for p in opt.parameter_names
                       if p in ranked.columns)
    value = format_statistic(label, row[label])
    return f"best: {params} ({SHORT_LABELS.get(label, label)} {value})"


def grid_view(opt: "Optimization") -> TableView:
    """An optimization grid, compact: parameters, the target and key statistics, best first,
    with the best line under it (`.frame`: the full grid, as `opt.grid`)."""
    grid = opt.grid
    params = [p for p in opt.parameter_names if p in grid.columns]
    label, _ = optimization_target(opt, grid)
    stats = ([label] if label else []) + [s for s in GRID_KEY_STATISTICS if s != label]
    ranked = ranked_grid(opt, grid)
    compact = _non_empty(ranked[params + [s for s in stats if s in ranked.columns]])
    cells = frame_cells(compact, SHORT_LABELS, plain=set(params), index=False)
    title = (f"optimization {opt.id} {shorten(opt.name, 32)!r}: {opt.status}, "
             f"{len(grid)} backtests")
    return TableView(grid, cells, title=title, note=best_line(opt, grid),
                     empty="(no backtest finished yet)")


__all__ = ["TableView", "table_view", "backtests_view", "optimizations_view",
           "statistics_view", "performance_view", "formatted", "KEY_STATISTICS",
           "comparison_view",
           "grid_view", "best_line", "ranked_grid", "statistics_text", "format_value",
           "format_statistic", "statistic_kind"]
