"""Three-way merge of a notebook, cell by cell, against the last synced version (the base).

Each side's cells are matched to the base's (cell_match.py). Then, for every base cell:
- kept on both sides: merged field by field (cell_merge.py); the same field changed differently
  on both sides (the source, a metadata key such as tags) is a clash;
- removed on one side: removed, unless the other side changed its work (edit versus delete is a
  clash; a re-run alone is not work, so the removal wins);
- cells added on one side go where that side put them: after the base cell they follow there.
  Cells added on both sides at the same place are one cell when their work is the same; when it
  differs, both are kept, the local ones first and then the cloud's. That is no clash, by choice:
  nothing is lost, the order is fixed, the report names both, and the most common case (each side
  appended a cell at the end) merges without a conflict copy.
- order: when one side moved cells (its base cells are out of base order), its order is taken;
  when both moved them, to the same order, that order; to different orders, a clash.
Notebook metadata is merged key by key (language_info and widgets are results: they follow the
side that ran). Outputs follow the side that ran each cell (see cell_merge).

Cells in the report are numbered from 0, as `diff` numbers them, in the merged notebook (and, for
a clash, in the local file or in the cloud's copy).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .cell_match import match_cells, reordered, source
from .cell_merge import CellMerge, merge_cell, merge_keys, ran
from .content import NOTEBOOK_NOISE, cell_work_metadata, parse_notebook
from .notebook_check import notebook_text


@dataclass
class NotebookMerge:
    text: str | None                                   # None when something clashes
    local: list[int] = field(default_factory=list)     # merged cells whose work came from here
    cloud: list[int] = field(default_factory=list)     # ... from the cloud
    outputs: list[int] = field(default_factory=list)   # merged cells given the cloud's outputs
    removed: dict[str, int] = field(default_factory=lambda: {"local": 0, "cloud": 0})
    metadata: dict[str, list[str]] = field(default_factory=lambda: {"local": [], "cloud": []})
    order: str = ""                                     # the side whose cell order was taken
    clashes: list[str] = field(default_factory=list)


def _work(cell: dict) -> tuple:
    return (cell.get("cell_type"), source(cell), cell_work_metadata(cell),
            cell.get("attachments") or {})


def _snippet(cell: dict) -> str:
    first = next((line.strip() for line in source(cell).splitlines() if line.strip()), "")
    return f" ({first[:30]}{'...' if len(first) > 30 else ''})" if first else " (empty)"


@dataclass
class _Side:
    name: str
    cells: list[dict]
    found: list[int | None]            # base index of each cell, None for added ones
    where: dict[int, int] = field(init=False)   # base index -> this side's index

    def __post_init__(self) -> None:
        self.where = {i: k for k, i in enumerate(self.found) if i is not None}

    def order(self) -> list[int]:
        return [i for i in self.found if i is not None]

    def runs(self) -> dict[int | None, list[int]]:
        """Added cells by the base cell they follow on this side (None: at the start)."""
        out: dict[int | None, list[int]] = {}
        last: int | None = None
        for k, i in enumerate(self.found):
            if i is None:
                out.setdefault(last, []).append(k)
            else:
                last = i
        return out


def merge_notebooks(base_text: str, local_text: str, cloud_text: str,
                    name: str = "notebook.ipynb") -> NotebookMerge:
    """Merge two changed versions of a notebook; raises InvalidNotebook if one is not one."""
    base, local, cloud = (parse_notebook(t, name) for t in (base_text, local_text, cloud_text))
    bcells = base["cells"]
    sides = {s: _Side(s, nb["cells"], match_cells(bcells, nb["cells"]))
             for s, nb in (("local", local), ("cloud", cloud))}
    lo, cl = sides["local"], sides["cloud"]
    result = NotebookMerge(None)
    merged: dict[int, CellMerge] = {}
    for i, bcell in enumerate(bcells):
        lk, ck = lo.where.get(i), cl.where.get(i)
        if lk is None and ck is None:
            continue
        if lk is None or ck is None:
            gone, kept, k = ("local", cl, ck) if lk is None else ("cloud", lo, lk)
            if _work(kept.cells[k]) != _work(bcell):   # edit versus delete
                edited, deleted = ("in the cloud", "here") if gone == "local" else \
                    ("here", "in the cloud")
                result.clashes.append(f"{kept.name} cell {k}{_snippet(kept.cells[k])}: "
                                      f"edited {edited}, deleted {deleted}")
            else:
                result.removed[gone] += 1
            continue
        m = merge_cell(bcell, lo.cells[lk], cl.cells[ck])
        if m.clashes:
            result.clashes.append(f"local cell {lk}{_snippet(lo.cells[lk])}: "
                                  f"{', '.join(m.clashes)} changed on both sides")
        merged[i] = m
    ordering = _ordering(lo, cl, set(merged), result)
    cells = _assemble(ordering, lo, cl, merged, result)
    meta = merge_keys(_meta(base), _meta(local), _meta(cloud), soft=NOTEBOOK_NOISE,
                      prefer="cloud" if result.outputs else "local")
    result.metadata = {"local": meta.local, "cloud": meta.cloud}
    result.clashes += [f"notebook metadata {key!r} changed on both sides" for key in meta.clashes]
    if result.clashes:
        return result
    minor = max(_minor(local), _minor(cloud))
    if minor >= 5:
        _give_ids(cells)
    else:
        for cell in cells:
            cell.pop("id", None)
    result.text = notebook_text({"nbformat": 4, "nbformat_minor": minor,
                                 "metadata": meta.value, "cells": cells})
    return result


def _ordering(lo: _Side, cl: _Side, kept: set[int], result: NotebookMerge) -> _Side:
    """The side whose order the merge takes (see the module docstring)."""
    moved = [s for s in (lo, cl) if reordered(s.found)]
    if len(moved) == 2:
        both = [[i for i in s.order() if i in kept] for s in moved]
        if both[0] != both[1]:
            result.clashes.append("both sides moved cells, to different orders")
    elif moved:
        result.order = moved[0].name
    return moved[0] if moved else lo


def _anchor(i: int | None, side: _Side, present: set[int]) -> int | None:
    """Where cells added after base cell `i` on `side` go: after `i`, or when the merge removed
    it, after the nearest base cell before it on that side that is still there."""
    order = side.order()
    pos = order.index(i) if i is not None else -1
    while pos >= 0 and order[pos] not in present:
        pos -= 1
    return order[pos] if pos >= 0 else None


def _assemble(ordering: _Side, lo: _Side, cl: _Side, merged: dict[int, CellMerge],
              result: NotebookMerge) -> list[dict]:
    present = set(merged)
    added: dict[int | None, dict[str, list[dict]]] = {}
    for s in (lo, cl):
        for i, ks in s.runs().items():
            spot = added.setdefault(_anchor(i, s, present), {"local": [], "cloud": []})
            spot[s.name] += [s.cells[k] for k in ks]
    cells: list[dict] = []

    def take(cell: dict, *, local: bool, cloud: bool, outputs: bool = False) -> None:
        if local:
            result.local.append(len(cells))
        if cloud:
            result.cloud.append(len(cells))
        if outputs and not cloud:   # a cell taken from the cloud brings its outputs anyway
            result.outputs.append(len(cells))
        cells.append(cell)

    def new_cells(at: int | None) -> None:
        spot = added.get(at, {"local": [], "cloud": []})
        theirs = list(spot["cloud"])
        for cell in spot["local"]:
            twin = next((c for c in theirs if _work(c) == _work(cell)), None)
            if twin is not None:   # added on both sides, the same: one cell
                theirs.remove(twin)
                runs = bool(twin.get("outputs")) or twin.get("execution_count") is not None
                take(dict(cell, **({"outputs": twin.get("outputs", []),
                                    "execution_count": twin.get("execution_count")}
                                   if runs and cell.get("cell_type") == "code" else {})),
                     local=False, cloud=False, outputs=runs and ran(twin) != ran(cell))
            else:
                take(dict(cell), local=True, cloud=False)
        for cell in theirs:
            take(dict(cell), local=False, cloud=True)

    new_cells(None)
    for i in ordering.order():
        if i in present:
            m = merged[i]
            take(m.cell, local=m.local, cloud=m.cloud, outputs=m.outputs_from_cloud)
            new_cells(i)
    return cells


def _meta(nb: dict) -> dict:
    meta = nb.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _minor(nb: dict) -> int:
    minor = nb.get("nbformat_minor")
    has_ids = any(isinstance(c, dict) and "id" in c for c in nb["cells"])
    return max(minor if isinstance(minor, int) else 0, 5 if has_ids else 0)


def _give_ids(cells: list[dict]) -> None:
    """Every cell of a 4.5 notebook has an id, once: a cell without one (from a 4.4 side), or
    whose id another cell already has, gets one derived from its place and source (a merge is
    deterministic: the same three versions give the same file)."""
    seen: set[str] = set()
    for n, cell in enumerate(cells):
        cid = cell.get("id")
        salt = 0
        while not isinstance(cid, str) or not cid or cid in seen:
            digest = hashlib.sha256(f"{n}\0{salt}\0{source(cell)}".encode()).hexdigest()
            cid, salt = digest[:8], salt + 1
        cell["id"] = cid
        seen.add(cid)

