"""One side of a comparison: what a file holds here or in the cloud, as text and fingerprint.

A local file that is not UTF-8 (a PNG, a latin-1 CSV) or cannot be read (mode 000) is still a
file: it gets a fingerprint no text can have, so it counts as local content that differs from
everything, shows in status with why, and is never replaced without a backup.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..records import Record
from .content import Fingerprint, InvalidNotebook, fingerprint
from .disk import LocalReadError, NotText, read_bytes, read_text


class Side(Record):
    """One side of a file (local, base or cloud): its text and fingerprint."""

    text: str | None             # None: a local file that is not text, or cannot be read
    fp: Fingerprint
    invalid: str | None = None   # why a .ipynb is not a notebook
    size: int | None = None      # bytes, for a file that is not text
    unreadable: str | None = None   # why the local file cannot be taken as text

    def __init__(self, text: str | None, fp: Fingerprint, invalid: str | None = None,
                 size: int | None = None, unreadable: str | None = None):
        self.text, self.fp, self.invalid = text, fp, invalid
        self.size, self.unreadable = size, unreadable


def side(name: str, text: str | None) -> Side | None:
    if text is None:
        return None
    try:
        return Side(text, fingerprint(name, text))
    except InvalidNotebook as e:
        # Compared as plain text, so it still has a state, but it is never taken as a notebook.
        return Side(text, fingerprint(name + ".txt", text), str(e))


def local_side(name: str, path: Path) -> Side | None:
    """The local file as one side; None when it vanished. Never raises for its content."""
    try:
        return side(name, read_text(path))
    except NotText:
        why = "not UTF-8 text (binary?): the API holds text files only, so it is not synced"
        try:
            data = read_bytes(path)
        except LocalReadError as e:
            return Side(None, Fingerprint("unreadable", "unreadable", ""), unreadable=str(e))
        if data is None:
            return None
        digest = "binary:" + hashlib.sha256(data).hexdigest()
        return Side(None, Fingerprint(digest, digest, ""), size=len(data), unreadable=why)
    except LocalReadError as e:
        return Side(None, Fingerprint("unreadable", "unreadable", ""), unreadable=str(e))


def size(s: Side | None) -> int | None:
    if s is None:
        return None
    return s.size if s.text is None else len(s.text)


def cloud_content(cfile: dict) -> str:
    """A cloud file's text; the service may send null for an empty file."""
    content = cfile.get("content")
    return content if isinstance(content, str) else ""
