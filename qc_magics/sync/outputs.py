"""A notebook's outputs as Python values, addressable by cell index or by cell tag.

>>> out = read_outputs("research.ipynb")
>>> out["results"].json        # JSON the cell tagged "results" printed, decoded
>>> out[3].tables[0]           # an HTML table shown by cell 3, as a DataFrame
>>> out[5].error               # {"ename": ..., "evalue": ..., "traceback": [...]} or None
"""
from __future__ import annotations

import ast
import base64
import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

from ..errors import InvalidArgument
from .content import is_notebook
from .disk import read_text
from .notebook_check import check_notebook

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _decode_json(stdout: str) -> list[Any]:
    """The JSON values printed: the whole stdout if it is one, else each line that is one."""
    text = stdout.strip()
    if not text:
        return []
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    values = []
    for line in text.splitlines():
        line = line.strip()
        if line[:1] in ("{", "[", '"') or line in ("true", "false", "null"):
            try:
                values.append(json.loads(line))
            except ValueError:
                continue
    return values


@dataclass
class CellOutputs:
    """What one cell showed when it ran."""

    index: int
    cell_type: str
    source: str
    tags: list[str] = field(default_factory=list)
    execution_count: int | None = None
    stdout: str = ""
    stderr: str = ""
    data: list[Any] = field(default_factory=list)          # application/json payloads
    text: list[str] = field(default_factory=list)          # text/plain of results and displays
    html: list[str] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)
    image_types: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None

    @cached_property
    def json(self) -> list[Any]:
        """JSON printed on stdout, decoded."""
        return _decode_json(self.stdout)

    @cached_property
    def tables(self) -> list:
        """HTML tables as DataFrames, when pandas has an HTML parser (lxml, or bs4+html5lib)."""
        import io

        import pandas as pd

        frames = []
        for fragment in self.html:
            if "<table" not in fragment:
                continue
            try:
                frames.extend(pd.read_html(io.StringIO(fragment)))
            except ImportError:
                return []
            except ValueError:
                continue
        return frames

    @property
    def value(self) -> Any:
        """The most structured thing the cell produced: JSON data, then JSON printed, then a
        table, then its result as a Python literal, then its text, then what it printed."""
        if self.data:
            return self.data[-1]
        if self.json:
            return self.json[-1]
        if self.tables:
            return self.tables[-1]
        if self.text:
            try:
                return ast.literal_eval(self.text[-1])
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                return self.text[-1]
        return self.stdout or None


class NotebookOutputs:
    """Every cell's outputs. `outputs[3]` by index, `outputs["tag"]` by tag."""

    def __init__(self, cells: list[CellOutputs]):
        self.cells = cells

    def __len__(self) -> int:
        return len(self.cells)

    def __iter__(self) -> Iterator[CellOutputs]:
        return iter(self.cells)

    def __getitem__(self, key: int | str) -> CellOutputs:
        if isinstance(key, int):
            try:
                return self.cells[key]
            except IndexError:
                raise IndexError(f"the notebook has {len(self.cells)} cells; no cell {key}") \
                    from None
        for cell in self.cells:
            if key in cell.tags:
                return cell
        tags = sorted({t for c in self.cells for t in c.tags})
        raise KeyError(f"no cell tagged {key!r}; tags in this notebook: "
                       f"{', '.join(tags) or 'none'}")

    def tagged(self, tag: str) -> list[CellOutputs]:
        return [c for c in self.cells if tag in c.tags]

    @property
    def errors(self) -> list[CellOutputs]:
        return [c for c in self.cells if c.error]

    def __repr__(self) -> str:
        ran = sum(1 for c in self.cells if c.execution_count is not None)
        return (f"<NotebookOutputs: {len(self.cells)} cells, {ran} ran, "
                f"{len(self.errors)} with errors>")


def _cell(index: int, cell: dict) -> CellOutputs:
    out = CellOutputs(index=index, cell_type=cell.get("cell_type", ""), source=_text(cell.get("source")),
                      tags=list((cell.get("metadata") or {}).get("tags") or []),
                      execution_count=cell.get("execution_count"))
    for o in cell.get("outputs") or []:
        kind = o.get("output_type")
        if kind == "stream":
            text = _text(o.get("text"))
            if o.get("name") == "stderr":
                out.stderr += text
            else:
                out.stdout += text
        elif kind in ("execute_result", "display_data"):
            data = o.get("data") or {}
            if "application/json" in data:
                value = data["application/json"]
                out.data.append(json.loads(value) if isinstance(value, str) else value)
            if "text/plain" in data:
                out.text.append(_text(data["text/plain"]))
            if "text/html" in data:
                out.html.append(_text(data["text/html"]))
            for mime in ("image/png", "image/jpeg", "image/gif"):
                if mime in data:
                    out.images.append(base64.b64decode(_text(data[mime])))
                    out.image_types.append(mime)
            if "image/svg+xml" in data:
                out.images.append(_text(data["image/svg+xml"]).encode())
                out.image_types.append("image/svg+xml")
        elif kind == "error":
            out.error = {"ename": o.get("ename", ""), "evalue": o.get("evalue", ""),
                         "traceback": [_ANSI.sub("", t) for t in o.get("traceback") or []]}
    return out


def read_outputs(source: str | os.PathLike | dict) -> NotebookOutputs:
    """Outputs of a notebook given as a path, as notebook JSON text, or as a parsed dict.

    Text and files get the same check as a push (notebook_check): a file that is not a notebook
    is named as such, in one line, never with a JSON or nbformat internal error.
    """
    if isinstance(source, dict):
        nb = source
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        nb = check_notebook("the notebook text", source)
    else:
        path = Path(source)
        if not is_notebook(path.name):
            raise InvalidArgument(f"{path.name} is not a notebook (.ipynb): outputs come from "
                                  "notebooks")
        text = read_text(path) if not path.is_dir() else None
        if text is None:
            raise InvalidArgument(f"no notebook at {path}")
        nb = check_notebook(path.name, text)
    return NotebookOutputs([_cell(i, c) for i, c in enumerate(nb.get("cells") or [])])
