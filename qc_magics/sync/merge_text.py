"""Three-way merge of a text file, line by line, as diff3 and merge3 do.

The base is the last synced version. Lines both sides kept unchanged are anchors; between two
anchors, a change made on one side only is taken, the same change made on both sides is taken
once, and different changes are a clash (so are changes on adjacent lines with no unchanged line
between them, as in git). Line endings are compared normalised; the merge is written with the
local file's line ending.

Written on difflib rather than a dependency: the algorithm (bzr's merge3, sync regions) is
thirty lines, and the sync already diffs with difflib.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field



@dataclass(frozen=True)
class Hunk:
    """A change taken from one side, by its lines in the merged file (1-based, inclusive; a
    deletion has end == start - 1: it sits before line `start`)."""
    side: str      # "local" or "cloud"
    start: int
    end: int

    def lines(self) -> str:
        if self.end < self.start:
            return f"lines removed before line {self.start}"
        return f"line {self.start}" if self.end == self.start else \
            f"lines {self.start}-{self.end}"


@dataclass(frozen=True)
class Clash:
    """Lines of the last synced version both sides changed differently (1-based, inclusive;
    end == start - 1 when both inserted different lines before line `start`)."""
    start: int
    end: int

    def describe(self) -> str:
        if self.end < self.start:
            return f"both sides added different lines before line {self.start}"
        where = f"line {self.start}" if self.end == self.start else \
            f"lines {self.start}-{self.end}"
        return f"{where} changed on both sides"


@dataclass
class TextMerge:
    text: str | None                     # None when there is a clash
    taken: list[Hunk] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)


def _regions(base: list[str], a: list[str], b: list[str]):
    """Stretches of base that both sides kept unchanged, with where they are in a and b:
    (base_start, base_end, a_start, a_end, b_start, b_end), ending with an empty one at the
    ends of all three."""
    ma = difflib.SequenceMatcher(None, base, a, autojunk=False).get_matching_blocks()
    mb = difflib.SequenceMatcher(None, base, b, autojunk=False).get_matching_blocks()
    i = j = 0
    while i < len(ma) and j < len(mb):
        abase, amatch, alen = ma[i]
        bbase, bmatch, blen = mb[j]
        lo, hi = max(abase, bbase), min(abase + alen, bbase + blen)
        if lo < hi:
            a0, b0 = amatch + lo - abase, bmatch + lo - bbase
            yield lo, hi, a0, a0 + hi - lo, b0, b0 + hi - lo
        if abase + alen < bbase + blen:
            i += 1
        else:
            j += 1
    yield len(base), len(base), len(a), len(a), len(b), len(b)


def _lines(text: str) -> list[str]:
    """Lines ending in LF (CRLF read as LF). Only a line feed ends a line: a lone CR, a form
    feed or U+2028 is data inside it, as Python and git read source (str.splitlines would split
    there and the merge would write line breaks neither side wrote)."""
    parts = text.replace("\r\n", "\n").split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def merge_text(base: str, local: str, cloud: str) -> TextMerge:
    """Merge `local` and `cloud`, both changed from `base`. The merged text keeps every change
    either side made, or is None and `clashes` says where they overlap."""
    # Written back with the local file's usual line ending (most of its lines end in CRLF).
    crlf = local.count("\r\n") * 2 > local.count("\n")
    base_l, a, b = (_lines(t) for t in (base, local, cloud))
    out: list[str] = []
    result = TextMerge(None)
    z = ia = ib = 0
    for z0, z1, a0, a1, b0, b1 in _regions(base_l, a, b):
        zpart, apart, bpart = base_l[z:z0], a[ia:a0], b[ib:b0]
        if zpart or apart or bpart:
            start = len(out) + 1
            if apart == bpart:            # the same change on both sides (or none): once
                chosen, side = apart, ""
            elif bpart == zpart:
                chosen, side = apart, "local"
            elif apart == zpart:
                chosen, side = bpart, "cloud"
            else:
                chosen, side = [], ""
                result.clashes.append(Clash(z + 1, z0))
            out.extend(chosen)
            if side:
                result.taken.append(Hunk(side, start, len(out)))
        out.extend(base_l[z0:z1])
        z, ia, ib = z1, a1, b1
    if not result.clashes:
        text = "".join(out)
        result.text = text.replace("\n", "\r\n") if crlf else text
    return result
