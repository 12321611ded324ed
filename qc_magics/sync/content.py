"""What counts as a change: fingerprints of file content, notebooks' work versus their results.

For a notebook the work is what a person wrote or set: cell types and sources, cell tags and other
cell metadata, attachments (images pasted into markdown), and notebook metadata such as the
kernelspec. Results and execution noise are not work: outputs, execution counts, cell ids, timing
metadata a kernel run writes (`execution`, `ExecuteTime`), the view state of a cell (`collapsed`,
`scrolled`, `jupyter.source_hidden`/`outputs_hidden`), and what a kernel writes about itself
(`language_info`) or widgets' saved state (`widgets`). Three fingerprints per file capture that:
`work`, `whole` (work plus outputs) and `outputs`. For any other file `work` and `whole` are the
text with line endings normalised.

Notebook fingerprints carry a version prefix (`nb2:`): a base recorded before metadata counted
is recognised and migrated (see `migrate_fingerprint`) instead of making every notebook look
changed. Checking that a notebook is valid before it is sent lives in `notebook_check`.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from ..errors import QCError
from ..records import FrozenRecord

NOTEBOOK_FP = "nb2:"   # today's notebook fingerprints; the unprefixed ones came before metadata

# Cell metadata that records a run or the view, not work (see the module docstring).
CELL_NOISE = frozenset({"execution", "ExecuteTime", "collapsed", "scrolled"})
JUPYTER_VIEW = frozenset({"source_hidden", "outputs_hidden"})
NOTEBOOK_NOISE = frozenset({"language_info", "widgets"})


class InvalidNotebook(QCError, ValueError):
    """The text of a .ipynb file is not a notebook (not JSON, or not nbformat's shape)."""


def is_notebook(name: str) -> bool:
    return name.lower().endswith(".ipynb")


def _digest(value: Any) -> str:
    data = value if isinstance(value, str) else json.dumps(value, sort_keys=True,
                                                             separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def normalise_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _problem(name: str, problem: str) -> InvalidNotebook:
    return InvalidNotebook(f"{name} is not a valid notebook: {problem}" if name else problem)


def parse_notebook(text: str, name: str = "") -> dict:
    """The notebook as a dict, checked just enough to fingerprint and read it. Raises
    InvalidNotebook with one line naming the file and the problem (see notebook_check for the
    full check made before anything is sent)."""
    try:
        nb = json.loads(text)
    except ValueError as e:
        where = f" at line {e.lineno}" if hasattr(e, "lineno") else ""
        raise _problem(name, f"not valid JSON ({getattr(e, 'msg', e)}{where})") from None
    except RecursionError:
        raise _problem(name, "JSON nested too deeply") from None
    if not isinstance(nb, dict):
        raise _problem(name, "a notebook is a JSON object, not a "
                             f"{type(nb).__name__.replace('NoneType', 'null')}")
    version = nb.get("nbformat")
    if "nbformat" not in nb:
        raise _problem(name, "it has no 'nbformat' version, so it is not a Jupyter notebook")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _problem(name, f"its 'nbformat' version is {version!r}, not a number")
    if version < 4:
        raise _problem(name, f"it is an nbformat {version} notebook, older than the version 4 "
                             "this tool syncs; open it in Jupyter and save it (Jupyter converts "
                             "it to version 4), then try again")
    if version > 4:
        raise _problem(name, f"it is an nbformat {version} notebook, newer than the version 4 "
                             "this tool knows")
    if not isinstance(nb.get("cells"), list):
        raise _problem(name, "it has no list of cells")
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise _problem(name, f"cell {i} has no cell_type")
    return nb


def _outputs(cell: dict) -> list:
    out = []
    for o in cell.get("outputs") or []:
        if not isinstance(o, dict):
            continue
        # execution_count inside execute_result is noise, like the cell's own counter
        out.append({k: v for k, v in o.items() if k not in ("execution_count", "metadata")})
    return out


def notebook_inputs(nb: dict) -> list[tuple[str, str]]:
    """Cell types and sources: what a diff shows."""
    return [(c.get("cell_type", ""), normalise_text(_source(c))) for c in nb["cells"]]


def cell_work_metadata(cell: dict) -> dict:
    """A cell's metadata without run and view noise: tags, names, format, anything else set."""
    meta = cell.get("metadata")
    if not isinstance(meta, dict):
        return {}
    kept = {k: v for k, v in meta.items() if k not in CELL_NOISE}
    if isinstance(kept.get("jupyter"), dict):
        jupyter = {k: v for k, v in kept["jupyter"].items() if k not in JUPYTER_VIEW}
        if jupyter:
            kept["jupyter"] = jupyter
        else:
            del kept["jupyter"]
    return kept


def notebook_work_metadata(nb: dict) -> dict:
    meta = nb.get("metadata")
    if not isinstance(meta, dict):
        return {}
    return {k: v for k, v in meta.items() if k not in NOTEBOOK_NOISE}


def notebook_work(nb: dict) -> list:
    """Everything in a notebook that is work (see the module docstring), in a stable shape."""
    return [notebook_work_metadata(nb),
            [[c.get("cell_type", ""), normalise_text(_source(c)), cell_work_metadata(c),
              c.get("attachments") or {}] for c in nb["cells"]]]


class Fingerprint(FrozenRecord):
    """Hashes of a file's content, compared to tell what changed."""

    work: str      # what a person wrote: a notebook's cells and metadata, or the text
    whole: str     # work plus results: a notebook's outputs too
    outputs: str   # a notebook's outputs alone (empty for other files)

    def __init__(self, work: str, whole: str, outputs: str):
        self._set(work=work, whole=whole, outputs=outputs)


def fingerprint(name: str, text: str) -> Fingerprint:
    """Raises InvalidNotebook for a .ipynb whose text is not a notebook."""
    if not is_notebook(name):
        h = _digest(normalise_text(text))
        return Fingerprint(h, h, "")
    nb = parse_notebook(text, name)
    work = notebook_work(nb)
    outputs = [_outputs(c) for c in nb["cells"]]
    return Fingerprint(NOTEBOOK_FP + _digest(work), NOTEBOOK_FP + _digest([work, outputs]),
                       _digest(outputs))


def legacy_fingerprint(name: str, text: str) -> Fingerprint:
    """The fingerprint before notebook metadata counted (unprefixed): only to migrate bases."""
    if not is_notebook(name):
        return fingerprint(name, text)
    nb = parse_notebook(text, name)
    inputs = notebook_inputs(nb)
    outputs = [_outputs(c) for c in nb["cells"]]
    return Fingerprint(_digest(inputs), _digest([inputs, outputs]), _digest(outputs))


def migrate_fingerprint(name: str, stored: Fingerprint, base_text: str | None
                        ) -> Fingerprint | None:
    """A stored base fingerprint in today's terms.

    Text files and current notebook fingerprints are returned as they are. A notebook base from
    before metadata counted is recomputed from its base copy when that copy is the version it
    fingerprinted; otherwise there is nothing to recompute it from and None says "forget this
    base": the file is then compared as on a first sync, which keeps both sides' work (equal
    sides are simply in sync again).
    """
    if not is_notebook(name) or stored.work.startswith(NOTEBOOK_FP):
        return stored
    if base_text is None:
        return None
    try:
        if legacy_fingerprint(name, base_text).whole != stored.whole:
            return None
        return fingerprint(name, base_text)
    except InvalidNotebook:
        return None
