"""Compare two versions of a file: cell by cell for notebooks, a unified diff for the rest.

Notebook diffs look only at the work: cell types and sources, then cell metadata (tags...) and
attachments of cells that stayed, and notebook metadata (the kernelspec...), so execution counts,
outputs and run or view metadata never show as changes (see content for what is work). The
result prints as text in a terminal and as HTML in a notebook.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from .content import (InvalidNotebook, cell_work_metadata, is_notebook, normalise_text,
                      notebook_inputs, notebook_work_metadata, parse_notebook)


@dataclass
class CellChange:
    kind: str                 # "changed", "added", "removed" or "metadata"
    a_index: int | None       # the cell's position in the first version
    b_index: int | None       # and in the second
    cell_type: str
    lines: list[str]          # unified diff of the source (all + or - for added/removed)


@dataclass
class Diff:
    name: str
    a_label: str
    b_label: str
    kind: str                                   # "notebook", "text", "missing"
    cells: list[CellChange] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def identical(self) -> bool:
        return self.kind != "missing" and not self.cells and not self.lines

    def __bool__(self) -> bool:  # truthy when there is a difference
        return not self.identical

    def __str__(self) -> str:
        if self.kind == "missing":
            return self.note
        if self.identical:
            # A notebook's outputs and run counts are not its work: said, so "no differences"
            # beside a notebook that shows other outputs is not a surprise.
            ignored = "; outputs not compared" if self.kind == "notebook" else ""
            return f"{self.name}: no differences ({self.a_label} vs {self.b_label}{ignored})"
        out = [f"--- {self.a_label}", f"+++ {self.b_label}"]
        if self.kind == "text":
            return "\n".join(out + self.lines)
        for c in self.cells:
            where = _where(c, "->")
            out.append(f"## {c.kind} {c.cell_type} {where}")
            out.extend(c.lines)
        return "\n".join(out)

    def _repr_html_(self) -> str:
        import html   # only in a notebook: not on the command line's start-up
        def pre(lines: list[str]) -> str:
            rows = []
            for line in lines:
                color = ("#e6ffed" if line.startswith("+") else "#ffeef0" if line.startswith("-")
                         else "#f1f8ff" if line.startswith("@@") else "transparent")
                rows.append(f'<div style="background:{color}">{html.escape(line) or "&nbsp;"}</div>')
            return ('<pre style="font-size:12px;line-height:1.35;margin:2px 0 10px 0">'
                    + "".join(rows) + "</pre>")

        head = (f"<div><b>{html.escape(self.name)}</b>: <code>{html.escape(self.a_label)}</code> "
                f"&rarr; <code>{html.escape(self.b_label)}</code></div>")
        if self.kind == "missing" or self.identical:
            return head + f"<div>{html.escape(str(self))}</div>"
        if self.kind == "text":
            return head + pre(self.lines)
        parts = [head]
        for c in self.cells:
            where = _where(c, "&rarr;")
            parts.append(f"<div><b>{c.kind}</b> {c.cell_type} {where}</div>" + pre(c.lines))
        return "".join(parts)


def _where(c: CellChange, arrow: str) -> str:
    if c.a_index is None and c.b_index is None:
        return "of the notebook"
    if c.kind in ("changed", "metadata"):
        return f"cell {c.a_index} {arrow} {c.b_index}"
    return f"cell {c.b_index}" if c.kind == "added" else f"cell {c.a_index}"


def _json_lines(value: object) -> list[str]:
    return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False).splitlines()


def _metadata_change(a: dict, b: dict, i: int | None, k: int | None,
                     cell_type: str) -> CellChange | None:
    if a == b:
        return None
    return CellChange("metadata", i, k, cell_type, _unified(
        "\n".join(_json_lines(a)) + "\n", "\n".join(_json_lines(b)) + "\n"))


def _unified(a: str, b: str) -> list[str]:
    import difflib   # only when a diff is made: not on status's start-up
    return [line.rstrip("\n") for line in difflib.unified_diff(
        a.splitlines(keepends=True), b.splitlines(keepends=True), lineterm="", n=3)][2:]


def diff_texts(name: str, a: str | None, b: str | None, *, a_label: str = "a",
               b_label: str = "b") -> Diff:
    """Diff version `a` (e.g. the cloud copy) against version `b` (e.g. the local file)."""
    if a is None or b is None:
        missing = a_label if a is None else b_label
        return Diff(name, a_label, b_label, "missing", note=f"{name}: there is no {missing}")
    if is_notebook(name):
        try:
            return _notebooks(name, parse_notebook(a, name), parse_notebook(b, name), a_label,
                             b_label)
        except InvalidNotebook as e:
            note = f" (compared as text: {e})"
            d = Diff(name, a_label, b_label, "text", lines=_unified(a, b))
            d.note = note
            return d
    return Diff(name, a_label, b_label, "text",
                lines=_unified(normalise_text(a), normalise_text(b)))


def _cell_extra(cell: dict) -> dict:
    """A cell's work beyond its type and source: metadata and attachments."""
    extra: dict = {"metadata": cell_work_metadata(cell)}
    if cell.get("attachments"):
        extra["attachments"] = cell["attachments"]
    return extra


def _notebooks(name: str, a: dict, b: dict, a_label: str, b_label: str) -> Diff:
    ca, cb = notebook_inputs(a), notebook_inputs(b)
    keys_a = [f"{t}\0{s}" for t, s in ca]
    keys_b = [f"{t}\0{s}" for t, s in cb]
    import difflib
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    extra = _metadata_change(notebook_work_metadata(a), notebook_work_metadata(b), None, None,
                             "notebook")
    changes: list[CellChange] = [extra] if extra else []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for i, k in zip(range(i1, i2), range(j1, j2)):
                change = _metadata_change(_cell_extra(a["cells"][i]), _cell_extra(b["cells"][k]),
                                          i, k, ca[i][0])
                if change:
                    changes.append(change)
            continue
        # In a replaced run, a cell pairs with the next one of the same type on the other side
        # (an edit); the rest were removed or added. A markdown cell never "becomes" code.
        pairs, j = [], j1
        for i in range(i1, i2 if op == "replace" else i1):
            k = next((k for k in range(j, j2) if cb[k][0] == ca[i][0]), None)
            if k is not None:
                pairs.append((i, k))
                j = k + 1
        paired_a = {i for i, _ in pairs}
        paired_b = {k for _, k in pairs}
        for i in range(i1, i2):
            if i not in paired_a:
                changes.append(CellChange("removed", i, None, ca[i][0],
                                          ["-" + line for line in ca[i][1].splitlines()]))
        for i, k in pairs:
            changes.append(CellChange("changed", i, k, cb[k][0], _unified(ca[i][1], cb[k][1])))
            change = _metadata_change(_cell_extra(a["cells"][i]), _cell_extra(b["cells"][k]),
                                      i, k, ca[i][0])
            if change:
                changes.append(change)
        for k in range(j1, j2):
            if k not in paired_b:
                changes.append(CellChange("added", None, k, cb[k][0],
                                          ["+" + line for line in cb[k][1].splitlines()]))
    return Diff(name, a_label, b_label, "notebook", cells=changes)
