"""Which cell of a changed notebook is which cell of its base: the first step of a merge.

Cells are matched by id where both versions carry the same id (nbformat 4.5; an id repeated
within a version matches nothing). The cells left (a 4.4 notebook has no ids, and an id may be
regenerated) are matched by aligning their sources, as nbdime does: a longest-matching-run
alignment over (cell type, source), where, within a replaced stretch, a cell pairs with the next
cell of the same type on the other side (an edit), unless both carry ids that differ; the rest
were removed or added. Ids can show a cell moved; an alignment cannot (a move reads as a removal
and an addition).
"""
from __future__ import annotations

import difflib

from .content import normalise_text


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return normalise_text("".join(src) if isinstance(src, list) else str(src))


def _unique_ids(cells: list[dict]) -> dict[str, int]:
    seen: dict[str, int] = {}
    repeated: set[str] = set()
    for k, cell in enumerate(cells):
        cid = cell.get("id")
        if not isinstance(cid, str) or not cid:
            continue
        if cid in seen:
            repeated.add(cid)
        seen[cid] = k
    return {cid: k for cid, k in seen.items() if cid not in repeated}


def match_cells(base: list[dict], side: list[dict]) -> list[int | None]:
    """For each cell of `side`, the index of the base cell it is; None for a cell added."""
    found: list[int | None] = [None] * len(side)
    base_ids = _unique_ids(base)
    for cid, k in _unique_ids(side).items():
        if cid in base_ids:
            found[k] = base_ids[cid]
    taken = {i for i in found if i is not None}
    rest_base = [i for i in range(len(base)) if i not in taken]
    rest_side = [k for k in range(len(side)) if found[k] is None]

    def key(cell: dict) -> str:
        return f"{cell.get('cell_type', '')}\0{source(cell)}"

    matcher = difflib.SequenceMatcher(None, [key(base[i]) for i in rest_base],
                                      [key(side[k]) for k in rest_side], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for i, k in zip(range(i1, i2), range(j1, j2)):
                found[rest_side[k]] = rest_base[i]
        elif op == "replace":
            j = j1
            for i in range(i1, i2):
                b = base[rest_base[i]]
                k = next((k for k in range(j, j2) if _may_be(b, side[rest_side[k]])), None)
                if k is not None:
                    found[rest_side[k]] = rest_base[i]
                    j = k + 1
    return found


def _may_be(base: dict, cell: dict) -> bool:
    """Can `cell` be an edit of `base`? Same type, and not two different ids (two cells that
    carry ids which differ are two cells: one removed, one added)."""
    if cell.get("cell_type") != base.get("cell_type"):
        return False
    a, b = base.get("id"), cell.get("id")
    return not (isinstance(a, str) and a and isinstance(b, str) and b and a != b)


def reordered(found: list[int | None]) -> bool:
    """Did this side move cells: are its base cells out of their base order?"""
    order = [i for i in found if i is not None]
    return any(a > b for a, b in zip(order, order[1:]))
