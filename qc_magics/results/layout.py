"""Formatted cells laid out as fixed-width text (terminals) or as an HTML table (notebooks).

The cells are already text (formats.py made them); this module only places them. The text
form fits a width: the flexible column (a name) is shortened with "…" first, then columns are
left out from the right, and rows past `max_rows` become one "… N more rows" line. The output
depends on nothing but its input (no terminal size, no pandas options): golden tests can hold it.

>>> cells = Cells(["name", "Sharpe"], [["fast", "0.910"]], numeric=[False, True], flex=0)
>>> print(to_text(cells))
name  Sharpe
fast   0.910
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

WIDTH = 100
MAX_ROWS = 20
HTML_MAX_ROWS = 60
GAP = "  "
ELLIPSIS = "…"
MIN_FLEX = 12


@dataclass
class Cells:
    """A table of display strings: headers, rows, which columns are numbers (right-aligned) and
    which one may be shortened first (`flex`, e.g. the name)."""

    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)
    flex: int | None = None

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = [False] * len(self.headers)


def shorten(text: str, width: int) -> str:
    """`text` in at most `width` characters, ending in "…" when cut."""
    text = " ".join(str(text).split())     # no newlines or tabs inside a cell
    return text if len(text) <= width else text[:max(0, width - 1)] + ELLIPSIS


def _fit(cells: Cells, width: int) -> tuple[list[int], list[int]]:
    """(kept column indexes, their widths) so that the table fits `width` characters: the flex
    column at its narrowest, columns left out from the right until the rest fits, then the flex
    column given back what room is left."""
    widths = [max([len(h)] + [len(" ".join(r[i].split())) for r in cells.rows])
              for i, h in enumerate(cells.headers)]
    kept = list(range(len(widths)))

    def total() -> int:
        return sum(widths[i] for i in kept) + len(GAP) * (len(kept) - 1)

    if cells.flex is None or total() <= width:
        while total() > width and len(kept) > 1:
            kept.pop()
        return kept, [widths[i] for i in kept]
    natural = widths[cells.flex]
    widths[cells.flex] = min(natural, max(MIN_FLEX, len(cells.headers[cells.flex])))
    while total() > width and len(kept) > 1 and kept[-1] != cells.flex:
        kept.pop()
    widths[cells.flex] = min(natural, widths[cells.flex] + max(0, width - total()))
    return kept, [widths[i] for i in kept]


def to_text(cells: Cells, *, width: int = WIDTH, max_rows: int | None = MAX_ROWS,
            title: str | None = None) -> str:
    """The table as lines of at most `width` characters (the title line is shortened too)."""
    kept, widths = _fit(cells, width)

    def line(values: list[str]) -> str:
        parts = []
        for i, w in zip(kept, widths):
            text = shorten(values[i], w)
            parts.append(text.rjust(w) if cells.numeric[i] else text.ljust(w))
        return GAP.join(parts).rstrip()

    lines = [shorten(title, width)] if title else []
    lines.append(line(cells.headers))
    shown = cells.rows if max_rows is None else cells.rows[:max_rows]
    lines += [line(r) for r in shown]
    if len(cells.rows) > len(shown):
        more = len(cells.rows) - len(shown)
        lines.append(f"{ELLIPSIS} {more} more row{'s' if more > 1 else ''}")
    left_out = [cells.headers[i] for i in range(len(cells.headers)) if i not in kept]
    if left_out:
        plural = "s" if len(left_out) > 1 else ""
        lines.append(shorten(f"{ELLIPSIS} {len(left_out)} more column{plural}: "
                             f"{', '.join(left_out)}", width))
    return "\n".join(lines)


def to_html(cells: Cells, *, max_rows: int | None = HTML_MAX_ROWS, title: str = "",
            note: str = "") -> str:
    """The table as HTML (class "dataframe", so notebooks style it like pandas' own tables);
    `title` and `note` are HTML already (escape them before)."""
    def row(values: list[str], tag: str) -> str:
        out = []
        for value, numeric in zip(values, cells.numeric):
            style = ' style="text-align: right;"' if numeric else ' style="text-align: left;"'
            out.append(f"<{tag}{style}>{html.escape(str(value))}</{tag}>")
        return "<tr>" + "".join(out) + "</tr>"

    shown = cells.rows if max_rows is None else cells.rows[:max_rows]
    body = "".join(row(r, "td") for r in shown)
    more = len(cells.rows) - len(shown)
    if more:
        body += (f'<tr><td colspan="{len(cells.headers)}" style="text-align: left;">'
                 f"{ELLIPSIS} {more} more rows</td></tr>")
    head = f"<div>{title}</div>" if title else ""
    tail = f"<div>{note}</div>" if note else ""
    return (f'{head}<table class="dataframe qc-magics"><thead>{row(cells.headers, "th")}</thead>'
            f"<tbody>{body}</tbody></table>{tail}")
