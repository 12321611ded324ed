"""Which names sync (one rule for both sides), odd files, and the disk's own hygiene.

Each test names the hole it closes (issue 10): a pull that overwrote local work for names the
local scan skipped, conflict copies told apart by pattern alone, binary and empty files that broke
every command, one unwritable cloud file that aborted a whole pull, leftover temp files, 0600
files, and control characters printed raw.
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap

import pytest

import qc_magics.sync.disk as disk
from conftest import make_client
from qc_magics.errors import QCError
from qc_magics.sync import ProjectFolder
from qc_magics.sync.disk import scan
from qc_magics.sync.names import outside, printable, syncs


@pytest.fixture
def world(emu, tmp_path):
    client = make_client(emu)
    pid = client.create_project("Names")["projectId"]
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)
    return client, pid, folder


def actions(report) -> dict[str, str]:
    return {a.name: a.action for a in report.actions}


# --- one rule ------------------------------------------------------------------------------------

RULE = [
    ("main.py", True), ("lib/helpers.py", True), ("x.cloud.py", True), ("r.cloud-invalid.txt", True),
    ("x.tmp", True), ("notes.cloud.py", True), ("data/prices.csv", True), ("é/ü.py", True),
    (".env", False), ("lib/.hidden.py", False), (".git/config", False),
    (".git/hooks/post-checkout", False), (".qc-sync/state.json", False),
    (".ipynb_checkpoints/r-checkpoint.ipynb", False), (".vscode/settings.json", False),
    ("__pycache__/m.cpython-311.pyc", False), ("lib/__pycache__/m.py", False),
    ("node_modules/x.js", False), ("m.pyc", False), ("./x.py", False), ("a/./b.py", False),
    ("a//b.py", False), (".", False), ("a/", False), ("x" * 300 + ".py", False),
    ("a\x1b[31m.py", False), ("b\x07.py", False), ("c\nd.py", False), ("e\u202eyp.py", False),
]


@pytest.mark.parametrize("name, expected", RULE, ids=[repr(n)[:40] for n, _ in RULE])
def test_one_rule_decides_for_local_files_and_cloud_names(world, emu, tmp_path, name, expected):
    client, pid, folder = world
    assert syncs(name) is expected
    # Local: a file of that name (where the file system can hold one) is scanned iff it syncs.
    parts = [p for p in name.split("/") if p not in ("", ".")]
    path = tmp_path.joinpath(*parts)
    try:
        if "/".join(parts) != name:
            raise OSError("an alias: no file on disk has this name")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("local = 1\n")
    except OSError:
        pass
    else:
        listed = {p for p in scan(tmp_path).files.values()}
        assert (path in listed) is expected
        path.unlink()
    # Cloud: pulled iff it syncs; otherwise reported and nothing written.
    emu.cloud_write(pid, name, "cloud = 1\n")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()
              and ".qc-sync" not in p.parts}
    report = folder.pull(all=True)
    if expected:
        assert actions(report)[name] in ("pulled", "restored")
        assert path.read_text() == "cloud = 1\n"
    else:
        assert actions(report)[name] in ("refused", "skipped")
        after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()
                 and ".qc-sync" not in p.parts}
        assert after == before


LOCAL_WORK = {".env": "SECRET=local\n", "lib/.hidden.py": "mine = 1\n",
              "__pycache__/m.py": "cache = 1\n", "node_modules/x.js": "js = 1\n",
              ".ipynb_checkpoints/r-checkpoint.ipynb": "{}", "m.pyc": "pyc\n",
              ".git/config": "[core]\n"}


def test_pull_never_overwrites_local_files_the_rule_leaves_out(world, emu, tmp_path):
    client, pid, folder = world
    for name, text in LOCAL_WORK.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
        emu.cloud_write(pid, name, "from the cloud\n")
    report = folder.pull(all=True)
    for name, text in LOCAL_WORK.items():
        assert (tmp_path / name).read_text() == text, name
        assert actions(report)[name] in ("refused", "skipped"), name
    assert actions(report)[".git/config"] == "refused"
    assert "hidden" in next(a.detail for a in report.actions if a.name == ".env")
    assert ".env" in folder.status().states()       # shown, with why, never synced


def test_names_like_copies_and_temporaries_are_ordinary_files(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "notes.cloud.py").write_text("my notes\n")
    (tmp_path / "x.tmp").write_text("scratch\n")
    (tmp_path / "r.cloud-invalid.txt").write_text("mine\n")
    states = folder.status().states()
    assert states["notes.cloud.py"] == states["x.tmp"] == "local-only"
    pushed = folder.push(["notes.cloud.py", "x.tmp"])
    assert sorted(pushed.changed) == ["notes.cloud.py", "x.tmp"]
    # A cloud file of such a name never replaces unsynced local work: it is a conflict.
    emu.cloud_write(pid, "r.cloud-invalid.txt", "theirs\n")
    report = folder.pull(all=True)
    assert actions(report)["r.cloud-invalid.txt"] == "conflict-copy"
    assert (tmp_path / "r.cloud-invalid.txt").read_text() == "mine\n"


def test_conflict_copies_are_known_by_the_state_not_by_their_name(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "main.py").write_text("local = 1\n")
    emu.cloud_write(pid, "main.py", "cloud = 1\n")
    emu.cloud_write(pid, "main.cloud.py", "a project file of that name\n")
    report = folder.pull(all=True)
    # main.cloud.py is a project file here: the copy goes beside it, under another name.
    assert (tmp_path / "main.cloud.py").read_text() == "a project file of that name\n"
    assert (tmp_path / "main.cloud-2.py").read_text() == "cloud = 1\n"
    assert "main.cloud-2.py" in next(a.detail for a in report.actions if a.name == "main.py")
    states = folder.status().states()
    assert "main.cloud-2.py" not in states and states["main.cloud.py"] == "in-sync"
    pushed = folder.push(all=True, force=True)
    assert "main.cloud-2.py" not in emu.cloud_files(pid), str(pushed)


def test_aliases_are_refused_and_never_replace_the_file_they_alias(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "x.py").write_text("unsynced = 1\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.py").write_text("unsynced = 2\n")
    for alias in ("./x.py", "a/./b.py", "a//b.py"):
        emu.cloud_write(pid, alias, "alias = 1\n")
    report = folder.pull(all=True)
    assert {actions(report)[n] for n in ("./x.py", "a/./b.py", "a//b.py")} == {"refused"}
    assert "alias of 'x.py'" in next(a.detail for a in report.actions if a.name == "./x.py")
    assert (tmp_path / "x.py").read_text() == "unsynced = 1\n"
    assert (tmp_path / "a" / "b.py").read_text() == "unsynced = 2\n"


def test_a_symlinked_qc_sync_is_refused_in_one_line(world, emu, tmp_path):
    client, pid, folder = world
    elsewhere = tmp_path.parent / "elsewhere-state"
    os.replace(tmp_path / ".qc-sync", elsewhere)
    (tmp_path / ".qc-sync").symlink_to(elsewhere, target_is_directory=True)
    before = sorted(p.name for p in elsewhere.rglob("*"))
    for call in (folder.status, lambda: folder.pull(all=True), lambda: folder.push(all=True)):
        with pytest.raises(QCError, match=r"\.qc-sync is a symlink") as e:
            call()
        assert "\n" not in str(e.value)
    assert sorted(p.name for p in elsewhere.rglob("*")) == before


# --- binary, empty, unreadable ------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"


def test_binary_files_are_reported_and_never_break_or_get_lost(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "logo.png").write_bytes(PNG)
    (tmp_path / "prices.csv").write_bytes("café;1,5\n".encode("latin-1"))
    (tmp_path / "new.py").write_text("n = 1\n")
    status = folder.status()
    assert "not UTF-8" in status["logo.png"].note and status["logo.png"].local_size == len(PNG)
    pulled = folder.pull(all=True)
    assert actions(pulled)["logo.png"] == "skipped"
    pushed = folder.push(all=True)
    assert actions(pushed)["logo.png"] == "skipped" and "new.py" in pushed.changed
    assert "logo.png" not in emu.cloud_files(pid)
    # A cloud text file of the same name never replaces the binary without a backup.
    emu.cloud_write(pid, "prices.csv", "text\n")
    assert actions(folder.pull(all=True))["prices.csv"] == "conflict-copy"
    assert (tmp_path / "prices.csv").read_bytes() == "café;1,5\n".encode("latin-1")
    folder.pull(["prices.csv"], force=True)
    assert (tmp_path / "prices.csv").read_text() == "text\n"
    saved = [p.read_bytes() for p in (tmp_path / ".qc-sync" / "backups").rglob("prices.csv")]
    assert saved == ["café;1,5\n".encode("latin-1")]


def test_empty_files_sync_and_never_refuse_a_whole_push(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "helpers.py").write_text("h = 1\n")
    assert folder.status()["lib/__init__.py"].state == "local-only"
    pushed = folder.push(all=True)
    assert "lib/helpers.py" in pushed.changed
    # Created without content where the push does that (the real service creates an empty file
    # when `content` is absent); otherwise skipped with why. Never a refusal of the whole push.
    empty = next(a for a in pushed.actions if a.name == "lib/__init__.py")
    assert empty.action == "created" or (empty.action == "skipped" and "empty" in empty.detail)
    emu.cloud_write(pid, "pkg/__init__.py", "")
    assert actions(folder.pull(all=True))["pkg/__init__.py"] == "pulled"
    assert (tmp_path / "pkg" / "__init__.py").read_text() == ""


def test_an_unreadable_local_file_is_one_line_for_that_file(world, emu, tmp_path, monkeypatch):
    client, pid, folder = world
    locked = tmp_path / "locked.py"
    locked.write_text("secret work\n")
    emu.cloud_write(pid, "locked.py", "cloud\n")
    emu.cloud_write(pid, "other.py", "o = 1\n")
    locked.chmod(0)
    if os.geteuid() == 0:   # root reads through permissions: make the refusal explicit
        real_open = open

        def guarded(file, *a, **k):
            if str(file) == str(locked):
                raise PermissionError(13, "Permission denied")
            return real_open(file, *a, **k)
        monkeypatch.setattr(disk, "open", guarded, raising=False)
    try:
        note = folder.status()["locked.py"].note
        assert "cannot read" in note and "Permission denied" in note and "\n" not in note
        report = folder.pull(all=True, force=True)
    finally:
        locked.chmod(0o644)
    assert actions(report)["other.py"] == "pulled"
    assert actions(report)["locked.py"] == "failed"
    assert locked.read_text() == "secret work\n"


# --- one bad cloud file does not stop the others -------------------------------------------------

def test_cloud_files_that_cannot_be_written_are_reported_and_the_rest_pulled(world, emu, tmp_path):
    client, pid, folder = world
    bad = ["x" * 300 + ".py", ".", "x", "deep/" + "y" * 256]
    for name in bad:
        emu.cloud_write(pid, name, "bad = 1\n")
    emu.cloud_write(pid, "x/y.py", "folder wins = 1\n")
    emu.cloud_write(pid, "zz_last.py", "z = 1\n")
    (tmp_path / "file_here").write_text("a file where the cloud has a folder\n")
    emu.cloud_write(pid, "file_here/inner.py", "i = 1\n")
    report = folder.pull(all=True)
    got = actions(report)
    assert got["zz_last.py"] == "pulled" and got["x/y.py"] == "pulled"
    assert {got[n] for n in bad} == {"refused"}
    assert got["file_here/inner.py"] == "failed"
    detail = {a.name: a.detail for a in report.actions}
    assert "the folder itself" in detail["."] and str(tmp_path) not in detail["."]
    assert "both a file and a folder" in detail["x"]
    assert "a file is in the way" in detail["file_here/inner.py"]
    assert (tmp_path / "file_here").read_text() == "a file where the cloud has a folder\n"


# --- the disk's hygiene --------------------------------------------------------------------------

def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("command", ["pull", "push"])
def test_leftover_temp_files_of_killed_runs_are_cleaned_and_nothing_else(world, emu, tmp_path,
                                                                         command):
    client, pid, folder = world
    gone = dead_pid()
    ours = [tmp_path / f".qc-sync-{gone}-0123456789abcdef.tmp",
            tmp_path / "lib" / f".qc-sync-{gone}-00000000000000ff.tmp",
            tmp_path / ".qc-sync" / "base" / f".qc-sync-{gone}-abcdefabcdefabcd.tmp"]
    theirs = [tmp_path / "x.tmp", tmp_path / ".main.py.k2j3h4.tmp",
              tmp_path / f".qc-sync-{os.getpid()}-0123456789abcdef.tmp",   # a live run's
              tmp_path / f".qc-sync-{gone}-short.tmp"]
    for path in ours + theirs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("partial")
    getattr(folder, command)(all=True)
    assert [p for p in ours if p.exists()] == []
    assert [p for p in theirs if not p.exists()] == []


def test_a_pull_killed_mid_write_leaves_a_temp_file_the_next_pull_removes(emu, tmp_path):
    client = make_client(emu)
    pid = client.create_project("Killed")["projectId"]
    emu.cloud_write(pid, "big.py", "x = 1\n" * 100)
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path[:0] = {sys.path!r}
        import qc_magics.sync.disk as disk
        from qc_magics.api import QCClient
        from qc_magics.sync import ProjectFolder
        real = disk.os.replace
        def die(src, dst):
            if ".qc-sync" not in str(dst):
                os.kill(os.getpid(), signal.SIGKILL)   # kill -9 between write and rename
            return real(src, dst)
        disk.os.replace = die
        client = QCClient(**{emu.client_kwargs()!r})
        ProjectFolder(client, {pid}, {str(tmp_path)!r}, progress="none").pull(all=True)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert run.returncode == -9, run.stderr.decode()[-2000:]
    left = list(tmp_path.glob(".qc-sync-*.tmp"))
    assert left and not (tmp_path / "big.py").exists()
    ProjectFolder(client, pid, tmp_path, progress="none").pull(all=True)
    assert list(tmp_path.rglob(".qc-sync-*.tmp")) == []
    assert (tmp_path / "big.py").read_text() == "x = 1\n" * 100


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_pulled_files_get_the_users_umask(world, emu, tmp_path, umask, expected):
    client, pid, folder = world
    emu.cloud_write(pid, "lib/new.py", "n = 1\n")
    emu.cloud_write(pid, "script.py", "changed = 1\n")
    (tmp_path / "script.py").write_text("s = 1\n")
    folder.pull(["script.py"], force=True)
    (tmp_path / "script.py").chmod(0o755)    # a mode the user chose is kept
    emu.cloud_write(pid, "script.py", "changed = 2\n")
    old = os.umask(umask)
    try:
        folder.pull(all=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "lib" / "new.py").stat().st_mode) == expected
    assert stat.S_IMODE((tmp_path / "script.py").stat().st_mode) == 0o755


# --- control characters never reach the terminal -------------------------------------------------

NASTY = ["a\x1b[2J\x1b[31mred.py", "b\x07bell.py", "c\nfake.py  pulled", "d\u202eyp.exe.py",
         "e\rover.py", "f\x00nul.py"]


def test_reports_escape_control_and_bidi_characters_one_line_per_file(world, emu, tmp_path):
    client, pid, folder = world
    for name in NASTY:
        emu.cloud_write(pid, name, "x = 1\n")
    pulled, status = folder.pull(all=True), folder.status()
    for text, rows in ((str(pulled), len(pulled.actions)), (str(status), len(status))):
        assert not any(c in text for c in "\x1b\x07\r\u202e\x00")
        lines = text.splitlines()
        assert len(lines) == rows + 1          # a header, then one line per file
        for name in NASTY:
            assert sum(printable(name) in line for line in lines) == 1
    assert printable("a\x1bb\u202ec\nd") == "a\\x1bb\\u202ec\\nd"
    assert all(outside(n) is not None for n in NASTY)


def test_a_symlink_planted_inside_our_metadata_is_never_written_through(world, emu, tmp_path):
    client, pid, folder = world
    elsewhere = tmp_path.parent / "elsewhere-base"
    elsewhere.mkdir()
    (tmp_path / ".qc-sync" / "base" / "lib").symlink_to(elsewhere, target_is_directory=True)
    emu.cloud_write(pid, "lib/x.py", "x = 1\n")
    emu.cloud_write(pid, "y.py", "y = 1\n")
    report = folder.pull(all=True)
    assert actions(report)["lib/x.py"] == "failed" and actions(report)["y.py"] == "pulled"
    assert "symlink" in next(a.detail for a in report.actions if a.name == "lib/x.py")
    assert list(elsewhere.iterdir()) == []


def test_copies_written_before_they_were_recorded_are_adopted_once(world, emu, tmp_path):
    import json

    client, pid, folder = world
    (tmp_path / "main.py").write_text("local = 1\n")
    emu.cloud_write(pid, "main.py", "cloud = 1\n")
    folder.pull(all=True)
    state_file = tmp_path / ".qc-sync" / "state.json"
    data = json.loads(state_file.read_text())
    del data["copies"]                        # as an older version wrote it
    state_file.write_text(json.dumps(data))
    assert "main.cloud.py" not in folder.status().states()
    folder.push(all=True, force=True)
    assert "main.cloud.py" not in emu.cloud_files(pid)
    assert json.loads(state_file.read_text())["copies"] == {"main.cloud.py": "main.py"}


def test_names_one_disk_takes_for_one_file_are_refused_but_the_synced_one(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "main.py").write_text("unsynced local work\n")
    emu.cloud_write(pid, "Main.py", "other = 1\n")
    emu.cloud_write(pid, "caf\u00e9.py", "nfc = 1\n")
    emu.cloud_write(pid, "cafe\u0301.py", "nfd = 1\n")
    report = folder.pull(all=True)
    got = actions(report)
    assert got["Main.py"] == "refused" and got["main.py"] == "kept"
    assert sorted(got[n] for n in ("caf\u00e9.py", "cafe\u0301.py")) == ["pulled", "refused"]
    assert (tmp_path / "main.py").read_text() == "unsynced local work\n"
    assert not (tmp_path / "Main.py").exists()


def test_a_dry_run_after_a_copy_was_deleted_writes_nothing(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "main.py").write_text("local = 1\n")
    emu.cloud_write(pid, "main.py", "cloud = 1\n")
    folder.pull(all=True)
    (tmp_path / "main.cloud.py").unlink()
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    folder.pull(all=True, dry_run=True)
    folder.status()
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert "main.cloud.py" not in folder.status().states()


def test_a_fifo_in_the_folder_is_not_a_file_and_hangs_nothing(world, emu, tmp_path):
    client, pid, folder = world
    os.mkfifo(tmp_path / "data_pipe")        # reading it would block for ever
    assert "data_pipe" not in folder.status().states()
    assert "data_pipe" not in actions(folder.pull(all=True))
    assert "data_pipe" not in actions(folder.push(all=True))
