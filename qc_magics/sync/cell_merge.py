"""Merging one notebook cell, or one metadata dict, that both sides kept: field by field.

Work (type, source, attachments, each metadata key) is merged three-way against the base: a field
changed on one side takes that side's value, the same change on both sides is taken once, and
different changes are a clash. Results are not work and never clash: outputs and the execution
count follow the side that ran the cell most recently (the cloud's when they changed there since
the base, else the local ones), and so does run metadata (`execution`, `ExecuteTime`); view state
(`collapsed`, `scrolled`, `jupyter.source_hidden`...) changed on both sides keeps the local one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .cell_match import source
from .content import CELL_NOISE, JUPYTER_VIEW

MISSING: Any = object()   # a key one version does not have
RUN_KEYS = frozenset({"execution", "ExecuteTime"})   # metadata written by a run


@dataclass
class Picked:
    value: Any
    side: str = ""          # "local" or "cloud" when one side's change was taken
    clash: bool = False


def pick(base: Any, local: Any, cloud: Any) -> Picked:
    """Three-way choice of one value."""
    if local == cloud:
        return Picked(local)
    if local == base:
        return Picked(cloud, "cloud")
    if cloud == base:
        return Picked(local, "local")
    return Picked(local, clash=True)


@dataclass
class KeysMerge:
    value: dict
    local: list[str] = field(default_factory=list)    # keys whose change came from each side
    cloud: list[str] = field(default_factory=list)
    clashes: list[str] = field(default_factory=list)


def merge_keys(base: dict, local: dict, cloud: dict, *, soft: frozenset[str] = frozenset(),
               prefer: str = "local", nested: dict[str, frozenset[str]] | None = None,
               prefix: str = "") -> KeysMerge:
    """Merge two dicts key by key against their base. A key in `soft` (not work) never clashes:
    on a clash it takes the `prefer` side's value. A key in `nested` is itself merged key by key,
    with its own soft keys. Keys keep the local order, then the cloud's new ones."""
    out = KeysMerge({})
    keys = list(dict.fromkeys([*local, *cloud, *base]))
    for key in keys:
        b, lv, cv = base.get(key, MISSING), local.get(key, MISSING), cloud.get(key, MISSING)
        if nested and key in nested and all(isinstance(v, dict) or v is MISSING
                                            for v in (b, lv, cv)):
            inner = merge_keys({} if b is MISSING else b, {} if lv is MISSING else lv,
                               {} if cv is MISSING else cv, soft=nested[key], prefer=prefer,
                               prefix=f"{prefix}{key}.")
            out.local += inner.local
            out.cloud += inner.cloud
            out.clashes += inner.clashes
            if inner.value or (lv is not MISSING and cv is not MISSING):
                out.value[key] = inner.value
            continue
        p = pick(b, lv, cv)
        if p.clash:
            if key in soft:
                p = Picked(cv if prefer == "cloud" else lv)
            else:
                out.clashes.append(prefix + key)
        elif p.side and key not in soft:
            (out.local if p.side == "local" else out.cloud).append(prefix + key)
        if p.value is not MISSING:
            out.value[key] = p.value
    return out


def ran(cell: dict) -> tuple:
    """What a run of the cell leaves: its execution count and outputs."""
    return cell.get("execution_count"), cell.get("outputs")


@dataclass
class CellMerge:
    cell: dict
    local: bool = False           # some of the cell's work came from each side
    cloud: bool = False
    outputs_from_cloud: bool = False
    clashes: list[str] = field(default_factory=list)   # what clashes: "source", "tags"...


def merge_cell(base: dict, local: dict, cloud: dict) -> CellMerge:
    """One cell both sides kept (see the module docstring)."""
    out: dict = {}
    result = CellMerge(out)
    if "id" in local or "id" in cloud:
        out["id"] = local.get("id", cloud.get("id"))
    sides = {}
    for name, get in (("cell_type", lambda c: c.get("cell_type")), ("source", source)):
        p = pick(get(base), get(local), get(cloud))
        if p.clash:
            result.clashes.append(name)
        elif p.side:
            setattr(result, p.side, True)
        sides[name] = p.side
        raw = cloud if p.side == "cloud" else local
        out[name] = raw.get(name, "")
    if sides["cell_type"] and sides["source"] and sides["cell_type"] != sides["source"]:
        # Code turned markdown on one side, its text edited on the other: each change was made
        # for the other kind of cell (markdown run as code), so neither can be taken alone.
        result.clashes.append("cell type changed on one side, source on the other")
    cloud_ran = ran(cloud) != ran(base)
    runner = cloud if cloud_ran else local
    meta = merge_keys(_meta(base), _meta(local), _meta(cloud),
                      soft=CELL_NOISE, nested={"jupyter": JUPYTER_VIEW})
    meta.value = {k: v for k, v in meta.value.items() if k not in RUN_KEYS}
    for key in RUN_KEYS:   # run timing goes with the outputs it timed
        if key in _meta(runner):
            meta.value[key] = _meta(runner)[key]
    out["metadata"] = meta.value
    result.clashes += meta.clashes
    result.local |= bool(meta.local)
    result.cloud |= bool(meta.cloud)
    atts = pick(base.get("attachments", MISSING), local.get("attachments", MISSING),
                cloud.get("attachments", MISSING))
    if atts.clash:
        result.clashes.append("attachments")
    elif atts.side:
        setattr(result, atts.side, True)
    if atts.value is not MISSING and out["cell_type"] != "code":
        out["attachments"] = atts.value
    if out["cell_type"] == "code":
        out["execution_count"] = runner.get("execution_count")
        out["outputs"] = runner.get("outputs") or []
        result.outputs_from_cloud = cloud_ran and ran(cloud) != ran(local)
    return result


def _meta(cell: dict) -> dict:
    meta = cell.get("metadata")
    return meta if isinstance(meta, dict) else {}
