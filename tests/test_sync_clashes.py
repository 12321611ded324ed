"""Local names held to every cloud rule, against the emulator.

From an adversarial pass: twins (names one disk takes for one file) were both pushed; a file was
pushed under a cloud file as if it were a folder; `mv a b/c` with `b` a file renamed in the cloud
and then failed locally; local names the rule refuses were invisible (status) or "no such file"
(named). Each test reproduces one hole; the rule: refuse with one line why, change nothing.
"""
from __future__ import annotations

import pytest

from conftest import make_client
from qc_magics import InvalidArgument, QCError
from qc_magics.sync import NoSuchFile, ProjectFolder, SyncError


@pytest.fixture
def world(emu, tmp_path):
    client = make_client(emu)
    pid = client.create_project("Clashes")["projectId"]
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)   # main.py and research.ipynb, synced
    yield client, pid, folder
    client.close()


def by_name(report) -> dict:
    return {a.name: a for a in report.actions}


def snapshot(emu, pid, root):
    local = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
             if p.is_file() and ".qc-sync" not in p.parts}
    return dict(emu.cloud_files(pid)), local


# --- a. twins ------------------------------------------------------------------------------------

def test_a_local_twin_of_a_synced_file_is_refused_and_the_synced_one_wins(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "main.py").write_text("mine = 1\n")
    (tmp_path / "Main.py").write_text("twin = 1\n")
    report = folder.push(all=True)
    got = by_name(report)
    assert got["main.py"].action == "pushed"
    assert got["Main.py"].action == "refused"
    assert "differs from 'main.py' only in case" in got["Main.py"].detail
    assert "\n" not in got["Main.py"].detail
    assert "Main.py" not in emu.cloud_files(pid)
    assert folder.status()["Main.py"].note.startswith("not synced: it differs from 'main.py'")


def test_unicode_twins_never_synced_go_as_one_and_a_pull_agrees(world, emu, tmp_path):
    client, pid, folder = world
    nfc, nfd = "caf\u00e9.py", "cafe\u0301.py"
    (tmp_path / nfc).write_text("nfc = 1\n")
    (tmp_path / nfd).write_text("nfd = 1\n")
    got = by_name(folder.push([nfc, nfd]))
    assert sorted(a.action for a in got.values()) == ["created", "refused"]
    kept = next(n for n, a in got.items() if a.action == "created")
    assert [n for n in emu.cloud_files(pid) if n.startswith("caf")] == [kept]
    assert folder.push(all=True).refused[0].name != kept     # the same one, the next time too


def test_a_twin_created_in_the_cloud_since_is_found_before_a_new_file_is_sent(world, emu,
                                                                             tmp_path):
    client, pid, folder = world
    emu.cloud_write(pid, "Utils.py", "theirs = 1\n")          # not pulled here
    (tmp_path / "utils.py").write_text("mine = 1\n")
    got = by_name(folder.push(["utils.py"]))
    assert got["utils.py"].action == "refused" and "'Utils.py'" in got["utils.py"].detail
    assert "utils.py" not in emu.cloud_files(pid)


# --- b. a file where a folder is -----------------------------------------------------------------

def test_a_file_under_a_cloud_file_is_refused_with_why(world, emu, tmp_path):
    client, pid, folder = world
    emu.cloud_write(pid, "mydir", "a file, in the cloud\n")
    (tmp_path / "mydir").mkdir()
    (tmp_path / "mydir" / "keep.py").write_text("x = 1\n")
    (tmp_path / "other.py").write_text("y = 2\n")
    emu.clear_log()
    got = by_name(folder.push(["mydir/keep.py", "other.py"]))
    assert got["mydir/keep.py"].action == "refused"
    assert "'mydir', which is a file in the cloud" in got["mydir/keep.py"].detail
    assert got["other.py"].action == "created"                # the rest still goes
    assert "mydir/keep.py" not in emu.cloud_files(pid)
    assert emu.count("/files/create") == 1


# --- c. mv a b/c with b a file -------------------------------------------------------------------

@pytest.mark.parametrize("where", ["local", "cloud"])
def test_a_rename_under_a_file_is_refused_before_any_request(world, emu, tmp_path, where):
    client, pid, folder = world
    if where == "local":
        (tmp_path / "b").write_text("a local file\n")
    else:
        emu.cloud_write(pid, "b", "a cloud file\n")
    before = snapshot(emu, pid, tmp_path)
    emu.clear_log()
    with pytest.raises(InvalidArgument) as e:
        folder.rename("main.py", "b/c.py")
    assert "'b'" in str(e.value) or "/b " in str(e.value)
    assert "file" in str(e.value) and "\n" not in str(e.value)
    assert [r["endpoint"] for r in emu.requests] == ["/files/read"]   # the listing, nothing else
    assert snapshot(emu, pid, tmp_path) == before


def test_a_rename_onto_a_twin_or_a_folder_is_refused_and_case_only_rename_works(world, emu,
                                                                               tmp_path):
    client, pid, folder = world
    emu.cloud_write(pid, "lib/x.py", "x = 1\n")
    folder.pull(all=True)
    with pytest.raises(InvalidArgument, match="is a folder in the cloud"):
        folder.rename("main.py", "lib")
    with pytest.raises(InvalidArgument, match="only in case"):
        folder.rename("main.py", "LIB/X.py".lower().replace("lib/x", "Lib/X"))
    folder.rename("main.py", "Main.py")                       # itself in another case: fine
    assert "Main.py" in emu.cloud_files(pid) and (tmp_path / "Main.py").exists()


# --- d. names refused here -----------------------------------------------------------------------

REFUSED_HERE = ["x:y.py", "bidi\u202eyp.py", "bell\x07.py"]


@pytest.mark.parametrize("name", REFUSED_HERE, ids=["drive", "bidi", "bell"])
def test_names_refused_here_show_in_status_and_say_why_when_named(world, emu, tmp_path, name):
    client, pid, folder = world
    (tmp_path / name).write_text("x = 1\n")
    status = folder.status()
    assert status[name].state == "local-only" and status[name].note.startswith("not synced: it")
    assert str(status).count("\n") == len(status)    # one line per file: the name is escaped
    assert "\u202e" not in str(status) and "\x07" not in str(status)
    assert folder.status([name])[name].note == status[name].note   # named: the same reason
    got = by_name(folder.push([name]))
    assert got[name].action == "refused" and got[name].detail.startswith("not sent: it")
    with pytest.raises(SyncError, match="is not synced"):
        folder.diff(name)
    assert name not in emu.cloud_files(pid)


def test_a_refused_folder_here_is_one_entry_and_hidden_ones_stay_out(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "C:stuff").mkdir()
    (tmp_path / "C:stuff" / "a.py").write_text("a = 1\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "x.py").write_text("v = 1\n")
    (tmp_path / ".env").write_text("SECRET=1\n")
    names = [f.name for f in folder.status()]
    assert "C:stuff" in names and "C:stuff/a.py" not in names
    assert not any(n.startswith(".") for n in names)


def test_a_name_nowhere_is_the_syncs_own_one_line_error(world, emu, tmp_path):
    client, pid, folder = world
    with pytest.raises(NoSuchFile) as e:
        folder.diff("nowhere.py")
    assert isinstance(e.value, QCError) and "\n" not in str(e.value)


# -- the rules for many names at once agree with the rule for one (generated names) --------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from qc_magics.sync.clashes import file_inside, first_inside  # noqa: E402
from qc_magics.text import has_unsafe, needs_escape  # noqa: E402

_part = st.text(alphabet="aAb.é\u0301_-", min_size=1, max_size=3)
_names = st.lists(_part, min_size=1, max_size=4).map("/".join)


@given(st.sets(_names, max_size=25), _names)
@settings(max_examples=300, deadline=None)
def test_first_inside_is_file_inside_for_every_folder(files, name):
    """local_clashes asks one index of folders instead of sorting the files per name (it was
    quadratic: 31 ms for a 200-file push); the answer must be the same file."""
    assert first_inside(files).get(name) == file_inside(name, files)


@given(st.text(max_size=40))
@settings(max_examples=500, deadline=None)
def test_has_unsafe_agrees_with_the_per_character_rule(text):
    assert has_unsafe(text) == any(needs_escape(c) for c in text)
