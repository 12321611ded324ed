"""Merging a file both sides changed since the last sync: one call for pull and push, and the
words the sync report uses for it.

Notebooks merge cell by cell (merge_notebook.py), other files line by line (merge_text.py). A
merge needs the base (the last synced version, kept in .qc-sync/base): without it, or when a
side cannot be read as text or as a notebook, there is no merge and the caller keeps both
versions as before (a conflict copy on pull, a refusal on push).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .content import InvalidNotebook, is_notebook

if TYPE_CHECKING:
    from .sides import Side
    from .state import SyncState


@dataclass
class FileMerge:
    text: str | None               # the merged content; None when it clashes
    taken: str = ""                # what came from where, for the report
    clashes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.text is not None


def numbers(items: list[int]) -> str:
    """[1, 2, 3, 5] -> "cells 1-3, 5"; [4] -> "cell 4"."""
    runs: list[str] = []
    start = prev = None
    for n in sorted(set(items)) + [None]:
        if start is not None and (n is None or n != prev + 1):
            runs.append(str(start) if start == prev else f"{start}-{prev}")
            start = None
        if n is not None and start is None:
            start = n
        prev = n
    plural = len(items) > 1
    return ("cells " if plural else "cell ") + ", ".join(runs)


def merge_file(name: str, base: str, local: str, cloud: str) -> FileMerge | None:
    """Merge `local` and `cloud` against `base`; None when the versions cannot be merged at
    all (a side is not a valid notebook)."""
    if is_notebook(name):
        return _notebook(name, base, local, cloud)
    from .merge_text import merge_text
    m = merge_text(base, local, cloud)
    taken = "; ".join(
        f"{', '.join(h.lines() for h in m.taken if h.side == side)} from "
        f"{'the cloud' if side == 'cloud' else 'local'}"
        for side in ("cloud", "local") if any(h.side == side for h in m.taken))
    return FileMerge(m.text, taken, [c.describe() for c in m.clashes])


def _notebook(name: str, base: str, local: str, cloud: str) -> FileMerge | None:
    from .merge_notebook import merge_notebooks
    from .notebook_check import check_notebook
    try:
        m = merge_notebooks(base, local, cloud, name)
    except InvalidNotebook:
        return None
    if m.text is not None:
        try:
            check_notebook(name, m.text)   # what push and write check: never write a bad one
        except InvalidNotebook as e:
            return FileMerge(None, clashes=[f"the merge would not be a valid notebook ({e})"])
    parts = []
    for side, words in (("cloud", "from the cloud"), ("local", "from local")):
        if getattr(m, side):
            parts.append(f"{numbers(getattr(m, side))} {words}")
    if m.outputs:
        parts.append(f"outputs of {numbers(m.outputs)} from the cloud's run")
    for side, where in (("cloud", "in the cloud"), ("local", "here")):
        if m.removed[side]:
            parts.append(f"{m.removed[side]} cell{'s' if m.removed[side] > 1 else ''} "
                         f"removed {where}")
        if m.metadata[side]:
            parts.append(f"notebook metadata {', '.join(m.metadata[side])} "
                         f"{'from the cloud' if side == 'cloud' else 'from local'}")
    if m.order:
        parts.append(f"cell order from {'the cloud' if m.order == 'cloud' else 'local'}")
    return FileMerge(m.text, "; ".join(parts), m.clashes)


def try_merge(name: str, lside: Side | None, cside: Side | None,
              state: SyncState) -> FileMerge | None:
    """Merge both sides' changes against the last synced version (merge.py); None when there is
    nothing to merge from: no base copy, or a side that is not text or not a valid notebook."""
    if lside is None or cside is None or lside.text is None or cside.text is None \
            or lside.invalid or cside.invalid:
        return None
    base = state.base_text(name)
    if base is None:
        return None
    return merge_file(name, base, lside.text, cside.text)
