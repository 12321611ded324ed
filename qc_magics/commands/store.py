"""`store ls|get|put|rm`: the organization's Object Store from a face, over qc_magics.store.

The values layer decides what a key holds (by its extension); here the faces' words are added:
where the content of a put comes from (a file, the %%qc cell, stdin, a notebook variable), where
a get goes (shown, a variable, a file written atomically), a question before a delete, and a bar
while a download job is being prepared.
"""
from __future__ import annotations

import contextlib
import shlex
from argparse import Namespace
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import InvalidArgument, QCError
from .session import Refused, Session


@contextlib.contextmanager
def _store(s: Session, a: Namespace, what: str) -> Iterator[Any]:
    """The workspace's Object Store, its download waits shown as a progress bar
    (settings.progress), its errors said in this face's words."""
    from ..progress import bar as progress_bar
    from ..store import PickleRefused, UnreadableValue
    st = s.settings()
    bar = None

    def progress(message: str) -> None:
        nonlocal bar
        if bar is None:   # the first report: a job is being prepared, so there is a wait
            bar = progress_bar(None, f"Object Store {what}"[:40], st.progress, unit="poll")
        # Only the stage: the job id is in the error if the wait ends badly.
        bar.set_postfix_str("downloading" if message.startswith("downloading") else "preparing")
        bar.update()
    store = s.ws.object_store(a.organization, on_wait=progress)
    try:
        yield store
    except PickleRefused as e:
        raise PickleRefused(f"{s.prog} store get: {a.key!r} is a pickle, and loading one runs "
                            "code chosen by whoever wrote it; if you trust it, add "
                            "--allow-pickle (or --to FILE to save its bytes)") from e
    except UnreadableValue as e:   # the Python hint (get_bytes) becomes this face's option
        raise UnreadableValue(f"{s.prog} store get: {str(e).rsplit('; ', 1)[0]}; --to FILE "
                              "saves its bytes") from e
    except QCError as e:
        if hasattr(e, "job_id"):   # DownloadTimeout / DownloadInterrupted: say it in our words
            raise type(e)(f"{e}; or run {s.prog} store get {shlex.quote(a.key)} again",
                          e.job_id) from None
        raise
    finally:
        if bar is not None:
            bar.close()


def _ls(s: Session, a: Namespace, cell: str | None):
    with _store(s, a, "list"):
        return s.ws.store_list(a.path, organization=a.organization)


def _get(s: Session, a: Namespace, cell: str | None):
    if a.to is not None:
        if a.out:
            raise InvalidArgument(f"{s.prog} store get: give --to FILE or --out VAR, not both")
        target = Path(a.to).expanduser()
        if target.is_dir():
            raise InvalidArgument(f"{s.prog} store get: --to {a.to} is a folder; give a file")
        if target.exists() and not a.force:
            raise Refused(f"{s.prog} store get: {a.to} exists; add --force to replace it")
    with _store(s, a, f"get {a.key}") as store:
        if a.to is None:
            value = store.get(a.key, allow_pickle=a.allow_pickle)
            if not s.frames and isinstance(value, (dict, list)) and not _rows(value):
                import json   # a shell shows stored JSON as JSON, not as a Python dict's table
                return json.dumps(value, indent=2, ensure_ascii=False)
            return value
        data = store.get_bytes(a.key)   # bytes on disk run nothing: no pickle question
    from ..sync.disk import write_atomic
    write_atomic(target, data)
    return f"wrote {a.key} ({len(data):,} bytes) to {target}"


def _rows(value: object) -> bool:
    """A JSON list of records, which a terminal shows as a table."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _put(s: Session, a: Namespace, cell: str | bytes | None):
    sources = [name for name, given in (("FILE", a.file is not None),
                                        ("--from VAR", a.source is not None),
                                        ("the cell" if s.prog == "%qc" else "standard input",
                                         cell is not None)) if given]
    if len(sources) != 1:
        how = ("%qc store put KEY FILE, %qc store put KEY --from VAR, or %%qc store put KEY "
               "with the content in the cell" if s.prog == "%qc" else
               f"{s.prog} store put KEY FILE, or {s.prog} store put KEY < FILE")
        said = f"got {' and '.join(sources)}" if sources else "got none"
        raise InvalidArgument(f"{s.prog} store put takes one source ({said}): {how}")
    if a.file is not None:
        value: Any = Path(a.file).expanduser().read_bytes()   # stored as the file holds it
    elif a.source is not None:
        if s.variable is None:
            raise InvalidArgument(f"{s.prog} store put: --from takes a notebook variable; in the "
                                  "shell give FILE or standard input")
        value = s.variable(a.source)
    else:
        value = cell
    with _store(s, a, f"put {a.key}") as store:
        size = store.put(a.key, value)
    return f"stored {a.key} ({size:,} bytes)"


def _rm(s: Session, a: Namespace, cell: str | None) -> str:
    with _store(s, a, f"rm {a.key}") as store:
        meta = store.properties(a.key)   # a missing key stops here, before the question
        size, modified = meta.get("size"), meta.get("modified")
        what = ", ".join(x for x in (f"{size:,} bytes" if isinstance(size, int) else "",
                                     f"modified {modified}" if modified else "") if x)
        if not a.yes:   # what would go, said before asking (and before refusing to ask)
            s.asker.say(f"{a.key}{f' ({what})' if what else ''} in the Object Store of "
                        f"organization {store.organization_id}")
        s.confirm(f"delete {a.key}?", yes=a.yes, how_to_skip="--yes")
        store.rm(a.key)
    return f"deleted {a.key}"


HANDLERS: dict[str, Callable[[Session, Namespace, Any], Any]] = {
    "store ls": _ls, "store get": _get, "store put": _put, "store rm": _rm,
}
