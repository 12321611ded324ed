"""The local folder: safe names, atomic writes, backups, and which files belong to the project.

Cloud names are untrusted input: a name must map to a path inside the folder, or it is refused.
Every write goes to a temporary file in the target's directory and is swapped in with
`os.replace`, so a crash leaves either the old file or the new one, never half of one.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path, PurePosixPath

from ..errors import QCError

META_DIR = ".qc-sync"
IGNORED_DIRS = {META_DIR, ".ipynb_checkpoints", "__pycache__", ".git", ".venv", "node_modules"}
IGNORED_FILES = {".DS_Store", "Thumbs.db"}
CONFLICT_TAG = ".cloud"
INVALID_TAG = ".cloud-invalid"
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafePath(QCError):
    """A cloud file name that would land outside the local folder."""


class LocalWriteError(QCError):
    """The local folder could not be written (read-only, full, or a path in the way)."""


def check_name(name: str) -> str:
    """Return the name if it maps to a path inside the folder; else raise UnsafePath."""
    problem = None
    if not name or "\x00" in name:
        problem = "is empty or holds a NUL character"
    elif "\\" in name:
        problem = "holds a backslash"
    elif name.startswith("/") or _DRIVE.match(name):
        problem = "is an absolute path"
    elif any(part in ("..", "") for part in name.split("/")):
        problem = "holds '..' or an empty path part"
    if problem:
        raise UnsafePath(f"refusing cloud file name {name!r}: it {problem}, so it could be "
                         "written outside the local folder")
    return name


def local_path(root: Path, name: str) -> Path:
    """Where cloud file `name` lives under root; refuses names and symlinks that leave root."""
    check_name(name)
    path = root.joinpath(*PurePosixPath(name).parts)
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root:
        raise UnsafePath(f"refusing {name!r}: {path} leads outside {root} through a symlink")
    return path


def conflict_name(name: str, tag: str = CONFLICT_TAG) -> str:
    """research.ipynb -> research.cloud.ipynb; Makefile -> Makefile.cloud."""
    p = PurePosixPath(name)
    return str(p.with_name(f"{p.stem}{tag}{p.suffix}")) if p.suffix else f"{name}{tag}"


def is_sync_artifact(name: str) -> bool:
    stem = PurePosixPath(name).stem
    return stem.endswith(CONFLICT_TAG) or stem.endswith(INVALID_TAG) or \
        name.endswith((CONFLICT_TAG, INVALID_TAG + ".txt"))


def list_local(root: Path) -> dict[str, Path]:
    """Project files under root by cloud name: skips sync metadata, conflict copies, caches,
    hidden folders and symlinks (which are never followed out of the folder)."""
    found: dict[str, Path] = {}
    if not root.exists():
        return found
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS and not d.startswith(".")
                             and not os.path.islink(os.path.join(dirpath, d)))
        for fname in sorted(filenames):
            full = Path(dirpath) / fname
            if fname in IGNORED_FILES or fname.endswith((".pyc", ".tmp")) or fname.startswith("."):
                continue
            if full.is_symlink():
                continue
            name = full.relative_to(root).as_posix()
            if not is_sync_artifact(name):
                found[name] = full
    return found


def read_text(path: Path) -> str | None:
    try:
        with open(path, "r", encoding="utf-8", newline="") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise LocalWriteError(f"{path} is not UTF-8 text; QuantConnect project files are text") \
            from None


def write_atomic(path: Path, text: str, *, durable: bool = True) -> None:
    """Write text to path via a temp file and os.replace: all of it or none of it.

    durable=True also fsyncs, so a power cut cannot leave an empty file behind; metadata that can
    be rebuilt (sync state, base copies) skips that cost.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise LocalWriteError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise LocalWriteError(f"cannot write {path}: {e.strerror or e}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backup(root: Path, name: str, path: Path) -> Path:
    """Copy a local file about to be replaced into .qc-sync/backups/<time>/<name>."""
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000:06d}"
    target = root / META_DIR / "backups" / stamp / PurePosixPath(name)
    text = read_text(path)
    if text is not None:
        write_atomic(target, text)
    return target
