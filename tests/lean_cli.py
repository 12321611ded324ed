"""QuantConnect's own CLI (`pip install lean`) run offline against the emulator: the harness.

lean-cli talks to http://localhost:5612/api/v2/ when `QC_API=local` (lean/constants.py), so the
emulator must listen on port 5612. At import lean-cli downloads a modules file from a CDN
(lean/models/__init__.py); a stub `{"modules": []}` with a future mtime stands in for it. Its
update and announcement checks are skipped by a `~/.lean/cache` that says they just ran, and the
database update by `database-update-frequency: "-"` in `~/.lean/config`. `lean init` downloads
from GitHub, so `lean.json` is written by hand. No Docker is needed for `lean login` and
`lean cloud ...` with Python projects (pulling a C# project wants Docker to set it up locally).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

LEAN_PORT = 5612           # fixed by lean-cli for QC_API=local
LEAN_REQUIREMENT = os.environ.get("QC_LEAN_REQUIREMENT", "lean")
INSTALL_TIMEOUT = 900


def lean_venv(root: Path) -> Path:
    """The `lean` executable of a virtualenv under `root`, made once and reused afterwards.

    Skips when pip cannot install lean (no registry here), unless QC_REQUIRE_LEAN=1 (CI): then
    the test fails, so a broken install is never mistaken for a pass.
    """
    env_dir = root / "venv"
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    lean = bin_dir / ("lean.exe" if os.name == "nt" else "lean")
    ready = env_dir / ".installed"
    if not (ready.exists() and lean.exists()):
        problem = _install(env_dir, bin_dir)
        if problem:
            message = f"cannot install lean-cli ({LEAN_REQUIREMENT}) with pip: {problem}"
            if os.environ.get("QC_REQUIRE_LEAN") == "1":
                pytest.fail(message + " (QC_REQUIRE_LEAN=1: lean-cli must be tested here)")
            pytest.skip(message)
        ready.write_text(LEAN_REQUIREMENT, encoding="utf-8")
    stub_modules_file(bin_dir / "python")
    return lean


def _install(env_dir: Path, bin_dir: Path) -> str | None:
    """None when lean is installed; otherwise what went wrong, in a line or two."""
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        done = subprocess.run(
            [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             LEAN_REQUIREMENT], capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as e:
        return f"{type(e).__name__}: {e}"
    if done.returncode != 0:
        return " ".join((done.stderr or done.stdout).strip().splitlines()[-2:])
    return None


def stub_modules_file(python: Path) -> Path:
    """Write `{"modules": []}` where lean/models/__init__.py looks for the file it downloads,
    dated in the future so that lean-cli never finds it a day old and tries the CDN."""
    where = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('lean').origin)"],
        capture_output=True, text=True, check=True).stdout.strip()
    package = Path(where).parent
    source = (package / "models" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r"""file_name\s*=\s*f?["'](modules-[^"']+\.json)["']""", source)
    assert match, "lean/models/__init__.py no longer names a modules-*.json file"
    stub = package / match.group(1)
    stub.write_text(json.dumps({"modules": []}), encoding="utf-8")
    future = time.time() + 10 * 365 * 86400
    os.utime(stub, (future, future))
    return stub


def prepare_home(home: Path) -> Path:
    """A HOME whose ~/.lean says the update checks just ran and the database never updates."""
    lean_dir = home / ".lean"
    lean_dir.mkdir(parents=True, exist_ok=True)
    now = int(time.time())
    (lean_dir / "cache").write_text(json.dumps({
        "last-update-check-cli": now, "last-update-check-announcements": now}), encoding="utf-8")
    (lean_dir / "config").write_text(json.dumps({"database-update-frequency": "-"}),
                                     encoding="utf-8")
    return home


def write_lean_json(folder: Path, organization_id: str) -> Path:
    """What `lean init` would leave, without its download from GitHub."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    (folder / "lean.json").write_text(json.dumps({
        "data-folder": "data", "organization-id": organization_id,
        "job-organization-id": organization_id}, indent=4), encoding="utf-8")
    return folder


@dataclass
class Lean:
    """Runs the lean executable with QC_API=local, a prepared HOME, and no terminal."""

    executable: Path
    home: Path

    def __call__(self, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("QC_", "PYTHON", "VIRTUAL_ENV"))}
        env.update(HOME=str(self.home), USERPROFILE=str(self.home), QC_API="local",
                   COLUMNS="200", TERM="dumb", NO_COLOR="1", PYTHONIOENCODING="utf-8",
                   PATH=os.pathsep.join([str(self.executable.parent), env.get("PATH", "")]))
        done = subprocess.run([str(self.executable), *args], cwd=cwd, env=env, text=True,
                              capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        done.output = done.stdout + done.stderr   # type: ignore[attr-defined]
        return done

