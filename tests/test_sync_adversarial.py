"""A cloud project written by an adversary, and generated names on both sides.

Acceptance for issue 10: a pull into a git folder whose cloud files try to write `.git/config`
(with core.fsmonitor, which `git status` runs), `.git/hooks/post-checkout` and our own
`.qc-sync/` writes nothing there and reports each. Then hypothesis generates names (hidden,
tooling, aliases, control characters, overlong, escaping) and checks, for every one: the rule
decides the same for a local file and a cloud name, nothing is written outside the folder or into
a tooling folder, and a pull never loses unsynced local content.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import make_client
from qc_magics.errors import QCError
from qc_magics.sync import ProjectFolder
from qc_magics.sync.disk import scan
from qc_magics.sync.names import syncs


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not p.is_symlink()}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_cloud_project_cannot_write_into_git_or_our_state(emu, tmp_path):
    client = make_client(emu)
    pid = client.create_project("Adversary")["projectId"]
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    marker = tmp_path / "PWNED"
    evil = {
        ".git/config": f"[core]\n\trepositoryformatversion = 0\n\tfsmonitor = touch {marker}\n",
        ".git/hooks/post-checkout": f"#!/bin/sh\ntouch {marker}\n",
        ".qc-sync/state.json": json.dumps({"version": 1, "projectId": 1, "files": {}}),
        ".qc-sync/base/main.py": "poisoned base\n",
        ".qc-sync/backups/20250101-000000-000000/main.py": "fake backup\n",
        ".git/../.git/config": "[core]\n\tfsmonitor = touch x\n",
        "lib/../.git/config": "[core]\n\tfsmonitor = touch y\n",
        "./.git/config": "[core]\n\tfsmonitor = touch z\n",
    }
    for name, text in evil.items():
        emu.cloud_write(pid, name, text)
    git_before = tree(work / ".git")
    folder = ProjectFolder(client, pid, work, progress="none")
    report = folder.pull(all=True)
    got = {a.name: (a.action, a.detail) for a in report.actions}
    for name in evil:
        assert got[name][0] == "refused", (name, got.get(name))
    assert tree(work / ".git") == git_before
    subprocess.run(["git", "status", "--porcelain"], cwd=work, check=True, capture_output=True)
    assert not marker.exists()
    state = json.loads((work / ".qc-sync" / "state.json").read_text())
    assert state["projectId"] == pid and set(state["files"]) == {"main.py", "research.ipynb"}
    assert (work / ".qc-sync" / "base" / "main.py").read_text() == \
        emu.cloud_files(pid)["main.py"]
    assert not (work / ".qc-sync" / "backups").exists()
    assert all(syncs(n) for n in tree(work) if not n.startswith((".git/", ".qc-sync/")))
    assert set(folder.status().states()) >= set(evil)    # shown, with why


# --- generated names -----------------------------------------------------------------------------

PIECES = ["a", "main.py", "lib", ".", "..", "", ".git", ".qc-sync", "base", "backups", "hooks",
          "config", "state.json", ".env", ".vscode", ".ipynb_checkpoints", "__pycache__",
          "node_modules", "x.cloud.py", "r.cloud-invalid.txt", "y.tmp", "z.pyc", "Thumbs.db",
          "\x1b[2J", "\x07", "\n", "\r", "\u202e", "\u200b", "é", " ", "\\", "C:", "~", "x" * 260,
          ".qc-sync-1-0123456789abcdef.tmp", "\x00"]
part = st.one_of(st.sampled_from(PIECES), st.text(max_size=8))
names = st.builds(lambda prefix, parts: prefix + "/".join(parts),
                  st.sampled_from(["", "", "", "/", "./"]),
                  st.lists(part, min_size=1, max_size=4))


@pytest.fixture(scope="module")
def shared_emu():
    from qc_magics.emulator import Emulator
    from conftest import SUITE_TOKEN
    with Emulator(api_token=SUITE_TOKEN, user_id="4242", seed=7, time_scale=0.02,
                  retry_after=0.01) as e:
        yield e


def _plant(root: Path, name: str, data: bytes) -> Path | None:
    """A local file of exactly this name, where the file system can hold one."""
    parts = name.split("/")
    if name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return None
    path = root.joinpath(*parts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            return None
        path.write_bytes(data)
    except (OSError, ValueError):
        return None
    return path


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=names, local_too=st.booleans())
def test_generated_names_one_rule_no_escape_no_loss(shared_emu, tmp_path, name, local_too):
    emu = shared_emu
    client = make_client(emu)
    pid = client.create_project("Generated")["projectId"]
    outer = Path(tempfile.mkdtemp(dir=tmp_path))
    (outer / "outside.py").write_text("outside = 1\n")
    root = outer / "work"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n")
    local_work = b"unsynced local work \x00\xff"   # binary too: it must survive as well
    planted = _plant(root, name, local_work) if local_too else None
    if planted is not None:
        listed = set(scan(root).files)
        assert (name in listed) is syncs(name), name           # the same rule, locally
    git_before = tree(root / ".git")
    emu.cloud_write(pid, name, "cloud text\n")
    before_outer = {p.name for p in outer.iterdir()}
    folder = ProjectFolder(client, pid, root, progress="none")
    if planted is not None and name == ".qc-sync":
        # A file where our metadata folder goes: refused in one line, and nothing touched.
        with pytest.raises(QCError, match=r"\.qc-sync is not a folder"):
            folder.pull(all=True)
        assert planted.read_bytes() == local_work
        shutil.rmtree(outer)
        return
    report = folder.pull(all=True)
    status = folder.status()
    text = str(report) + str(status)
    assert not any(c in text for c in "\x1b\x07\r\u202e\x00")
    assert len(str(report).splitlines()) == len(report.actions) + 1
    # Nothing outside the folder, nothing in .git, nothing of the cloud's in our metadata.
    assert {p.name for p in outer.iterdir()} == before_outer
    assert (outer / "outside.py").read_text() == "outside = 1\n"
    assert tree(root / ".git") == git_before
    meta = tree(root / ".qc-sync") if (root / ".qc-sync").exists() else {}
    mine = planted.relative_to(root / ".qc-sync").as_posix() if planted is not None and \
        name.startswith(".qc-sync/") else None
    assert all(n in ("state.json", mine) or n.startswith(("base/", "backups/")) for n in meta)
    action = next(a.action for a in report.actions if a.name == name)
    if not syncs(name):
        assert action in ("refused", "skipped")
        assert b"cloud text\n" not in tree(root).values()
    # Unsynced local work is never lost: where it was, or in the backups.
    if planted is not None:
        assert local_work in tree(root).values()
    shutil.rmtree(outer)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(names, st.text()))
def test_printable_is_one_inert_line(text):
    import unicodedata

    from qc_magics.sync.names import printable
    out = printable(text)
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs") for c in out)
    assert out == text or "\\" in out


@settings(max_examples=200, deadline=None)
@given(name=names)
def test_a_name_that_syncs_maps_inside_the_folder(tmp_path_factory, name):
    from qc_magics.sync.disk import local_path
    root = tmp_path_factory.getbasetemp() / "inside"
    if syncs(name):
        path = local_path(root, name)
        assert path.resolve().is_relative_to(root.resolve()) and path != root
        assert not any(p.startswith(".") for p in path.relative_to(root).parts)
    else:
        with pytest.raises(Exception):
            local_path(root, name)
