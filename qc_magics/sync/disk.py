"""The local folder: where a name lives, atomic writes, backups, and which files are there.

Cloud names are untrusted input: a name must pass the sync rule (names.py) and map to a path
inside the folder that crosses no symlink, or it is refused. Every write goes to a temporary file
in the target's directory and is swapped in with `os.replace`, so a crash leaves either the old
file or the new one, never half of one. Temporary files carry a name no one picks by accident
(`.qc-sync-<pid>-<16 hex>.tmp`), so the leftovers of a killed run are recognisably ours and are
removed by the next run (`clean_leftovers`), and nothing else ever is.
"""
from __future__ import annotations

import os
import stat
import re
import time
from pathlib import Path, PurePosixPath

from ..errors import QCError
from ..records import Record
from .names import Outside, RefusedName, check, outside, printable, syncs

META_DIR = ".qc-sync"
CONFLICT_TAG = ".cloud"
INVALID_TAG = ".cloud-invalid"
TEMP_NAME = re.compile(r"^\.qc-sync-(\d+)-[0-9a-f]{16}\.tmp$")
LEFTOVER_AGE = 24 * 3600.0   # a temp file this old is a leftover even if its pid is alive again

UnsafePath = RefusedName     # the name callers already catch


class LocalWriteError(QCError):
    """The local folder could not be written (read-only, full, or a path in the way)."""


class LocalReadError(QCError):
    """A local file could not be read (no permission, or a folder where a file was expected)."""


class NotText(LocalReadError, LocalWriteError):
    """A local file that is not UTF-8 text: the API holds text files only. (Also a
    LocalWriteError, which read_text raised for it before: callers catching that still work.)"""


def check_name(name: str) -> str:
    """Return the name if it syncs (see names.py); else raise UnsafePath (RefusedName)."""
    return check(name)


def _symlink_in(root: Path, parts: tuple[str, ...]) -> Path | None:
    path = root
    for part in parts:
        path = path / part
        if path.is_symlink():
            return path
    return None


def local_path(root: Path, name: str) -> Path:
    """Where file `name` lives under root. Refuses names outside the rule, and any path that
    crosses a symlink: the scan never follows one, so a write must not either (a symlink to
    elsewhere would land outside; one inside would alias another file)."""
    check_name(name)
    parts = PurePosixPath(name).parts
    path = root.joinpath(*parts)
    link = _symlink_in(root, parts)
    if link is not None:
        real_root = os.path.realpath(root)
        real = os.path.realpath(path)
        if os.path.commonpath([real_root, real]) != real_root:
            raise UnsafePath(f"refusing {printable(name)!r}: {printable(path)} leads outside "
                             f"{printable(root)} through a symlink")
        raise UnsafePath(f"refusing {printable(name)!r}: {printable(link)} is a symlink, and "
                         "symlinks are never followed")
    return path


def meta_path(root: Path, *parts: str) -> Path:
    """A path inside the sync metadata folder (base copies, backups): like a project file's,
    it crosses no symlink, so a link planted there cannot redirect our writes elsewhere."""
    meta = meta_dir(root)
    link = _symlink_in(meta, parts)
    if link is not None:
        raise LocalWriteError(f"{printable(link)} is a symlink; refusing to write sync "
                              "metadata through it: replace it with a plain folder")
    return meta.joinpath(*parts)


def meta_dir(root: Path) -> Path:
    """The sync metadata folder, refused when it is a symlink (to anywhere) or not a folder."""
    meta = root / META_DIR
    for path in (meta, meta / "base", meta / "backups"):
        if path.is_symlink():
            raise LocalWriteError(f"{printable(path)} is a symlink; refusing to keep sync state "
                                  "through it: replace it with a plain folder")
    if meta.exists() and not meta.is_dir():
        raise LocalWriteError(f"{printable(meta)} is not a folder; move it away")
    return meta


def conflict_name(name: str, tag: str = CONFLICT_TAG) -> str:
    """research.ipynb -> research.cloud.ipynb; Makefile -> Makefile.cloud."""
    p = PurePosixPath(name)
    return str(p.with_name(f"{p.stem}{tag}{p.suffix}")) if p.suffix else f"{name}{tag}"


def copy_name(name: str, tag: str = CONFLICT_TAG) -> str:
    """The first choice of name for a copy of `name`'s cloud version: research.cloud.ipynb, or
    for a cloud notebook that is not one, research.cloud-invalid.txt (raw text, so that nothing
    takes it for a notebook)."""
    copy = conflict_name(name, tag)
    if tag.startswith(INVALID_TAG):
        copy = copy[: -len(".ipynb")] + ".txt" if copy.endswith(".ipynb") else copy + ".txt"
    return copy


class LocalScan(Record):
    """What a look at the local folder found."""

    files: dict[str, Path]      # project files by name
    leftovers: list[Path]       # our temp files from killed runs
    gone_copies: list[str]      # recorded copies no longer here
    # Names here the rule refuses (a bidi character, "x:y.py"), with why: shown, never synced.
    # A refused folder is one entry; what is merely skipped (.env, __pycache__/) is not listed.
    refused: dict[str, Outside]

    def __init__(self, files: dict[str, Path] | None = None, leftovers: list[Path] | None = None,
                 gone_copies: list[str] | None = None,
                 refused: dict[str, Outside] | None = None):
        self.files = {} if files is None else files
        self.leftovers = [] if leftovers is None else leftovers
        self.gone_copies = [] if gone_copies is None else gone_copies
        self.refused = {} if refused is None else refused


def scan(root: Path) -> LocalScan:
    """Project files under root by name (the sync rule decides), our leftover temp files, and
    the names the rule refuses. Symlinks are never followed; hidden and generated folders are
    not entered (except our own metadata folder, for leftovers)."""
    found = LocalScan()
    if not root.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        rel = here.relative_to(root).as_posix()
        in_meta = rel == META_DIR or rel.startswith(META_DIR + "/")
        entered = []
        for d in sorted(dirnames):
            if os.path.islink(here / d):
                continue
            if in_meta or (rel == "." and d == META_DIR) or _enterable(rel, d):
                entered.append(d)
            elif not in_meta:
                _note_refused(found, d if rel == "." else f"{rel}/{d}")
        dirnames[:] = entered
        for fname in sorted(filenames):
            full = here / fname
            if TEMP_NAME.match(fname):
                found.leftovers.append(full)
                continue
            if in_meta:
                continue
            try:   # regular files only: a symlink is never followed, and reading a FIFO,
                mode = full.lstat().st_mode   # a socket or a device would hang or make no sense
            except OSError:
                continue
            if not stat.S_ISREG(mode):
                continue
            name = fname if rel == "." else f"{rel}/{fname}"
            if syncs(name):
                found.files[name] = full
            else:
                _note_refused(found, name)
    return found


def _note_refused(found: LocalScan, name: str) -> None:
    # Only refusals are shown: a skipped name (.env, .git/, __pycache__/) is not a project file.
    verdict = outside(name)
    if verdict is not None and verdict.action == "refused":
        found.refused[name] = verdict


def _enterable(rel: str, d: str) -> bool:
    # A folder is entered when a file inside it could sync: the rule decides, not a second list.
    return syncs(f"{d}/x" if rel == "." else f"{rel}/{d}/x")


def list_local(root: Path) -> dict[str, Path]:
    """Project files under root by name (see scan)."""
    return scan(root).files


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True       # someone else's process: alive
    return True


def clean_leftovers(paths: list[Path]) -> list[Path]:
    """Remove our temp files left by runs that died (their process is gone, or they are a day
    old). A temp file of a live run (this process included: another thread may be writing) is
    left alone. Returns what was removed."""
    removed = []
    now = time.time()
    for path in paths:
        m = TEMP_NAME.match(path.name)
        if not m:
            continue
        pid = int(m.group(1))
        try:
            old = now - path.lstat().st_mtime > LEFTOVER_AGE
            if old or (pid != os.getpid() and not _alive(pid)):
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def read_text(path: Path) -> str | None:
    """The file's text; None when it does not exist. Raises NotText for a file that is not
    UTF-8, LocalReadError (one line) when it cannot be read."""
    try:
        with open(path, "r", encoding="utf-8", newline="") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise NotText(f"{printable(path)} is not UTF-8 text (binary?); QuantConnect project "
                      "files are text, so it is not synced") from None
    except OSError as e:
        raise LocalReadError(f"cannot read {printable(path)}: {e.strerror or e}") from None


def read_bytes(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise LocalReadError(f"cannot read {printable(path)}: {e.strerror or e}") from None


def _in_the_way(path: Path, e: OSError) -> str:
    if isinstance(e, IsADirectoryError) or path.is_dir():
        return "a folder of that name is in the way"
    if isinstance(e, (NotADirectoryError, FileExistsError)):
        return "a file is in the way of its folder"
    return str(e.strerror or e)


def create_temp(folder: Path, mode: int) -> tuple[int, Path]:
    """A new temp file of ours in folder: O_EXCL never reuses or follows anything already
    there, and the kernel applies the umask to `mode`."""
    tmp = folder / f".qc-sync-{os.getpid()}-{os.urandom(8).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    return os.open(tmp, flags, mode), tmp


class ChangedMeanwhile(LocalWriteError):
    """The file changed on disk after the decision to replace it: nothing was written."""


def write_atomic(path: Path, data: str | bytes, *, durable: bool = True,
                 mode: int = 0o666, expect: tuple[int, int] | None = None) -> None:
    """Write data to path via a temp file and os.replace: all of it or none of it.

    A new file gets `mode` less the umask (as any program's files do); a replaced file keeps its
    mode. durable=True also fsyncs, so a power cut cannot leave an empty file behind; metadata
    that can be rebuilt (sync state, base copies) skips that cost.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = create_temp(path.parent, mode)
    except OSError as e:
        raise LocalWriteError(f"cannot write {printable(path)}: {_in_the_way(path, e)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if path.is_file() and not path.is_symlink():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))   # shutil.copymode, unimported
        if expect is not None:
            # The last look before replacing: a save since the decision wins; retry later.
            try:
                st = path.lstat()
                now = (st.st_mtime_ns, st.st_size)
            except FileNotFoundError:
                now = None
            if now != expect:
                tmp.unlink(missing_ok=True)
                raise ChangedMeanwhile(f"{printable(path)} changed while it was being replaced")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise LocalWriteError(f"cannot write {printable(path)}: {_in_the_way(path, e)}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def backup(root: Path, name: str, path: Path) -> Path:
    """Copy a local file about to be replaced into .qc-sync/backups/<time>/<name>, byte for
    byte (a binary file is kept as well as a text one)."""
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000:06d}"
    target = meta_path(root, "backups", stamp, *PurePosixPath(name).parts)
    data = read_bytes(path)
    if data is not None:
        write_atomic(target, data)
    return target
