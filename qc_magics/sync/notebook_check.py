"""Is this a valid notebook? One check, the same for push, write, parameters and outputs.

It follows nbformat's v4 JSON schema for every rule people trip over (a markdown cell with
outputs, a null source, an unknown cell or output type, a cell without metadata, bad tags, a
kernelspec without a name), and accepts what nbformat's own validator accepts there, including
its repairs: a 4.5 notebook with missing or repeated cell ids is valid and gets fresh ids. An
older notebook whose cells carry ids (nbformat's own `new_code_cell` adds them) is raised to 4.5.

Plain Python rather than nbformat's validator: importing nbformat and compiling its schemas costs
one to three seconds, on every kernel's first push. Old formats are refused, never converted, so
status, push, pull and outputs see a v3 notebook the same way (see content.parse_notebook).
"""
from __future__ import annotations

import json
import os
import re
from typing import Any

from .content import InvalidNotebook, parse_notebook

CELL_FIELDS = {"code": {"id", "cell_type", "metadata", "source", "outputs", "execution_count"},
               "markdown": {"id", "cell_type", "metadata", "source", "attachments"},
               "raw": {"id", "cell_type", "metadata", "source", "attachments"}}
OUTPUT_FIELDS = {"execute_result": {"output_type", "data", "metadata", "execution_count"},
                 "display_data": {"output_type", "data", "metadata"},
                 "stream": {"output_type", "name", "text"},
                 "error": {"output_type", "ename", "evalue", "traceback"}}
NOTEBOOK_FIELDS = {"metadata", "nbformat_minor", "nbformat", "cells"}
_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_JSON_MIME = re.compile(r"^application/(.*\+)?json$")


class _Bad(Exception):
    """One problem, worded for the user; turned into InvalidNotebook with the file's name."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _multiline(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list)
                                      and all(isinstance(v, str) for v in value))


def _mimebundle(bundle: Any, where: str) -> None:
    if not isinstance(bundle, dict):
        raise _Bad(f"{where} is not a JSON object")
    for mime, value in bundle.items():
        if not _JSON_MIME.match(mime) and not _multiline(value):
            raise _Bad(f"{where} holds {mime} that is not text")


def _tags(meta: dict, where: str) -> None:
    if "tags" in meta:
        tags = meta["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise _Bad(f"{where}'s tags are not a list of text")
        if any(not t or "," in t for t in tags):
            raise _Bad(f"{where} has an empty tag or a tag with a comma")
        if len(set(tags)) != len(tags):
            raise _Bad(f"{where} has the same tag twice")
    if "name" in meta and not (isinstance(meta["name"], str)
                               and re.search(r"^.+$", meta["name"])):
        raise _Bad(f"{where}'s metadata name is not one line of text")


def _cell_metadata(cell: dict, kind: str, where: str, minor: int) -> None:
    if "metadata" not in cell:
        raise _Bad(f"{where} has no metadata (Jupyter writes at least {{}})")
    meta = cell["metadata"]
    if not isinstance(meta, dict):
        raise _Bad(f"{where}'s metadata is not a JSON object")
    _tags(meta, where)
    if minor >= 3 and "jupyter" in meta and not isinstance(meta["jupyter"], dict):
        raise _Bad(f"{where}'s jupyter metadata is not a JSON object")
    if kind == "code":
        if "collapsed" in meta and not isinstance(meta["collapsed"], bool):
            raise _Bad(f"{where}'s 'collapsed' is not true or false")
        scrolled = meta.get("scrolled", False)
        if not (isinstance(scrolled, bool) or scrolled == "auto"):
            raise _Bad(f"{where}'s 'scrolled' is not true, false or 'auto'")
        timing = meta.get("execution", {}) if minor >= 4 else {}
        if not isinstance(timing, dict) or not all(isinstance(v, str) for v in timing.values()):
            raise _Bad(f"{where}'s execution timing is not text times")
    if kind == "raw" and "format" in meta and not isinstance(meta["format"], str):
        raise _Bad(f"{where}'s raw format is not text")


def _output(o: Any, where: str) -> None:
    if not isinstance(o, dict) or "output_type" not in o:
        raise _Bad(f"{where} has no output_type")
    kind = o["output_type"]
    if kind not in OUTPUT_FIELDS:
        raise _Bad(f"{where} has unknown output type {kind!r} (execute_result, display_data, "
                   "stream or error)")
    fields = OUTPUT_FIELDS[kind]
    missing = sorted(fields - set(o))
    extra = sorted(set(o) - fields)
    if missing:
        raise _Bad(f"{where} ({kind}) lacks {', '.join(missing)}")
    if extra:
        raise _Bad(f"{where} ({kind}) has unexpected {', '.join(extra)}")
    if kind in ("execute_result", "display_data"):
        _mimebundle(o["data"], f"{where}'s data")
        if not isinstance(o["metadata"], dict):
            raise _Bad(f"{where}'s metadata is not a JSON object")
        if kind == "execute_result":
            count = o["execution_count"]
            if count is not None and not (_is_int(count) and count >= 0):
                raise _Bad(f"{where}'s execution_count is not a count")
    elif kind == "stream":
        if not isinstance(o["name"], str) or not _multiline(o["text"]):
            raise _Bad(f"{where} (stream) has a name or text that is not text")
    elif not isinstance(o["ename"], str) or not isinstance(o["evalue"], str) or \
            not isinstance(o["traceback"], list) or \
            not all(isinstance(t, str) for t in o["traceback"]):
        raise _Bad(f"{where} (error) has an ename, evalue or traceback that is not text")


def _cell(cell: dict, i: int, minor: int) -> None:
    kind = cell["cell_type"]
    where = f"cell {i}"
    if kind not in CELL_FIELDS:
        raise _Bad(f"{where} has unknown cell type {kind!r} (code, markdown or raw)")
    where = f"cell {i} ({kind})"
    extra = set(cell) - CELL_FIELDS[kind]
    if "outputs" in extra or "execution_count" in extra:
        raise _Bad(f"{where} has outputs or an execution count, which only code cells have")
    if extra:
        raise _Bad(f"{where} has unexpected {', '.join(sorted(extra))}")
    if "source" not in cell or not _multiline(cell["source"]):
        raise _Bad(f"{where} has no source text" + (" (it is null)" if cell.get("source", 0)
                                                      is None else ""))
    _cell_metadata(cell, kind, where, minor)
    if "attachments" in cell:
        atts = cell["attachments"]
        if not isinstance(atts, dict):
            raise _Bad(f"{where}'s attachments are not a JSON object")
        for key, bundle in atts.items():
            _mimebundle(bundle, f"{where}'s attachment {key!r}")
    if "id" in cell and not (isinstance(cell["id"], str) and _CELL_ID.match(cell["id"])):
        raise _Bad(f"{where}'s id {cell['id']!r} is not 1-64 letters, digits, - or _")
    if kind == "code":
        if "outputs" not in cell or not isinstance(cell["outputs"], list):
            raise _Bad(f"{where} has no list of outputs")
        if "execution_count" not in cell:
            raise _Bad(f"{where} has no execution_count (null when it has not run)")
        count = cell["execution_count"]
        if count is not None and not (_is_int(count) and count >= 0):
            raise _Bad(f"{where}'s execution_count is not a count")
        for j, o in enumerate(cell["outputs"]):
            _output(o, f"{where} output {j}")


def _notebook_metadata(nb: dict, minor: int) -> None:
    meta = nb["metadata"]
    if not isinstance(meta, dict):
        raise _Bad("its metadata is not a JSON object")
    spec = meta.get("kernelspec")
    if "kernelspec" in meta and not (isinstance(spec, dict)
                                     and isinstance(spec.get("name"), str)
                                     and isinstance(spec.get("display_name"), str)):
        raise _Bad("its kernelspec needs a name and a display_name")
    info = meta.get("language_info")
    if "language_info" in meta and not (isinstance(info, dict)
                                        and isinstance(info.get("name"), str)):
        raise _Bad("its language_info needs a name")
    if "orig_nbformat" in meta and not (_is_int(meta["orig_nbformat"])
                                        and meta["orig_nbformat"] >= 1):
        raise _Bad("its orig_nbformat is not a version number")
    if minor >= 2 and "title" in meta and not isinstance(meta["title"], str):
        raise _Bad("its title is not text")
    if minor >= 2 and "authors" in meta and not isinstance(meta["authors"], list):
        raise _Bad("its authors are not a list")


def check_notebook(name: str, text: str) -> dict:
    """The notebook in `text` as a dict, valid nbformat 4, or InvalidNotebook whose message is
    one line: "NAME is not a valid notebook: PROBLEM". Missing or repeated 4.5 cell ids are
    repaired, as nbformat does."""
    nb = parse_notebook(text, name)
    try:
        missing = sorted(NOTEBOOK_FIELDS - set(nb))
        if missing:
            raise _Bad(f"it has no {', '.join(missing)}")
        extra = sorted(set(nb) - NOTEBOOK_FIELDS)
        if extra:
            raise _Bad(f"it has unexpected top-level {', '.join(extra)}")
        minor = nb["nbformat_minor"]
        if not _is_int(minor) or minor < 0:
            raise _Bad(f"its nbformat_minor is {minor!r}, not a version number")
        if minor < 5 and any(isinstance(c, dict) and "id" in c for c in nb["cells"]):
            # Cell ids are what 4.5 added; nbformat's own new_code_cell puts them into older
            # notebooks too. Such a notebook is taken as the 4.5 notebook it has become.
            nb["nbformat_minor"] = minor = 5
        _notebook_metadata(nb, minor)
        for i, cell in enumerate(nb["cells"]):
            _cell(cell, i, minor)
    except _Bad as e:
        raise InvalidNotebook(f"{name} is not a valid notebook: {e}") from None
    if minor >= 5:
        seen: set[str] = set()
        for cell in nb["cells"]:
            if cell.get("id") is None or cell["id"] in seen:
                cell["id"] = os.urandom(4).hex()   # 8 hex digits, as uuid4().hex[:8] gave
            seen.add(cell["id"])
    return nb


def notebook_text(nb: dict) -> str:
    """nbformat's own layout on disk, so the cloud copy diffs cleanly against Jupyter's files."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def outgoing_notebook(name: str, text: str, *, keep_outputs: bool = False) -> str:
    """What is sent for notebook `name`: checked, and without outputs or execution counts
    unless keep_outputs. Raises InvalidNotebook (one line) for anything nbformat would refuse."""
    nb = check_notebook(name, text)
    if not keep_outputs:
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"] = []
                cell["execution_count"] = None
    return notebook_text(nb)


def strip_outputs(text: str, name: str = "notebook.ipynb") -> str:
    """The notebook without outputs or execution counts, checked (see check_notebook)."""
    return outgoing_notebook(name, text)
