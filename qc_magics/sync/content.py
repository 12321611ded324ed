"""What counts as a change: fingerprints of file content, notebooks' inputs versus outputs.

For a notebook the work is its inputs (cell types and sources); outputs are results. Two
fingerprints per file capture that: `work` (what a person wrote) and `whole` (work plus outputs).
For any other file both are the content with line endings normalised. Execution counts, cell ids
and metadata are noise and count for neither.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..errors import QCError


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


def parse_notebook(text: str) -> dict:
    try:
        nb = json.loads(text)
    except ValueError as e:
        raise InvalidNotebook(f"not valid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise InvalidNotebook("a notebook is a JSON object with a list of cells")
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or "cell_type" not in cell:
            raise InvalidNotebook(f"cell {i} has no cell_type")
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
    return [(c.get("cell_type", ""), normalise_text(_source(c))) for c in nb["cells"]]


@dataclass(frozen=True)
class Fingerprint:
    work: str      # what a person wrote: a notebook's cell types and sources, or the text
    whole: str     # work plus results: a notebook's outputs too
    outputs: str   # a notebook's outputs alone (empty for other files)


def fingerprint(name: str, text: str) -> Fingerprint:
    """Raises InvalidNotebook for a .ipynb whose text is not a notebook."""
    if not is_notebook(name):
        h = _digest(normalise_text(text))
        return Fingerprint(h, h, "")
    nb = parse_notebook(text)
    inputs = notebook_inputs(nb)
    outputs = [_outputs(c) for c in nb["cells"]]
    return Fingerprint(_digest(inputs), _digest([inputs, outputs]), _digest(outputs))


def strip_outputs(text: str) -> str:
    """The notebook without outputs or execution counts, as valid nbformat JSON.

    Plain json rather than nbformat: clearing outputs keeps a valid notebook valid, and importing
    nbformat costs over a second where jsonschema's format checkers are installed (they come
    with JupyterLab), on every kernel's first push.
    """
    nb = parse_notebook(text)
    if nb.get("nbformat") != 4 or not isinstance(nb.get("metadata", {}), dict):
        return valid_notebook_text(text)   # an old format: let nbformat convert it
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    # nbformat's own layout on disk, so the cloud copy diffs cleanly against Jupyter's files
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def valid_notebook_text(text: str) -> str:
    """Round-trip through nbformat, so what is sent is valid nbformat JSON (ids, version)."""
    import nbformat

    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as e:  # nbformat raises several unrelated types for bad input
        raise InvalidNotebook(f"not a valid notebook ({type(e).__name__}: {e})") from None
    return nbformat.writes(nb)
