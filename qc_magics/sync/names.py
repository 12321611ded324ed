"""Which names sync: one rule, applied the same way to local files and to cloud names.

A name is a relative POSIX path ("lib/helpers.py"). It syncs when all of these hold:

1. It is plain: not empty, relative, no "..", no "." or empty part (those are aliases of another
   name: "./x.py" is "x.py"), no backslash, drive letter, NUL, control or bidi-override
   character, and no part longer than 255 bytes (no common file system holds one).
2. No part is hidden (starts with "."). Hidden names are tooling and secrets: `.git/` (a cloud
   `.git/config` would run commands at the next `git status`), `.qc-sync/` (our own state),
   `.ipynb_checkpoints/`, `.vscode/`, `.venv/`, and `.env`, which must never reach the cloud
   through `push --all`. A cloud project that holds `.env` gets it reported, never written.
3. No part is a folder of generated files (`__pycache__`, `node_modules`), and the file is not
   compiled Python (`.pyc`, `.pyo`) or operating-system litter (`Thumbs.db`, `desktop.ini`).

Everything else syncs, including names that look like our conflict copies (`x.cloud.py`) or
temporary files (`x.tmp`): ours are told apart by the sync state, which records every conflict
copy it writes, and by temporary names no one picks by accident (see disk.py).

A name outside the rule is reported and skipped, never written: "refused" when it is dangerous or
ambiguous (escapes the folder, aliases another name, holds control characters, writes into a
tooling folder), "skipped" when it is merely not a project file (`.env`, `__pycache__/x.py`).

`printable(text)` escapes control and bidi characters for every text report, so a cloud name
cannot move the cursor, ring the bell, break a report's one-line-per-file shape or reverse text.
"""
from __future__ import annotations

import re
import unicodedata

from ..errors import QCError
from ..records import FrozenRecord
from ..text import has_unsafe, printable  # noqa: F401 (printable: sync's reports use it)

GENERATED_DIRS = frozenset({"__pycache__", "node_modules"})
LITTER_FILES = frozenset({"Thumbs.db", "desktop.ini"})
COMPILED_SUFFIXES = (".pyc", ".pyo")
NAME_MAX_BYTES = 255
_DRIVE = re.compile(r"^[A-Za-z]:")
# Bidi embeddings, overrides and isolates, and the marks that steer them.


class RefusedName(QCError):
    """A file name outside the sync rule: it is neither read from nor written to the disk."""


class Outside(FrozenRecord):
    """Why a name does not sync, and whether that is a refusal or a plain skip."""

    action: str      # "refused" (dangerous or ambiguous) or "skipped" (not a project file)
    why: str

    def __init__(self, action: str, why: str):
        self._set(action=action, why=why)


def _unsafe(name: str) -> str | None:
    """Why the name could land outside the folder, or be an alias of another name."""
    if not name or "\x00" in name:
        return "is empty or holds a NUL character, so it could be written outside the local folder"
    if "\\" in name:
        return "holds a backslash, so it could be written outside the local folder"
    if name.startswith("/"):
        return "is an absolute path, so it could be written outside the local folder"
    if _DRIVE.match(name):
        return (f"starts with a drive letter ({name[:2]!r}), so on Windows it could be written "
                "outside the local folder")
    parts = name.split("/")
    if ".." in parts:
        return "holds '..', so it could be written outside the local folder"
    if name == ".":
        return "is '.', the folder itself, not a file"
    if "" in parts or "." in parts:
        alias = "/".join(p for p in parts if p not in ("", "."))
        return (f"is an alias of {alias!r} (it holds './' or an empty path part); "
                "rename it in the cloud") if alias else "names no file"
    return None


def outside(name: str) -> Outside | None:
    """None when `name` syncs; else what to do with it and why (see the module docstring)."""
    problem = _unsafe(name)
    if problem:
        return Outside("refused", problem)
    if has_unsafe(name):
        return Outside("refused", "holds control or bidi-override characters")
    parts = name.split("/")
    if any(len(p.encode("utf-8", "surrogatepass")) > NAME_MAX_BYTES for p in parts):
        return Outside("refused", f"has a part longer than {NAME_MAX_BYTES} bytes, which no "
                                  "common file system can hold")
    hidden = [p for p in parts[:-1] if p.startswith(".")]
    if hidden:
        return Outside("refused", f"is inside the hidden folder {hidden[0]!r}: hidden folders "
                                  "belong to tools (.git, .qc-sync, .vscode), so nothing is "
                                  "written there")
    if parts[-1].startswith("."):
        return Outside("skipped", "is a hidden file: hidden names (.env, .gitignore) do not sync, "
                                  "so secrets never reach the cloud")
    generated = [p for p in parts[:-1] if p in GENERATED_DIRS]
    if generated:
        return Outside("skipped", f"is inside {generated[0]!r}, which holds generated files")
    if parts[-1].endswith(COMPILED_SUFFIXES) or parts[-1] in LITTER_FILES:
        return Outside("skipped", "is compiled Python or system litter, not a project file")
    return None


def folded(name: str) -> str:
    """The name as a case-insensitive, Unicode-normalising disk (macOS, Windows) sees it: two
    names that fold alike are one file there."""
    return unicodedata.normalize("NFC", name).casefold()


def syncs(name: str) -> bool:
    return outside(name) is None


def check(name: str) -> str:
    """Return the name if it syncs; else raise RefusedName saying why."""
    verdict = outside(name)
    if verdict is not None:
        raise RefusedName(f"{verdict.action} file name {printable(name)!r}: it {verdict.why}")
    return name




def typed(name: str) -> str:
    """A file name as a shell or %qc line takes it: quoted only when it must be."""
    import re
    return name if re.fullmatch(r"[\w./@+-]+", name) else "'" + name.replace("'", "'\\''") + "'"
