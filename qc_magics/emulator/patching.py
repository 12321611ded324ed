"""Apply a unified git diff to a project's files, exactly or not at all (no fuzz, no offsets)."""
from __future__ import annotations

import re

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(Exception):
    pass


def _strip_prefix(path: str) -> str | None:
    path = path.split("\t", 1)[0].strip()
    if path == "/dev/null":
        return None
    if path.startswith(("a/", "b/")):
        return path[2:]
    return path


def apply_patch(files: dict[str, str], patch: str) -> dict[str, str | None]:
    """Return the new content of every file the patch touches (None: the file is deleted).

    Raises PatchError naming the file and line when the patch does not match exactly.
    """
    lines = patch.splitlines()
    result: dict[str, str | None] = {}
    i = 0
    touched_any = False
    while i < len(lines):
        if not lines[i].startswith("--- "):
            i += 1
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
            raise PatchError(f"line {i + 2}: expected '+++' after '---'")
        old_name, new_name = _strip_prefix(lines[i][4:]), _strip_prefix(lines[i + 1][4:])
        i += 2
        name = new_name or old_name
        if name is None:
            raise PatchError("a file section names /dev/null on both sides")
        if old_name is None:
            if name in files or name in result:
                raise PatchError(f"{name}: the patch creates it, but it already exists")
            current, ends_nl = [], True
        else:
            source = result.get(old_name, files.get(old_name))
            if source is None:
                raise PatchError(f"{old_name}: no such file in the project")
            current = source.split("\n")
            ends_nl = source.endswith("\n")
            if ends_nl:
                current.pop()
        out: list[str] = []
        pos = 0  # index into current of the next line not yet copied
        new_ends_nl = ends_nl
        while i < len(lines) and lines[i].startswith("@@"):
            m = _HUNK.match(lines[i])
            if not m:
                raise PatchError(f"line {i + 1}: malformed hunk header {lines[i]!r}")
            old_start, old_len = int(m.group(1)), int(m.group(2) or 1)
            i += 1
            old: list[str] = []
            new: list[str] = []
            last_side = ""
            new_marker = False
            while i < len(lines) and not lines[i].startswith(("@@", "--- ", "diff --git")):
                text = lines[i]
                tag, body = (text[:1], text[1:]) if text else (" ", "")
                if tag == " ":
                    old.append(body)
                    new.append(body)
                elif tag == "-":
                    old.append(body)
                elif tag == "+":
                    new.append(body)
                elif tag == "\\":
                    new_marker = new_marker or last_side in ("+", " ")
                elif tag in ("i", "n", "d", "s", "o"):  # index/new file/deleted/similarity lines
                    break
                else:
                    raise PatchError(f"line {i + 1}: unexpected {text[:20]!r} inside a hunk")
                last_side = tag if tag != "\\" else last_side
                i += 1
            start = old_start - 1 if old_len else old_start
            if start < pos or current[start:start + len(old)] != old or len(old) != old_len:
                raise PatchError(f"{name}: hunk at line {old_start} does not match the file")
            out.extend(current[pos:start])
            out.extend(new)
            pos = start + len(old)
            if pos == len(current):  # the hunk reaches the end: its markers decide the last newline
                new_ends_nl = not new_marker
            touched_any = True
        out.extend(current[pos:])
        if new_name is None:
            result[name] = None
        else:
            text = "\n".join(out)
            result[name] = text + ("\n" if out and new_ends_nl else "")
    if not touched_any and not result:
        raise PatchError("the patch has no file sections ('---'/'+++' with '@@' hunks)")
    return result
